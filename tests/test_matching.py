"""Which rule a lead falls under: every operator, first match wins, and the reasons given."""

from __future__ import annotations

import textwrap

import pytest

from handlers.engine.matching import decide
from handlers.engine.rules import parse_rules

LEAD = {
    "Lead_Status": "Qualified",
    "Lead_Source": "Partner",
    "Annual_Revenue": 2500000.0,
    "Email": "jane@globex.com",
    "Country": None,
    "Owner": {"name": "Sam Seller", "id": "4876876000000002002"},
    "Interests": ["CRM", "Analytics"],
    "No_of_Employees": "250",
    "Created_Time": "2026-11-01T09:00:00+00:00",
}


def matches(condition: str, lead: dict | None = None) -> bool:
    rules = parse_rules(f"rules:\n  - name: r\n    when: {condition}\n")
    return decide(rules, lead or LEAD).rule is not None


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("{Lead_Status: Qualified}", True),
        ("{Lead_Status: qualified}", False),
        ("{Annual_Revenue: 2500000}", True),
        ("{No_of_Employees: 250}", True),
        ("{Owner.id: '4876876000000002002'}", True),
        ("{Owner.name: Sam Seller}", True),
        ("{Owner.email: x}", False),
        ("{Interests: Analytics}", True),
        ("{Lead_Source: {in: [Partner, Trade Show]}}", True),
        ("{Lead_Source: {in: [Web]}}", False),
        ("{Lead_Source: {not_in: [Web]}}", True),
        ("{Country: {not_in: [Testland]}}", True),
        ("{Lead_Source: {not: Partner}}", False),
        ("{Annual_Revenue: {gte: 2500000}}", True),
        ("{Annual_Revenue: {gt: 2500000}}", False),
        ("{Annual_Revenue: {lt: 3000000, gt: 1000000}}", True),
        ("{Annual_Revenue: {lte: 1000}}", False),
        ("{No_of_Employees: {gte: 100}}", True),
        ("{Country: {gte: 1}}", False),
        ("{Email: {gte: 1}}", False),
        ("{Created_Time: {gte: '2026-10-01'}}", True),
        ("{Created_Time: {lt: '2026-10-01'}}", False),
        ("{Email: {matches: '@(acme|globex)\\.com$'}}", True),
        ("{Email: {matches: '^globex'}}", False),
        ("{Country: {matches: '.*'}}", False),
        ("{Country: {exists: false}}", True),
        ("{Country: {exists: true}}", False),
        ("{Email: {exists: true}}", True),
        ("{Missing_Field: {exists: false}}", True),
        ("{Missing_Field: anything}", False),
    ],
)
def test_operators(condition, expected):
    assert matches(condition) is expected


def test_every_condition_of_a_rule_must_hold():
    assert matches("{Lead_Status: Qualified, Lead_Source: Partner}")
    assert not matches("{Lead_Status: Qualified, Lead_Source: Web}")


def test_the_first_matching_rule_wins_and_later_rules_are_not_evaluated():
    rules = parse_rules(
        textwrap.dedent(
            """
            rules:
              - {name: web, when: {Lead_Source: Web}}
              - {name: partner, when: {Lead_Source: Partner}}
              - {name: qualified, when: {Lead_Status: Qualified}}
            """
        )
    )
    decision = decide(rules, LEAD)
    assert decision.rule is not None
    assert decision.rule.name == "partner"
    assert [e.rule.name for e in decision.evaluations] == ["web", "partner"]


def test_no_match_names_each_rule_and_its_failing_condition():
    rules = parse_rules(
        "rules:\n"
        "  - {name: web, when: {Lead_Source: Web}}\n"
        "  - {name: big, when: {Annual_Revenue: {gt: 9000000000}}}\n"
    )
    decision = decide(rules, LEAD)
    assert decision.rule is None
    assert decision.no_match_reason() == (
        "no rule matches the lead (web: Lead_Source = 'Web' fails; big: Annual_Revenue gt 9000000000 fails)"
    )


def test_a_reason_names_an_empty_field_but_never_a_value():
    """Reasons are logged: they name fields and verdicts, not the lead's values (personal data)."""
    rules = parse_rules(
        "rules:\n  - {name: fax, when: {Fax: '123'}}\n  - {name: mail, when: {Email: {matches: 'z$'}}}\n"
    )
    reason = decide(rules, LEAD).no_match_reason()
    assert reason == (
        "no rule matches the lead (fax: Fax = '123' fails (the lead's field is empty); "
        "mail: Email matches 'z$' fails)"
    )
    assert str(LEAD.get("Email")) not in reason
