"""The reconciliation sweep: convert every lead that qualifies under the rules but is still unconverted.

Webhooks are delivered at most once; Zoho itself is the source of truth. The sweep reads the
candidate leads page by page (handlers.sweep_query), decides each with the webhook's own rules
engine, and converts each page before reading the next: leads with identical Convert parameters
through Mass Convert (50 per job), everything else, including leads a job left unconverted,
through the webhook's single Convert path. An error ends the run with a summary of what was
done; the next run carries on, since converted leads no longer match.

Only leads modified at or after the run's `since` are considered: RECONCILE_SINCE, set by
Terraform to the moment of the first deploy, so that old qualified leads (some perhaps left
unconverted on purpose) are converted only when someone asks for them with an older `since`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from handlers import deadline, outcome
from handlers.conversion import Converter, utc_now
from handlers.coql import Node
from handlers.errors import Failure, ZohoUnavailable
from handlers.lead import Lead, is_converted
from handlers.outcome import Kind, Outcome
from handlers.payload import ConvertRequest
from handlers.plan import plan_lead
from handlers.rules import ALL_TAGS, Rule
from handlers.settings import RECONCILE_SINCE
from handlers.sweep_query import QueryPlan, Window, plan_queries, reads_record_fields_only, record_is_enough

MASS_CONVERT_MAX_IDS = 50
PLAN_LIMIT = 1000  # leads listed in a dry run's answer; the count is always complete
_FIRST_POLL_SECONDS = 0.5
_MAX_POLL_SECONDS = 5.0
NO_WINDOW = (
    f"{RECONCILE_SINCE} is not set, so the sweep converts nothing: set it to the time from which"
    " qualifying leads may be converted automatically (Terraform sets it to the first apply), or"
    " pass since for one run, e.g. `reconcile --since 2026-11-01T00:00:00Z --dry-run`"
)


@dataclass(frozen=True)
class SweepOptions:
    since: dt.datetime | None  # leads modified at or after this moment; None converts nothing
    dry_run: bool = False
    limit: int | None = None  # at most this many leads converted in this run
    grace_minutes: float = 10.0  # leads modified more recently are left to their webhook
    max_seconds: float = 480.0  # no new work is started after this long
    concurrency: int = 4  # single Convert calls in flight


@dataclass(frozen=True)
class PlannedLead:
    """A dry run's answer for one lead: its rule and how it would be converted."""

    lead_id: str
    rule: str
    how: str  # "mass" or "single"
    job: int | None = None  # the Mass Convert job's number in this run


@dataclass
class SweepSummary:
    scanned: int = 0
    matched: int = 0
    converted: int = 0
    already_converted: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    mass_convert_jobs: int = 0
    api_calls: int = 0
    pages: int = 0
    duration_ms: float = 0.0
    remaining: int = 0
    dry_run: bool = False
    since: str | None = None
    complete: bool = True
    stopped_by: str | None = None  # "error", "time_budget" or "no_window" when the run ended early
    stopped: str | None = None  # what ended it, in words
    plan: list[PlannedLead] = field(default_factory=list)  # dry runs: every lead and how
    # The rules held against the org (handlers.preflight, at most hourly): what will fail leads.
    rules_problems: list[str] = field(default_factory=list)

    def as_dict(self, plan_limit: int = PLAN_LIMIT) -> dict[str, Any]:
        summary = {key: value for key, value in asdict(self).items() if key != "plan"}
        summary["failed_count"] = len(self.failed)  # a number log-based metrics can read
        if self.dry_run:
            mass = [entry for entry in self.plan if entry.how == "mass"]
            summary["planned"] = {
                "mass_convert_jobs": len({entry.job for entry in mass}),
                "mass_convert_leads": len(mass),
                "single_convert_leads": len(self.plan) - len(mass),
            }
            summary["plan_total"] = len(self.plan)
            summary["plan"] = [asdict(entry) for entry in self.plan[:plan_limit]]
        return summary

    def stop(self, kind: str, reason: str) -> None:
        if self.stopped_by is None:
            self.complete, self.stopped_by, self.stopped = False, kind, reason

    @property
    def severity(self) -> str:
        if self.failed or self.stopped_by == "error" or self.rules_problems:
            return "ERROR"
        return "WARNING" if self.stopped_by else "INFO"

    def message(self) -> str:
        text = (
            f"reconcile summary: {self.matched} qualifying of {self.scanned} scanned,"
            f" {self.converted} converted, {len(self.failed)} failed"
        )
        if self.remaining:
            text += f", {self.remaining} left for the next run"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        if self.rules_problems:
            count, first = len(self.rules_problems), self.rules_problems[0]
            text += f"; {count} rules problem{'s' if count != 1 else ''} against the org: {first}"
        return text


@dataclass(frozen=True)
class Candidate:
    """A lead to convert. `rule` is None when the page could not decide it (it is then read and
    decided singly); `record` is the page's record when it holds everything the rules read."""

    lead_id: str
    rule: Rule | None
    record: Lead | None
    request: ConvertRequest | None = None  # the rule's Convert request, built from `record`

    @property
    def record_for_single(self) -> Lead | None:
        """The record a single Convert can be built from, sparing a read of the lead."""
        return self.record if self.rule is not None and record_is_enough(self.rule) else None


@dataclass(frozen=True)
class MassBatch:
    candidates: list[Candidate]
    body: dict[str, Any]  # the Mass Convert body, ids included

    @property
    def lead_ids(self) -> list[str]:
        return [candidate.lead_id for candidate in self.candidates]


Progress = Callable[[SweepSummary, int], None]  # the summary so far, and how many matched leads are done


class Sweeper:
    def __init__(
        self,
        converter: Converter,
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.converter = converter
        self.zoho = converter.zoho
        self.rules = converter.rules
        self.clock = clock
        self.sleep = sleep

    def run(self, options: SweepOptions, progress: Progress | None = None) -> SweepSummary:
        return _Run(self, options, progress or (lambda summary, total: None)).execute()


class _Run:
    """One sweep's state: the summary being filled, the leads seen, the time budget."""

    def __init__(self, sweeper: Sweeper, options: SweepOptions, progress: Progress):
        self.sweeper = sweeper
        self.zoho = sweeper.zoho
        self.options = options
        self.progress = progress
        self.summary = SweepSummary(dry_run=options.dry_run)
        self.started = time.monotonic()
        self.ends = self.started + options.max_seconds
        # The longest one Zoho call may take (its retry window): a page read or a job submitted
        # needs one, a lead converted singly two (Convert, then a read back or a note).
        self.call_seconds = sweeper.zoho.config.retry_seconds
        self.seen: set[str] = set()
        self.taken = 0  # leads handed to a conversion (or to the plan) so far
        self.jobs_planned = 0
        self.done = 0  # matched leads converted, failed, planned or found converted so far

    def execute(self) -> SweepSummary:
        since = self.options.since
        if since is None:
            self.summary.stop("no_window", NO_WINDOW)
            return self.summary
        self.summary.since = since.isoformat()
        before = self.sweeper.clock() - dt.timedelta(minutes=self.options.grace_minutes)
        window = Window(since, before)
        plan = plan_queries(self.sweeper.rules)
        with self.zoho.counting_calls() as calls, deadline.within(self.options.max_seconds):
            try:
                for filter_ in plan.filters:
                    for page in self.pages(plan, filter_, window):
                        self.handle_page(plan, page)
            except Failure as error:
                stopped = outcome.from_error(error)
                self.summary.stop("error", f"{stopped.kind.value}: {stopped.reason}")
        self.summary.api_calls = calls.count
        self.summary.duration_ms = round((time.monotonic() - self.started) * 1000, 1)
        return self.summary

    def pages(self, plan: QueryPlan, filter_: Node | None, window: Window) -> Iterator[list[dict[str, Any]]]:
        """The query's pages, read by key until the last page or the end of the time budget."""
        after: str | None = None
        size = self.zoho.version.coql_page_size
        while self.summary.stopped_by is None:
            if self.lacks_time(self.call_seconds):
                self.summary.stop("time_budget", "the time budget ran out before every page was read")
                return
            records, more = self.zoho.query(plan.page_query(filter_, window, after, size))
            self.summary.pages += 1
            ids = [int(record["id"]) for record in records if str(record.get("id", "")).isdigit()]
            if not ids:
                return
            yield records
            if not more:
                return
            after = str(max(ids))

    def handle_page(self, plan: QueryPlan, records: list[dict[str, Any]]) -> None:
        candidates = []
        for record in records:
            lead_id = str(record.get("id", ""))
            if not lead_id.isdigit() or lead_id in self.seen:
                continue
            self.seen.add(lead_id)
            self.summary.scanned += 1
            candidate = self.decide(plan, lead_id, record)
            if candidate is None:
                self.summary.skipped += 1
            else:
                candidates.append(candidate)
        self.summary.matched += len(candidates)
        candidates = self.within_limit(candidates)
        if not candidates:
            return
        batches, singles = self.group(candidates)
        if self.options.dry_run:
            self.plan_dry_run(batches, singles)
        else:
            self.convert(batches, singles)

    def decide(self, plan: QueryPlan, lead_id: str, record: Lead) -> Candidate | None:
        if not plan.decidable:
            return Candidate(lead_id, None, None)
        decided = plan_lead(
            self.sweeper.rules, lead_id, record, self.sweeper.clock(), legacy=self.zoho.legacy
        )
        if decided.action != "convert":
            return None
        if not plan.complete:
            return Candidate(lead_id, decided.rule, None)
        return Candidate(lead_id, decided.rule, record, decided.request)

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
        """The Mass Convert parameters (without ids) as a grouping key; None when not expressible."""
        rule, request = candidate.rule, candidate.request
        if rule is None or request is None or not self.zoho.version.mass_convert:
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
                outcome = self.sweeper.converter.convert(candidate.lead_id, dry_run=True)[0]
                if outcome.kind is not Kind.DRY_RUN or outcome.rule is None:
                    self.tally(candidate.lead_id, outcome)
                    continue
                self.summary.plan.append(PlannedLead(candidate.lead_id, outcome.rule, "single"))
            else:
                self.summary.plan.append(PlannedLead(candidate.lead_id, rule.name, "single"))
        self.advance(sum(len(batch.candidates) for batch in batches) + len(singles))

    # --- converting -----------------------------------------------------------------------------

    def convert(self, batches: list[MassBatch], singles: list[Candidate]) -> None:
        """Submit the page's jobs, convert its singles while they run, then settle the jobs."""
        jobs = self.submit(batches)
        self.convert_singly(singles)
        left = [candidate for batch in self.wait_for(jobs) for candidate in self.settle(batch)]
        self.convert_singly(left)

    def submit(self, batches: list[MassBatch]) -> dict[str, MassBatch]:
        jobs: dict[str, MassBatch] = {}
        for index, batch in enumerate(batches):
            if self.lacks_time(self.call_seconds):
                self.summary.remaining += sum(len(rest.candidates) for rest in batches[index:])
                self.summary.stop("time_budget", "the time budget ran out")
                break
            jobs[self.zoho.mass_convert(self.with_module_ids(batch.body))] = batch
            self.summary.mass_convert_jobs += 1
        return jobs

    def with_module_ids(self, body: dict[str, Any]) -> dict[str, Any]:
        """Mass Convert names modules by api_name and id; ids are read from Zoho once per instance."""
        references = [*body.get("carry_over_tags", []), body.get("move_attachments_to")]
        if not any(references):
            return body
        ids = self.zoho.module_ids()
        for reference in filter(None, references):
            reference["id"] = ids.get(reference["api_name"])
        return body

    def wait_for(self, jobs: dict[str, MassBatch]) -> list[MassBatch]:
        """Poll every job with growing pauses until it finishes or the time budget runs out.

        A poll that fails for a transient reason is tried again in the next round. A job whose
        status says every lead converted needs no re-read; the others come back to be settled.
        """
        pending, finished = dict(jobs), []
        pause = _FIRST_POLL_SECONDS
        while pending and not self.lacks_time(pause + self.call_seconds):
            self.sweeper.sleep(pause)
            for job_id in list(pending):
                try:
                    status = self.zoho.mass_convert_status(job_id)
                except ZohoUnavailable:
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
        """Count the batch's converted leads (re-read from Zoho); return the others."""
        records = {
            str(record.get("id")): record
            for record in self.zoho.get_leads(batch.lead_ids, ["Converted__s", "Converted_Deal"])
        }
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
        converter = self.sweeper.converter

        def convert(candidate: Candidate) -> Outcome | None:
            if self.lacks_time(2 * self.call_seconds):
                return None
            return context.copy().run(
                converter.convert, candidate.lead_id, record=candidate.record_for_single
            )[0]

        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            for candidate, outcome in zip(candidates, pool.map(convert, candidates), strict=True):
                self.tally(candidate.lead_id, outcome)
                self.advance(1)

    def advance(self, leads: int) -> None:
        self.done += leads
        self.progress(self.summary, self.done)

    def tally(self, lead_id: str, outcome: Outcome | None) -> None:
        if outcome is None:
            self.summary.remaining += 1
            self.summary.stop("time_budget", "the time budget ran out")
        elif outcome.kind is Kind.CONVERTED:
            self.summary.converted += 1
        elif outcome.kind is Kind.ALREADY_CONVERTED:
            self.summary.already_converted += 1
        elif outcome.kind in (Kind.SKIPPED, Kind.NOT_FOUND):
            self.summary.skipped += 1
        else:
            self.summary.failed.append(
                {
                    "lead_id": lead_id,
                    "rule": outcome.rule,
                    "outcome": outcome.kind.value,
                    "reason": outcome.reason,
                }
            )

    def lacks_time(self, needed: float) -> bool:
        """Whether work that may take `needed` seconds would end past RECONCILE_MAX_SECONDS."""
        return self.ends - time.monotonic() < needed


def mass_convertible(rule: Rule) -> bool:
    """Whether Mass Convert can express the rule: it reads only what a COQL record holds, has no
    notify or overwrite options, and carries tags over only as whole modules."""
    if rule.notify_lead_owner or rule.notify_new_entity_owner or rule.overwrite:
        return False
    if not reads_record_fields_only(rule):
        return False
    return all(selection == ALL_TAGS for _, selection in rule.carry_over_tags)
