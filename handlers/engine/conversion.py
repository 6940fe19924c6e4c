"""The conversion engine: read the lead, plan it, find the records it converts into, call Convert,
say what happened.

With `existing_records: match` the lead's conversion options are read before Convert, and the
request names the existing contact and account (handlers.engine.existing); several candidates may
hold the lead for a person to choose, with a note. Zoho's answers that are not plain successes are
handled here: `ID_ALREADY_CONVERTED` (perhaps our own attempt that timed out) reads the created
records back, `DUPLICATE_DATA` links the existing contact and account when the rule says `link`,
and any other refusal leaves a note on the lead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from handlers.engine import activities, contact_roles, failure_note, lookup, outcome
from handlers.engine.existing import Held, Link, Matches, choose, from_conversion_options
from handlers.engine.failure_note import FailureNote
from handlers.engine.outcome import Outcome
from handlers.engine.payload import (
    ConvertRequest,
    cut_to_refused_length,
    with_existing_records,
    without_deal,
)
from handlers.engine.plan import Plan, plan_lead
from handlers.engine.rules import Rule, RuleSet
from handlers.errors import (
    Failure,
    Kind,
    RuleCannotConvert,
    ZohoError,
    ZohoRefused,
    ZohoUnavailable,
    reason_of,
)
from handlers.platform import deadline
from handlers.redaction import redact
from handlers.zoho.lead import Records, converted_records, waiting_for

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

T = TypeVar("T")
# Single Convert takes no portal user type (docs/zoho-api.md, "Mass Convert"): a rule with one is
# converted by the sweep's Mass Convert, never singly.
PORTAL_DEFERRED = (
    "the rule sets portal_user_type, which only Mass Convert takes: the sweep converts this lead"
    " in its next run"
)
NOTE_MESSAGE_CHARS = 2000
# Kept back from Convert and from the note's preflight, so that a refusal that comes late still
# gets its note (a read of the notes and a write): a fifth of the deadline, at most 5 s.
NOTE_SHARE, NOTE_MAX_SECONDS = 0.2, 5.0
# Refusals that the rule's configuration probably caused: their note carries the rule's preflight.
CONFIGURATION_CODES = ("MAPPING_MISMATCH", "MANDATORY_NOT_FOUND", "INVALID_DATA")
_LOCK_STRIPES = 256
ORG_FACTS_SECONDS = 3600.0  # how long an instance trusts what it read of the org (closed stages, roles)


@dataclass(frozen=True)
class Target:
    """What a lead converts into: the request naming the existing records, the records chosen,
    the open deal that stands in for a new one, and what the log line should know."""

    request: ConvertRequest
    link: Link = field(default_factory=Link)
    open_deal: lookup.OpenDeal | None = None
    warnings: tuple[str, ...] = ()
    # Set when the conversion options were not read (a lookup found no candidate): a refused
    # duplicate then reads them and sends the request again, as the webhook would have sent it.
    recheck: Plan | None = None

    @property
    def matched(self) -> dict[str, Any]:
        return self.link.matched()


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
        describe_rule: Callable[[str], str] | None = None,
    ):
        """`describe_rule`: what the rules held against the org say of a rule (by name), for the
        note of a refusal its configuration may have caused (handlers.checks.preflight.OrgCheck, built
        on first use, so an instance whose conversions succeed never loads the preflight)."""
        self.rules = rules
        self.zoho = zoho
        self.failure_note = failure_note
        self.clock = clock
        self.describe_rule = describe_rule
        # Deliveries of the same lead in one instance take turns, so only the first one calls
        # Convert and the others find the lead converted. Across instances Zoho's own
        # ID_ALREADY_CONVERTED settles it.
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self.lookup = lookup.Lookup(zoho)  # existing records by Email and Company, in bulk
        self._closed_stages = _Hourly(lambda: lookup.closed_stages(zoho))
        self._contact_roles = _Hourly(lambda: _read_contact_roles(zoho))

    def convert(
        self,
        lead_id: str,
        *,
        dry_run: bool = False,
        planned: Plan | None = None,
        known: FailureNote | None = None,
        looked_up: Matches | None = None,
    ) -> Outcome:
        """The outcome for one lead. A failure the function knows is an outcome; anything else (a
        bug) is raised for the door, which counts the Zoho API requests (`ZohoClient.counting_calls`).

        `planned`: the lead's plan to convert, made from a record just read elsewhere (a sweep's
        COQL row that held everything the decision and the request need); without it the lead is
        read from Zoho and planned first, as the webhook does. `known`: the lead's failure note as
        the sweep already read it, so a failure of the same rule and code needs no read of the
        lead's notes to find it. `looked_up`: no existing contact or account has the lead's Email
        or Company (the sweep's lookup found none), so its conversion options are read only if Zoho
        refuses a duplicate on a unique field, which the lookup cannot see.
        """
        try:
            with self._turn(lead_id):
                return self._convert(lead_id, dry_run, planned, known, looked_up)
        except Failure as error:
            return outcome.from_error(error, lead_id)

    def _turn(self, lead_id: str) -> contextlib.AbstractContextManager[None]:
        """This lead's turn in the instance, waited for no longer than the request's deadline."""
        return deadline.holding(self._locks[zlib.crc32(lead_id.encode()) % _LOCK_STRIPES])

    def _convert(
        self,
        lead_id: str,
        dry_run: bool,
        planned: Plan | None,
        known: FailureNote | None,
        looked_up: Matches | None,
    ) -> Outcome:
        plan = planned
        if plan is None:
            lead = self.zoho.get_lead(lead_id)
            if lead is None:
                return outcome.not_found(lead_id)
            plan = plan_lead(self.rules, lead_id, lead, self.clock(), legacy=self.zoho.legacy)
            if plan.action == "already_converted":
                return outcome.already_converted(lead_id, None, converted_records(lead), str(plan.reason))
            waiting = waiting_for(lead)
            if waiting is not None and plan.action == "convert" and plan.rule is not None:
                return outcome.deferred(lead_id, plan.rule.name, f"the lead is waiting for {waiting}")
        rule_name = plan.rule.name if plan.rule else None
        if plan.action != "convert" or plan.rule is None or plan.request is None:
            return outcome.skipped(lead_id, rule_name, str(plan.reason))
        rule = plan.rule
        if rule.portal_user_type is not None:
            return outcome.deferred(lead_id, rule.name, PORTAL_DEFERRED)
        try:
            target = self.target(lead_id, plan, looked_up)
        except ZohoRefused as refusal:
            return self._settled(lead_id, rule, refusal) or self._failed(lead_id, rule, refusal, known=known)
        except RuleCannotConvert as error:
            return outcome.from_error(error, lead_id, rule.name)
        if isinstance(target, Held):
            return self._held(lead_id, rule, target, dry_run, known)
        if dry_run:
            request = target.request
            would = outcome.dry_run(
                lead_id,
                rule.name,
                request.body,
                request.missing_fields,
                matched=target.matched,
                open_deal=target.open_deal.as_json() if target.open_deal else None,
            )
            return functools.reduce(Outcome.with_warning, (*request.warnings, *target.warnings), would)
        return self._send(lead_id, rule, target, known=known)

    # --- the existing records ----------------------------------------------------------------------

    def target(self, lead_id: str, plan: Plan, looked_up: Matches | None = None) -> Target | Held:
        """The request naming the records the lead converts into, or why it is held (what
        `explain` shows too). Raises ZohoRefused when Zoho refuses a read."""
        rule, request = plan.rule, plan.request
        assert rule is not None
        assert request is not None
        request = self._with_contact_role(rule, request)
        if rule.existing_records != "match":
            return Target(request)
        if looked_up is not None and looked_up.empty:
            return Target(request, recheck=plan)
        matches = self._matches(lead_id, plan)
        for module, ids in matches.undated(rule.when_ambiguous).items():
            matches = matches.with_modified(lookup.modified_times(self.zoho, module, ids))
        chosen = choose(matches, rule.when_ambiguous)
        if isinstance(chosen, Held):
            return chosen
        contact = chosen.contact.id if chosen.contact else None
        account = chosen.account.id if chosen.account else None
        linked = with_existing_records(request, contact, account, legacy=self.zoho.legacy)
        warnings = list(chosen.warnings)
        if matches.name_only:
            names = ", ".join(match.describe() for match in matches.name_only)
            warnings.append(f"not linked to contacts that match the lead's name only ({names})")
        open_deal = None
        if rule.deal is not None and rule.deal.unless_open_deal and account is not None:
            open_deal = self._open_deal(account, warnings)
        request = without_deal(linked) if open_deal is not None else linked
        return Target(request, chosen, open_deal, tuple(warnings))

    def _open_deal(self, account_id: str, warnings: list[str]) -> lookup.OpenDeal | None:
        """An open deal of the account (`unless_open_deal`); None, with a warning, when the org's
        pipelines cannot tell which stages are closed."""
        closed = self.closed_stages()
        if closed is None:
            warnings.append(
                "unless_open_deal: the org's Deals pipelines do not say which stages are closed, so"
                " the deal was created"
            )
            return None
        return lookup.open_deal(self.zoho, account_id, closed)

    def _matches(self, lead_id: str, plan: Plan) -> Matches:
        """Zoho's conversion options for the lead; on versions without them (before v5), the
        lookup by Email and Company the sweep uses."""
        if self.zoho.version.conversion_options:
            return from_conversion_options(self.zoho.conversion_options(lead_id))
        keys = plan.keys or lookup.LeadKeys(None, None)
        return self.lookup.look_up({lead_id: keys}).get(lead_id) or Matches()

    def closed_stages(self) -> frozenset[str] | None:
        """The stages that close a deal, read from the pipelines at most hourly per instance."""
        return self._closed_stages.value()

    def _with_contact_role(self, rule: Rule, request: ConvertRequest) -> ConvertRequest:
        """The request naming the rule's contact role by its id (roles read at most hourly)."""
        if contact_roles.named_role(rule) is None:
            return request
        if self.zoho.version.number < contact_roles.MIN_VERSION:
            raise RuleCannotConvert(
                f"rule {rule.name!r}: deal.Contact_Role needs ZOHO_API_VERSION v5 or later, not"
                f" {self.zoho.version.name}"
            )
        try:
            roles = self._contact_roles.value()
        except ZohoRefused as refusal:  # a scope or permission: this rule's leads, not the others'
            raise RuleCannotConvert(
                f"rule {rule.name!r}: deal.Contact_Role: the org's contact roles could not be read"
                f" ({refusal.reason})"
            ) from None
        return contact_roles.with_role_id(request, rule, roles)

    def _held(
        self, lead_id: str, rule: Rule, held: Held, dry_run: bool, known: FailureNote | None
    ) -> Outcome:
        """Several records match: nothing is converted, and the lead's note lists the candidates
        (not on a dry run), so that a person converts it in Zoho."""
        result = outcome.held(lead_id, rule.name, f"held: {held.reason}", held.matched())
        if dry_run or not self.failure_note:
            return result
        listed = "".join(f"\n- {match.describe()}" for match in held.candidates)
        appendix = (
            f"\nCandidates:{listed}\nConvert the lead in Zoho and choose the records there, or give"
            f" the rule `when_ambiguous: newest` or `create`."
        )
        noted, warning = self._write_note(result, appendix, known, code=failure_note.HELD_CODE)
        if warning:
            result = result.with_warning(warning)
        if not noted:
            result = replace(result, http_status=outcome.UNNOTED_STATUS)
        return result

    def _send(
        self,
        lead_id: str,
        rule: Rule,
        target: Target,
        *,
        recut: bool = True,
        known: FailureNote | None = None,
        read: tuple[dict[str, list[str]], list[str]] | None = None,
    ) -> Outcome:
        """`recut`: a deal text the org holds to a shorter length than Zoho's documented maximum
        is cut to the length Zoho's refusal names and sent once more. `read`: the lead's activity
        ids and the warnings so far, when a first attempt read them already."""
        request = target.request
        if read is None:
            noted: list[str] = []
            read = (self._activities_of(lead_id, rule, noted), noted)
        activity_ids, noted = read
        warnings = [*request.warnings, *target.warnings, *noted]
        try:
            with self._leaving_time_for_the_note():
                result = self.zoho.convert_lead(lead_id, request.body)
        except ZohoRefused as refusal:
            shorter = cut_to_refused_length(request, refusal.details) if recut else None
            if refusal.code == "INVALID_DATA" and shorter is not None:
                shortened = replace(target, request=shorter)
                return self._send(lead_id, rule, shortened, recut=False, known=known, read=read)
            if (settled := self._settled(lead_id, rule, refusal)) is not None:
                return settled
            if refusal.code == "DUPLICATE_DATA" and target.recheck is not None:
                return self._recheck(lead_id, target.recheck, refusal, known)
            if refusal.code == "DUPLICATE_DATA" and rule.existing_records == "link":
                return self._link_existing(lead_id, rule, request, refusal, known)
            return self._failed(lead_id, rule, refusal, known=known)
        converted = outcome.converted(
            lead_id,
            rule.name,
            result.records,
            missing_fields=request.missing_fields,
            job_id=result.job_id,
            matched=target.matched,
            open_deal=target.open_deal.as_json() if target.open_deal else None,
        )
        if activity_ids:
            converted = replace(converted, activities=self._hand_over(activity_ids, request.body, warnings))
        return replace(converted, warnings=tuple(warnings))

    # --- the lead's activities (rule.reassign_activities) ---------------------------------------

    def _activities_of(self, lead_id: str, rule: Rule, warnings: list[str]) -> dict[str, list[str]]:
        """The ids of the lead's activities the rule hands to the new owner, read before Convert
        moves them; a read Zoho refuses is a warning: the lead converts all the same."""
        if not rule.reassign_activities:
            return {}
        try:
            return activities.related_ids(self.zoho, lead_id, rule.reassign_activities)
        except ZohoError as error:
            warnings.append(
                f"the lead's activities were not read, so not handed to the new owner: {error.reason}"
            )
            return {}

    def _hand_over(
        self, ids: dict[str, list[str]], body: dict[str, Any], warnings: list[str]
    ) -> dict[str, int]:
        """Set the activities' owner to the new records' owner, as Mass Convert's related_modules does."""
        owner = _owner_id(body)
        if owner is None:
            warnings.append("the new records' owner is not known, so the lead's activities kept theirs")
            return {}
        try:
            handed = activities.hand_over(self.zoho, ids, owner)
        except ZohoError as error:
            warnings.append(f"the lead converted, but its activities kept their owner: {error.reason}")
            return {}
        warnings += [f"activity not handed to the new owner: {refused}" for refused in handed.refused]
        return handed.moved

    def _recheck(self, lead_id: str, plan: Plan, refusal: ZohoRefused, known: FailureNote | None) -> Outcome:
        """Zoho refused a duplicate the lookup could not see (a unique field): choose from the
        conversion options, as the webhook does, and send once more."""
        assert plan.rule is not None
        try:
            target = self.target(lead_id, plan)
        except ZohoRefused as second:
            settled = self._settled(lead_id, plan.rule, second)
            return settled or self._failed(lead_id, plan.rule, second, known=known)
        if isinstance(target, Held):
            return self._held(lead_id, plan.rule, target, False, known)
        if not target.matched:
            return self._failed(lead_id, plan.rule, refusal, known=known)
        return self._send(lead_id, plan.rule, target, known=known)

    def _settled(self, lead_id: str, rule: Rule, refusal: ZohoRefused) -> Outcome | None:
        """What a refusal about the lead itself settles, whichever call Zoho refused: converted
        already (perhaps by our own timed-out attempt), or deleted or merged away since it was read."""
        if refusal.code == "ID_ALREADY_CONVERTED":
            return self._read_back(lead_id, rule)
        if refusal.code == "INVALID_DATA" and refusal.names_url_id:
            return outcome.not_found(lead_id)
        return None

    def _read_back(self, lead_id: str, rule: Rule) -> Outcome:
        """Zoho says it converted the lead already (perhaps our own timed-out attempt): fetch the ids."""
        lead = self.zoho.get_lead(lead_id)
        records = converted_records(lead) if lead is not None else None
        return outcome.already_converted(lead_id, rule.name, records or Records(), "ID_ALREADY_CONVERTED")

    def _link_existing(
        self,
        lead_id: str,
        rule: Rule,
        request: ConvertRequest,
        refusal: ZohoRefused,
        known: FailureNote | None,
    ) -> Outcome:
        if not self.zoho.version.conversion_options:
            because = f"existing_records: link {self.zoho.version.needs('conversion_options')}"
            return self._failed(lead_id, rule, refusal, because, known=known)
        options = self.zoho.conversion_options(lead_id) or {}
        contact_id, account_id = _first_id(options.get("Contacts")), _first_id(options.get("Accounts"))
        if contact_id is None and account_id is None:
            return self._failed(lead_id, rule, refusal, known=known)
        linked = with_existing_records(request, contact_id, account_id, legacy=self.zoho.legacy)
        try:
            result = self.zoho.convert_lead(lead_id, linked.body)
        except ZohoRefused as second:
            if second.code == "ID_ALREADY_CONVERTED":
                return self._read_back(lead_id, rule)
            return self._failed(lead_id, rule, second, known=known)
        warning = (
            f"linked to existing records after DUPLICATE_DATA (contact {contact_id}, account {account_id})"
        )
        return outcome.converted(
            lead_id,
            rule.name,
            result.records,
            missing_fields=linked.missing_fields,
            job_id=result.job_id,
            warnings=(*linked.warnings, warning),
        )

    def _failed(
        self,
        lead_id: str,
        rule: Rule,
        refusal: ZohoRefused,
        because: str | None = None,
        *,
        known: FailureNote | None = None,
    ) -> Outcome:
        failed = outcome.from_error(refusal, lead_id, rule.name, because=because)
        if failed.kind is Kind.FAILED and self.failure_note:
            with self._leaving_time_for_the_note():
                preflight = self._preflight(rule, refusal)
            noted, note_warning = self._write_note(failed, preflight, known, code=failed.code)
            if note_warning:
                failed = failed.with_warning(note_warning)
            if not noted:  # the failure is known to nobody but the log: say so with the status
                failed = replace(failed, http_status=outcome.UNNOTED_STATUS)
        return failed

    def _leaving_time_for_the_note(self) -> contextlib.AbstractContextManager[None]:
        if not self.failure_note:
            return contextlib.nullcontext()
        return deadline.leaving(min(NOTE_MAX_SECONDS, NOTE_SHARE * (deadline.length() or 0.0)))

    def _preflight(self, rule: Rule, refusal: ZohoRefused) -> str:
        """What the org check says about the rule, when the refusal looks like its configuration."""
        if self.describe_rule is None or not _about_configuration(rule, refusal):
            return ""
        try:
            return self.describe_rule(rule.name)
        except Exception as error:  # the note matters more than its preflight: never lose it
            return f"\nPreflight of the rule against the org could not run: {reason_of(error)}"

    def _write_note(
        self, failed: Outcome, appendix: str, known: FailureNote | None, *, code: str | None
    ) -> tuple[bool, str | None]:
        """Tell sales operations inside the CRM; a note does not edit the lead, so no workflow fires.

        One note per lead, rule and code: a lead failing again has its note's attempt count and
        time brought up to date instead (the sweep's backoff reads them: handlers.engine.failure_note).
        Zoho's message is not trusted: it is scrubbed of every known secret and cut to
        NOTE_MESSAGE_CHARS. A note whose answer was lost is looked for before it is sent again.
        Returns whether the lead carries the note, and a warning for the log line, if any.
        """
        lead_id = failed.lead_id
        assert lead_id is not None
        sign = failure_note.signature(failed.rule, code)
        title = failure_note.title(code)
        message = redact(str(failed.reason))[:NOTE_MESSAGE_CHARS]

        def text(attempts: int, first_time: str | None) -> str:
            version, now = self.rules.version, self.clock()
            return failure_note.render(
                failed.rule, code, version, attempts, now, message, first_time, redact(appendix)
            )

        try:
            same = known is not None and known.rule == failed.rule and known.code == code
            previous = known if same else self._failure_note(lead_id, sign)
            if previous is not None:
                content = text(previous.attempts + 1, previous.first_time)
                return True, self._count_attempt(previous, title, content)
            try:
                self.zoho.add_note(lead_id, title, text(1, None))
            except ZohoUnavailable:
                if self._failure_note(lead_id, sign) is None:  # the answer was lost, not the note
                    self.zoho.add_note(lead_id, title, text(1, None))
        except ZohoError as error:
            return False, f"could not add the failure note: {error}"
        return True, None

    def _count_attempt(self, note: failure_note.FailureNote, title: str, content: str) -> str:
        """The lead's note, brought up to this attempt; the warning for the log line."""
        said = f"the lead already has the failure note for this rule and code (attempt {note.attempts + 1})"
        if note.note_id is None:
            return said
        try:
            self.zoho.update_note(note.note_id, title, content)
        except ZohoError as error:
            return f"{said}; could not count the attempt on it: {error}"
        return said

    def _failure_note(self, lead_id: str, sign: str) -> failure_note.FailureNote | None:
        for note in self.zoho.lead_notes(lead_id):
            if str(note.get("Note_Content", "")).startswith(sign) and (parsed := failure_note.parse(note)):
                return parsed
        return None


def _about_configuration(rule: Rule, refusal: ZohoRefused) -> bool:
    """MAPPING_MISMATCH, a missing mandatory field, or INVALID_DATA on a field the rule sets."""
    if refusal.code not in CONFIGURATION_CODES:
        return False
    if refusal.code != "INVALID_DATA":
        return True
    field = refusal.details.get("api_name") if isinstance(refusal.details, dict) else None
    set_by_rule = {name for name, _ in rule.deal.fields} if rule.deal else set()
    return field in set_by_rule | {"Closing_Date", "Owner"}


def _read_contact_roles(zoho: ZohoClient) -> dict[str, str]:
    """The org's roles, name to id; the metadata reader loads only for a rule that names a role."""
    from handlers.zoho.metadata import read_contact_roles

    return read_contact_roles(zoho)


class _Hourly(Generic[T]):
    """A value read from the org at most once an hour per instance. Zoho's refusal of the read
    is kept as long (raised again without a call): a missing scope is not asked again per lead."""

    def __init__(self, read: Callable[[], T]):
        self._read = read
        self._lock = threading.Lock()
        self._kept: tuple[float, T | ZohoRefused] | None = None

    def value(self) -> T:
        with self._lock:
            now = time.monotonic()
            if self._kept is None or now - self._kept[0] > ORG_FACTS_SECONDS:
                try:
                    self._kept = (now, self._read())
                except ZohoRefused as refusal:
                    self._kept = (now, refusal)
            kept = self._kept[1]
        if isinstance(kept, ZohoRefused):
            raise kept
        return kept


def _owner_id(body: dict[str, Any]) -> str | None:
    """The `assign_to` of a Convert body: `{"id"}`, or the bare id of the v2 shapes."""
    item = body["data"][0]
    owner = item.get("assign_to")
    owner = owner.get("id") if isinstance(owner, dict) else owner
    return str(owner) if owner else None


def _first_id(records: Any) -> str | None:
    if isinstance(records, list) and records and isinstance(records[0], dict):
        value = records[0].get("id")
        return str(value) if value else None
    return None
