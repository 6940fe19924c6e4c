"""Which leads the sweep asks Zoho for: a COQL query pushed down from the rules' conditions.

Equality and `in` conditions on plain fields go into the query; every other condition is checked
locally, on the returned records, by the same matcher the webhook uses. Only rules that convert
count: a lead that matches nothing but a skip rule is never needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handlers.rules import Condition, Rule, RuleSet
from handlers.templates import Placeholder, Template

PAGE_SIZE = 2000  # COQL's largest page
ALWAYS_SELECTED = ("Owner", "Modified_Time", "Last_Name", "Company", "Email")


def candidate_query(
    rules: RuleSet,
    modified_before: dt.datetime,
    modified_after: dt.datetime | None,
    offset: int,
) -> str:
    fields = ", ".join(selected_fields(rules))
    where = [f"Modified_Time < {_literal(_timestamp(modified_before))}"]
    if modified_after is not None:
        where.append(f"Modified_Time > {_literal(_timestamp(modified_after))}")
    pushed = _rules_filter(rules)
    if pushed:
        where.append(pushed)
    # Field names passed the rules loader's API-name check and values are quoted by _literal.
    return f"select {fields} from Leads where {' and '.join(where)} limit {offset}, {PAGE_SIZE}"  # noqa: S608


def selected_fields(rules: RuleSet) -> list[str]:
    """`id` plus every field a condition or a deal placeholder reads (the base of dotted paths)."""
    fields: dict[str, None] = {"id": None}
    for name in ALWAYS_SELECTED:
        fields[name] = None
    for rule in rules.rules:
        for condition in rule.when:
            fields[condition.field.split(".")[0]] = None
        for placeholder in _placeholders(rule):
            fields[placeholder.split(".")[0]] = None
    return list(fields)


def query_records_are_complete(rules: RuleSet) -> bool:
    """Whether a COQL record holds everything the rules read (lookups give their id only)."""
    paths = [c.field for rule in rules.rules for c in rule.when]
    paths += [p for rule in rules.rules for p in _placeholders(rule)]
    return all("." not in path or path.endswith(".id") for path in paths)


def _rules_filter(rules: RuleSet) -> str | None:
    """OR over the converting rules of the AND of their pushable conditions; None when a
    converting rule has no pushable condition (then only the time window narrows the query)."""
    terms: list[str] = []
    for rule in rules.rules:
        if rule.skip:
            continue
        pushable = [_criterion(c) for c in rule.when if _pushable(c)]
        if not pushable:
            return None
        terms.append("(" + " and ".join(pushable) + ")")
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else "(" + " or ".join(terms) + ")"


def _pushable(condition: Condition) -> bool:
    if "." in condition.field or condition.operator not in ("equals", "in"):
        return False
    values = condition.expected if condition.operator == "in" else (condition.expected,)
    return all(isinstance(value, str) and value for value in values)


def _criterion(condition: Condition) -> str:
    if condition.operator == "in":
        return f"{condition.field} in ({', '.join(_literal(value) for value in condition.expected)})"
    return f"{condition.field} = {_literal(condition.expected)}"


def _placeholders(rule: Rule) -> list[str]:
    if rule.deal is None:
        return []
    found: list[str] = []
    _collect(list(rule.deal.fields.values()), found)
    return found


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, Template):
        found.extend(part.field for part in value.parts if isinstance(part, Placeholder))
    elif isinstance(value, dict):
        _collect(list(value.values()), found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
