"""Which leads the sweep asks Zoho for, and what the rows Zoho answers can decide by themselves.

The sweep must decide every lead exactly as the webhook does. Two things make that hold:

- **The query only narrows.** A condition goes into the COQL query only in a form Zoho evaluates
  at least as loosely as the local matcher: an equality or `in` on a field whose type the org's
  metadata gives, with each value in the form that type takes (text and picklists quoted, numbers
  bare, lookups by id). Everything else (other operators, lookups by name, dotted lookup fields,
  multi-select fields, tags, numbers written on text fields, values with quotes, fields of unknown
  type) is left to local matching. A lead the query returns still has to match a rule locally, so
  leaving a condition out is always safe; pushing one that Zoho evaluated more strictly would
  silently lose leads, so the doubtful cases are never pushed.
- **A row decides only what it holds.** COQL answers a lookup as `{"id"}` and cannot read tags, so
  a row cannot answer `Owner: Sam Seller` or `Tag: VIP`; `answers` says which conditions a row can,
  and the sweep reads the lead in full (the webhook's own path) whenever the decision depends on
  one it cannot.

When the conditions do not fit one query (Zoho's limits, handlers.zoho.coql), a long `in` is split over
several queries and what still does not fit is matched locally. Only converting rules count: a lead
that matches nothing but a skip rule is never needed. Pages are read by key (`id > last id`,
ordered by id), not by OFFSET, so any number of leads can be reached (OFFSET stops at 100,000) and
leads converted meanwhile do not shift the pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from handlers.engine.matching import is_record_id, number
from handlers.engine.rules import Condition, Rule, RuleSet
from handlers.engine.templates import placeholders_in
from handlers.zoho.coql import (
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
from handlers.zoho.lead import Lead
from handlers.zoho.metadata import FieldInfo

WINDOW_CRITERIA = 3  # Modified_Time <, Modified_Time >=, id >
RULES_BUDGET = MAX_CRITERIA - WINDOW_CRITERIA
MAX_QUERIES = 10  # beyond this, pushing down less is cheaper than one more query per run

# The Leads field types whose values a query can carry, by the form the value takes.
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "picklist"})
WHOLE_NUMBER_TYPES = frozenset({"integer", "bigint"})
DECIMAL_TYPES = frozenset({"double", "currency", "percent", "decimal"})
LOOKUP_KEYS = ("Email", "Company")  # what a lead is looked up by among existing records
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup"})
# Whether COQL can select or filter tags is not documented: a rule that reads them reads the lead.
NEVER_SELECTED = frozenset({"Tag"})
MAX_WHOLE_NUMBER = 10**18  # within a bigint
MAX_DECIMAL_DIGITS = 15  # what a double holds exactly

FieldTypes = Mapping[str, FieldInfo]  # the org's Leads fields by API name


@dataclass(frozen=True)
class Window:
    """Leads modified at or after `since` and before `before` (the grace window's start)."""

    since: dt.datetime
    before: dt.datetime


@dataclass(frozen=True)
class Variant:
    """The pushed-down conditions of the rules named (one rule, or several with the same)."""

    rules: tuple[str, ...]
    node: Node


@dataclass(frozen=True)
class Query:
    """One COQL query of a run: the OR of its variants; none at all is the window alone."""

    variants: tuple[Variant, ...] = ()

    @property
    def filter(self) -> Node | None:
        return any_of(*(variant.node for variant in self.variants))

    @property
    def rules(self) -> tuple[str, ...]:
        """The rules whose leads this query reads (empty: the window alone reads every rule's)."""
        return tuple(dict.fromkeys(name for variant in self.variants for name in variant.rules))

    def split(self) -> tuple[Query, ...]:
        """One query per variant: what to try when Zoho refuses this one."""
        return tuple(Query((variant,)) for variant in self.variants)


WINDOW_ONLY = Query()


@dataclass(frozen=True)
class Queries:
    """The select list, the queries of one run, and what was left to local matching and why
    (`notes`, for check-rules)."""

    fields: tuple[str, ...]
    queries: tuple[Query, ...]
    notes: tuple[str, ...]

    def page_query(self, query: Query, window: Window, after_id: str | None, page_size: int) -> str:
        """One page: the window, the query's filter, and the key of the last lead already read."""
        where = all_of(
            Criterion("Modified_Time", ">=", (timestamp(window.since),)),
            Criterion("Modified_Time", "<", (timestamp(window.before),)),
            query.filter,
            Criterion("id", ">", (after_id,)) if after_id is not None else None,
        )
        assert where is not None
        return select(self.fields, where, order_by="id", limit=page_size)


def queries_for(rules: RuleSet, fields: FieldTypes | None) -> Queries:
    """`fields`: the org's Leads fields (None when they could not be read: nothing is pushed)."""
    notes: list[str] = []
    if fields is None:
        notes.append("the org's Leads fields are not known: every condition is matched locally")
    notes += full_reads(rules, fields)
    return Queries(selected_fields(rules.rules, fields, notes), _queries(rules, fields, notes), tuple(notes))


def full_reads(rules: RuleSet, fields: FieldTypes | None) -> list[str]:
    """The conditions no COQL row can answer, so that a lead reaching them is read in full (one
    more API call per such lead); `fields` tells which fields are lookups (`Owner` always is)."""
    notes = []
    for rule in rules.rules:
        for condition in rule.when:
            why = _unanswerable(condition, fields)
            if why is not None:
                notes.append(
                    f"rule {rule.name!r}: when.{condition.field}: {why}: each lead the query returns for"
                    " this rule is read in full before it is decided (1 API credit a lead)"
                )
    return notes


def _unanswerable(condition: Condition, fields: FieldTypes | None) -> str | None:
    """Why no COQL row answers the condition, if none does."""
    base, _, key = condition.field.partition(".")
    info = fields.get(base) if fields is not None else None
    lookup = base == "Owner" or (info is not None and info.data_type in LOOKUP_TYPES)
    if base in NEVER_SELECTED or base.startswith("$"):
        return f"COQL does not read {base}"
    if lookup and key and key != "id":
        return f"COQL answers the lookup {base} with its id only"
    if lookup and not key and not answers({base: {"id": "1"}}, condition):
        return f"COQL answers the lookup {base} with its id only, not its name"
    return None


# --- what a row answers -----------------------------------------------------------------------


def answers(row: Lead, condition: Condition) -> bool:
    """Whether a COQL row holds what the condition reads, as a full read of the lead would.

    A lookup comes back as `{"id"}`: it answers `Owner.id`, and `Owner` compared with ids or
    tested with `exists`, but not `Owner.name` nor `Owner` compared with a name or a pattern.
    """
    base, _, key = condition.field.partition(".")
    if base not in row:
        return False
    value = row[base]
    if not isinstance(value, Mapping):
        return True
    if key:
        return key in value
    if condition.operator == "exists":
        return True
    if condition.operator not in ("equals", "in", "not", "not_in"):
        return False
    expected = condition.expected if isinstance(condition.expected, tuple) else (condition.expected,)
    return all(("id" if is_record_id(item) else "name") in value for item in expected)


def answers_path(row: Lead, path: str) -> bool:
    """Whether a COQL row holds the value of a `{placeholder}` path as a full read would."""
    base, _, key = path.partition(".")
    if base not in row:
        return False
    value = row[base]
    return not isinstance(value, Mapping) or (bool(key) and key in value)


def placeholders(rule: Rule) -> list[str]:
    """Every `{Field}` path in the rule's deal."""
    return placeholders_in(rule.deal.values) if rule.deal is not None else []


# --- select list ------------------------------------------------------------------------------


def selected_fields(rules: Sequence[Rule], fields: FieldTypes | None, notes: list[str]) -> tuple[str, ...]:
    """`id`, `Owner`, `Modified_Time` (a lead edited since it last failed is due again), `Email`
    and `Company` when a rule matches existing records (the lookup's keys), then the fields the
    conditions read and the deal's placeholders, within 50: never tags, and, when the org's fields
    are known, only fields it has (Zoho refuses others)."""
    matching = any(rule.existing_records == "match" and not rule.skip for rule in rules)
    keys = [name for name in LOOKUP_KEYS if matching and (fields is None or name in fields)]
    if matching and len(keys) < len(LOOKUP_KEYS):
        notes.append(
            f"the org has no Leads field {' or '.join(n for n in LOOKUP_KEYS if n not in keys)}: leads of"
            " rules that match existing records are converted singly, each reading its conversion options"
        )
    wanted = [
        *_bases(c.field for rule in rules for c in rule.when),
        *_bases(p for rule in rules for p in placeholders(rule)),
    ]
    selectable = [
        name
        for name in dict.fromkeys(wanted)
        if name not in NEVER_SELECTED
        and field_usable(name)
        and not name.startswith("$")
        and (fields is None or name in fields)
    ]
    chosen = list(dict.fromkeys(["id", "Owner", "Modified_Time", *keys, *selectable]))
    if len(chosen) > MAX_SELECTED_FIELDS:
        notes.append(
            f"the rules read {len(chosen)} fields, more than the {MAX_SELECTED_FIELDS} a COQL query may"
            " select: a lead that needs one of the others is read in full before it is decided"
        )
        chosen = chosen[:MAX_SELECTED_FIELDS]
    unread = [
        name
        for name in dict.fromkeys(wanted)
        if name not in chosen and name not in NEVER_SELECTED and not name.startswith("$")
    ]
    if unread:
        notes.append(
            f"COQL does not read {', '.join(unread)}: a lead whose decision needs them is read in full"
        )
    return tuple(chosen)


def _bases(paths: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(path.split(".")[0] for path in paths))


# --- queries ----------------------------------------------------------------------------------


def _queries(rules: RuleSet, fields: FieldTypes | None, notes: list[str]) -> tuple[Query, ...]:
    """OR over the converting rules of the AND of their pushable conditions, packed into queries
    that each stay within Zoho's criteria limit; the window alone when no filter can narrow it."""
    converting = [rule for rule in rules.rules if not rule.skip]
    per_rule: list[tuple[Rule, list[Criterion]]] = []
    for rule in converting:
        criteria = _pushable_criteria(rule, fields, notes)
        if not criteria:
            notes.append(
                f"rule {rule.name!r} has no condition a COQL query can carry: the window alone is read"
            )
            return (WINDOW_ONLY,)
        per_rule.append((rule, criteria))
    if not per_rule:
        return (WINDOW_ONLY,)
    variants = [Variant((rule.name,), node) for rule, criteria in per_rule for node in _fit(criteria, notes)]
    queries = _pack(variants)
    if len(queries) <= MAX_QUERIES:
        return queries
    first = per_rule[0][1]
    common = [c for c in first if all(c in criteria for _, criteria in per_rule[1:])]
    notes.append(
        f"the rules' conditions would need {len(queries)} COQL queries per run:"
        + (
            " only the conditions every rule shares are pushed down"
            if common
            else " the window alone is read"
        )
    )
    if not common:
        return (WINDOW_ONLY,)
    names = tuple(rule.name for rule, _ in per_rule)
    return _pack([Variant(names, node) for node in _fit(common, notes)])


def _pushable_criteria(rule: Rule, fields: FieldTypes | None, notes: list[str]) -> list[Criterion]:
    criteria = []
    for condition in rule.when:
        if condition.operator not in ("equals", "in") or fields is None:
            continue
        criterion = _criterion(condition, fields)
        if isinstance(criterion, str):
            if _unanswerable(condition, fields) is not None:
                continue  # said once, by full_reads
            notes.append(f"rule {rule.name!r}: when.{condition.field} is matched locally: {criterion}")
        else:
            criteria.append(criterion)
    return criteria


def _criterion(condition: Condition, fields: FieldTypes) -> Criterion | str:
    """The condition as a criterion Zoho evaluates at least as loosely as the local matcher does,
    or why the field's type or one of the values does not allow it."""
    base, _, key = condition.field.partition(".")
    info = fields.get(base)
    if info is None:
        return "the org has no such Leads field"
    if base in NEVER_SELECTED:
        return f"COQL does not read {base}"
    if not field_usable(base):
        return "its name is a COQL keyword"
    if key and not (key == "id" and info.data_type in LOOKUP_TYPES):
        return "COQL reads a lookup by its id only"
    values = condition.expected if condition.operator == "in" else (condition.expected,)
    literals: list[str] = []
    for value in values:
        forms = _literals(value, info)
        if isinstance(forms, str):  # one value the query cannot carry: pushing the others would lose leads
            return forms
        literals += forms
    unique = tuple(dict.fromkeys(literals))
    bare = info.data_type in WHOLE_NUMBER_TYPES | DECIMAL_TYPES
    return Criterion(base, "=" if len(unique) == 1 else "in", unique, bare=bare)


def _literals(value: object, info: FieldInfo) -> list[str] | str:
    """The value as the field's type takes it in a query (a picklist value with every form of the
    options it names, since which form COQL compares is not settled), or why it cannot go."""
    kind = info.data_type
    if kind in TEXT_TYPES:
        return _texts(value, info)
    if kind in LOOKUP_TYPES:
        return [str(value)] if is_record_id(value) else "COQL compares a lookup by its id, not its name"
    exact = number(value)
    if kind in WHOLE_NUMBER_TYPES and exact is not None:
        whole = exact == exact.to_integral_value() and abs(exact) < MAX_WHOLE_NUMBER
        return [str(int(exact))] if whole else f"{value!r} is not a whole number a {kind} field holds"
    if kind in DECIMAL_TYPES and exact is not None:
        if _digits(exact) <= MAX_DECIMAL_DIGITS:
            return [_decimal_text(exact)]
        return f"{value!r} has more digits than a {kind} field holds exactly"
    if kind in WHOLE_NUMBER_TYPES | DECIMAL_TYPES:
        return f"{value!r} is not a number"
    return f"COQL equality on a {kind} field is not known to match as the rules do"


def _texts(value: object, info: FieldInfo) -> list[str] | str:
    if not isinstance(value, str) or not value:
        return f"{value!r} on a {info.data_type} field"
    if value != value.strip():
        return "a value with spaces around it"
    if number(value) is not None:  # "7" equals "7.0" locally, by value; COQL compares text
        return "text that spells a number is matched by value"
    forms = [value]
    for choice in info.choices:
        if value in (choice.display, choice.actual):
            forms += [choice.display, choice.actual]
    if not all(quotable(form) and form for form in forms):
        return "a value with a quote or backslash"
    return forms


def _decimal_text(exact: Decimal) -> str:
    if exact == exact.to_integral_value():
        return str(int(exact))
    return format(exact.normalize(), "f")


def _digits(exact: Decimal) -> int:
    """Significant digits, counting those before the point (1.5e20 is 21 digits)."""
    _, digits, exponent = exact.normalize().as_tuple()
    assert isinstance(exponent, int)
    return max(len(digits), len(digits) + exponent)


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
    return [_and([*base, Criterion(split.field, "in", chunk, bare=split.bare)]) for chunk in chunks]


def _and(criteria: list[Criterion]) -> Node:
    node = all_of(*criteria)
    assert node is not None
    return node


def _pack(variants: list[Variant]) -> tuple[Query, ...]:
    """First-fit decreasing: OR-groups of variants, each within the rules' share of 25 criteria;
    rules with the same pushed-down conditions share one variant."""
    merged: dict[Node, tuple[str, ...]] = {}
    for variant in variants:
        merged[variant.node] = tuple(dict.fromkeys([*merged.get(variant.node, ()), *variant.rules]))
    bins: list[list[Variant]] = []
    for node, names in sorted(merged.items(), key=lambda item: -item[0].weight):
        variant = Variant(names, node)
        for group in bins:
            if sum(member.node.weight for member in group) + node.weight <= RULES_BUDGET:
                group.append(variant)
                break
        else:
            bins.append([variant])
    return tuple(Query(tuple(group)) for group in bins) or (WINDOW_ONLY,)
