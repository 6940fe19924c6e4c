"""What happened to one request or lead: its kind, the HTTP status it answers with, how loud it logs.

Outcomes are built here, by the constructors below, and never changed afterwards (a warning is
added by building a new one). `from_error` is the one place where an exception becomes an outcome.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field, replace
from typing import Any

from handlers.errors import Failure, Kind, reason_of
from handlers.zoho.lead import Records

# A handled outcome answers 200 with the outcome in the body, so Zoho sees a healthy webhook (it may
# switch off one that keeps failing); non-2xx means nothing could be done for the lead and the sweep
# will catch it (5xx), or the request itself was refused (4xx). A failure whose note could not be
# written answers 502 (`unnoted`).
HTTP_STATUS = {
    Kind.CONVERTED: 200,
    Kind.ALREADY_CONVERTED: 200,
    Kind.SKIPPED: 200,
    Kind.DRY_RUN: 200,
    Kind.NOT_FOUND: 200,
    Kind.DEFERRED: 200,
    Kind.HELD: 200,
    Kind.PAUSED: 200,
    Kind.FAILED: 200,
    Kind.ERROR: 503,
    Kind.REJECTED: 400,
    Kind.MISCONFIGURED: 500,
}

SEVERITY = {
    Kind.CONVERTED: "INFO",
    Kind.ALREADY_CONVERTED: "INFO",
    Kind.SKIPPED: "INFO",
    Kind.DRY_RUN: "INFO",
    Kind.NOT_FOUND: "WARNING",
    Kind.DEFERRED: "WARNING",
    Kind.HELD: "WARNING",
    Kind.PAUSED: "INFO",
    Kind.REJECTED: "WARNING",
    Kind.FAILED: "ERROR",
    Kind.ERROR: "ERROR",
    Kind.MISCONFIGURED: "ERROR",
}


@dataclass(frozen=True)
class Outcome:
    """One lead's result. `code` is Zoho's error code; `warnings` are notes for the log line."""

    kind: Kind
    lead_id: str | None = None
    rule: str | None = None
    records: Records = field(default_factory=Records)
    reason: str | None = None
    payload: dict[str, Any] | None = None
    code: str | None = None
    job_id: str | None = None
    missing_fields: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    http_status: int | None = None
    public_reason: str | None = None  # what the answer says instead of `reason`, when set
    # The existing records converted into (or, when held, the candidates), per module.
    matched: dict[str, Any] | None = None
    open_deal: dict[str, Any] | None = None  # the account's open deal that stood in for a new one
    arrived: dict[str, Any] | None = None  # of a refused request: its content type and body's keys
    activities: dict[str, int] | None = None  # activities handed to the new owner, per module

    @property
    def status(self) -> int:
        return self.http_status or HTTP_STATUS[self.kind]

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]

    def with_warning(self, warning: str) -> Outcome:
        return replace(self, warnings=(*self.warnings, warning))

    def response(self) -> dict[str, Any]:
        """The JSON answer: the core keys always, the others when they apply."""
        answer = {
            **self._core(),
            **_present(payload=self.payload, job_id=self.job_id, code=self.code, error=self.error),
            **_present(matched=self.matched, open_deal=self.open_deal, activities=self.activities),
        }
        if self.public_reason is not None:
            answer["reason"] = self.public_reason
        return answer

    def log_fields(self) -> dict[str, Any]:
        """The log line's fields: `code` always (null when Zoho gave none), details when present.

        A dry run's payload holds values rendered from the lead (a deal named after the contact):
        the authenticated caller gets it in the answer, the log line only its field names."""
        extra = _present(
            job_id=self.job_id,
            missing_fields=list(self.missing_fields) or None,
            warnings=list(self.warnings) or None,
            payload_fields=_field_names(self.payload) if self.payload is not None else None,
            matched=self.matched,
            open_deal=self.open_deal,
            arrived=self.arrived,
            activities=self.activities,
        )
        return {**self._core(), "code": self.code, **extra}

    def message(self) -> str:
        subject = f"lead {self.lead_id}" if self.lead_id else "webhook request"
        text = f"{subject}: {self.kind.value}"
        if self.rule:
            text += f" by rule {self.rule!r}"
        if self.reason:
            text += f" ({self.reason})"
        return text

    def _core(self) -> dict[str, Any]:
        return {
            "outcome": self.kind.value,
            "lead_id": self.lead_id,
            "rule": self.rule,
            "contact_id": self.records.contact_id,
            "account_id": self.records.account_id,
            "deal_id": self.records.deal_id,
            "reason": self.reason,
        }


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _field_names(value: Any, prefix: str = "") -> list[str]:
    """The dotted names of a JSON body's fields, without their values (a list's objects merged)."""
    if isinstance(value, list):
        return sorted({name for item in value for name in _field_names(item, prefix)})
    if not isinstance(value, dict) or not value:
        return [prefix.rstrip(".")] if prefix else []
    return [name for key, item in value.items() for name in _field_names(item, f"{prefix}{key}.")]


# --- constructors ---------------------------------------------------------------------------------


def converted(
    lead_id: str,
    rule: str,
    records: Records,
    *,
    missing_fields: tuple[str, ...] = (),
    job_id: str | None = None,
    warnings: tuple[str, ...] = (),
    matched: dict[str, Any] | None = None,
    open_deal: dict[str, Any] | None = None,
) -> Outcome:
    """Zoho converted the lead (or scheduled the conversion, when it answered with a job id)."""
    return Outcome(
        Kind.CONVERTED,
        lead_id,
        rule,
        records,
        reason="scheduled" if job_id is not None else None,
        job_id=job_id,
        missing_fields=missing_fields,
        warnings=warnings,
        matched=matched or None,
        open_deal=open_deal,
    )


def already_converted(lead_id: str, rule: str | None, records: Records, reason: str) -> Outcome:
    return Outcome(Kind.ALREADY_CONVERTED, lead_id, rule, records, reason=reason)


def skipped(lead_id: str, rule: str | None, reason: str) -> Outcome:
    return Outcome(Kind.SKIPPED, lead_id, rule, reason=reason)


def dry_run(
    lead_id: str,
    rule: str,
    payload: dict[str, Any],
    missing_fields: tuple[str, ...],
    *,
    matched: dict[str, Any] | None = None,
    open_deal: dict[str, Any] | None = None,
) -> Outcome:
    return Outcome(
        Kind.DRY_RUN,
        lead_id,
        rule,
        payload=payload,
        reason="dry run: Convert was not called",
        missing_fields=missing_fields,
        matched=matched or None,
        open_deal=open_deal,
    )


def paused(lead_id: str) -> Outcome:
    """CONVERSION_MODE is paused (the emergency stop): nothing was read or sent."""
    return Outcome(
        Kind.PAUSED,
        lead_id,
        reason="paused (CONVERSION_MODE=paused): Zoho was not called; the sweep converts the lead"
        " once the mode is live again",
    )


def held(lead_id: str, rule: str, reason: str, candidates: dict[str, Any]) -> Outcome:
    """Several existing records match the lead and the rule says a person chooses: nothing was
    converted, and the lead carries a note listing the candidates."""
    return Outcome(Kind.HELD, lead_id, rule, reason=reason, matched=candidates)


def not_found(lead_id: str) -> Outcome:
    return Outcome(
        Kind.NOT_FOUND,
        lead_id,
        reason=(
            "Zoho has no lead with this id that the token's user may see: deleted, merged, outside the"
            " user's sharing, or awaiting approval (read with approved=both, which some versions ignore)"
        ),
    )


def deferred(lead_id: str, rule: str | None, reason: str) -> Outcome:
    """The lead is in a state that passes (awaiting approval or review, locked, being merged):
    no note, and each later sweep tries it again."""
    return Outcome(Kind.DEFERRED, lead_id, rule, reason=reason)


UNNOTED_STATUS = 502  # a failure whose note could not be written: the webhook says so with its status


def from_error(
    error: BaseException,
    lead_id: str | None = None,
    rule: str | None = None,
    *,
    because: str | None = None,
    for_stranger: bool = False,
) -> Outcome:
    """The one place where an exception becomes an outcome (`because` adds to its reason).

    A failure the function knows gives its own kind and reason; anything else is a bug, answered
    as a generic `error` whose traceback goes to the log line only. `for_stranger`: the caller has
    not authenticated, so a misconfiguration is answered with the setting's name alone (the log
    line keeps the whole reason).
    """
    if isinstance(error, Failure):
        return Outcome(
            error.kind,
            lead_id,
            rule,
            reason=f"{error.reason}; {because}" if because else error.reason,
            code=error.code,
            error=error.error_name,
            http_status=error.status,
            public_reason=error.public_reason if for_stranger else None,
            arrived=getattr(error, "arrived", None),
        )
    trace = "".join(traceback.format_exception(error, limit=8))
    return Outcome(
        Kind.ERROR,
        lead_id,
        rule,
        reason=reason_of(error),
        warnings=(trace,),
    )
