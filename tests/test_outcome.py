"""What happened, as the caller and the log see it (handlers/engine/outcome.py)."""

from __future__ import annotations

import pytest

from handlers.engine import outcome
from handlers.errors import Kind, Misconfigured, Rejected, SecretUnavailable, ZohoRefused

# kind: (HTTP status, severity)
ANSWERS = {
    Kind.CONVERTED: (200, "INFO"),
    Kind.ALREADY_CONVERTED: (200, "INFO"),
    Kind.SKIPPED: (200, "INFO"),
    Kind.DRY_RUN: (200, "INFO"),
    Kind.NOT_FOUND: (200, "WARNING"),
    Kind.DEFERRED: (200, "WARNING"),
    Kind.HELD: (200, "WARNING"),
    Kind.PAUSED: (200, "INFO"),
    Kind.FAILED: (200, "ERROR"),
    Kind.ERROR: (503, "ERROR"),
    Kind.REJECTED: (400, "WARNING"),
    Kind.MISCONFIGURED: (500, "ERROR"),
}


def test_every_kind_has_its_status_and_severity() -> None:
    assert set(ANSWERS) == set(Kind)


@pytest.mark.parametrize(("kind", "expected"), ANSWERS.items())
def test_a_kind_answers_with_its_status_and_logs_at_its_severity(
    kind: Kind, expected: tuple[int, str]
) -> None:
    result = outcome.Outcome(kind, "4876876000000100001")

    assert (result.status, result.severity) == expected
    assert result.response()["outcome"] == kind.value


def test_a_failure_becomes_an_outcome_with_what_it_carries() -> None:
    result = outcome.from_error(
        Rejected("payload_too_large", "the body is too large", 413), because="try less"
    )

    assert (result.kind, result.status, result.error) == (Kind.REJECTED, 413, "payload_too_large")
    assert result.reason == "the body is too large; try less"


def test_a_zoho_refusal_keeps_its_code_in_the_answer_and_the_line() -> None:
    result = outcome.from_error(ZohoRefused("MANDATORY_NOT_FOUND", "required field not found"), "1")

    assert (result.kind, result.code, result.status) == (Kind.FAILED, "MANDATORY_NOT_FOUND", 200)
    assert result.response()["code"] == result.log_fields()["code"] == "MANDATORY_NOT_FOUND"


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (Misconfigured("ZOHO_DC 'mars' is not a data centre", setting="ZOHO_DC"), "misconfigured: ZOHO_DC"),
        (
            SecretUnavailable("Secret Manager unavailable for projects/acme/secrets/x"),
            "the function's secrets could not be read; try again later",
        ),
    ],
)
def test_a_stranger_is_told_no_more_than_the_setting_and_the_line_keeps_it_all(
    error: Exception, told: str
) -> None:
    result = outcome.from_error(error, for_stranger=True)

    assert result.response()["reason"] == told
    assert result.log_fields()["reason"] == str(error)


def test_a_bug_is_an_error_whose_traceback_goes_to_the_log_only() -> None:
    try:
        raise RuntimeError("a bug holding 1000.some-token")
    except RuntimeError as error:
        result = outcome.from_error(error, "4876876000000100001", "qualified")

    assert (result.kind, result.reason, result.rule) == (
        Kind.ERROR,
        "internal error (RuntimeError)",
        "qualified",
    )
    assert "Traceback" in result.log_fields()["warnings"][0]
    assert "warnings" not in result.response()
