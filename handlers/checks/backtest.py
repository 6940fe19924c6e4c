"""What a rules file would decide for the leads of a time window, and what changes from another.

`zoho-lead-converter backtest` answers "what does this change do?" before a rules file is
deployed; the sweep's dry run answers "what will the next sweep do?". Nothing is written to Zoho.

Every lead is decided as the function decides it. A COQL row decides a lead when it holds all the
decision reads (the sweep's own test, handlers.sweep.query.answers); otherwise the lead is read in
full, 100 a call, and decided by `plan_rules`, the heart of the webhook's `plan_lead`. A lead
whose rule matches existing records is looked up among contacts and accounts by Email and Company
as the sweep looks leads up (handlers.engine.lookup), and `choose` says whether a person would
have to choose first: outcome `hold`.

Leads still to convert are read with the sweep's COQL paging over the window alone (every lead,
not only those a rule could match: a backtest counts the skipped ones too). Converted leads come
from Get Records, `converted=true`, newest first, since whether COQL reads them is not settled
(docs/zoho-api.md, "Record reads"); each shows the rule that would have converted it, to compare
with what happened. A read Zoho refuses ends that part of the read, never the backtest: what was
decided is still shown, and the result says it is incomplete.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from handlers.engine import outcome
from handlers.engine.existing import Held, choose
from handlers.engine.matching import decide_partly
from handlers.engine.payload import choose_owner
from handlers.engine.plan import Plan, plan_decision, plan_rules
from handlers.engine.rules import Rule, RuleSet
from handlers.errors import reason_of
from handlers.redaction import redact
from handlers.sweep.query import (
    WINDOW_ONLY,
    FieldTypes,
    Queries,
    Window,
    answers,
    answers_path,
    placeholders,
    selected_fields,
)
from handlers.zoho.coql import MAX_SELECTED_FIELDS, credits_at_most, keyset_pages
from handlers.zoho.lead import Lead
from handlers.zoho.metadata import read_lead_fields

if TYPE_CHECKING:
    from handlers.engine.lookup import LeadKeys, Lookup
    from handlers.zoho.client import CallCounter, ZohoClient

Outcome = Literal["convert", "skip", "hold", "error"]
OUTCOMES: tuple[Outcome, ...] = ("convert", "skip", "hold", "error")
NO_RULE = "(no rule)"  # the leads no rule matches, in `by_rule`
LEADS_PER_READ = 100  # ids in one Get Records call
REASON_CHARS = 300


@dataclass(frozen=True)
class Verdict:
    """What one rules file does with a lead: the rule, the outcome, the new records' owner (a user
    id; None when Zoho would keep the lead's owner, or nothing converts) and why, for a skip,
    a hold or an error."""

    rule: str | None
    outcome: Outcome
    owner: str | None = None
    reason: str | None = None

    def same_as(self, other: Verdict) -> bool:
        return (self.rule, self.outcome, self.owner) == (other.rule, other.outcome, other.owner)

    def as_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "outcome": self.outcome, "owner": self.owner, "reason": self.reason}

    def describe(self) -> str:
        """`qualified-emea → convert (owner 111)`, `(no rule) → skip`."""
        owner = f" (owner {self.owner})" if self.owner else ""
        return f"{self.rule or NO_RULE} → {self.outcome}{owner}"


@dataclass(frozen=True)
class Decided:
    """One lead: whether Zoho has converted it already, and what each rules file does with it."""

    lead_id: str
    converted: bool
    new: Verdict
    old: Verdict | None = None

    @property
    def changed(self) -> bool:
        return self.old is not None and not self.old.same_as(self.new)

    def as_change(self) -> dict[str, Any]:
        assert self.old is not None
        return {
            "lead_id": self.lead_id,
            "converted": self.converted,
            "old": self.old.as_json(),
            "new": self.new.as_json(),
        }


@dataclass
class Backtest:
    """The result: every lead decided, the cost of reading them, and what could not be read."""

    source: str
    against: str | None
    window: Window
    leads: list[Decided] = field(default_factory=list)
    calls: int = 0
    credits: int = 0
    notes: list[str] = field(default_factory=list)  # how the leads were read and decided
    incomplete: list[str] = field(default_factory=list)  # reads Zoho refused: leads not decided
    limited: bool = False  # --limit was reached

    @property
    def changes(self) -> list[Decided]:
        return [lead for lead in self.leads if lead.changed]

    def by_rule(self, old: bool = False) -> dict[str, dict[str, int]]:
        """Per rule (NO_RULE for the leads none matches), in the file's order: how many leads it
        converts, skips, holds, cannot decide, and how many of them Zoho has converted already."""
        counts: dict[str, Counter[str]] = {}
        for lead in self.leads:
            verdict = lead.old if old else lead.new
            if verdict is None:
                continue
            tally = counts.setdefault(verdict.rule or NO_RULE, Counter())
            tally[verdict.outcome] += 1
            tally["already_converted"] += lead.converted
        return {
            rule: {key: tally[key] for key in (*OUTCOMES, "already_converted")}
            for rule, tally in counts.items()
        }

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "rules": self.source,
            "against": self.against,
            "since": self.window.since.isoformat(),
            "until": self.window.before.isoformat(),
            "leads": len(self.leads),
            "already_converted": sum(lead.converted for lead in self.leads),
            "by_rule": self.by_rule(),
        }
        if self.against is not None:
            result["against_by_rule"] = self.by_rule(old=True)
            result["changes"] = [lead.as_change() for lead in self.changes]
        result |= {
            "complete": not self.incomplete and not self.limited,
            "incomplete": self.incomplete,
            "limited": self.limited,
            "notes": self.notes,
            "api_calls": self.calls,
            "api_credits": self.credits,
        }
        return result


Progress = Callable[[Backtest], None]


class BacktestRun:
    """One backtest: the rule files, the window, the Zoho reads and the result being filled."""

    def __init__(
        self,
        zoho: ZohoClient,
        lookup: Lookup,
        rules: RuleSet,
        against: RuleSet | None,
        window: Window,
        *,
        limit: int | None = None,
        progress: Progress | None = None,
    ):
        self.zoho = zoho
        self.lookup = lookup
        self.rule_sets = (rules,) if against is None else (rules, against)
        self.limit = limit
        self.progress: Progress = progress or (lambda result: None)
        self.result = Backtest(rules.source, against.source if against else None, window)
        self.queries = Queries((), (WINDOW_ONLY,), ())  # its select list once the org's fields are read
        self.full_fields: list[str] = []
        self.extra_credits = 0  # what COQL pages may cost beyond a credit each
        self.calls: CallCounter | None = None  # the run's count of API calls, while it runs

    def run(self) -> Backtest:
        with self.zoho.counting_calls() as calls:
            self.calls = calls
            self._select(read_lead_fields(self.zoho))
            self._read("leads still to convert", self._unconverted_pages(), converted=False)
            if not self._full():
                self._read("converted leads", self._converted_pages(), converted=True)
        self._count()
        return self.result

    def _select(self, lead_fields: FieldTypes | None) -> None:
        """What the reads ask for: only fields the org has, when its Leads fields could be read
        (Zoho refuses a query naming another)."""
        every_rule = [rule for rule_set in self.rule_sets for rule in rule_set.rules]
        selected = selected_fields(every_rule, lead_fields, self.result.notes)
        self.queries = Queries(selected, (WINDOW_ONLY,), ())
        self.full_fields = _full_read_fields(every_rule, lead_fields, self.result.notes)

    def _read(self, what: str, pages: Iterator[list[dict[str, Any]]], *, converted: bool) -> None:
        """Decide page after page until the limit; a failed read is noted, and ends this part."""
        try:
            for page in pages:
                self._decide_page(page, converted)
                self._count()
                self.progress(self.result)
                if self._full():
                    return
        except Exception as error:  # a refusal, or a bug: what was decided is still shown
            reason = redact(reason_of(error))[:REASON_CHARS]
            self.result.incomplete.append(
                f"a read of the {what} failed, the rest were not decided ({reason})"
            )

    def _count(self) -> None:
        if self.calls is None:
            return
        self.result.calls = self.calls.count
        self.result.credits = self.calls.count + self.extra_credits

    def _full(self) -> bool:
        self.result.limited = self.limit is not None and len(self.result.leads) >= self.limit
        return self.result.limited

    # --- reading ----------------------------------------------------------------------------------

    def _unconverted_pages(self) -> Iterator[list[dict[str, Any]]]:
        """The window's leads still to convert, by the sweep's keyset paging (every lead)."""
        size = self.zoho.version.coql_page_size

        def read(after: str | None) -> tuple[list[dict[str, Any]], bool]:
            rows, more = self.zoho.query(
                self.queries.page_query(WINDOW_ONLY, self.result.window, after, size)
            )
            self.extra_credits += credits_at_most(size) - 1
            return rows, more

        return keyset_pages(read)

    def _converted_pages(self) -> Iterator[list[dict[str, Any]]]:
        page: list[dict[str, Any]] = []
        fields = list(self.queries.fields)
        for lead in self.zoho.converted_leads(fields, self.result.window.since):
            page.append(lead)
            if len(page) == LEADS_PER_READ:
                yield page
                page = []
        if page:
            yield page

    # --- deciding ---------------------------------------------------------------------------------

    def _decide_page(self, rows: list[dict[str, Any]], converted: bool) -> None:
        room = None if self.limit is None else self.limit - len(self.result.leads)
        rows = [row for row in rows if str(row.get("id", "")).isdigit()][:room]
        plans: dict[str, list[Plan | Exception | None]] = {}
        leads: dict[str, Lead] = {}
        for row in rows:
            lead_id = str(row["id"])
            leads[lead_id] = row
            plans[lead_id] = [self._plan(rules, lead_id, row, from_row=True) for rules in self.rule_sets]
        unread = [lead_id for lead_id, options in plans.items() if any(plan is None for plan in options)]
        for lead_id, lead in self._read_in_full(unread).items():
            leads[lead_id] = lead
            plans[lead_id] = [self._plan(rules, lead_id, lead, from_row=False) for rules in self.rule_sets]
        held = {} if converted else self._holds(plans)
        for lead_id, options in plans.items():
            verdicts = [
                _verdict(plan, lead_id, leads[lead_id], held.get((lead_id, number)))
                for number, plan in enumerate(options)
            ]
            new, *old = verdicts
            if new is None or None in old:  # gone between the list and the read: nothing to decide
                continue
            self.result.leads.append(Decided(lead_id, converted, new, old[0] if old else None))

    def _plan(self, rules: RuleSet, lead_id: str, lead: Lead, *, from_row: bool) -> Plan | Exception | None:
        """The lead's plan: from a row as the sweep decides one (None when the lead must be read in
        full first), from a lead read in full as the webhook does; the exception when deciding
        fails, a bug included: that is this lead's problem, shown as its outcome."""
        now, legacy = self.result.window.before, self.zoho.legacy
        try:
            if not from_row:
                return plan_rules(rules, lead_id, lead, now, legacy=legacy)
            decision = decide_partly(rules, lead, functools.partial(answers, lead))
            if decision is None:
                return None
            rule = decision.rule
            if (
                rule is not None
                and not rule.skip
                and not all(answers_path(lead, p) for p in placeholders(rule))
            ):
                return None
            return plan_decision(decision, lead_id, lead, now, legacy=legacy)
        except Exception as error:
            return error

    def _read_in_full(self, lead_ids: list[str]) -> dict[str, Lead]:
        """The leads whose rows could not decide them, read as the webhook reads a lead (100 a call;
        a lead deleted meanwhile is not in the answer)."""
        read: dict[str, Lead] = {}
        for start in range(0, len(lead_ids), LEADS_PER_READ):
            for lead in self.zoho.get_leads(lead_ids[start : start + LEADS_PER_READ], self.full_fields):
                read[str(lead.get("id"))] = lead
        return read

    def _holds(self, plans: dict[str, list[Plan | Exception | None]]) -> dict[tuple[str, int], str]:
        """Why each (lead, rules file) whose rule matches existing records is held, if it is: the
        page's leads looked up at once."""
        keys: dict[str, LeadKeys] = {}
        for lead_id, options in plans.items():
            for plan in options:
                if isinstance(plan, Plan) and _matching_rule(plan) is not None and plan.keys is not None:
                    keys[lead_id] = plan.keys
        if not keys:
            return {}
        try:
            found = self.lookup.look_up(keys)
        except Exception as error:  # a refusal, or a bug: the leads are still decided
            reason = redact(reason_of(error))[:REASON_CHARS]
            note = f"the lookup of existing contacts and accounts failed ({reason}): no lead is shown held"
            if note not in self.result.incomplete:
                self.result.incomplete.append(note)
            return {}
        held: dict[tuple[str, int], str] = {}
        for lead_id, matches in found.items():
            for number, plan in enumerate(plans[lead_id]):
                rule = _matching_rule(plan)
                if matches is None or rule is None:
                    continue
                link = choose(matches, rule.when_ambiguous)
                if isinstance(link, Held):
                    held[(lead_id, number)] = link.reason
        return held


def _matching_rule(plan: Plan | Exception | None) -> Rule | None:
    """The rule of a plan that converts into existing records when they match."""
    if isinstance(plan, Plan) and plan.action == "convert" and plan.rule is not None:
        return plan.rule if plan.rule.existing_records == "match" else None
    return None


def _verdict(plan: Plan | Exception | None, lead_id: str, lead: Lead, held: str | None) -> Verdict | None:
    if plan is None:  # not in the full read's answer
        return None
    if isinstance(plan, Exception):
        failed = outcome.from_error(plan, lead_id)
        return Verdict(None, "error", reason=f"{failed.kind.value}: {failed.reason}"[:REASON_CHARS])
    name = plan.rule.name if plan.rule is not None else None
    if plan.action != "convert" or plan.rule is None:
        return Verdict(name, "skip", reason=plan.reason)
    owner = choose_owner(plan.rule, lead_id, lead)
    if held is not None:
        return Verdict(name, "hold", owner, held)
    return Verdict(name, "convert", owner)


def _full_read_fields(rules: Iterable[Rule], lead_fields: FieldTypes | None, notes: list[str]) -> list[str]:
    """What a full read asks for: all the rules read (conditions, the deal's placeholders, tags,
    the owner, the lookup's keys), within Get Records' 50 fields."""
    listed = list(rules)
    wanted = [
        "Owner",
        "Modified_Time",
        "Email",
        "Company",
        "Tag",
        *(condition.field.split(".")[0] for rule in listed for condition in rule.when),
        *(path.split(".")[0] for rule in listed for path in placeholders(rule)),
    ]
    known = [
        name
        for name in dict.fromkeys(wanted)
        if not name.startswith("$") and (lead_fields is None or name in lead_fields or name == "Tag")
    ]
    if len(known) > MAX_SELECTED_FIELDS:
        notes.append(
            f"the rules read {len(known)} fields, more than the {MAX_SELECTED_FIELDS} one read returns:"
            " a lead that needs one of the others shows as an error"
        )
    return known[:MAX_SELECTED_FIELDS]
