"""Which rule a lead falls under: the first rule whose conditions all hold, with the reasons why."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.lead import Lead, field_value
from handlers.rules import Condition, Operator, Rule, RuleSet


@dataclass(frozen=True)
class Check:
    """One condition evaluated against the lead's actual value."""

    condition: Condition
    actual: Any
    holds: bool

    def describe(self) -> str:
        verdict = "holds" if self.holds else "fails"
        return f"{self.condition.describe()} {verdict} (lead has {self.actual!r})"


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
                failures.append(f"{evaluation.rule.name}: {failure.describe()}")
        return "no rule matches the lead (" + "; ".join(failures) + ")"


def decide(rules: RuleSet, lead: Lead) -> Decision:
    evaluations: list[RuleEvaluation] = []
    for rule in rules.rules:
        evaluation = evaluate(rule, lead)
        evaluations.append(evaluation)
        if evaluation.matches:
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
    """Equality as an admin means it: numbers by value, a multi-select field holds any of its values."""
    if isinstance(actual, list):
        return any(_equals(item, expected) for item in actual)
    if isinstance(actual, dict):
        return _equals(actual.get("name"), expected) or _equals(actual.get("id"), expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    actual_number, expected_number = _number(actual), _number(expected)
    if actual_number is not None and expected_number is not None:
        return actual_number == expected_number
    return bool(actual == expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _compare(predicate: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Numbers compare as numbers, text (such as ISO dates) as text; anything else never holds."""

    def holds(actual: Any, expected: Any) -> bool:
        actual_number, expected_number = _number(actual), _number(expected)
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
