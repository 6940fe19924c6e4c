"""Convert Lead (lead_endpoints.py, conversion.py, crm.py): success, validation, v2 shapes."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead, record_error
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

# --- converting a lead: success ----------------------------------------------------------------


def test_convert_answers_the_v8_success_shape_and_creates_the_records(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_id = add_lead(emulator, Phone="+1 555 0100")

    answer = zoho.convert(lead_id, {"Deals": {**DEAL, "Amount": 5000}, "assign_to": {"id": seller}})

    assert answer.status_code == 200
    result = answer.json()["data"][0]
    assert result["code"] == "SUCCESS"
    assert result["status"] == "success"
    assert result["message"] == "The record has been converted successfully"
    details = result["details"]
    contact = emulator.crm.contacts[details["Contacts"]["id"]]
    account = emulator.crm.accounts[details["Accounts"]["id"]]
    deal = emulator.crm.deals[details["Deals"]["id"]]
    assert details["Contacts"] == {"name": "Jane Doe", "id": contact["id"]}
    assert details["Accounts"] == {"name": "Acme", "id": account["id"]}
    assert details["Deals"] == {"name": "Acme - Doe", "id": deal["id"]}
    assert (contact["Email"], contact["Phone"]) == ("jane@acme.example", "+1 555 0100")
    assert contact["Account_Name"] == details["Accounts"]
    assert deal["Amount"] == 5000
    assert deal["Account_Name"] == details["Accounts"]
    assert deal["Contact_Name"] == details["Contacts"]
    assert {contact["Owner"]["id"], account["Owner"]["id"], deal["Owner"]["id"]} == {seller}
    assert emulator.crm.conversions(lead_id) == 1
    assert emulator.crm.lead(lead_id)["Converted__s"] is True


def test_a_minimal_body_converts_to_contact_and_account_without_a_deal(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_id = add_lead(emulator, Owner=seller)

    details = zoho.convert(lead_id).json()["data"][0]["details"]

    assert details["Deals"] is None
    assert emulator.crm.deals == {}
    assert emulator.crm.contacts[details["Contacts"]["id"]]["Owner"]["id"] == seller


def test_a_lead_without_company_converts_without_an_account(emulator, zoho):
    lead_id = add_lead(emulator, Company=None)

    details = zoho.convert(lead_id).json()["data"][0]["details"]

    assert details["Accounts"] is None
    assert emulator.crm.accounts == {}


# --- existing contacts and accounts (zoho-crm-api.md §14.6) -------------------------------------


@pytest.fixture
def existing(emulator) -> dict[str, str]:
    """A contact with the lead's email (another case) in an account named like its Company."""
    account_id = emulator.crm.add_account(Account_Name="ACME")
    contact_id = emulator.crm.add_contact(
        First_Name="Jane", Last_Name="Doe", Email="JANE@acme.example", Account_Name=account_id
    )
    return {"contact": contact_id, "account": account_id}


def test_without_ids_convert_creates_a_new_contact_and_account_beside_the_matching_ones(
    emulator, zoho, existing
):
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id).json()["data"][0]["details"]

    contacts, accounts = emulator.crm.contacts, emulator.crm.accounts
    assert details["Contacts"]["id"] not in (existing["contact"], None)
    assert details["Accounts"]["id"] not in (existing["account"], None)
    assert sorted(contact["Email"].lower() for contact in contacts.values()) == ["jane@acme.example"] * 2
    assert sorted(account["Account_Name"].lower() for account in accounts.values()) == ["acme"] * 2
    assert contacts[details["Contacts"]["id"]]["Account_Name"] == details["Accounts"]
    assert contacts[existing["contact"]]["Account_Name"]["id"] == existing["account"]


def test_convert_joins_the_lead_to_the_contact_and_account_it_is_given_and_creates_neither(
    emulator, zoho, existing
):
    lead_id = add_lead(emulator)
    given = {"Contacts": {"id": existing["contact"]}, "Accounts": {"id": existing["account"]}}

    details = zoho.convert(lead_id, given).json()["data"][0]["details"]

    assert (details["Contacts"]["id"], details["Accounts"]["id"]) == (
        existing["contact"],
        existing["account"],
    )
    assert (len(emulator.crm.contacts), len(emulator.crm.accounts)) == (1, 1)
    assert emulator.crm.lead(lead_id)["Converted_Contact"]["id"] == existing["contact"]


def test_a_contacts_id_alone_creates_an_account_from_company_and_the_contact_keeps_its_own(
    emulator, zoho, existing
):
    """Whether Zoho uses the given contact's own account is unverified: a new account is the
    riskier reading."""
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id, {"Contacts": {"id": existing["contact"]}}).json()["data"][0]["details"]

    assert details["Contacts"]["id"] == existing["contact"]
    assert details["Accounts"]["id"] != existing["account"]
    assert emulator.crm.accounts[details["Accounts"]["id"]]["Account_Name"] == "Acme"
    assert emulator.crm.contacts[existing["contact"]]["Account_Name"]["id"] == existing["account"]


@pytest.mark.parametrize("had_account", [False, True], ids=["no account", "overwrite"])
def test_a_given_contact_takes_the_new_account_when_it_had_none_or_with_overwrite(
    emulator, zoho, had_account
):
    own = emulator.crm.add_account(Account_Name="Own Corp")
    contact_id = emulator.crm.add_contact(Last_Name="Roe", Account_Name=own if had_account else None)
    lead_id = add_lead(emulator)

    answer = zoho.convert(lead_id, {"Contacts": {"id": contact_id}, "overwrite": had_account})

    details = answer.json()["data"][0]["details"]
    assert details["Accounts"]["id"] != own
    assert emulator.crm.contacts[contact_id]["Account_Name"] == details["Accounts"]


def test_an_accounts_id_alone_creates_a_contact_in_that_account_and_no_account(emulator, zoho, existing):
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id, {"Accounts": {"id": existing["account"]}}).json()["data"][0]["details"]

    assert details["Accounts"] == {"name": "ACME", "id": existing["account"]}
    assert details["Contacts"]["id"] != existing["contact"]
    assert emulator.crm.contacts[details["Contacts"]["id"]]["Account_Name"] == details["Accounts"]
    assert (len(emulator.crm.contacts), len(emulator.crm.accounts)) == (2, 1)


def test_add_to_existing_record_links_the_oldest_contact_with_the_email_and_account_with_the_name(
    emulator, zoho, existing
):
    emulator.crm.add_account(Account_Name="Acme")
    emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example")
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id, {"add_to_existing_record": True}).json()["data"][0]["details"]

    assert (details["Contacts"]["id"], details["Accounts"]["id"]) == (
        existing["contact"],
        existing["account"],
    )
    assert (len(emulator.crm.contacts), len(emulator.crm.accounts)) == (2, 2)


def test_add_to_existing_record_creates_what_has_no_match(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="Acme")
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id, {"add_to_existing_record": True}).json()["data"][0]["details"]

    assert details["Accounts"]["id"] == account_id
    assert emulator.crm.contacts[details["Contacts"]["id"]]["Email"] == "jane@acme.example"
    assert emulator.crm.contacts[details["Contacts"]["id"]]["Account_Name"]["id"] == account_id


def test_convert_carries_over_only_the_named_tags_to_the_named_modules(emulator, zoho):
    lead_id = add_lead(emulator, Tag=["VIP", "Hot", "Webinar"])
    tags = {"Contacts": ["VIP"], "Deals": ["VIP", "Hot"]}

    details = zoho.convert(lead_id, {"Deals": DEAL, "carry_over_tags": tags}).json()["data"][0]["details"]

    def tag_names(records: dict[str, dict[str, Any]], record_id: str) -> list[str]:
        return [tag["name"] for tag in records[record_id]["Tag"]]

    assert tag_names(emulator.crm.contacts, details["Contacts"]["id"]) == ["VIP"]
    assert tag_names(emulator.crm.deals, details["Deals"]["id"]) == ["VIP", "Hot"]
    assert tag_names(emulator.crm.accounts, details["Accounts"]["id"]) == []


def test_tests_can_convert_a_lead_directly_in_the_store(emulator, zoho):
    lead_id = add_lead(emulator)

    emulator.crm.convert(lead_id)

    assert zoho.get(f"Leads/{lead_id}").status_code == 204
    assert emulator.crm.lead(lead_id)["Converted_Account"]["name"] == "Acme"


def test_twenty_simultaneous_converts_of_one_lead_convert_it_once(emulator, zoho):
    lead_id = add_lead(emulator)
    clients = [Zoho(emulator, token=zoho.token) for _ in range(20)]
    start = threading.Barrier(20)

    def convert(client: Zoho) -> requests.Response:
        start.wait()
        return client.convert(lead_id, {"Deals": DEAL})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(convert, clients))

    assert Counter(answer.status_code for answer in answers) == {200: 1, 400: 19}
    refusals = {answer.json()["code"] for answer in answers if answer.status_code == 400}
    assert refusals == {"ID_ALREADY_CONVERTED"}
    assert emulator.crm.conversions(lead_id) == 1
    assert len(emulator.crm.deals) == 1


def test_a_scheduled_convert_answers_202_with_a_job_id_and_converts(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.schedule_next_convert(1)

    answer = zoho.convert(lead_id)

    assert answer.status_code == 202
    result = answer.json()["data"][0]
    assert (result["code"], result["status"]) == ("SCHEDULED", "success")
    assert result["details"]["job_id"].isdigit()
    assert emulator.crm.conversions(lead_id) == 1


# --- converting a lead: validation -------------------------------------------------------------


def test_a_convert_without_body_is_invalid_data(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.post(f"Leads/{lead_id}/actions/convert")

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "INVALID_DATA",
        "details": {"expected_data_type": "jsonobject"},
        "message": "body",
        "status": "error",
    }


@pytest.mark.parametrize("lead_id", ["abc", "4876876000000999999"])
def test_converting_a_malformed_or_unknown_lead_id_is_invalid_data(zoho, lead_id):
    answer = zoho.convert(lead_id)

    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_DATA"
    assert answer.json()["details"] == {"resource_path_index": 1}


def test_converting_twice_is_id_already_converted_at_top_level(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.convert(lead_id)

    answer = zoho.convert(lead_id)

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "ID_ALREADY_CONVERTED",
        "details": {"resource_path_index": 1},
        "message": "id already converted",
        "status": "error",
    }


@pytest.mark.parametrize("missing", ["Deal_Name", "Stage", "Closing_Date", "Pipeline"])
def test_a_deal_missing_a_mandatory_key_is_mandatory_not_found(emulator, zoho, missing):
    lead_id = add_lead(emulator)
    deal = {key: value for key, value in DEAL.items() if key != missing}

    error = record_error(zoho.convert(lead_id, {"Deals": deal}))

    assert error == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": missing, "json_path": f"$.data[0].Deals.{missing}"},
        "message": "required field not found",
        "status": "error",
    }


def test_a_stage_outside_the_pipeline_is_a_mapping_mismatch(emulator, zoho):
    lead_id = add_lead(emulator)
    deal = {**DEAL, "Pipeline": "Partner Pipeline", "Stage": "Needs Analysis"}

    error = record_error(zoho.convert(lead_id, {"Deals": deal}))

    assert error == {
        "code": "MAPPING_MISMATCH",
        "details": {
            "mapped_field": "Pipeline",
            "api_name": "Stage",
            "json_path": "$.data[0].Deals.Stage",
        },
        "message": "Pipeline doesn`t contain the Stage",
        "status": "error",
    }


@pytest.mark.parametrize(
    ("converter", "api_name", "json_path"),
    [
        ({"Deals": {**DEAL, "Pipeline": "Nope"}}, "Pipeline", "$.data[0].Deals.Pipeline"),
        ({"Deals": {**DEAL, "Closing_Date": "31/12/2026"}}, "Closing_Date", "$.data[0].Deals.Closing_Date"),
        ({"Deals": {**DEAL, "Amount": "lots"}}, "Amount", "$.data[0].Deals.Amount"),
        ({"assign_to": ADMIN}, "assign_to", "$.data[0].assign_to"),
        ({"assign_to": {"id": "sam"}}, "assign_to", "$.data[0].assign_to.id"),
        ({"assign_to": {"id": "4876876000000002999"}}, "assign_to", "$.data[0].assign_to"),
        ({"Contacts": {"id": "4876876000001999999"}}, "Contacts", "$.data[0].Contacts"),
        ({"Accounts": {"id": "4876876000002999999"}}, "Accounts", "$.data[0].Accounts"),
        ({"carry_over_tags": ["VIP"]}, "carry_over_tags", "$.data[0].carry_over_tags"),
        ({"carry_over_tags": {"Contacts": "VIP"}}, "carry_over_tags", "$.data[0].carry_over_tags.Contacts"),
        ({"carry_over_tags": {"Leads": ["VIP"]}}, "carry_over_tags", "$.data[0].carry_over_tags.Leads"),
        (
            {"carry_over_tags": {"Contacts": ["VIP", "Unknown"]}},
            "carry_over_tags",
            "$.data[0].carry_over_tags.Contacts[1]",
        ),
        (
            {"move_attachments_to": {"api_name": "Leads"}},
            "move_attachments_to",
            "$.data[0].move_attachments_to",
        ),
        ({"move_attachments_to": "Deals"}, "move_attachments_to", "$.data[0].move_attachments_to"),
        ({"overwrite": "yes"}, "overwrite", "$.data[0].overwrite"),
        ({"add_to_existing_record": False}, "add_to_existing_record", "$.data[0].add_to_existing_record"),
        ({"related_modules": []}, "related_modules", "$.data[0].related_modules"),
    ],
)
def test_invalid_values_are_invalid_data_naming_the_field(emulator, zoho, converter, api_name, json_path):
    lead_id = add_lead(emulator)

    error = record_error(zoho.convert(lead_id, converter))

    assert error["code"] == "INVALID_DATA"
    assert error["status"] == "error"
    assert error["details"]["api_name"] == api_name
    assert error["details"]["json_path"] == json_path


def test_a_refused_convert_changes_nothing(emulator, zoho):
    lead_id = add_lead(emulator)

    zoho.convert(lead_id, {"Deals": DEAL, "carry_over_tags": {"Contacts": ["Unknown"]}})

    assert emulator.crm.lead(lead_id)["Converted__s"] is False
    assert emulator.crm.conversions(lead_id) == 0
    assert (emulator.crm.contacts, emulator.crm.accounts, emulator.crm.deals) == ({}, {}, {})


def test_a_new_contact_colliding_on_a_unique_field_is_duplicate_data(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    existing = emulator.crm.add_contact(Last_Name="Roe", Email="roe@example.com", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0100")

    error = record_error(zoho.convert(lead_id))

    assert error == {
        "code": "DUPLICATE_DATA",
        "details": {
            "api_name": "Phone",
            "json_path": "$.data[0].Contacts.Phone",
            "duplicate_record": {
                "id": existing,
                "module": {"api_name": "Contacts", "id": "4876876000000002179"},
            },
        },
        "message": "duplicate data",
        "status": "error",
    }
    assert emulator.crm.conversions(lead_id) == 0


def test_a_contact_matching_the_email_but_no_unique_field_is_no_duplicate_data(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0199")

    answer = zoho.convert(lead_id)

    assert answer.status_code == 200
    assert len(emulator.crm.contacts) == 2


def test_linking_the_duplicate_contact_converts(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    existing = emulator.crm.add_contact(Last_Name="Roe", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0100")

    answer = zoho.convert(lead_id, {"Contacts": {"id": existing}})

    assert answer.json()["data"][0]["details"]["Contacts"]["id"] == existing


# --- API v2 / v2.1 shapes ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v2", "v2.1"])
def test_legacy_versions_take_plain_ids_and_answer_plain_ids(emulator, version):
    client = Zoho(emulator, version=version)
    lead_id = add_lead(emulator)

    answer = client.convert(lead_id, {"assign_to": ADMIN, "Deals": DEAL})

    assert answer.status_code == 200
    ids = answer.json()["data"][0]
    assert set(ids) == {"Contacts", "Deals", "Accounts"}
    assert ids["Contacts"] in emulator.crm.contacts
    assert ids["Deals"] in emulator.crm.deals
    assert ids["Accounts"] in emulator.crm.accounts


def test_legacy_versions_answer_null_for_records_not_created(emulator):
    lead_id = add_lead(emulator, Company="")

    ids = Zoho(emulator, version="v2").convert(lead_id).json()["data"][0]

    assert (ids["Deals"], ids["Accounts"]) == (None, None)


def test_legacy_versions_refuse_the_v3_object_shape(emulator):
    lead_id = add_lead(emulator)

    answer = Zoho(emulator, version="v2").convert(lead_id, {"assign_to": {"id": ADMIN}})

    assert record_error(answer)["details"]["api_name"] == "assign_to"


@pytest.mark.parametrize("user", [{"status": "inactive"}, {"status": "deleted"}, {"confirm": False}], ids=str)
def test_a_convert_refuses_an_assignee_who_is_not_active_and_confirmed(emulator, zoho, user):
    assignee = emulator.crm.add_user("Not Able", "not.able@example.com", **user)
    lead_id = add_lead(emulator)

    error = record_error(zoho.convert(lead_id, {"assign_to": {"id": assignee}}))

    assert (error["code"], error["details"]["json_path"]) == ("INVALID_DATA", "$.data[0].assign_to")
    assert emulator.crm.conversions(lead_id) == 0
