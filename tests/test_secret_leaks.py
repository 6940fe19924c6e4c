"""Runs after every other test: no secret the function held appears in anything it wrote.

`Written` (conftest) collected every response body and every line written to stdout across the
suite, including the fault and fuzz runs, and every credential and access token in play.
"""

from __future__ import annotations

from tests.conftest import Written


def test_no_secret_appears_in_any_response_or_log_line_of_the_suite():
    written = "\n".join(Written.text)
    assert written, "the suite wrote nothing: the collector is broken"
    leaked = sorted(secret for secret in Written.secrets if secret in written)
    assert leaked == []
