"""Mass Convert and its status (bulk_endpoints.py, mass_convert.py), v4 and later."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_mass_convert_schedules_a_job_that_converts_the_leads_over_time(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.3
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_ids = [add_lead(emulator, Email=f"lead{n}@acme.example") for n in range(3)]

    answer = zoho.post(
        "Leads/actions/mass_convert",
        json={
            "ids": lead_ids,
            "assign_to": {"id": seller},
            "Deals": DEAL,
            "carry_over_tags": [{"api_name": "Contacts", "id": "4876876000000002179"}],
            "move_attachments_to": {"api_name": "Deals"},
        },
    )
    first = zoho.job_status(answer.json()["details"]["job_id"])
    last = zoho.finished_job(answer.json()["details"]["job_id"])

    assert answer.status_code == 202
    assert answer.json() == {
        "code": "SCHEDULED",
        "details": {"job_id": answer.json()["details"]["job_id"]},
        "message": "Mass Convert scheduled successfully",
        "status": "success",
    }
    assert first["Status"] in ("scheduled", "in progress")
    assert first["Converted_Count"] < 3
    assert last == {
        "Status": "completed",
        "Total_Count": 3,
        "Converted_Count": 3,
        "Not_Converted_Count": 0,
        "Failed_Count": 0,
    }
    assert all(emulator.crm.conversions(lead_id) == 1 for lead_id in lead_ids)
    assert {deal["Owner"]["id"] for deal in emulator.crm.deals.values()} == {seller}
    assert [[tag["name"] for tag in c["Tag"]] for c in emulator.crm.contacts.values()] == [["VIP", "Hot"]] * 3
    assert all(account["Tag"] == [] for account in emulator.crm.accounts.values())


def test_mass_convert_creates_a_new_contact_and_account_for_each_lead_beside_matching_ones(emulator, zoho):
    """zoho-crm-api.md §14.6: Mass Convert names no contact or account, so each lead gets a new
    contact, and a new account from its Company, whatever the org already has."""
    emulator.faults.mass_convert_seconds = 0.05
    account_id = emulator.crm.add_account(Account_Name="Acme")
    contact_id = emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example", Account_Name=account_id)
    lead_ids = [add_lead(emulator), add_lead(emulator)]  # both Jane Doe, jane@acme.example, of Acme

    job_id = zoho.mass_convert(lead_ids).json()["details"]["job_id"]
    status = zoho.finished_job(job_id)

    leads = [emulator.crm.lead(lead_id) for lead_id in lead_ids]
    new_contacts = {lead["Converted_Contact"]["id"] for lead in leads}
    new_accounts = {lead["Converted_Account"]["id"] for lead in leads}
    assert status["Converted_Count"] == 2
    assert len(new_contacts) == len(new_accounts) == 2
    assert contact_id not in new_contacts
    assert account_id not in new_accounts
    assert [contact["Email"] for contact in emulator.crm.contacts.values()] == ["jane@acme.example"] * 3
    assert [account["Account_Name"] for account in emulator.crm.accounts.values()] == ["Acme"] * 3


def test_mass_convert_counts_chosen_and_already_converted_leads_as_failed(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    good, chosen, done = (add_lead(emulator, Email=f"{n}@acme.example") for n in range(3))
    zoho.convert(done)
    emulator.faults.mass_convert_fail_ids = {chosen}

    job_id = zoho.mass_convert([good, chosen, done]).json()["details"]["job_id"]
    status = zoho.finished_job(job_id)

    assert (status["Status"], status["Converted_Count"], status["Failed_Count"]) == ("completed", 1, 2)
    assert emulator.crm.lead(chosen)["Converted__s"] is False


def test_a_mass_convert_job_where_every_lead_fails_is_failed(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_id = add_lead(emulator)
    emulator.faults.mass_convert_fail_ids = {lead_id}

    job_id = zoho.mass_convert([lead_id]).json()["details"]["job_id"]

    assert zoho.finished_job(job_id)["Status"] == "failed"


def test_mass_convert_takes_at_most_fifty_ids(emulator, zoho):
    lead_ids = [str(4876876000000100001 + n) for n in range(51)]

    answer = zoho.mass_convert(lead_ids)

    assert answer.status_code == 400
    assert answer.json()["code"] == "LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("body", "code", "api_name"),
    [
        ({"Deals": {**DEAL, "Stage": None}}, "MANDATORY_NOT_FOUND", "Stage"),
        ({"assign_to": None}, "INVALID_DATA", "assign_to"),
        ({"assign_to": {"id": "4876876000000002999"}}, "INVALID_DATA", "assign_to"),
        ({"carry_over_tags": {"Contacts": ["VIP"]}}, "INVALID_DATA", "carry_over_tags"),
        ({"Deals": {**DEAL, "Pipeline": "Partner Pipeline"}}, "MAPPING_MISMATCH", "Stage"),
    ],
)
def test_mass_convert_refuses_bad_bodies_with_top_level_errors(emulator, zoho, body, code, api_name):
    answer = zoho.mass_convert([add_lead(emulator)], **body)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["details"]["api_name"] == api_name


def test_mass_convert_refuses_an_assignee_who_cannot_own_records(emulator, zoho):
    deactivated = emulator.crm.add_user("Gone", "gone@example.com", status="inactive")
    lead_id = add_lead(emulator)

    answer = zoho.mass_convert([lead_id], assign_to={"id": deactivated})

    assert (answer.status_code, answer.json()["code"]) == (400, "INVALID_DATA")
    assert answer.json()["details"]["api_name"] == "assign_to"
    assert emulator.crm.conversions(lead_id) == 0


def test_mass_convert_requires_ids_and_an_owner(emulator, zoho):
    no_ids = zoho.post("Leads/actions/mass_convert", json={"assign_to": {"id": ADMIN}})
    no_owner = zoho.post("Leads/actions/mass_convert", json={"ids": [add_lead(emulator)]})

    assert (no_ids.json()["code"], no_ids.json()["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "ids")
    assert no_owner.json()["details"]["api_name"] == "assign_to"


def test_mass_convert_status_needs_a_known_job_id(zoho):
    missing = zoho.get("Leads/actions/mass_convert")
    unknown = zoho.get("Leads/actions/mass_convert", params={"job_id": "4876876000005999999"})

    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_DATA")


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3"])
def test_mass_convert_and_its_status_answer_as_unknown_urls_before_v4(emulator, zoho, version):
    older = Zoho(emulator, version=version, token=zoho.token)
    lead_id = add_lead(emulator)

    submit = older.post("Leads/actions/mass_convert", json={"ids": [lead_id], "assign_to": {"id": ADMIN}})
    status = older.get("Leads/actions/mass_convert", params={"job_id": "4876876000005000001"})

    assert (submit.status_code, submit.json()) == older.unknown_url_answer()
    assert (status.status_code, status.json()) == older.unknown_url_answer()
    assert emulator.crm.lead(lead_id)["Converted__s"] is False


def test_mass_convert_and_its_status_exist_from_v4_on(emulator, zoho):
    v4 = Zoho(emulator, version="v4", token=zoho.token)

    submit = v4.post(
        "Leads/actions/mass_convert", json={"ids": [add_lead(emulator)], "assign_to": {"id": ADMIN}}
    )
    status = v4.get("Leads/actions/mass_convert")

    assert submit.status_code == 202
    assert (status.status_code, status.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")


# --- submissions refused whole (zoho-crm-api.md §14.2) -----------------------------------------

UNKNOWN_LEAD = "4876876000000999999"


def invalid_id(index: int, **details: Any) -> dict[str, Any]:
    """zoho-crm-api.md §14.2: INVALID_DATA on `$.ids[i]`, a root object."""
    return {
        "code": "INVALID_DATA",
        "details": {**details, "api_name": "ids", "json_path": f"$.ids[{index}]"},
        "message": "the id given seems to be invalid",
        "status": "error",
    }


def nothing_converts(emulator, lead_ids: list[str]) -> bool:
    time.sleep(0.2)  # a job, had one been scheduled, would have run by now (mass_convert_seconds)
    return all(emulator.crm.conversions(lead_id) == 0 for lead_id in lead_ids)


@pytest.mark.parametrize(
    ("ids", "index"),
    [
        (["{a}", UNKNOWN_LEAD, "{b}"], 1),
        ([UNKNOWN_LEAD, "4876876000000999998"], 0),
        (["{a}", "{a}", "{b}", UNKNOWN_LEAD], 3),  # the index in ids as given, repeats included
        (["{a}", "0"], 1),
        (["{a}", -5], 1),
        (["{a}", int("4876876000000999999")], 1),
    ],
)
def test_an_id_that_is_no_lead_refuses_the_whole_submission(emulator, zoho, ids, index):
    emulator.faults.mass_convert_seconds = 0.05
    leads = {"{a}": add_lead(emulator), "{b}": add_lead(emulator, Email="b@acme.example")}

    answer = zoho.mass_convert(
        [leads.get(value, value) if isinstance(value, str) else value for value in ids]
    )

    assert (answer.status_code, answer.json()) == (400, invalid_id(index))
    assert nothing_converts(emulator, list(leads.values()))


@pytest.mark.parametrize("value", ["abc", "4876876000000100001x", "", 1.5, True, None, {"id": "1"}, "9" * 20])
def test_a_non_numeric_id_refuses_the_submission_expecting_a_long(emulator, zoho, value):
    emulator.faults.mass_convert_seconds = 0.05
    good = add_lead(emulator)

    answer = zoho.mass_convert([good, UNKNOWN_LEAD, value])

    # zoho-crm-api.md §14.2: {expected_data_type: "long", api_name: "ids", json_path: "$.ids[i]"};
    # an id of the wrong type is refused before any id is looked up.
    assert (answer.status_code, answer.json()) == (400, invalid_id(2, expected_data_type="long"))
    assert nothing_converts(emulator, [good])


def test_a_deleted_lead_refuses_the_submission_naming_its_index(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_ids = [add_lead(emulator, Email=f"{n}@acme.example") for n in range(3)]
    emulator.crm.delete_lead(lead_ids[1])

    answer = zoho.mass_convert(lead_ids)

    assert (answer.status_code, answer.json()) == (400, invalid_id(1))
    assert nothing_converts(emulator, [lead_ids[0], lead_ids[2]])


def test_a_lead_deleted_between_a_coql_page_and_the_submission_refuses_it(emulator, zoho):
    """faults.delete_leads_before_next: someone deletes a lead after the client read it."""
    emulator.faults.mass_convert_seconds = 0.05
    lead_ids = [add_lead(emulator, Email=f"{n}@acme.example") for n in range(3)]
    emulator.faults.delete_leads_before_next([lead_ids[2]], path="/actions/mass_convert$", method="POST")

    page = zoho.post("coql", json={"select_query": "select id from Leads where Lead_Status = 'Qualified'"})
    answer = zoho.mass_convert([row["id"] for row in page.json()["data"]])

    assert [row["id"] for row in page.json()["data"]] == lead_ids
    assert (answer.status_code, answer.json()) == (400, invalid_id(2))
    assert nothing_converts(emulator, lead_ids[:2])
    assert emulator.crm.counts()["leads"] == 2


def test_a_lead_deleted_after_the_submission_fails_inside_the_job(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.3
    kept, gone = add_lead(emulator), add_lead(emulator, Email="gone@acme.example")

    job_id = zoho.mass_convert([kept, gone]).json()["details"]["job_id"]
    emulator.crm.delete_lead(gone)
    status = zoho.finished_job(job_id)

    assert (status["Converted_Count"], status["Failed_Count"]) == (1, 1)
