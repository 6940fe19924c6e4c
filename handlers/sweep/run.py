"""The reconciliation sweep: convert every lead that qualifies under the rules but is still unconverted.

Webhooks are delivered at most once; Zoho itself is the source of truth. The sweep reads the
candidate leads page by page (handlers.sweep.query), decides each exactly as the webhook would
(from the page's row when it holds what the decision needs, otherwise by reading the lead through
the webhook's own path), and converts each page before reading the next: leads with identical
Convert parameters through Mass Convert (50 per job), everything else, including leads a job left
unconverted or a refused job held, through the webhook's single Convert path.

Nothing one lead, one query or one job does ends the run: a refused query is that query's problem
(its rules are read by a simpler query), a refused Mass Convert sends its leads through single
Convert, and a bug while deciding or converting a lead fails that lead. Only what stops every
conversion ends it early: Zoho unreachable, the time budget, or a setup problem (a token or a
profile without the permission to convert). The summary is always written.

Only leads modified at or after the run's `since` are considered: RECONCILE_SINCE, set by
Terraform to the moment of the first deploy, so that old qualified leads (some perhaps left
unconverted on purpose) are converted only when someone asks for them with an older `since`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol

from handlers.engine import failure_note, lookup, outcome
from handlers.engine.contact_roles import named_role
from handlers.engine.conversion import Converter, utc_now
from handlers.engine.existing import Matches
from handlers.engine.failure_note import FailureNote
from handlers.engine.matching import decide_partly
from handlers.engine.outcome import Outcome
from handlers.engine.payload import ConvertRequest
from handlers.engine.plan import Plan, plan_decision
from handlers.engine.rules import ALL_TAGS, Rule
from handlers.errors import (
    Failure,
    Kind,
    ZohoBadResponse,
    ZohoError,
    ZohoRefused,
    ZohoUnavailable,
    reason_of,
)
from handlers.platform import deadline
from handlers.platform.settings import RECONCILE_SINCE
from handlers.redaction import redact
from handlers.sweep.failed_deliveries import FailedDeliveries
from handlers.sweep.options import SweepOptions
from handlers.sweep.query import (
    LOOKUP_KEYS,
    WINDOW_ONLY,
    FieldTypes,
    Queries,
    Query,
    Window,
    answers,
    answers_path,
    placeholders,
    queries_for,
)
from handlers.zoho.coql import keyset_pages
from handlers.zoho.lead import Lead, is_converted, zoho_time


class OrgCheck(Protocol):
    """The rules held against the org, as the sweep uses them (handlers.checks.preflight.OrgCheck)."""

    def problems_and_lead_fields(self) -> tuple[list[str], FieldTypes | None]: ...

    def last_lead_fields(self) -> FieldTypes | None: ...


MASS_CONVERT_MAX_IDS = 50
PLAN_LIMIT = 500  # leads listed in a dry run's answer; the count is always complete
# The summary is one log line, and Cloud Logging refuses an entry past 256 KB: each list in it
# (failed, rules_problems, setup_problems) keeps its first SUMMARY_ITEMS items beside its full
# count, each text is cut to SUMMARY_ITEM_CHARS, a rule's name to RULE_NAME_CHARS. At the worst
# (every list full, the plan at PLAN_LIMIT, every text at its cut) the line is about 110 KB.
SUMMARY_ITEMS = 20
SUMMARY_ITEM_CHARS = 500
RULE_NAME_CHARS = 64
ORG_CHECK_SHARE = 0.125  # of RECONCILE_MAX_SECONDS, for the check of the rules against the org
ORG_CHECK_MAX_SECONDS = 60.0
MAX_NOTE_PAGES = 10  # of 200 notes, newest first: the failure notes of the last day, in a busy org too
REASON_CHARS = 300  # of Zoho's words quoted in a problem
_FIRST_POLL_SECONDS = 0.5
_MAX_POLL_SECONDS = 5.0
NO_WINDOW = (
    f"{RECONCILE_SINCE} is not set, so the sweep converts nothing: set it to the time from which"
    " qualifying leads may be converted automatically (Terraform sets it to the first apply), or"
    " pass since for one run, e.g. `reconcile --since 2026-11-01T00:00:00Z --dry-run`"
)
StopKind = Literal["error", "time_budget", "no_window", "setup"]
NotStarted = Literal["time_budget", "setup"]  # why a lead was not handed to Convert


@dataclass(frozen=True)
class PlannedLead:
    """A dry run's answer for one lead: its rule and how it would be converted."""

    lead_id: str
    rule: str
    how: str  # "mass" or "single"
    job: int | None = None  # the Mass Convert job's number in this run
    matched: dict[str, list[str]] | None = None  # existing records the lookup found, per module


@dataclass
class SweepSummary:
    scanned: int = 0
    matched: int = 0
    converted: int = 0
    already_converted: int = 0
    skipped: int = 0
    deferred: int = 0  # waiting for an approval, a review, a lock or a merge: tried again next run
    held: int = 0  # several existing records match: a person chooses (the lead's note lists them)
    retry_later: int = 0  # failed before, and their backoff has not passed (handlers.engine.failure_note)
    failed: list[dict[str, Any]] = field(default_factory=list)
    mass_convert_jobs: int = 0
    api_calls: int = 0
    pages: int = 0
    duration_ms: float = 0.0
    remaining: int = 0
    dry_run: bool = False
    paused: bool = False  # CONVERSION_MODE=paused: nothing was read or converted
    since: str | None = None
    complete: bool = True
    stopped_by: StopKind | None = None  # set when the run ended early
    stopped: str | None = None  # what ended it, in words
    plan: list[PlannedLead] = field(default_factory=list)  # dry runs: every lead and how
    # What will fail leads or lose them: the rules held against the org (handlers.checks.preflight, at
    # most hourly), and queries Zoho refused (their rules were read another way this run).
    rules_problems: list[str] = field(default_factory=list)
    # What the token's user or the org lacks (a permission, a scope), each named once.
    setup_problems: list[str] = field(default_factory=list)
    # Webhook calls Zoho could not make since the last read (handlers.sweep.failed_deliveries):
    # leads that qualified and were never sent; the sweep converts them if a rule matches.
    webhook_failures: list[dict[str, Any]] = field(default_factory=list)
    webhook_failures_unread: str | None = None  # why they could not be read (a scope, a permission)

    def as_dict(self, plan_limit: int = PLAN_LIMIT, items: int | None = SUMMARY_ITEMS) -> dict[str, Any]:
        """The summary as answered and logged, bounded in size: the first `items` of each list
        (None: all) with its count, texts cut (the command line prints the same)."""
        summary = {key: value for key, value in asdict(self).items() if key != "plan"}
        summary["failed"] = [_cut_failure(failure) for failure in self.failed[:items]]
        summary["failed_count"] = len(self.failed)  # a number log-based metrics can read
        summary["webhook_failures"] = self.webhook_failures[:items]
        summary["webhook_failures_count"] = len(self.webhook_failures)
        for name in ("rules_problems", "setup_problems"):
            problems: list[str] = getattr(self, name)
            summary[name] = [_cut(problem, SUMMARY_ITEM_CHARS) for problem in problems[:items]]
            summary[f"{name}_count"] = len(problems)
        summary["stopped"] = _cut(self.stopped, SUMMARY_ITEM_CHARS) if self.stopped else self.stopped
        if self.dry_run:
            mass = [entry for entry in self.plan if entry.how == "mass"]
            summary["planned"] = {
                "mass_convert_jobs": len({entry.job for entry in mass}),
                "mass_convert_leads": len(mass),
                "single_convert_leads": len(self.plan) - len(mass),
            }
            summary["plan_total"] = len(self.plan)
            summary["plan"] = [
                {**asdict(entry), "rule": _cut(entry.rule, RULE_NAME_CHARS)}
                for entry in self.plan[:plan_limit]
            ]
        return summary

    def stop(self, kind: StopKind, reason: str) -> None:
        if self.stopped_by is None:
            self.complete, self.stopped_by, self.stopped = False, kind, reason

    @property
    def severity(self) -> str:
        problems = self.rules_problems or self.setup_problems or self.webhook_failures
        if self.failed or self.stopped_by in ("error", "setup") or problems:
            return "ERROR"
        return "WARNING" if self.stopped_by or self.held else "INFO"

    def message(self) -> str:
        if self.paused:
            return "reconcile summary: paused (CONVERSION_MODE=paused): nothing read or converted"
        text = (
            f"reconcile summary: {self.matched} qualifying of {self.scanned} scanned,"
            f" {self.converted} converted, {len(self.failed)} failed"
        )
        if self.deferred:
            text += f", {self.deferred} waiting (approval, review, lock or merge)"
        if self.held:
            text += f", {self.held} held for a person to choose between existing records"
        if self.retry_later:
            text += f", {self.retry_later} failed before and not due again yet"
        if self.remaining:
            text += f", {self.remaining} left for the next run"
        if self.stopped:
            text += f"; stopped: {_cut(self.stopped, SUMMARY_ITEM_CHARS)}"
        if self.webhook_failures:
            calls, oldest = len(self.webhook_failures), self.webhook_failures[0]
            text += (
                f"; Zoho could not deliver {calls} webhook call{'s' if calls != 1 else ''} (lead"
                f" {oldest.get('lead_id')} at {oldest.get('time')}: {_cut(str(oldest.get('reason')), 80)})"
            )
        for problems, what in ((self.setup_problems, "setup"), (self.rules_problems, "rules")):
            if problems:
                count = len(problems)
                first = _cut(problems[0], SUMMARY_ITEM_CHARS)
                text += f"; {count} {what} problem{'s' if count != 1 else ''}: {first}"
        return text


def _cut(text: str, chars: int) -> str:
    """`text` scrubbed of secrets, then cut to `chars` characters, an ellipsis marking the cut
    (scrubbed first, so a cut cannot leave a shorter run of a secret than redaction matches)."""
    text = redact(text)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _cut_failure(failure: dict[str, Any]) -> dict[str, Any]:
    """One failed lead as listed: its rule's name and the reason cut."""
    cut = dict(failure)
    if isinstance(cut.get("rule"), str):
        cut["rule"] = _cut(cut["rule"], RULE_NAME_CHARS)
    if isinstance(cut.get("reason"), str):
        cut["reason"] = _cut(cut["reason"], SUMMARY_ITEM_CHARS)
    return cut


@dataclass(frozen=True)
class Candidate:
    """A lead to convert. `rule` is None when its row could not decide it (the lead is then read
    and decided as the webhook would); `plan` is set when the Convert request could be built from
    the row."""

    lead_id: str
    rule: Rule | None
    plan: Plan | None = None
    # The lead's Email and Company from its row, when the rule matches existing records and the row
    # holds both; then what the lookup found among existing records (None: not looked up).
    keys: lookup.LeadKeys | None = None
    matches: Matches | None = None

    @property
    def unmatched(self) -> bool:
        """Whether Mass Convert may take the lead as far as existing records go: its rule does not
        match them, or the lookup found none (a lead with candidates goes through the webhook's
        path, which reads its conversion options and chooses as the webhook does)."""
        if self.rule is None or self.rule.existing_records != "match":
            return True
        return self.matches is not None and self.matches.empty

    @property
    def shared_keys(self) -> tuple[str, ...]:
        """What another lead of the page may share with this one, so that one of them finds the
        contact or account the other creates: its email and company, under a matching rule."""
        if self.keys is None:
            return ()
        pairs = (("email", self.keys.email), ("company", self.keys.company))
        return tuple(f"{kind}:{value.casefold()}" for kind, value in pairs if value)

    @property
    def request(self) -> ConvertRequest | None:
        return self.plan.request if self.plan is not None else None

    @property
    def plan_for_single(self) -> Plan | None:
        """The plan a single Convert can send, sparing a read of the lead; rows hold no tags, so
        a rule that carries tags over reads the lead."""
        if self.rule is None or self.rule.carry_over_tags:
            return None
        return self.plan


@dataclass(frozen=True)
class MassBatch:
    candidates: list[Candidate]
    body: dict[str, Any]  # the Mass Convert body, ids included

    @property
    def lead_ids(self) -> list[str]:
        return [candidate.lead_id for candidate in self.candidates]


class _QueryRefused(Exception):
    """Zoho refused a COQL page or answered one that cannot be read."""

    def __init__(self, error: ZohoError):
        super().__init__(error.reason)
        self.error = error


Progress = Callable[[SweepSummary, int], None]  # the summary so far, and how many matched leads are done


class SweepRun:
    """One sweep: the leads it reads and converts, the summary being filled, the time budget."""

    def __init__(
        self,
        converter: Converter,
        options: SweepOptions,
        *,
        org_check: OrgCheck | None = None,
        failed_deliveries: FailedDeliveries | None = None,
        progress: Progress | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """`org_check`: the rules held against the org at the start of the run (its problems go
        to `rules_problems`; its Leads fields tell which conditions COQL can carry). `progress`:
        told the summary so far and how many matched leads are done, as they are."""
        self.converter = converter
        self.zoho = converter.zoho
        self.rules = converter.rules
        self.org_check = org_check
        self.failed_deliveries = failed_deliveries
        self.clock = clock
        self.sleep = sleep
        self.options = options
        self.progress: Progress = progress or (lambda summary, total: None)
        self.summary = SweepSummary(dry_run=options.dry_run)
        self.started = time.monotonic()
        self.ends = self.started + options.max_seconds
        # The longest one Zoho call may take (its retry window): a page read or a job submitted
        # needs one, a lead converted singly two (Convert, then a read back or a note).
        self.call_seconds = converter.zoho.config.retry_seconds
        self.seen: set[str] = set()
        self.taken = 0  # leads handed to a conversion (or to the plan) so far
        self.jobs_planned = 0
        self.done = 0  # matched leads converted, failed, planned or found converted so far
        self.mass_convert_off: str | None = None  # why Mass Convert is not used for the rest of the run
        self.failure_notes: dict[str, FailureNote] | None = None  # read on first need
        self.halted = threading.Event()  # a setup problem: no further Convert in this run

    def run(self) -> SweepSummary:
        if self.options.paused:  # the emergency stop: not one Zoho call
            self.summary.paused = True
            return self.summary
        since = self.options.since
        if since is None:
            self.summary.stop("no_window", NO_WINDOW)
            return self.summary
        self.summary.since = since.isoformat()
        with self.zoho.counting_calls() as calls, deadline.within(self.options.max_seconds):
            try:
                before = self.clock() - dt.timedelta(minutes=self.options.grace_minutes)
                with deadline.within(self.org_check_seconds):  # both checks share one part of the budget
                    lead_fields = self.check_org()
                    self.check_deliveries()
                queries = queries_for(self.rules, lead_fields)
                self.read_and_convert(queries, Window(since, before))
            except Failure as error:
                stopped = outcome.from_error(error)
                kind: StopKind = "setup" if stopped.kind is Kind.MISCONFIGURED else "error"
                self.summary.stop(kind, f"{stopped.kind.value}: {stopped.reason}")
            except Exception as error:  # a bug: the summary of what was done is still answered
                self.summary.stop("error", reason_of(error))
        self.summary.api_calls = calls.count
        self.summary.duration_ms = round((time.monotonic() - self.started) * 1000, 1)
        return self.summary

    # --- the rules against the org --------------------------------------------------------------

    @property
    def org_check_seconds(self) -> float:
        """The share of the time budget the org check and the failed deliveries may take."""
        return min(ORG_CHECK_MAX_SECONDS, self.options.max_seconds * ORG_CHECK_SHARE)

    def check_org(self) -> FieldTypes | None:
        """The org check's problems into the summary; the Leads fields it read (or last read),
        for the queries. Whatever it raises is a problem."""
        org_check = self.org_check
        if org_check is None:
            return None
        try:
            problems, lead_fields = org_check.problems_and_lead_fields()
        except Exception as error:
            self.summary.rules_problems.append(
                f"the rules could not be checked against the org: {reason_of(error)}"
            )
            return org_check.last_lead_fields()
        self.summary.rules_problems += problems
        return lead_fields

    def check_deliveries(self) -> None:
        """The webhook calls Zoho could not make since the last read (at most hourly), into the
        summary; what stops the read is said once, and the run goes on."""
        watch = self.failed_deliveries
        if watch is None:
            return
        try:
            failures = watch.new()
        except Exception as error:
            self.summary.webhook_failures_unread = redact(reason_of(error))[:REASON_CHARS]
            return
        self.summary.webhook_failures = [failure.as_json() for failure in failures or []]

    # --- reading ----------------------------------------------------------------------------------

    def read_and_convert(self, queries: Queries, window: Window) -> None:
        """Every query, page by page; a refused query gives way to simpler ones."""
        queue, tried = deque(queries.queries), set()
        while queue and self.summary.stopped_by is None:
            query = queue.popleft()
            if query in tried:
                continue
            tried.add(query)
            try:
                for page in self.pages(queries, query, window):
                    self.handle_page(page)
            except _QueryRefused as refused:
                queue.extend(self.instead_of(query, refused.error))

    def instead_of(self, query: Query, error: ZohoError) -> tuple[Query, ...]:
        """What to read instead of a refused query: its rules one by one, then the window alone."""
        if isinstance(error, ZohoRefused) and error.about_setup:
            raise error  # the token may not query at all: a setup problem for the whole run
        reason = redact(error.reason)[:REASON_CHARS]
        source = self.rules.source
        names = ", ".join(repr(name) for name in query.rules)
        if len(query.variants) > 1:
            self.summary.rules_problems.append(
                f"{source}: rules {names}: Zoho refused their COQL query ({reason}):"
                " each rule is queried alone"
            )
            return query.split()
        if query.variants:
            self.summary.rules_problems.append(
                f"{source}: rule{'s' if len(query.rules) > 1 else ''} {names}: Zoho refused the COQL query"
                f" ({reason}): their leads are read with the time window alone and matched locally"
            )
            return (WINDOW_ONLY,)
        self.summary.rules_problems.append(
            f"{source}: Zoho refused the COQL query of the time window alone ({reason})"
        )
        self.summary.stop("error", f"Zoho refused every query of the leads: {reason}")
        return ()

    def pages(self, queries: Queries, query: Query, window: Window) -> Iterator[list[dict[str, Any]]]:
        """The query's pages, read by key until the last page or the end of the time budget."""
        size = self.zoho.version.coql_page_size

        def read(after: str | None) -> tuple[list[dict[str, Any]], bool]:
            if self.summary.stopped_by is not None:
                return [], False
            if self.lacks_time(self.call_seconds):
                self.summary.stop("time_budget", "the time budget ran out before every page was read")
                return [], False
            try:
                records, more = self.zoho.query(queries.page_query(query, window, after, size))
            except (ZohoRefused, ZohoBadResponse) as error:
                raise _QueryRefused(error) from None
            self.summary.pages += 1
            return records, more

        return keyset_pages(read)

    # --- deciding ---------------------------------------------------------------------------------

    def handle_page(self, records: list[dict[str, Any]]) -> None:
        candidates = []
        for record in records:
            lead_id = str(record.get("id", ""))
            if not lead_id.isdigit() or lead_id in self.seen:
                continue
            self.seen.add(lead_id)
            self.summary.scanned += 1
            try:
                candidate = self.decide(lead_id, record)
                if candidate is not None and not self.due(candidate, record):
                    self.summary.retry_later += 1
                    continue
            except Exception as error:  # one lead's problem (a bug included), not the run's
                self.summary.matched += 1
                self.tally(lead_id, outcome.from_error(error, lead_id))
                continue
            if candidate is None:
                self.summary.skipped += 1
            else:
                candidates.append(candidate)
        self.summary.matched += len(candidates)
        candidates = self.within_limit(candidates)
        if self.summary.stopped_by == "setup":
            self.summary.remaining += len(candidates)
            return
        if not candidates:
            return
        now, turns = in_turns(candidates)
        batches, singles = self.group(self.looked_up(now))
        if self.options.dry_run:
            self.plan_dry_run(batches, [*singles, *(candidate for turn in turns for candidate in turn)])
            return
        self.convert(batches, singles)
        for turn in turns:
            self.convert_singly(turn)

    def decide(self, lead_id: str, row: Lead) -> Candidate | None:
        """The lead's rule from its row, as the webhook would decide on the whole lead; a
        candidate without a rule when the row cannot tell (the lead is read first)."""
        if is_converted(row):
            return None
        rules = self.rules
        decision = decide_partly(rules, row, functools.partial(answers, row))
        if decision is None:
            return Candidate(lead_id, None)
        rule = decision.rule
        if rule is None or rule.skip:
            return None
        if not all(answers_path(row, path) for path in placeholders(rule)):
            return Candidate(lead_id, rule)
        planned = plan_decision(decision, lead_id, row, self.clock(), legacy=self.zoho.legacy)
        keyed = rule.existing_records == "match" and all(key in row for key in LOOKUP_KEYS)
        return Candidate(lead_id, rule, planned, planned.keys if keyed else None)

    def looked_up(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates, those Mass Convert could take and whose rule matches existing records
        with what the lookup found (a COQL query per 50 distinct emails, one per 50 companies: 24
        when Zoho counts each value of an `in` as a criterion). When Zoho refuses the lookup, they go
        singly: the webhook's path reads each lead's conversion options instead."""
        keyed = {
            c.lead_id: c.keys for c in candidates if c.keys is not None and self.mass_params(c) is not None
        }
        if not keyed:
            return candidates  # single Convert either way: the webhook's path looks for itself
        try:
            found = self.converter.lookup.look_up(keyed)
        except Exception as error:  # a refusal, or a bug: the leads' own path still converts them
            problem = (
                f"the lookup of existing contacts and accounts failed ({reason_of(error)}): leads whose"
                " rule matches existing records were converted singly, each reading its conversion options"
            )
            if problem not in self.summary.setup_problems:
                self.summary.setup_problems.append(problem)
            return candidates
        return [replace(c, matches=found.get(c.lead_id)) if c.lead_id in keyed else c for c in candidates]

    def due(self, candidate: Candidate, row: Lead) -> bool:
        """Whether a lead that failed before may be tried again in this run (its note says when)."""
        if self.options.retry_failed:
            return True
        note = self.notes_of_failed_leads().get(candidate.lead_id)
        if note is None or (candidate.rule is not None and note.rule != candidate.rule.name):
            return True
        edited = zoho_time(row.get("Modified_Time"))
        return note.due(self.clock(), self.rules.version, edited)

    def notes_of_failed_leads(self) -> dict[str, FailureNote]:
        """The failure notes written or counted within the longest backoff, newest per lead, read
        once per run in a few pages of every record's notes (not one read per failed lead). When
        they cannot be read, every lead is due: a retry costs credits, a lost lead costs more."""
        if self.failure_notes is None:
            self.failure_notes = {}
            since = self.clock() - failure_note.BACKOFF[-1]
            try:
                for note in self.zoho.recent_notes(since, MAX_NOTE_PAGES):
                    parsed = failure_note.parse(note)
                    if parsed is not None and parsed.lead_id is not None:
                        self.failure_notes.setdefault(parsed.lead_id, parsed)
            except (ZohoRefused, ZohoBadResponse, ZohoUnavailable) as error:
                self.summary.setup_problems.append(
                    f"the failure notes could not be read ({reason_of(error)}): leads that failed"
                    " before were tried again without their backoff"
                )
        return self.failure_notes

    def within_limit(self, candidates: list[Candidate]) -> list[Candidate]:
        if self.options.limit is None:
            return candidates
        allowed = max(0, self.options.limit - self.taken)
        self.summary.remaining += max(0, len(candidates) - allowed)
        taken = candidates[:allowed]
        self.taken += len(taken)
        return taken

    # --- grouping -------------------------------------------------------------------------------

    def group(self, candidates: list[Candidate]) -> tuple[list[MassBatch], list[Candidate]]:
        """Mass Convert batches of leads with identical parameters, and the leads to convert singly."""
        groups: dict[str, list[Candidate]] = {}
        singles: list[Candidate] = []
        for candidate in candidates:
            key = self.mass_key(candidate)
            if key is None:
                singles.append(candidate)
            else:
                groups.setdefault(key, []).append(candidate)
        batches: list[MassBatch] = []
        for key, members in groups.items():
            if len(members) < 2:
                singles.extend(members)
                continue
            for start in range(0, len(members), MASS_CONVERT_MAX_IDS):
                batch = members[start : start + MASS_CONVERT_MAX_IDS]
                body = {"ids": [candidate.lead_id for candidate in batch], **json.loads(key)}
                batches.append(MassBatch(batch, body))
        return batches, singles

    def mass_key(self, candidate: Candidate) -> str | None:
        """The Mass Convert parameters (without ids) as a grouping key; None when not expressible,
        or when the lead may have existing records to convert into (Mass Convert names none)."""
        return self.mass_params(candidate) if candidate.unmatched else None

    def mass_params(self, candidate: Candidate) -> str | None:
        rule, request = candidate.rule, candidate.request
        if rule is None or request is None or not self.zoho.version.mass_convert or self.mass_convert_off:
            return None
        if not mass_convertible(rule):
            return None
        item = request.body["data"][0]
        owner = item.get("assign_to")
        if not isinstance(owner, dict):
            return None
        params: dict[str, Any] = {"assign_to": owner}
        if "Deals" in item:
            params["Deals"] = item["Deals"]
        modules = sorted(module for module, _ in rule.carry_over_tags)
        if modules:
            params["carry_over_tags"] = [{"api_name": module} for module in modules]
        if rule.move_attachments_to:
            params["move_attachments_to"] = {"api_name": rule.move_attachments_to}
        if rule.reassign_activities:  # the activities go to assign_to, as the webhook hands them
            params["related_modules"] = [{"api_name": module} for module in rule.reassign_activities]
        if rule.portal_user_type is not None:
            type_id, api_name = rule.portal_user_type
            params["portal_user_type"] = {"id": type_id, "api_name": api_name}
        return json.dumps(params, sort_keys=True)

    def plan_dry_run(self, batches: list[MassBatch], singles: list[Candidate]) -> None:
        for batch in batches:
            self.jobs_planned += 1
            for candidate in batch.candidates:
                assert candidate.rule is not None
                self.summary.plan.append(
                    PlannedLead(candidate.lead_id, candidate.rule.name, "mass", self.jobs_planned)
                )
        for candidate in singles:
            rule = candidate.rule
            if rule is None:  # not decidable from the page: read and decide it as the webhook would
                decided = self.convert_one(candidate, dry_run=True)
                if decided.kind is not Kind.DRY_RUN or decided.rule is None:
                    self.tally(candidate.lead_id, decided)
                    continue
                self.summary.plan.append(PlannedLead(candidate.lead_id, decided.rule, "single"))
            else:
                matched = _found(candidate.matches)
                self.summary.plan.append(PlannedLead(candidate.lead_id, rule.name, "single", matched=matched))
        self.advance(sum(len(batch.candidates) for batch in batches) + len(singles))

    # --- converting -----------------------------------------------------------------------------

    def convert(self, batches: list[MassBatch], singles: list[Candidate]) -> None:
        """Submit the page's jobs, convert its singles (and the leads of refused jobs) while they
        run, then settle the jobs."""
        jobs, refused = self.submit(batches)
        self.convert_singly(singles + refused)
        left = [candidate for batch in self.wait_for(jobs) for candidate in self.settle(batch)]
        self.convert_singly(left)

    def submit(self, batches: list[MassBatch]) -> tuple[dict[str, MassBatch], list[Candidate]]:
        """The jobs Zoho scheduled, and the leads of those it refused (they go singly, each then
        getting its own answer)."""
        jobs: dict[str, MassBatch] = {}
        refused: list[Candidate] = []
        for index, batch in enumerate(batches):
            if self.lacks_time(self.call_seconds):
                self.summary.remaining += sum(len(rest.candidates) for rest in batches[index:])
                self.summary.stop("time_budget", "the time budget ran out")
                break
            if self.mass_convert_off:
                refused += batch.candidates
                continue
            try:
                job_id = self.zoho.mass_convert(self.with_module_ids(batch.body))
            except (ZohoRefused, ZohoBadResponse) as error:
                self.mass_convert_refused(error)
                if "portal_user_type" in batch.body:  # only Mass Convert takes it: no single Convert
                    for candidate in batch.candidates:
                        rule = candidate.rule.name if candidate.rule else None
                        self.tally(candidate.lead_id, outcome.from_error(error, candidate.lead_id, rule))
                    continue
                refused += batch.candidates
                continue
            jobs[job_id] = batch
            self.summary.mass_convert_jobs += 1
        return jobs, refused

    def mass_convert_refused(self, error: ZohoError) -> None:
        """A permission the token's user lacks is a setup problem, named once; the rest of the run
        converts singly. Any other refusal concerns that batch only."""
        if not (isinstance(error, ZohoRefused) and error.about_setup):
            return
        if self.mass_convert_off is None:
            self.mass_convert_off = error.reason
            self.summary.setup_problems.append(
                f"Mass Convert refused: {error.reason}; this run converted one lead per call instead"
                " (5 API credits a lead)"
            )

    def with_module_ids(self, body: dict[str, Any]) -> dict[str, Any]:
        """Mass Convert names modules by api_name and id; ids are read from Zoho once per instance."""
        references = [
            *body.get("carry_over_tags", []),
            *body.get("related_modules", []),
            body.get("move_attachments_to"),
        ]
        if not any(references):
            return body
        ids = self.zoho.module_ids()
        for reference in filter(None, references):
            reference["id"] = ids.get(reference["api_name"])
        return body

    def wait_for(self, jobs: dict[str, MassBatch]) -> list[MassBatch]:
        """Poll every job with growing pauses until it finishes or the time budget runs out.

        A poll that fails for a transient reason is tried again in the next round; a refused poll
        settles its job at once (its leads are re-read). A job whose status says every lead
        converted needs no re-read; the others come back to be settled.
        """
        pending, finished = dict(jobs), []
        pause = _FIRST_POLL_SECONDS
        while pending and not self.lacks_time(pause + self.call_seconds):
            self.sleep(pause)
            for job_id in list(pending):
                try:
                    status = self.zoho.mass_convert_status(job_id)
                except ZohoUnavailable:
                    continue
                except (ZohoRefused, ZohoBadResponse) as error:
                    self.mass_convert_refused(error)
                    finished.append(pending.pop(job_id))
                    continue
                if not status.finished:
                    continue
                batch = pending.pop(job_id)
                if status.converted == len(batch.candidates) and status.state == "completed":
                    self.summary.converted += len(batch.candidates)
                    self.advance(len(batch.candidates))
                else:
                    finished.append(batch)
            pause = min(pause * 2, _MAX_POLL_SECONDS)
        if pending:
            self.summary.remaining += sum(len(batch.candidates) for batch in pending.values())
            self.summary.stop("time_budget", "the time budget ran out while Mass Convert jobs were running")
        return finished

    def settle(self, batch: MassBatch) -> list[Candidate]:
        """Count the batch's converted leads (re-read from Zoho); return the others. When the
        re-read is refused, every lead goes singly (a converted one answers already_converted)."""
        try:
            read = self.zoho.get_leads(batch.lead_ids, ["Converted__s", "Converted_Deal"])
        except (ZohoRefused, ZohoBadResponse):
            return batch.candidates
        records = {str(record.get("id")): record for record in read}
        left = []
        for candidate in batch.candidates:
            record = records.get(candidate.lead_id)
            if record is not None and is_converted(record):
                self.summary.converted += 1
            else:
                left.append(candidate)
        self.advance(len(batch.candidates) - len(left))
        return left

    def convert_singly(self, candidates: list[Candidate]) -> None:
        if not candidates:
            return
        context = contextvars.copy_context()

        def convert(candidate: Candidate) -> Outcome | NotStarted:
            if self.halted.is_set():
                return "setup"
            if self.lacks_time(2 * self.call_seconds):
                return "time_budget"
            converted = context.copy().run(self.convert_one, candidate)
            if converted.kind is Kind.MISCONFIGURED:
                self.halted.set()
            return converted

        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            for candidate, result in zip(candidates, pool.map(convert, candidates), strict=True):
                self.tally(candidate.lead_id, result)
                self.advance(1)

    def convert_one(self, candidate: Candidate, dry_run: bool = False) -> Outcome:
        """The webhook's conversion of one lead; a bug in it fails this lead only."""
        try:
            known = (self.failure_notes or {}).get(candidate.lead_id)
            return self.converter.convert(
                candidate.lead_id,
                dry_run=dry_run,
                planned=candidate.plan_for_single,
                known=known,
                looked_up=candidate.matches,
            )
        except Exception as error:
            rule = candidate.rule.name if candidate.rule else None
            return outcome.from_error(error, candidate.lead_id, rule)

    def advance(self, leads: int) -> None:
        self.done += leads
        self.progress(self.summary, self.done)

    def tally(self, lead_id: str, result: Outcome | NotStarted) -> None:
        if result == "time_budget":
            self.summary.remaining += 1
            self.summary.stop("time_budget", "the time budget ran out")
        elif result == "setup":
            self.summary.remaining += 1
        elif not isinstance(result, Outcome):
            raise AssertionError(result)
        elif result.kind is Kind.CONVERTED:
            self.summary.converted += 1
        elif result.kind is Kind.ALREADY_CONVERTED:
            self.summary.already_converted += 1
        elif result.kind is Kind.DEFERRED:
            self.summary.deferred += 1
        elif result.kind is Kind.HELD:
            self.summary.held += 1
        elif result.kind in (Kind.SKIPPED, Kind.NOT_FOUND):
            self.summary.skipped += 1
        else:
            self.summary.failed.append(
                {
                    "lead_id": lead_id,
                    "rule": result.rule,
                    "outcome": result.kind.value,
                    "reason": result.reason,
                }
            )
            if result.kind is Kind.MISCONFIGURED:
                self.setup_problem(str(result.reason))

    def setup_problem(self, reason: str) -> None:
        """No lead can convert until the setup is fixed: say so once and convert nothing more."""
        self.halted.set()
        if reason not in self.summary.setup_problems:
            self.summary.setup_problems.append(reason)
        self.summary.stop("setup", f"no lead can convert until this is fixed: {reason}")

    def lacks_time(self, needed: float) -> bool:
        """Whether work that may take `needed` seconds would end past RECONCILE_MAX_SECONDS."""
        return self.ends - time.monotonic() < needed


def in_turns(candidates: list[Candidate]) -> tuple[list[Candidate], list[list[Candidate]]]:
    """The leads to convert now, and the turns of those that must wait.

    Leads of one page that share an email or a company under a matching rule would each create
    the same new contact or account (Mass Convert names no existing record, and concurrent
    conversions do not see each other's). So leads linked by a shared key, directly or through
    other leads (one shares an email with a second, which shares a company with a third), form
    one group that converts one lead after another in the page's order: the first now, the
    second singly after it, and so on. Each finds what the ones before created, as webhooks
    delivered one after another would, whatever the threads' timing.
    """
    root: dict[str, str] = {}

    def find(key: str) -> str:
        while root.setdefault(key, key) != key:
            root[key] = root[root[key]]
            key = root[key]
        return key

    for candidate in candidates:
        keys = candidate.shared_keys
        for key in keys[1:]:
            root[find(key)] = find(keys[0])
    sizes: dict[str, int] = {}
    now: list[Candidate] = []
    turns: list[list[Candidate]] = []
    for candidate in candidates:
        keys = candidate.shared_keys
        if not keys:
            now.append(candidate)
            continue
        group = find(keys[0])
        position = sizes.get(group, 0)
        sizes[group] = position + 1
        if position == 0:
            now.append(candidate)
            continue
        while len(turns) < position:
            turns.append([])
        turns[position - 1].append(candidate)
    return now, turns


def _found(matches: Matches | None) -> dict[str, list[str]] | None:
    """The ids a lookup found, per module, for the dry run's plan."""
    if matches is None or matches.empty:
        return None
    found = {"Contacts": [m.id for m in matches.contacts], "Accounts": [m.id for m in matches.accounts]}
    return {module: ids for module, ids in found.items() if ids}


def mass_convertible(rule: Rule) -> bool:
    """Whether Mass Convert can express the rule: no notify or overwrite options, no contact role
    on the deal (not documented for Mass Convert), and tags carried over only as whole modules
    (its request must also have been built from the page's row)."""
    if rule.notify_lead_owner or rule.notify_new_entity_owner or rule.overwrite:
        return False
    if named_role(rule) is not None:
        return False
    return all(selection == ALL_TAGS for _, selection in rule.carry_over_tags)
