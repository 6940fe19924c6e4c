"""The webhook and workflow rule `connect` wants (handlers/setup/desired.py), built from the rules."""

from __future__ import annotations

import textwrap

import pytest

from handlers.engine.rules import load_rules
from handlers.setup.desired import LEAD_ID_BODY, rule, trigger_for, webhook
from handlers.zoho.metadata import Choice, FieldInfo

STATUS = FieldInfo(
    "Lead_Status",
    "picklist",
    (
        Choice("Qualified", "Qualified"),
        Choice("Ready for sales", "Sales_Ready"),
        Choice("Contacted", "Contacted"),
    ),
)


@pytest.fixture
def rules(tmp_path):
    def load(text: str):
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(text))
        return load_rules(path)

    return load


def test_the_rule_fires_at_the_statuses_the_converting_rules_convert_at(rules):
    trigger = trigger_for(
        rules("""
        rules:
          - {name: tests, when: {Lead_Status: Contacted, Email: {matches: 'test'}}, skip: true}
          - {name: big, when: {Lead_Status: {in: [Qualified, Sales_Ready]}, Annual_Revenue: {gte: 5}}}
          - {name: rest, when: {Lead_Status: Qualified}}
        """),
        {"Lead_Status": STATUS},
    )

    assert trigger.statuses == (
        "Qualified",
        "Ready for sales",
        "Sales_Ready",
    )  # both forms of a renamed option
    assert trigger.criteria == {
        "field": {"api_name": "Lead_Status"},
        "comparator": "in",
        "value": ["Qualified", "Ready for sales", "Sales_Ready"],
    }
    assert trigger.warnings == ()


def test_a_converting_rule_without_a_status_makes_the_rule_fire_on_every_edit_and_says_what_it_costs(rules):
    trigger = trigger_for(
        rules("rules: [{name: rich, when: {Annual_Revenue: {gte: 1000000}}}]"), {"Lead_Status": STATUS}
    )

    assert trigger.statuses is None
    assert trigger.criteria is None
    (warning,) = trigger.warnings
    assert warning.startswith("rule 'rich' has no Lead_Status equals or in condition")
    assert "fires on every create and edit of a lead, one webhook call" in warning


def test_without_the_orgs_fields_the_statuses_go_as_the_rules_write_them(rules):
    trigger = trigger_for(rules("rules: [{name: q, when: {Lead_Status: Qualified}}]"), None)

    assert trigger.statuses == ("Qualified",)


def test_the_webhook_posts_the_lead_id_as_raw_json_with_the_secret_in_a_header():
    built = webhook("zoho_lead_converter", "https://f.example/", "s" * 24, "4876876000000002175")

    assert built["http_method"] == "POST"
    assert built["url"] == "https://f.example/"
    assert built["module"] == {"api_name": "Leads", "id": "4876876000000002175"}
    assert built["headers"] == {
        "module_parameters": [],
        "custom_parameters": [{"name": "X-Webhook-Secret", "value": "s" * 24}],
    }
    assert built["body"] == {"type": "raw", "format": "JSON", "raw_data_content": LEAD_ID_BODY}
    assert LEAD_ID_BODY == '{"lead_id": "${!Leads.Id}"}'


def test_the_rule_fires_the_webhook_once_per_lead_on_create_or_edit(rules):
    trigger = trigger_for(rules("rules: [{name: q, when: {Lead_Status: Qualified}}]"), None)

    built = rule("zoho_lead_converter", trigger, "42", "7")

    assert built["module"] == {"api_name": "Leads", "id": "42"}
    assert built["execute_when"] == {
        "type": "create_or_edit",
        "details": {"trigger_module": {"api_name": "Leads", "id": "42"}, "repeat": False},
    }
    (condition,) = built["conditions"]
    assert condition["instant_actions"] == {"actions": [{"type": "webhooks", "id": "7"}]}
    assert condition["criteria_details"]["criteria"]["value"] == ["Qualified"]
    assert "status" not in built  # Zoho refuses it on create: a rule is active once created
