"""What a valid rules file does that its author probably did not mean: warnings and notes.

The loader (handlers.engine.rules) refuses what cannot work; these findings are about what works but
surprises: a rule no lead can reach, a skip rule that comes too late, a converting rule that
ignores the lead's status, conditions the sweep has to match locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.engine.payload import DEAL_TEXT_LENGTHS
from handlers.engine.rules import Condition, Rule, RuleSet
from handlers.engine.templates import Placeholder, Template
from handlers.errors import in_rules
from handlers.sweep.query import FieldTypes, full_reads, queries_for

STATUS_FIELD = "Lead_Status"


@dataclass(frozen=True)
class Finding:
    level: Literal["warning", "note"]
    source: str
    rule: str | None
    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {in_rules(self.source, self.rule, self.key, self.message)}"


def check(rules: RuleSet, fields: FieldTypes | None = None) -> list[Finding]:
    """`fields`: the org's Leads fields, when the check runs against the org (check-rules --org)."""
    return [
        *_reachability(rules),
        *_status_conditions(rules),
        *_deal_text_lengths(rules),
        *_sweep_notes(rules, fields),
    ]


def _reachability(rules: RuleSet) -> list[Finding]:
    findings = []
    for index, later in enumerate(rules.rules):
        for earlier in rules.rules[:index]:
            if set(earlier.when) <= set(later.when):
                findings.append(
                    Finding(
                        "warning",
                        rules.source,
                        later.name,
                        "when",
                        f"unreachable: rule {earlier.name!r} comes first and matches every lead this"
                        " one matches",
                    )
                )
                break
            if later.skip and not earlier.skip and not _exclusive(earlier, later):
                findings.append(
                    Finding(
                        "warning",
                        rules.source,
                        later.name,
                        "skip",
                        f"rule {earlier.name!r} comes first and converts the leads that match both"
                        " (this skip rule never sees them): put the skip rule before it",
                    )
                )
                break
    return findings


def _exclusive(first: Rule, second: Rule) -> bool:
    """Whether no lead can match both: an equality or `in` on the same field with no value in common."""
    for a in first.when:
        for b in second.when:
            values_a, values_b = _values(a), _values(b)
            if (
                a.field == b.field
                and values_a is not None
                and values_b is not None
                and not values_a & values_b
            ):
                return True
    return False


def _values(condition: Condition) -> set[object] | None:
    if condition.operator == "equals":
        return {condition.expected}
    if condition.operator == "in":
        return set(condition.expected)
    return None


def _status_conditions(rules: RuleSet) -> list[Finding]:
    return [
        Finding(
            "warning",
            rules.source,
            rule.name,
            "when",
            f"no condition on {STATUS_FIELD}: the sweep converts every lead this rule matches,"
            " whatever its status",
        )
        for rule in rules.rules
        if not rule.skip and all(c.field.split(".")[0] != STATUS_FIELD for c in rule.when)
    ]


def _deal_text_lengths(rules: RuleSet) -> list[Finding]:
    """Deal text Zoho would refuse as too long is cut at conversion: always, when the rule's own
    text is too long (a warning); when a lead's values are long, for a placeholder (a note)."""
    findings = []
    for rule in rules.rules:
        values = dict(rule.deal.fields) if rule.deal is not None else {}
        for name, longest in DEAL_TEXT_LENGTHS.items():
            value = values.get(name)
            parts = value.parts if isinstance(value, Template) else (value,) if isinstance(value, str) else ()
            text = sum(len(part) for part in parts if isinstance(part, str))
            key = f"deal.{name}"
            if text > longest:
                message = f"its own text is {text} characters; Zoho takes at most {longest}: it is always cut"
                findings.append(Finding("warning", rules.source, rule.name, key, message))
            elif any(isinstance(part, Placeholder) for part in parts):
                message = (
                    f"a lead's values can make it longer than the {longest} characters Zoho takes"
                    " (Company holds up to 200): it is then cut, and the log line says so"
                )
                findings.append(Finding("note", rules.source, rule.name, key, message))
    return findings


def _sweep_notes(rules: RuleSet, fields: FieldTypes | None) -> list[Finding]:
    """What the sweep matches locally and reads in full. Which conditions COQL can carry depends
    on the types of the org's fields: without them, only what no type changes is said."""
    notes = queries_for(rules, fields).notes if fields is not None else full_reads(rules, None)
    return [Finding("note", rules.source, None, None, f"the sweep: {note}") for note in notes]
