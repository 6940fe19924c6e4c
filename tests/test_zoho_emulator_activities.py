"""Activities (Tasks, Events, Calls): reads, Update Records, COQL, and what conversion does to a
lead's activities (activity_endpoints.py, crm.py; zoho-crm-api.md §3.1 related_modules)."""

from __future__ import annotations

import time

import pytest

from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.testing import ADMIN, add_lead, control
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

TASKS = {"api_name": "Tasks", "id": MODULE_IDS["Tasks"]}
CALLS = {"api_name": "Calls", "id": MODULE_IDS["Calls"]}


def lead_with_activities(emulator) -> tuple[str, str, list[str], str]:
    """A lead owned by Sam with two open tasks (Sam's and Ava's) and a call; (lead, Sam, tasks, call)."""
    sam = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_id = add_lead(emulator, Owner=sam)
    tasks = [
        emulator.crm.add_activity(
            "Tasks", Subject="Call back", Owner=sam, What_Id=lead_id, Status="Not Started"
        ),
        emulator.crm.add_activity(
            "Tasks", Subject="Send quote", Owner=ADMIN, What_Id=lead_id, Status="In Progress"
        ),
    ]
    call = emulator.crm.add_activity("Calls", Subject="Intro call", Owner=sam, What_Id=lead_id)
    return lead_id, sam, tasks, call


def test_an_activity_is_stored_with_its_lookups_and_read_through_the_api(emulator, zoho):
    lead_id = add_lead(emulator)
    task_id = emulator.crm.add_activity("Tasks", Subject="Call back", What_Id=lead_id, Status="Not Started")

    read = zoho.get(f"Tasks/{task_id}").json()["data"][0]
    listed = zoho.get("Tasks", params={"ids": task_id, "fields": "Subject,What_Id"}).json()["data"]

    assert read["What_Id"] == {"name": "Jane Doe", "id": lead_id}
    assert read["$se_module"] == "Leads"
    assert read["Who_Id"] is None
    assert read["Owner"]["id"] == ADMIN
    assert (read["Subject"], read["Status"]) == ("Call back", "Not Started")
    assert listed == [{"id": task_id, "Subject": "Call back", "What_Id": {"name": "Jane Doe", "id": lead_id}}]


def test_get_records_of_activities_needs_fields_from_v3_and_at_most_100_ids(emulator, zoho):
    no_fields = zoho.get("Calls")
    too_many = zoho.get("Calls", params={"fields": "Subject", "ids": ",".join(["1"] * 101)})
    unknown = zoho.get("Events/4876876000012999999")

    assert (no_fields.status_code, no_fields.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")
    assert unknown.status_code == 204


def test_the_control_api_adds_and_lists_activities(emulator):
    lead_id = add_lead(emulator)

    one = control(emulator, "POST", "events", {"Event_Title": "Demo", "What_Id": lead_id})
    many = control(emulator, "POST", "calls", [{"Subject": "A"}, {"Subject": "B", "What_Id": lead_id}])
    wrong = control(emulator, "POST", "tasks", {"Subject": "C", "What_Id": "4876876000000999999"})

    assert one.status_code == 201
    assert [event["Event_Title"] for event in control(emulator, "GET", "events").json()] == ["Demo"]
    assert len(many.json()["ids"]) == 2
    assert control(emulator, "GET", f"events/{one.json()['id']}").json()["$se_module"] == "Leads"
    assert wrong.status_code == 400
    assert "What_Id" in wrong.json()["error"]


def test_single_convert_moves_the_activities_to_the_contact_and_keeps_their_owners(emulator, zoho):
    lead_id, sam, tasks, call = lead_with_activities(emulator)

    details = zoho.convert(lead_id, {"assign_to": {"id": ADMIN}}).json()["data"][0]["details"]
    moved = [emulator.crm.activity("Tasks", task) for task in tasks] + [emulator.crm.activity("Calls", call)]

    assert [activity["id"] for activity in moved] == [*tasks, call]  # CHOSEN: ids unchanged
    assert [activity["Owner"]["id"] for activity in moved] == [sam, ADMIN, sam]
    assert all(activity["Who_Id"] == details["Contacts"] for activity in moved)
    assert all(activity["What_Id"] == details["Accounts"] for activity in moved)  # CHOSEN: the account
    assert all(activity["$se_module"] == "Accounts" for activity in moved)


def test_mass_convert_with_related_modules_gives_those_activities_to_assign_to(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_id, _sam, tasks, call = lead_with_activities(emulator)
    rita = emulator.crm.add_user("Rita Rep", "rita@example.com")

    job = zoho.mass_convert([lead_id], assign_to=rita, related_modules=[TASKS, {"api_name": "Calls"}])
    zoho.finished_job(job.json()["details"]["job_id"])
    contact_id = emulator.crm.lead(lead_id)["Converted_Contact"]["id"]

    assert job.status_code == 202
    assert [emulator.crm.activity("Tasks", task)["Owner"]["id"] for task in tasks] == [rita, rita]
    assert emulator.crm.activity("Calls", call)["Owner"]["id"] == rita
    assert emulator.crm.activity("Calls", call)["Who_Id"]["id"] == contact_id


def test_mass_convert_changes_the_owners_of_only_the_modules_it_names(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_id, sam, tasks, call = lead_with_activities(emulator)

    job = zoho.mass_convert([lead_id], related_modules=[{"id": MODULE_IDS["Calls"]}])
    zoho.finished_job(job.json()["details"]["job_id"])

    assert [emulator.crm.activity("Tasks", task)["Owner"]["id"] for task in tasks] == [sam, ADMIN]
    assert emulator.crm.activity("Calls", call)["Owner"]["id"] == ADMIN
    assert all(emulator.crm.activity("Tasks", task)["Who_Id"] is not None for task in tasks)


@pytest.mark.parametrize(
    ("item", "code", "details"),
    [
        (
            {"api_name": "Tasks", "id": MODULE_IDS["Calls"]},
            "AMBIGUITY_DURING_PROCESSING",
            {
                "ambiguity_due_to": [
                    {"api_name": "id", "json_path": "$.related_modules[1].id"},
                    {"api_name": "api_name", "json_path": "$.related_modules[1].api_name"},
                ],
                "json_path": "$.related_modules[1]",
            },
        ),
        (
            {},
            "EXPECTED_FIELD_MISSING",
            {
                "expected_fields": [
                    {"api_name": "api_name", "json_path": "$.related_modules[1].api_name"},
                    {"api_name": "id", "json_path": "$.related_modules[1].id"},
                ],
                "json_path": "$.related_modules[1]",
            },
        ),
        (
            {"api_name": "Contacts"},
            "INVALID_DATA",
            {"api_name": "api_name", "json_path": "$.related_modules[1].api_name"},
        ),
        (
            {"id": MODULE_IDS["Deals"]},
            "INVALID_DATA",
            {"api_name": "id", "json_path": "$.related_modules[1].id"},
        ),
        (
            {"api_name": "Meetings"},  # Events' module_name, not its api_name
            "INVALID_DATA",
            {"api_name": "api_name", "json_path": "$.related_modules[1].api_name"},
        ),
    ],
)
def test_related_modules_refusals_refuse_the_whole_submission(emulator, zoho, item, code, details):
    lead_id, *_ = lead_with_activities(emulator)

    answer = zoho.mass_convert([lead_id], related_modules=[TASKS, item])

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["details"] == details
    assert answer.json()["status"] == "error"
    time.sleep(0.05)
    assert emulator.crm.lead(lead_id)["Converted__s"] is False


def test_single_convert_refuses_related_modules_as_an_unknown_key(emulator, zoho):
    lead_id, *_ = lead_with_activities(emulator)

    answer = zoho.convert(lead_id, {"related_modules": [TASKS]})

    assert answer.status_code == 400
    assert answer.json()["data"][0]["code"] == "INVALID_DATA"
    assert answer.json()["data"][0]["details"]["json_path"] == "$.data[0].related_modules"


def test_put_tasks_changes_the_owners_of_up_to_100_tasks_in_one_call(emulator, zoho):
    lead_id = add_lead(emulator)
    rita = emulator.crm.add_user("Rita Rep", "rita@example.com")
    task_ids = [emulator.crm.add_activity("Tasks", Subject=f"T{n}", What_Id=lead_id) for n in range(101)]

    answer = zoho.put(
        "Tasks", json={"data": [{"id": task, "Owner": {"id": rita}} for task in task_ids[:100]]}
    )
    refused = zoho.put("Tasks", json={"data": [{"id": task, "Owner": {"id": rita}} for task in task_ids]})

    assert answer.status_code == 200
    assert {result["code"] for result in answer.json()["data"]} == {"SUCCESS"}
    assert answer.json()["data"][0]["message"] == "record updated"
    assert answer.json()["data"][0]["details"]["id"] == task_ids[0]
    assert {task["Owner"]["id"] for task in emulator.crm.activities("Tasks")[:100]} == {rita}
    assert (refused.status_code, refused.json()["code"]) == (400, "LIMIT_EXCEEDED")
    assert refused.json()["details"]["limit"] == 100
    assert emulator.crm.activity("Tasks", task_ids[100])["Owner"]["id"] == ADMIN
    assert emulator.credits()["endpoints"]["PUT {module}"]["credits"] == 10 + 10  # 1 per 10 records


def test_put_activities_answers_per_record(emulator, zoho):
    lead_id = add_lead(emulator)
    inactive = emulator.crm.add_user("Gone", "gone@example.com", status="inactive")
    call_id = emulator.crm.add_activity("Calls", Subject="Intro", What_Id=lead_id)

    answer = zoho.put(
        "Calls",
        json={
            "data": [
                {"id": call_id, "Subject": "Intro call"},
                {"id": "4876876000013999999", "Subject": "x"},
                {"id": call_id, "Owner": {"id": inactive}},
                {"id": call_id, "What_Id": {"id": lead_id}},
            ]
        },
    )
    results = answer.json()["data"]

    assert answer.status_code == 207
    assert results[0]["status"] == "success"
    assert [result["details"]["json_path"] for result in results[1:]] == [
        "$.data[1].id",
        "$.data[2].Owner",
        "$.data[3].What_Id",
    ]
    assert {result["code"] for result in results[1:]} == {"INVALID_DATA"}
    assert emulator.crm.activity("Calls", call_id)["Subject"] == "Intro call"


def test_put_activities_needs_the_modules_update_scope(emulator, zoho):
    emulator.grant_scopes(["ZohoCRM.modules.tasks.READ", "ZohoCRM.modules.calls.UPDATE"])
    task_id = emulator.crm.add_activity("Tasks", Subject="T")

    refused = zoho.put("Tasks", json={"data": [{"id": task_id, "Subject": "U"}]})
    read = zoho.get(f"Tasks/{task_id}")

    assert (refused.status_code, refused.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert read.status_code == 200


def test_coql_finds_a_leads_tasks_by_what_id(emulator, zoho):
    lead_id = add_lead(emulator)
    other = add_lead(emulator, Email="other@acme.example")
    mine = [emulator.crm.add_activity("Tasks", Subject=f"T{n}", What_Id=lead_id) for n in range(2)]
    emulator.crm.add_activity("Tasks", Subject="Other", What_Id=other)

    answer = zoho.coql(f"select id, Owner, What_Id from Tasks where What_Id = '{lead_id}'")  # noqa: S608

    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["data"]] == mine
    assert answer.json()["data"][0]["What_Id"] == {"id": lead_id}
