"""The result of handling one lead: what happened, the HTTP status it answers with, how loud it logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    CONVERTED = "converted"
    ALREADY_CONVERTED = "already_converted"
    SKIPPED = "skipped"
    DRY_RUN = "dry_run"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    ERROR = "error"
    REJECTED = "rejected"
    MISCONFIGURED = "misconfigured"


HTTP_STATUS = {
    Kind.CONVERTED: 200,
    Kind.ALREADY_CONVERTED: 200,
    Kind.SKIPPED: 200,
    Kind.DRY_RUN: 200,
    Kind.NOT_FOUND: 404,
    Kind.FAILED: 502,
    Kind.ERROR: 503,
    Kind.MISCONFIGURED: 500,
}

SEVERITY = {
    Kind.CONVERTED: "INFO",
    Kind.ALREADY_CONVERTED: "INFO",
    Kind.SKIPPED: "INFO",
    Kind.DRY_RUN: "INFO",
    Kind.NOT_FOUND: "WARNING",
    Kind.REJECTED: "WARNING",
    Kind.FAILED: "ERROR",
    Kind.ERROR: "ERROR",
    Kind.MISCONFIGURED: "ERROR",
}


@dataclass
class Outcome:
    """One lead's result. `code` is Zoho's error code; `warnings` are notes for the log line."""

    kind: Kind
    lead_id: str | None = None
    rule: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    deal_id: str | None = None
    reason: str | None = None
    payload: dict[str, Any] | None = None
    code: str | None = None
    job_id: str | None = None
    missing_fields: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    http_status: int | None = None

    @property
    def status(self) -> int:
        return self.http_status or HTTP_STATUS[self.kind]

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]

    def response(self) -> dict[str, Any]:
        """The JSON answer: the core keys always, the others when they apply."""
        return {
            **self._core(),
            **self._present(payload=self.payload, job_id=self.job_id, code=self.code, error=self.error),
        }

    def log_fields(self) -> dict[str, Any]:
        """The log line's fields: `code` always (null when Zoho gave none), details when present."""
        extra = self._present(
            job_id=self.job_id,
            missing_fields=list(self.missing_fields) or None,
            warnings=list(self.warnings) or None,
            payload=self.payload,
        )
        return {**self._core(), "code": self.code, **extra}

    def _core(self) -> dict[str, Any]:
        return {
            "outcome": self.kind.value,
            "lead_id": self.lead_id,
            "rule": self.rule,
            "contact_id": self.contact_id,
            "account_id": self.account_id,
            "deal_id": self.deal_id,
            "reason": self.reason,
        }

    @staticmethod
    def _present(**values: Any) -> dict[str, Any]:
        return {key: value for key, value in values.items() if value is not None}

    def message(self) -> str:
        subject = f"lead {self.lead_id}" if self.lead_id else "webhook request"
        text = f"{subject}: {self.kind.value}"
        if self.rule:
            text += f" by rule {self.rule!r}"
        if self.reason:
            text += f" ({self.reason})"
        return text


def rejected(error: str, reason: str, status: int) -> Outcome:
    """A request refused before any call to Zoho (bad method, size, secret or lead id)."""
    return Outcome(Kind.REJECTED, error=error, reason=reason, http_status=status)


def misconfigured(reason: str) -> Outcome:
    return Outcome(Kind.MISCONFIGURED, error="misconfigured", reason=reason)
