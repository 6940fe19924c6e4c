"""The one decision path (handlers/engine/plan.py), as a table: a lead, the rules, what is done.

The webhook, `explain`, `convert --dry-run` and the sweep all decide through `plan_lead`; each
row below is one case of that specification: the action, the rule that decided it, and the reason
or the request. Lower levels (each condition, each key of the body) have their own tables in
test_matching.py and test_payload.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.engine.plan import absent_fields, plan_lead
from handlers.engine.rules import parse_rules
from handlers.errors import Misconfigured
from tests.conftest import SAM

LEAD_ID = "4876876000000100001"
NOON_UTC = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
RULES = parse_rules(
    """
rules:
  - name: never-convert-tests
    when: {Email: {matches: '@test\\.invalid$'}}
    skip: true
  - name: partners
    when: {Lead_Status: Qualified, Lead_Source: Partner}
    deal: {Deal_Name: "{Company} (partner)", Stage: Qualification, Closing_Date: +30d}
    assign_to: lead_owner
  - name: qualified
    when: {Lead_Status: Qualified}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Closing_Date: +14d}
"""
)
LEAD = {
    "Company": "Globex",
    "Last_Name": "Doe",
    "Email": "jane@globex.example",
    "Lead_Status": "Qualified",
    "Lead_Source": "Web",
    "Owner": {"name": "Sam Seller", "id": SAM},
}


def lead(**changes: object) -> dict[str, object]:
    return {**LEAD, **changes}


# (case, lead, action, rule, reason or the deal sent)
TABLE = [
    ("the first rule that holds wins", lead(), "convert", "qualified", {"Deal_Name": "Globex"}),
    (
        "an earlier rule wins over a later one",
        lead(Lead_Source="Partner"),
        "convert",
        "partners",
        {"Deal_Name": "Globex (partner)"},
    ),
    (
        "a skip rule first stops every later rule",
        lead(Email="qa@test.invalid", Lead_Source="Partner"),
        "skip",
        "never-convert-tests",
        "rule 'never-convert-tests' says skip",
    ),
    (
        "no rule holds: skipped, naming each rule's failing condition",
        lead(Lead_Status="Contacted"),
        "skip",
        None,
        "no rule matches the lead (never-convert-tests: Email matches '@test\\.invalid$' fails;"
        " partners: Lead_Status = 'Qualified' fails; qualified: Lead_Status = 'Qualified' fails)",
    ),
    (
        "an empty field is no match, not an error, and the reason says it is empty",
        lead(Lead_Status=None),
        "skip",
        None,
        "no rule matches the lead (never-convert-tests: Email matches '@test\\.invalid$' fails;"
        " partners: Lead_Status = 'Qualified' fails (the lead's field is empty);"
        " qualified: Lead_Status = 'Qualified' fails (the lead's field is empty))",
    ),
    (
        "a converted lead is never converted again, whatever the rules say",
        lead(**{"$converted": True}),
        "already_converted",
        None,
        "the lead was converted before",
    ),
]


@pytest.mark.parametrize(
    ("record", "action", "rule", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_the_decision(record: dict[str, object], action: str, rule: str | None, expected: object) -> None:
    plan = plan_lead(RULES, LEAD_ID, record, NOON_UTC, legacy=False)

    assert plan.action == action
    assert (plan.rule.name if plan.rule else None) == rule
    if action == "convert":
        assert plan.request is not None
        assert plan.reason is None
        deal = plan.request.body["data"][0]["Deals"]
        assert {key: deal[key] for key in expected} == expected
    else:
        assert plan.request is None
        assert plan.reason == expected


def test_the_decision_lists_every_rule_evaluated_up_to_the_winner() -> None:
    plan = plan_lead(RULES, LEAD_ID, lead(), NOON_UTC, legacy=False)

    assert plan.decision is not None
    assert [evaluation.rule.name for evaluation in plan.decision.evaluations] == [
        "never-convert-tests",
        "partners",
        "qualified",
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({k: v for k, v in LEAD.items() if k != "Lead_Status"}, "has no Lead_Status field"),
        ({k: v for k, v in LEAD.items() if k != "Company"}, "fills the deal from Company"),
    ],
    ids=["a field a condition reads", "a field the deal's name reads"],
)
def test_a_lead_read_without_a_field_the_rules_need_is_a_setup_problem(
    record: dict[str, object], message: str
) -> None:
    """Zoho leaves out the fields the token's user may not see: every lead would look alike."""
    with pytest.raises(Misconfigured, match=message):
        plan_lead(RULES, LEAD_ID, record, NOON_UTC, legacy=False)


def test_absent_fields_are_the_ones_the_conditions_read_and_the_lead_lacks() -> None:
    record = {k: v for k, v in LEAD.items() if k not in ("Email", "Lead_Source")}

    assert absent_fields(RULES, record) == ["Email", "Lead_Source"]
