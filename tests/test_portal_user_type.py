"""A portal user type for the new contact (`portal_user_type`): only Mass Convert takes one, so the
sweep converts these leads, a webhook defers them, and the rules file refuses what Mass Convert
cannot do."""

from __future__ import annotations

import textwrap

import pytest

from handlers.engine.rules import load_rules
from handlers.errors import RulesError
from tests.conftest import add_leads, post_webhook


@pytest.fixture
def portal_type(emulator):
    return emulator.crm.add_portal_user_type("Customers", "Customers")


def rules_for(type_id: str, extra: str = "") -> str:
    return (
        textwrap.dedent(f"""
        rules:
          - name: portal
            when: {{Lead_Status: Qualified}}
            assign_to: "4876876000000002002"
            existing_records: create
            portal_user_type: {{id: "{type_id}", api_name: Customers}}
    """)
        + extra
    )


def test_the_sweep_converts_them_by_mass_convert_with_the_type(emulator, sweep_with, portal_type):
    leads = add_leads(emulator, 3, "Web")

    summary = sweep_with(rules_for(portal_type))

    assert (summary["converted"], summary["mass_convert_jobs"]) == (3, 1)
    (submitted,) = emulator.requests("POST", r"/Leads/actions/mass_convert$")
    assert submitted.json["portal_user_type"] == {"id": portal_type, "api_name": "Customers"}
    for lead_id in leads:
        contact = emulator.crm.contacts[emulator.crm.lead(lead_id)["Converted_Contact"]["id"]]
        assert contact["Portal_User_Type"] == {"id": portal_type, "api_name": "Customers"}


def test_a_webhook_defers_the_lead_to_the_sweep_and_calls_no_convert(
    emulator, serve, monkeypatch, tmp_path, users, portal_type
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_for(portal_type))
    monkeypatch.setenv("RULES_FILE", str(rules))
    (lead_id,) = add_leads(emulator, 1, "Web")

    answer = post_webhook(serve(), lead_id).get_json()

    assert answer["outcome"] == "deferred"
    assert "only Mass Convert takes" in answer["reason"]
    assert not emulator.requests("POST", r"/actions/convert$")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("existing_records: match", "needs `existing_records: create`"),
        ("{existing_records: create, notify_lead_owner: true}", "cannot go with `notify_lead_owner: true`"),
        (
            "{existing_records: create, carry_over_tags: {Contacts: [VIP]}}",
            "carries only whole modules' tags",
        ),
    ],
)
def test_the_rules_file_refuses_what_mass_convert_cannot_do(tmp_path, options, message):
    keys = options if options.startswith("{") else "{" + options + "}"
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - {name: portal, when: {Lead_Status: Qualified},"
        " portal_user_type: {id: '4876876000000900001', api_name: Customers}}\n"
        f"defaults: {keys}\n"
    )

    with pytest.raises(RulesError) as refused:
        load_rules(path)

    assert f"rule 'portal': portal_user_type: {message}" in str(refused.value)


def test_an_unknown_type_fails_the_leads_with_zohos_refusal_and_the_alert_fires(
    emulator, sweep_with, log_lines
):
    leads = add_leads(emulator, 3, "Web")

    summary = sweep_with(rules_for("4876876000000999999"))

    assert summary["converted"] == 0
    assert sorted(failure["lead_id"] for failure in summary["failed"]) == sorted(leads)
    assert all("INVALID_DATA" in failure["reason"] for failure in summary["failed"])
    assert not any(emulator.crm.lead(lead)["Converted__s"] for lead in leads)
    assert summary_line(log_lines())["severity"] == "ERROR"


def summary_line(lines):
    (line,) = [line for line in lines if line.get("outcome") == "reconciled"]
    return line
