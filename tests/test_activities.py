"""The lead's activities follow the new owner (handlers/engine/activities.py, `reassign_activities`):
the webhook hands them over after single Convert, the sweep through Mass Convert's related_modules,
and both leave the same state."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import RIYA, SAM, add_leads, post_webhook

RULES = """
    rules:
      - name: web
        when: {Lead_Status: Qualified}
        assign_to: "4876876000000002003"
        existing_records: create
        reassign_activities: all
"""


@pytest.fixture
def webhook(serve, monkeypatch, tmp_path, users):
    rules = tmp_path / "rules.yaml"
    rules.write_text(textwrap.dedent(RULES))
    monkeypatch.setenv("RULES_FILE", str(rules))
    return serve()


def with_activities(emulator, lead_id: str) -> None:
    """Two open tasks and a call, Sam's, on the lead."""
    for subject in ("Send the quote", "Book the demo"):
        emulator.crm.add_activity("Tasks", Subject=subject, Owner=SAM, What_Id=lead_id, Status="Not Started")
    emulator.crm.add_activity("Calls", Subject="Discovery call", Owner=SAM, What_Id=lead_id)


def end_state(emulator, lead_id: str) -> list[tuple[str, str, str, str]]:
    """Each activity of the lead's contact: module, subject, owner, and whether it names the contact."""
    contact = emulator.crm.lead(lead_id)["Converted_Contact"]["id"]
    return sorted(
        (
            module,
            item["Subject"],
            item["Owner"]["id"],
            "contact" if (item.get("Who_Id") or {}).get("id") == contact else "",
        )
        for module in ("Tasks", "Events", "Calls")
        for item in emulator.crm.activities(module)
        if (item.get("Who_Id") or {}).get("id") == contact
    )


def test_the_webhook_hands_the_leads_activities_to_the_new_owner(emulator, webhook):
    (lead_id,) = add_leads(emulator, 1, "Web", owner=SAM)
    with_activities(emulator, lead_id)

    answer = post_webhook(webhook, lead_id).get_json()

    assert answer["outcome"] == "converted"
    assert answer["activities"] == {"Tasks": 2, "Calls": 1}
    assert end_state(emulator, lead_id) == [
        ("Calls", "Discovery call", RIYA, "contact"),
        ("Tasks", "Book the demo", RIYA, "contact"),
        ("Tasks", "Send the quote", RIYA, "contact"),
    ]
    updates = emulator.requests("PUT", r"/(Tasks|Calls)$")
    assert [(entry.path, len(entry.json["data"])) for entry in updates] == [
        ("/crm/v8/Tasks", 2),
        ("/crm/v8/Calls", 1),
    ]


def test_the_sweep_hands_them_over_through_mass_convert_and_leaves_the_same_state(
    emulator, webhook, sweep_with
):
    by_webhook, *by_sweep = add_leads(emulator, 4, "Web", owner=SAM)
    for lead_id in (by_webhook, *by_sweep):
        with_activities(emulator, lead_id)
    post_webhook(webhook, by_webhook)

    summary = sweep_with(RULES)

    assert (summary["converted"], summary["mass_convert_jobs"]) == (3, 1)
    (submitted,) = emulator.requests("POST", r"/Leads/actions/mass_convert$")
    assert submitted.json["related_modules"] == [
        {"api_name": "Tasks", "id": "4876876000000002191"},
        {"api_name": "Events", "id": "4876876000000002193"},
        {"api_name": "Calls", "id": "4876876000000002195"},
    ]
    for lead_id in by_sweep:
        assert end_state(emulator, lead_id) == end_state(emulator, by_webhook)
    assert len(emulator.requests("PUT", r"/(Tasks|Events|Calls)$")) == 2  # the webhook's: the sweep made none


def test_a_rule_that_does_not_ask_reads_no_activity(emulator, serve, monkeypatch, tmp_path, users):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: web, when: {Lead_Status: Qualified}, existing_records: create}]")
    monkeypatch.setenv("RULES_FILE", str(rules))
    (lead_id,) = add_leads(emulator, 1, "Web", owner=SAM)
    with_activities(emulator, lead_id)

    answer = post_webhook(serve(), lead_id).get_json()

    assert "activities" not in answer
    assert [item["Owner"]["id"] for item in emulator.crm.activities("Tasks")] == [SAM, SAM]
    assert not any("Tasks" in entry.json["select_query"] for entry in emulator.requests("POST", r"/coql$"))


def test_an_update_zoho_refuses_is_a_warning_and_the_lead_stays_converted(emulator, webhook):
    (lead_id,) = add_leads(emulator, 1, "Web", owner=SAM)
    with_activities(emulator, lead_id)
    emulator.faults.fail_next(1, status=400, code="INVALID_DATA", path=r"/Calls$", method="PUT")

    answer = post_webhook(webhook, lead_id).get_json()

    assert answer["outcome"] == "converted"
    assert answer["activities"] == {"Tasks": 2}
    assert emulator.crm.lead(lead_id)["Converted__s"] is True


def test_a_second_attempt_after_a_cut_deal_name_reads_the_activities_once(
    emulator, serve, monkeypatch, tmp_path, users, log_lines
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        textwrap.dedent("""
            rules:
              - name: web
                when: {Lead_Status: Qualified}
                existing_records: create
                reassign_activities: [Tasks]
                deal:
                  Deal_Name: "{Company} {Company} {Company}"
                  Stage: Qualification
                  Pipeline: Standard (Standard)
                  Closing_Date: +7d
        """)
    )
    monkeypatch.setenv("RULES_FILE", str(rules))
    emulator.crm.set_field_length("Deals", "Deal_Name", 30)  # the org's own, shorter than Zoho's 120
    (lead_id,) = add_leads(emulator, 1, "Web", owner=SAM)
    with_activities(emulator, lead_id)

    answer = post_webhook(serve(), lead_id).get_json()

    assert answer["outcome"] == "converted"
    assert answer["activities"] == {"Tasks": 2}
    assert len(emulator.requests("POST", r"/actions/convert$")) == 2  # refused for its length, then cut
    task_queries = [e for e in emulator.requests("POST", r"/coql$") if "from Tasks" in e.json["select_query"]]
    assert len(task_queries) == 1
    assert log_lines()[-1]["warnings"] == ["deal.Deal_Name was cut to 30 characters, the most Zoho takes"]
