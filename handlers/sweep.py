"""The reconciliation sweep: convert every lead that qualifies under the rules but is still unconverted.

Webhooks are delivered at most once; Zoho itself is the source of truth. The sweep asks Zoho for
candidate leads (handlers.candidates), decides each with the webhook's own rules engine, sends
leads with identical Convert parameters through Mass Convert (50 per call), and everything else,
including leads a Mass Convert job left unconverted, through the webhook's single Convert path.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from handlers.calls import counting_calls
from handlers.candidates import candidate_query, query_records_are_complete
from handlers.conversion import Converter, utc_now
from handlers.lead import Lead, is_converted
from handlers.matching import decide
from handlers.outcome import Kind, Outcome
from handlers.payload import build_convert_request
from handlers.rules import ALL_TAGS, Rule

MASS_CONVERT_MAX_IDS = 50
_FIRST_POLL_SECONDS = 0.5
_MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class SweepOptions:
    dry_run: bool = False
    limit: int | None = None  # at most this many leads converted in this run
    since: dt.datetime | None = None  # only leads modified after this moment
    grace_minutes: float = 10.0  # leads modified more recently are left to their webhook
    max_seconds: float = 480.0  # no new work is started after this long
    concurrency: int = 4  # single Convert calls in flight


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
    duration_ms: float = 0.0
    remaining: int = 0
    dry_run: bool = False
    planned: dict[str, int] | None = None  # dry runs: what would be sent

    def as_dict(self) -> dict[str, Any]:
        summary = asdict(self)
        if self.planned is None:
            del summary["planned"]
        return summary


@dataclass(frozen=True)
class Candidate:
    lead_id: str
    rule: Rule
    record: Lead


@dataclass(frozen=True)
class MassBatch:
    lead_ids: list[str]
    body: dict[str, Any]  # the Mass Convert body, ids included


Progress = Callable[[SweepSummary, int], None]  # the summary so far and the number of leads to handle


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
    """One sweep's state: the summary being filled and the time budget."""

    def __init__(self, sweeper: Sweeper, options: SweepOptions, progress: Progress):
        self.sweeper = sweeper
        self.zoho = sweeper.zoho
        self.options = options
        self.progress = progress
        self.summary = SweepSummary(dry_run=options.dry_run)
        self.started = time.monotonic()
        self.total = 0

    def execute(self) -> SweepSummary:
        with counting_calls() as calls:
            candidates = self.find_candidates()
            if self.options.limit is not None:
                self.summary.remaining = max(0, len(candidates) - self.options.limit)
                candidates = candidates[: self.options.limit]
            batches, singles = self.plan(candidates)
            self.total = len(candidates)
            if self.options.dry_run:
                self.summary.planned = {
                    "mass_convert_jobs": len(batches),
                    "mass_convert_leads": sum(len(batch.lead_ids) for batch in batches),
                    "single_convert_leads": len(singles),
                }
            else:
                retry = self.mass_convert(batches)
                self.convert_singly(singles + retry)
        self.summary.api_calls = calls.count
        self.summary.duration_ms = round((time.monotonic() - self.started) * 1000, 1)
        return self.summary

    def find_candidates(self) -> list[Candidate]:
        now = self.sweeper.clock()
        before = now - dt.timedelta(minutes=self.options.grace_minutes)
        candidates: list[Candidate] = []
        offset = 0
        while True:
            query = candidate_query(self.sweeper.rules, before, self.options.since, offset)
            records, more = self.zoho.query(query)
            for record in records:
                self.summary.scanned += 1
                candidate = self.decide(record)
                if candidate is None:
                    self.summary.skipped += 1
                else:
                    candidates.append(candidate)
            if not more or not records:
                break
            offset += len(records)
        self.summary.matched = len(candidates)
        return candidates

    def decide(self, record: Lead) -> Candidate | None:
        if is_converted(record) or not record.get("id"):
            return None
        rule = decide(self.sweeper.rules, record).rule
        if rule is None or rule.skip:
            return None
        return Candidate(str(record["id"]), rule, record)

    def plan(self, candidates: list[Candidate]) -> tuple[list[MassBatch], list[str]]:
        """Mass Convert batches of leads with identical parameters, and the leads to convert singly."""
        exact = query_records_are_complete(self.sweeper.rules)
        groups: dict[str, list[str]] = {}
        singles: list[str] = []
        for candidate in candidates:
            key = self.mass_key(candidate) if exact else None
            if key is None:
                singles.append(candidate.lead_id)
            else:
                groups.setdefault(key, []).append(candidate.lead_id)
        batches: list[MassBatch] = []
        for key, lead_ids in groups.items():
            if len(lead_ids) < 2:
                singles.extend(lead_ids)
                continue
            for start in range(0, len(lead_ids), MASS_CONVERT_MAX_IDS):
                batch = lead_ids[start : start + MASS_CONVERT_MAX_IDS]
                batches.append(MassBatch(batch, {"ids": batch, **json.loads(key)}))
        return batches, singles

    def mass_key(self, candidate: Candidate) -> str | None:
        """The Mass Convert parameters (without ids) as a grouping key; None when not expressible."""
        rule = candidate.rule
        if not mass_convertible(rule):
            return None
        request = build_convert_request(
            rule, candidate.lead_id, candidate.record, self.sweeper.clock(), self.zoho.config.api_version
        )
        item = request.body["data"][0]
        owner = item.get("assign_to")
        if not isinstance(owner, dict):
            return None
        params: dict[str, Any] = {"assign_to": owner}
        if "Deals" in item:
            params["Deals"] = item["Deals"]
        modules = sorted(rule.carry_over_tags or {})
        if modules:
            params["carry_over_tags"] = [{"api_name": module} for module in modules]
        if rule.move_attachments_to:
            params["move_attachments_to"] = {"api_name": rule.move_attachments_to}
        return json.dumps(params, sort_keys=True)

    def mass_convert(self, batches: list[MassBatch]) -> list[str]:
        """Run the batches; the leads a job did not convert come back for single Convert."""
        jobs: dict[str, list[str]] = {}
        for index, batch in enumerate(batches):
            if self.over_budget():
                self.summary.remaining += sum(len(rest.lead_ids) for rest in batches[index:])
                break
            jobs[self.zoho.mass_convert(self.with_module_ids(batch.body))] = batch.lead_ids
            self.summary.mass_convert_jobs += 1
        retry: list[str] = []
        for lead_ids in self.wait_for(jobs).values():
            retry.extend(self.settle(lead_ids))
        return retry

    def with_module_ids(self, body: dict[str, Any]) -> dict[str, Any]:
        """Mass Convert names modules by api_name and id; ids are read from Zoho once per instance."""
        references = [*body.get("carry_over_tags", []), body.get("move_attachments_to")]
        if not any(references):
            return body
        ids = self.zoho.module_ids()
        for reference in filter(None, references):
            reference["id"] = ids.get(reference["api_name"])
        return body

    def wait_for(self, jobs: dict[str, list[str]]) -> dict[str, list[str]]:
        """Poll every job with growing pauses until it finishes or the time budget runs out."""
        pending, finished = dict(jobs), {}
        pause = _FIRST_POLL_SECONDS
        while pending and not self.over_budget():
            self.sweeper.sleep(pause)
            for job_id in list(pending):
                if self.zoho.mass_convert_status(job_id).finished:
                    finished[job_id] = pending.pop(job_id)
            pause = min(pause * 2, _MAX_POLL_SECONDS)
        self.summary.remaining += sum(len(batch) for batch in pending.values())
        return finished

    def settle(self, batch: list[str]) -> list[str]:
        """Count the batch's converted leads (re-read from Zoho); return the others."""
        records = {
            str(r.get("id")): r for r in self.zoho.get_leads(batch, ["Converted__s", "Converted_Deal"])
        }
        left = []
        for lead_id in batch:
            record = records.get(lead_id)
            if record is not None and is_converted(record):
                self.summary.converted += 1
            else:
                left.append(lead_id)
        self.progress(self.summary, self.total)
        return left

    def convert_singly(self, lead_ids: list[str]) -> None:
        context = contextvars.copy_context()

        def convert(lead_id: str) -> Outcome | None:
            if self.over_budget():
                return None
            return context.copy().run(self.sweeper.converter.convert, lead_id)[0]

        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            for lead_id, outcome in zip(lead_ids, pool.map(convert, lead_ids), strict=True):
                self.count(lead_id, outcome)

    def count(self, lead_id: str, outcome: Outcome | None) -> None:
        if outcome is None:
            self.summary.remaining += 1
        elif outcome.kind is Kind.CONVERTED:
            self.summary.converted += 1
        elif outcome.kind is Kind.ALREADY_CONVERTED:
            self.summary.already_converted += 1
        elif outcome.kind is Kind.SKIPPED:
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
        self.progress(self.summary, self.total)

    def over_budget(self) -> bool:
        return time.monotonic() - self.started >= self.options.max_seconds


def mass_convertible(rule: Rule) -> bool:
    """Whether Mass Convert can express the rule: it has no notify or overwrite options and
    carries tags over only as whole modules."""
    if rule.notify_lead_owner or rule.notify_new_entity_owner or rule.overwrite:
        return False
    return all(selection == ALL_TAGS for selection in (rule.carry_over_tags or {}).values())
