"""The suite-wide leak check (conftest `pytest_sessionfinish`) finds a secret wherever it is written."""

from __future__ import annotations

from tests.conftest import leaked_secrets


def test_a_secret_in_any_written_text_is_found():
    secrets = {"1000.refresh-token-value", "webhook-secret-value"}

    assert leaked_secrets(["ok", '{"reason": "bad 1000.refresh-token-value"}'], secrets) == 1
    assert leaked_secrets(["nothing here"], secrets) == 0
