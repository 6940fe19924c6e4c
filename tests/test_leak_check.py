"""The suite-wide leak check (conftest `pytest_sessionfinish`) finds a secret wherever it is written."""

from __future__ import annotations

from tests.conftest import leaked_secrets


def test_a_secret_in_any_written_text_is_found():
    secrets = {"1000.refresh-token-value", "webhook-secret-value"}

    assert leaked_secrets(["ok", '{"reason": "bad 1000.refresh-token-value"}'], secrets) == 1
    assert leaked_secrets(["nothing here"], secrets) == 0


def test_a_run_of_twelve_characters_of_a_secret_is_a_leak():
    secrets = {"1000.0123456789abcdef0123456789abcdef"}

    assert leaked_secrets(["truncated: 1000.0123456789a"], secrets) == 1
    assert leaked_secrets(["too short to matter: 1000.012345"], secrets) == 0


def test_a_secret_counts_in_any_case_from_twelve_characters_in_a_row():
    secret = "1000.rt-8c2e6a4f91d07b35"
    assert leaked_secrets([f"echo: {secret.upper()[3:15]}"], {secret}) == 1
    assert leaked_secrets(["echo: 1000.RT-8C2"], {secret}) == 0  # 11 characters
