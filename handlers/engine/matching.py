"""Which rule a lead falls under: the first rule whose conditions all hold, with the reasons why."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.engine.rules import Condition, Operator, Rule, RuleSet
from handlers.zoho.lead import Lead, field_value


@dataclass(frozen=True)
class Check:
    """One condition evaluated against the lead's actual value."""

    condition: Condition
    actual: Any
    holds: bool

    def describe(self) -> str:
        """The check with the lead's value, for whoever holds the CRM credentials (`explain`)."""
        verdict = "holds" if self.holds else "fails"
        return f"{self.condition.describe()} {verdict} (lead has {self.actual!r})"

    def verdict(self) -> str:
        """The check without the lead's value, for reasons that are logged and answered: the
        condition in the rules' own words, whether it holds, and whether the field is empty. A
        lead's values are personal data (names, emails, phone numbers); `explain` shows them."""
        verdict = "holds" if self.holds else "fails"
        empty = " (the lead's field is empty)" if _is_empty(self.actual) else ""
        return f"{self.condition.describe()} {verdict}{empty}"


@dataclass(frozen=True)
class RuleEvaluation:
    rule: Rule
    checks: tuple[Check, ...]

    @property
    def matches(self) -> bool:
        return all(check.holds for check in self.checks)

    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.holds), None)


@dataclass(frozen=True)
class Decision:
    """The winning rule (None when no rule matches) and every rule evaluated before it."""

    rule: Rule | None
    evaluations: tuple[RuleEvaluation, ...]

    def no_match_reason(self) -> str:
        failures = []
        for evaluation in self.evaluations:
            failure = evaluation.first_failure()
            if failure is not None:
                failures.append(f"{evaluation.rule.name}: {failure.verdict()}")
        return "no rule matches the lead (" + "; ".join(failures) + ")"


def decide(rules: RuleSet, lead: Lead) -> Decision:
    evaluations: list[RuleEvaluation] = []
    for rule in rules.rules:
        evaluation = evaluate(rule, lead)
        evaluations.append(evaluation)
        if evaluation.matches:
            return Decision(rule, tuple(evaluations))
    return Decision(None, tuple(evaluations))


def decide_partly(rules: RuleSet, lead: Lead, answers: Callable[[Condition], bool]) -> Decision | None:
    """What `decide` would say on the full record, from a record that holds only some fields
    (a COQL row); None when it depends on a condition the record cannot `answers`.

    A rule fails as soon as a condition the record answers fails, whatever the others would say;
    it wins when the record answers every condition and each holds. The first rule that is
    neither leaves the decision open, so no later rule can win in its place.
    """
    evaluations: list[RuleEvaluation] = []
    for rule in rules.rules:
        checks, open_ = [], False
        for condition in rule.when:
            if not answers(condition):
                open_ = True
                continue
            actual = field_value(lead, condition.field)
            checks.append(Check(condition, actual, condition_holds(condition, actual)))
        evaluation = RuleEvaluation(rule, tuple(checks))
        evaluations.append(evaluation)
        if not evaluation.matches:
            continue
        if open_:
            return None
        return Decision(rule, tuple(evaluations))
    return Decision(None, tuple(evaluations))


def evaluate(rule: Rule, lead: Lead) -> RuleEvaluation:
    checks = []
    for condition in rule.when:
        actual = field_value(lead, condition.field)
        checks.append(Check(condition, actual, condition_holds(condition, actual)))
    return RuleEvaluation(rule, tuple(checks))


def condition_holds(condition: Condition, actual: Any) -> bool:
    return _OPERATORS[condition.operator](actual, condition.expected)


def _equals(actual: Any, expected: Any) -> bool:
    """Equality as an admin means it: numbers by value, a multi-select field holds any of its
    values, a lookup (`Owner`) equals its id when the value is an id (digits), its name otherwise."""
    if isinstance(actual, list):
        return any(_equals(item, expected) for item in actual)
    if isinstance(actual, dict):
        return _equals(actual.get("id" if is_record_id(expected) else "name"), expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    actual_number, expected_number = number(actual), number(expected)
    if actual_number is not None and expected_number is not None:
        return actual_number == expected_number
    return bool(actual == expected)


RECORD_ID = re.compile(r"[1-9][0-9]{0,24}")


def is_record_id(value: Any) -> bool:
    """A value a rule gives as a record id: digits, as text or a whole number (not a bool)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0 and RECORD_ID.fullmatch(str(value)) is not None
    return isinstance(value, str) and RECORD_ID.fullmatch(value) is not None


def number(value: Any) -> Decimal | None:
    """A finite number, exactly: 19-digit ids stay apart and a 400-digit value does not overflow.
    A float counts as the decimal it prints as (0.1 is 0.1), text as the number it spells."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        exact = Decimal(repr(value) if isinstance(value, float) else value)
    except (InvalidOperation, ValueError):
        return None
    return exact if exact.is_finite() else None


def _compare(predicate: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Numbers compare as numbers, text (such as ISO dates) as text; anything else never holds."""

    def holds(actual: Any, expected: Any) -> bool:
        actual_number, expected_number = number(actual), number(expected)
        if actual_number is not None and expected_number is not None:
            return predicate(actual_number, expected_number)
        if isinstance(actual, str) and isinstance(expected, str):
            return predicate(actual, expected)
        return False

    return holds


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


_OPERATORS: dict[Operator, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "not": lambda actual, expected: not _equals(actual, expected),
    "in": lambda actual, expected: any(_equals(actual, item) for item in expected),
    "not_in": lambda actual, expected: not any(_equals(actual, item) for item in expected),
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
    "matches": lambda actual, pattern: not _is_empty(actual) and pattern.search(str(actual)) is not None,
    "exists": lambda actual, expected: (not _is_empty(actual)) is expected,
}
