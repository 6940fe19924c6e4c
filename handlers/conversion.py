"""The conversion engine: read the lead, pick the rule, build the body, call Convert, say what happened.

Every failure is turned into an Outcome here, in `outcome_for_error`, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from handlers.calls import counting_calls
from handlers.errors import (
    CredentialsRejected,
    ZohoBadResponse,
    ZohoError,
    ZohoRejected,
    ZohoUnavailable,
)
from handlers.lead import Lead, converted_records, is_converted
from handlers.matching import decide
from handlers.outcome import Kind, Outcome
from handlers.payload import ConvertRequest, build_convert_request, with_existing_records
from handlers.rules import Rule, RuleSet
from handlers.secret_manager import SecretUnavailable
from handlers.settings import MisconfiguredError

if TYPE_CHECKING:
    from handlers.zoho import ConvertResult, ZohoClient

NOTE_TITLE = "Automatic conversion failed"
_SETUP_CODES = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH"})
_LOCK_STRIPES = 256


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Converter:
    def __init__(
        self,
        rules: RuleSet,
        zoho: ZohoClient,
        *,
        failure_note: bool = True,
        clock: Callable[[], dt.datetime] = utc_now,
    ):
        self.rules = rules
        self.zoho = zoho
        self.failure_note = failure_note
        self.clock = clock
        # Deliveries of the same lead in one instance take turns, so only the first one calls
        # Convert and the others find the lead converted. Across instances Zoho's own
        # ID_ALREADY_CONVERTED settles it.
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def convert(
        self, lead_id: str, *, dry_run: bool = False, record: Lead | None = None
    ) -> tuple[Outcome, int]:
        """The outcome for one lead and the number of Zoho API requests it took.

        `record`: the lead as just read elsewhere (a sweep's COQL page) with every field the
        rules read; without it the lead is read from Zoho first.
        """
        with counting_calls() as calls:
            try:
                with self._locks[zlib.crc32(lead_id.encode()) % _LOCK_STRIPES]:
                    outcome = self._convert(lead_id, dry_run, record)
            except (ZohoError, MisconfiguredError, SecretUnavailable) as error:
                outcome = outcome_for_error(error, lead_id)
        return outcome, calls.count

    def _convert(self, lead_id: str, dry_run: bool, record: Lead | None) -> Outcome:
        lead = record if record is not None else self.zoho.get_lead(lead_id)
        if lead is None:
            return Outcome(Kind.NOT_FOUND, lead_id, reason="Zoho has no lead with this id")
        if is_converted(lead):
            return already_converted(lead_id, lead, None, "the lead was converted before")
        decision = decide(self.rules, lead)
        rule = decision.rule
        if rule is None:
            return Outcome(Kind.SKIPPED, lead_id, reason=decision.no_match_reason())
        if rule.skip:
            return Outcome(Kind.SKIPPED, lead_id, rule.name, reason=f"rule {rule.name!r} says skip")
        request = build_convert_request(rule, lead_id, lead, self.clock(), legacy=self.zoho.legacy)
        if dry_run:
            return Outcome(
                Kind.DRY_RUN,
                lead_id,
                rule.name,
                payload=request.body,
                reason="dry run: Convert was not called",
                missing_fields=request.missing_fields,
            )
        return self._send(lead_id, rule, request)

    def _send(self, lead_id: str, rule: Rule, request: ConvertRequest) -> Outcome:
        try:
            result = self.zoho.convert_lead(lead_id, request.body)
        except ZohoRejected as rejection:
            if rejection.code == "ID_ALREADY_CONVERTED":
                return self._read_back(lead_id, rule)
            if rejection.code == "DUPLICATE_DATA" and rule.existing_records == "link":
                return self._link_existing(lead_id, rule, request, rejection)
            return self._failed(lead_id, rule, rejection)
        return converted(lead_id, rule, request, result)

    def _read_back(self, lead_id: str, rule: Rule) -> Outcome:
        """Zoho says it converted the lead already (perhaps our own timed-out attempt): fetch the ids."""
        lead = self.zoho.get_lead(lead_id)
        if lead is None:
            return Outcome(Kind.ALREADY_CONVERTED, lead_id, rule.name, reason="ID_ALREADY_CONVERTED")
        return already_converted(lead_id, lead, rule.name, "ID_ALREADY_CONVERTED")

    def _link_existing(
        self, lead_id: str, rule: Rule, request: ConvertRequest, rejection: ZohoRejected
    ) -> Outcome:
        if not self.zoho.version.conversion_options:
            because = f"existing_records: link {self.zoho.version.needs('conversion_options')}"
            return self._failed(lead_id, rule, rejection, because)
        options = self.zoho.conversion_options(lead_id) or {}
        contact_id, account_id = (
            _first_id(options.get("Contacts")),
            _first_id(options.get("Accounts")),
        )
        if contact_id is None and account_id is None:
            return self._failed(lead_id, rule, rejection)
        linked = with_existing_records(request, contact_id, account_id, legacy=self.zoho.legacy)
        try:
            result = self.zoho.convert_lead(lead_id, linked.body)
        except ZohoRejected as second:
            if second.code == "ID_ALREADY_CONVERTED":
                return self._read_back(lead_id, rule)
            return self._failed(lead_id, rule, second)
        outcome = converted(lead_id, rule, linked, result)
        outcome.warnings.append(
            f"linked to existing records after DUPLICATE_DATA (contact {contact_id}, account {account_id})"
        )
        return outcome

    def _failed(
        self, lead_id: str, rule: Rule, rejection: ZohoRejected, because: str | None = None
    ) -> Outcome:
        outcome = outcome_for_error(rejection, lead_id)
        outcome.rule = rule.name
        if because:
            outcome.reason = f"{outcome.reason}; {because}"
        if outcome.kind is Kind.FAILED and self.failure_note:
            self._write_note(outcome)
        return outcome

    def _write_note(self, outcome: Outcome) -> None:
        """Tell sales operations inside the CRM; a note does not edit the lead, so no workflow fires.

        The sweep retries failed leads every run: a lead already carrying the note for the same
        rule and code gets no second one.
        """
        assert outcome.lead_id is not None
        signature = f"Rule: {outcome.rule}\nZoho code: {outcome.code}\n"
        content = (
            f"{signature}Zoho message: {outcome.reason}\nTime: {self.clock().isoformat(timespec='seconds')}"
        )
        try:
            notes = self.zoho.lead_notes(outcome.lead_id)
            if any(
                note.get("Note_Title") == NOTE_TITLE
                and str(note.get("Note_Content", "")).startswith(signature)
                for note in notes
            ):
                outcome.warnings.append("the lead already has the failure note for this rule and code")
                return
            self.zoho.add_note(outcome.lead_id, NOTE_TITLE, content)
        except ZohoError as error:
            outcome.warnings.append(f"could not add the failure note: {error}")


def converted(lead_id: str, rule: Rule, request: ConvertRequest, result: ConvertResult) -> Outcome:
    outcome = Outcome(
        Kind.CONVERTED,
        lead_id,
        rule.name,
        contact_id=result.contact_id,
        account_id=result.account_id,
        deal_id=result.deal_id,
        missing_fields=request.missing_fields,
    )
    if result.job_id is not None:
        outcome.job_id = result.job_id
        outcome.reason = "scheduled"
    return outcome


def already_converted(lead_id: str, lead: Lead, rule: str | None, reason: str) -> Outcome:
    records = converted_records(lead)
    return Outcome(
        Kind.ALREADY_CONVERTED,
        lead_id,
        rule,
        contact_id=records.contact_id,
        account_id=records.account_id,
        deal_id=records.deal_id,
        reason=reason,
    )


def outcome_for_error(error: Exception, lead_id: str | None) -> Outcome:
    """The one place where an exception becomes an outcome."""
    if isinstance(error, ZohoRejected):
        if error.code in _SETUP_CODES:
            return Outcome(
                Kind.MISCONFIGURED,
                lead_id,
                code=error.code,
                error="misconfigured",
                reason=f"Zoho refused the access token ({error.code}): check the OAuth scopes"
                " (ZohoCRM.modules.ALL) and ZOHO_DC / ZOHO_API_DOMAIN",
            )
        return Outcome(Kind.FAILED, lead_id, code=error.code, reason=describe_rejection(error))
    if isinstance(error, (CredentialsRejected, MisconfiguredError)):
        return Outcome(Kind.MISCONFIGURED, lead_id, error="misconfigured", reason=str(error))
    if isinstance(error, (ZohoUnavailable, ZohoBadResponse, SecretUnavailable)):
        return Outcome(Kind.ERROR, lead_id, reason=str(error))
    raise error


def describe_rejection(error: ZohoRejected) -> str:
    reason = f"{error.code}: {error.message}"
    details = error.details
    if isinstance(details, dict):
        duplicate = details.get("duplicate_record")
        if isinstance(duplicate, dict):
            module = (duplicate.get("module") or {}).get("api_name", "record")
            field = details.get("api_name")
            reason += f" (matches existing {module} record {duplicate.get('id')}"
            reason += f" on {field})" if field else ")"
            return reason
    if details:
        reason += " " + json.dumps(details, separators=(",", ":"), sort_keys=True)[:300]
    return reason


def _first_id(records: Any) -> str | None:
    if isinstance(records, list) and records and isinstance(records[0], dict):
        value = records[0].get("id")
        return str(value) if value else None
    return None
