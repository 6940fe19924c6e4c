"""The converted contact's role on the new deal (handlers/engine/contact_roles.py): named in the
rules file, sent to Convert by its id, checked by check-rules --org."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import add_leads, post_webhook

ROLE_SCOPE = "ZohoCRM.settings.contact_roles.READ"


def rules_with_role(role: str) -> str:
    return textwrap.dedent(f"""
        rules:
          - name: deals
            when: {{Lead_Status: Qualified}}
            existing_records: create
            deal:
              Deal_Name: "{{Company}}"
              Stage: Qualification
              Pipeline: Standard (Standard)
              Closing_Date: +14d
              Contact_Role: {role}
    """)


@pytest.fixture
def webhook_with(serve, monkeypatch, tmp_path, users, emulator):
    emulator.grant_scopes(emulator.granted_scopes() | {ROLE_SCOPE})

    def start(role: str):
        rules = tmp_path / "rules.yaml"
        rules.write_text(rules_with_role(role))
        monkeypatch.setenv("RULES_FILE", str(rules))
        return serve()

    return start


def test_the_role_is_sent_by_its_id_and_the_deal_has_it(emulator, webhook_with):
    (lead_id,) = add_leads(emulator, 1, "Web")
    roles = {role["name"]: role["id"] for role in emulator.crm.contact_roles()}

    answer = post_webhook(webhook_with("Decision Maker"), lead_id).get_json()

    assert answer["outcome"] == "converted"
    (sent,) = emulator.requests("POST", r"/actions/convert$")
    assert sent.json["data"][0]["Deals"]["Contact_Role"] == roles["Decision Maker"]
    deal = emulator.crm.deals[answer["deal_id"]]
    assert [entry["role"]["name"] for entry in deal["Contact_Roles"]] == ["Decision Maker"]


def test_a_role_the_org_lacks_fails_the_lead_before_convert_naming_rule_key_and_roles(emulator, webhook_with):
    (lead_id,) = add_leads(emulator, 1, "Web")

    answer = post_webhook(webhook_with("Chief Dreamer"), lead_id).get_json()

    assert (answer["outcome"], answer["rule"]) == ("failed", "deals")
    assert answer["reason"].startswith(
        "rule 'deals': deal.Contact_Role: 'Chief Dreamer' is not a contact role of the org (its roles: "
    )
    assert "Decision Maker" in answer["reason"]
    assert not emulator.requests("POST", r"/actions/convert$")


def test_the_roles_are_read_once_an_hour_not_once_a_lead(emulator, webhook_with):
    leads = add_leads(emulator, 3, "Web")
    client = webhook_with("Influencer")

    for lead_id in leads:
        assert post_webhook(client, lead_id).get_json()["outcome"] == "converted"

    assert len(emulator.requests("GET", r"/Contacts/roles$")) == 1


def test_before_v5_the_rules_leads_fail_without_a_convert(emulator, webhook_with, monkeypatch):
    monkeypatch.setenv("ZOHO_API_VERSION", "v4")
    (lead_id,) = add_leads(emulator, 1, "Web")

    answer = post_webhook(webhook_with("Decision Maker"), lead_id).get_json()

    assert answer["outcome"] == "failed"
    assert not emulator.requests("POST", r"/actions/convert$")
    assert "deal.Contact_Role needs ZOHO_API_VERSION v5 or later, not v4" in answer["reason"]


def test_the_sweep_converts_such_leads_singly_with_the_role(emulator, sweep_with):
    emulator.grant_scopes(emulator.granted_scopes() | {ROLE_SCOPE})
    leads = add_leads(emulator, 3, "Web")

    summary = sweep_with(rules_with_role("Technical Buyer"))

    assert (summary["converted"], summary["mass_convert_jobs"]) == (3, 0)
    for lead_id in leads:
        deal_id = emulator.crm.lead(lead_id)["Converted_Deal"]["id"]
        assert emulator.crm.deals[deal_id]["Contact_Roles"][0]["role"]["name"] == "Technical Buyer"


def test_check_rules_against_the_org_names_an_unknown_role(emulator, cli, tmp_path):
    emulator.grant_scopes(emulator.granted_scopes() | {ROLE_SCOPE})
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_with_role("Chief Dreamer"))

    done = cli("check-rules", "--org", str(rules))

    assert done.returncode == 1
    assert (
        f"{rules}: rule 'deals': deal.Contact_Role: 'Chief Dreamer' is not a contact role of the org"
        in done.stdout
    )


def test_check_rules_against_the_org_says_which_scope_reading_roles_needs(emulator, cli, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_with_role("Decision Maker"))

    done = cli("check-rules", "--org", str(rules))

    assert done.returncode == 1
    assert ROLE_SCOPE in done.stdout


def test_a_rule_naming_a_role_the_org_lacks_stops_only_its_own_leads_in_a_sweep(emulator, sweep_with):
    emulator.grant_scopes(emulator.granted_scopes() | {ROLE_SCOPE})
    trade = add_leads(emulator, 2, "Trade Show")
    web = add_leads(emulator, 2, "Web")
    rules = (
        rules_with_role("Chief Dreamer").replace(
            "{Lead_Status: Qualified}", "{Lead_Status: Qualified, Lead_Source: Trade Show}"
        )
        + "  - {name: web, when: {Lead_Status: Qualified}, existing_records: create}\n"
    )

    summary = sweep_with(rules)

    assert sorted(failure["lead_id"] for failure in summary["failed"]) == sorted(trade)
    assert all(emulator.crm.lead(lead)["Converted__s"] for lead in web)
    assert summary["setup_problems"] == []
    assert not [e for e in emulator.requests("POST", r"/actions/convert$") if e.path.split("/")[-3] in trade]


def test_without_the_roles_scope_the_rules_leads_fail_and_the_roles_are_asked_once(
    emulator, serve, monkeypatch, tmp_path, users
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_with_role("Decision Maker"))
    monkeypatch.setenv("RULES_FILE", str(rules))
    client = serve()

    answers = [post_webhook(client, lead_id).get_json() for lead_id in add_leads(emulator, 2, "Web")]

    assert [answer["outcome"] for answer in answers] == ["failed", "failed"]
    assert ROLE_SCOPE in answers[0]["reason"]
    assert len(emulator.requests("GET", r"/Contacts/roles$")) == 1
    assert not emulator.requests("POST", r"/actions/convert$")
