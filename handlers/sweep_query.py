"""Which leads the sweep asks Zoho for: the rules' conditions pushed down into COQL queries.

Equality and `in` conditions on plain fields go into the query; every other condition is checked
locally, on the returned records, by the matcher the webhook uses. The pushed-down filter only
narrows the candidates (a lead it returns still has to match a rule locally), so leaving a
condition out is always safe, and that is what happens whenever a query would break one of
Zoho's limits: a long `in` list is split over several queries, and what still does not fit is
matched locally. Only converting rules count: a lead that matches nothing but a skip rule is
never needed.

Pages are read by key (`id > last id`, ordered by id), not by OFFSET, so any number of leads can
be reached (OFFSET stops at 100,000) and leads converted meanwhile do not shift the pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.coql import (
    MAX_CRITERIA,
    MAX_IN_VALUES,
    MAX_SELECTED_FIELDS,
    Criterion,
    Node,
    all_of,
    any_of,
    field_usable,
    quotable,
    select,
    timestamp,
)
from handlers.rules import Condition, Rule, RuleSet
from handlers.templates import placeholders_in

WINDOW_CRITERIA = 3  # Modified_Time <, Modified_Time >=, id >
RULES_BUDGET = MAX_CRITERIA - WINDOW_CRITERIA
MAX_QUERIES = 10  # beyond this, pushing down less is cheaper than one more query per run


@dataclass(frozen=True)
class Window:
    """Leads modified at or after `since` and before `before` (the grace window's start)."""

    since: dt.datetime
    before: dt.datetime


@dataclass(frozen=True)
class QueryPlan:
    """The select list, one rules filter per query (None: the window alone), and what a record holds.

    `complete`: the records hold every field a rule's conditions and deal placeholders read, so
    a lead can be decided and converted from its record; otherwise it is re-read first.
    `decidable`: the records hold every field the conditions read.
    `notes`: what was left to local matching and why, for check-rules and the summary.
    """

    fields: tuple[str, ...]
    filters: tuple[Node | None, ...]
    complete: bool
    decidable: bool
    notes: tuple[str, ...]

    def page_query(self, filter_: Node | None, window: Window, after_id: str | None, page_size: int) -> str:
        """One page: the window, the rules filter, and the key of the last lead already read."""
        where = all_of(
            Criterion("Modified_Time", ">=", (timestamp(window.since),)),
            Criterion("Modified_Time", "<", (timestamp(window.before),)),
            filter_,
            Criterion("id", ">", (after_id,)) if after_id is not None else None,
        )
        assert where is not None
        return select(self.fields, where, order_by="id", limit=page_size)


def plan_queries(rules: RuleSet) -> QueryPlan:
    notes: list[str] = []
    fields, complete, decidable = _selected_fields(rules, notes)
    return QueryPlan(fields, _filters(rules, notes), complete, decidable, tuple(notes))


def reads_record_fields_only(rule: Rule) -> bool:
    """Whether everything the rule reads is in a COQL record of a complete plan: COQL answers
    lookups as {"id"}, so `Owner.id` is there and `Owner.name` is not."""
    paths = [condition.field for condition in rule.when] + placeholders(rule)
    return all("." not in path or path.endswith(".id") for path in paths)


def record_is_enough(rule: Rule) -> bool:
    """Whether a single Convert of this rule can be built from a COQL record of a complete plan;
    tags are not selected, so a rule that carries tags over needs the lead read in full."""
    return reads_record_fields_only(rule) and not rule.carry_over_tags


# --- select list ------------------------------------------------------------------------------


def _selected_fields(rules: RuleSet, notes: list[str]) -> tuple[tuple[str, ...], bool, bool]:
    """`id`, `Owner` and the bases of every field the conditions and placeholders read, within 50."""
    conditions = _bases(c.field for rule in rules.rules for c in rule.when)
    deal = _bases(p for rule in rules.rules for p in placeholders(rule))
    full = dict.fromkeys(["id", "Owner", *conditions, *deal])
    if len(full) <= MAX_SELECTED_FIELDS:
        return tuple(full), True, True
    notes.append(
        f"the rules read {len(full)} fields, more than the {MAX_SELECTED_FIELDS} a COQL query may select:"
        " deal fields are read with each lead before it converts"
    )
    decisive = dict.fromkeys(["id", "Owner", *conditions])
    if len(decisive) <= MAX_SELECTED_FIELDS:
        return tuple(decisive), False, True
    notes.append("the conditions alone read more than 50 fields: every lead in the window is read in full")
    return ("id",), False, False


def _bases(paths: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(path.split(".")[0] for path in paths))


def placeholders(rule: Rule) -> list[str]:
    """Every `{Field}` path in the rule's deal."""
    return placeholders_in(rule.deal.values) if rule.deal is not None else []


# --- rules filter -----------------------------------------------------------------------------


def _filters(rules: RuleSet, notes: list[str]) -> tuple[Node | None, ...]:
    """OR over the converting rules of the AND of their pushable conditions, split into queries
    that each stay within Zoho's criteria limit; (None,) when no filter can narrow the window."""
    converting = [rule for rule in rules.rules if not rule.skip]
    per_rule: list[list[Criterion]] = []
    for rule in converting:
        criteria = _pushable_criteria(rule, notes)
        if not criteria:
            notes.append(
                f"rule {rule.name!r} has no condition a COQL query can carry: the window alone is read"
            )
            return (None,)
        per_rule.append(criteria)
    if not per_rule:
        return (None,)
    variants = [variant for criteria in per_rule for variant in _fit(criteria, notes)]
    queries = _pack(variants)
    if len(queries) <= MAX_QUERIES:
        return tuple(queries)
    common = [c for c in per_rule[0] if all(c in criteria for criteria in per_rule[1:])]
    notes.append(
        f"the rules' conditions would need {len(queries)} COQL queries per run:"
        + (
            " only the conditions every rule shares are pushed down"
            if common
            else " the window alone is read"
        )
    )
    return tuple(_pack(_fit(common, notes))) if common else (None,)


def _pushable_criteria(rule: Rule, notes: list[str]) -> list[Criterion]:
    criteria = []
    for condition in rule.when:
        criterion = _criterion(condition)
        if criterion is None:
            continue
        if not all(quotable(value) for value in criterion.values):
            notes.append(
                f"rule {rule.name!r}: {condition.field} has a value with a quote or backslash:"
                " matched locally"
            )
            continue
        criteria.append(criterion)
    return criteria


def _criterion(condition: Condition) -> Criterion | None:
    if not field_usable(condition.field) or condition.operator not in ("equals", "in"):
        return None
    values = condition.expected if condition.operator == "in" else (condition.expected,)
    if not all(isinstance(value, str) and value for value in values):
        return None
    if condition.operator == "in":
        return Criterion(condition.field, "in", tuple(dict.fromkeys(values)))
    return Criterion(condition.field, "=", (values[0],))


def _fit(criteria: list[Criterion], notes: list[str]) -> list[Node]:
    """One rule's criteria as one or more AND-groups within the budget (a long `in` is split)."""
    equalities = [c for c in criteria if c.operator != "in"]
    if len(equalities) > RULES_BUDGET:
        notes.append(
            f"{len(equalities) - RULES_BUDGET} equality conditions beyond {RULES_BUDGET} are matched locally"
        )
        equalities = equalities[:RULES_BUDGET]
    room = RULES_BUDGET - len(equalities)
    kept: list[Criterion] = []
    too_long: list[Criterion] = []
    for criterion in sorted((c for c in criteria if c.operator == "in"), key=lambda c: c.weight):
        if criterion.weight <= min(room, MAX_IN_VALUES):
            kept.append(criterion)
            room -= criterion.weight
        else:
            too_long.append(criterion)
    base = [*equalities, *kept]
    if not too_long or room < 1:
        notes.extend(f"{c.field} in ({c.weight} values) is matched locally" for c in too_long)
        return [_and(base)]
    split, *dropped = too_long
    notes.extend(f"{c.field} in ({c.weight} values) is matched locally" for c in dropped)
    size = min(room, MAX_IN_VALUES)
    chunks = [split.values[start : start + size] for start in range(0, len(split.values), size)]
    notes.append(f"{split.field} in ({split.weight} values) is split over {len(chunks)} queries")
    return [_and([*base, Criterion(split.field, "in", chunk)]) for chunk in chunks]


def _and(criteria: list[Criterion]) -> Node:
    node = all_of(*criteria)
    assert node is not None
    return node


def _pack(variants: list[Node]) -> list[Node | None]:
    """First-fit decreasing: OR-groups of variants, each within the rules' share of 25 criteria."""
    bins: list[list[Node]] = []
    for variant in sorted(dict.fromkeys(variants), key=lambda node: -node.weight):
        for group in bins:
            if sum(node.weight for node in group) + variant.weight <= RULES_BUDGET:
                group.append(variant)
                break
        else:
            bins.append([variant])
    return [any_of(*group) for group in bins] or [None]
