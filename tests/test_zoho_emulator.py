"""The Zoho CRM emulator behaves as Zoho documents, observed over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.zoho_emulator import Credentials, ZohoEmulator

REPO = Path(__file__).resolve().parents[1]
ADMIN = "4876876000000002001"
DEAL = {
    "Deal_Name": "Acme - Doe",
    "Stage": "Qualification",
    "Pipeline": "Standard (Standard)",
    "Closing_Date": "2026-12-31",
}


def token_form(credentials: Credentials, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        **overrides,
    }


class Zoho:
    """A plain HTTP client of the emulator: one keep-alive session holding a valid token."""

    def __init__(self, emulator: ZohoEmulator, version: str = "v8", token: str | None = None):
        self.url = emulator.url
        self.version = version
        self.session = requests.Session()
        if token is None:
            answer = self.session.post(
                f"{self.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5
            )
            token = answer.json()["access_token"]
        self.token = token
        self.session.headers["Authorization"] = f"Zoho-oauthtoken {token}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(f"{self.url}/crm/{self.version}/{path}", timeout=5, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.post(f"{self.url}/crm/{self.version}/{path}", **kwargs)

    def convert(
        self, lead_id: str, converter: dict[str, Any] | None = None, timeout: float = 5
    ) -> requests.Response:
        return self.post(
            f"Leads/{lead_id}/actions/convert", json={"data": [converter or {}]}, timeout=timeout
        )


@pytest.fixture
def zoho(emulator: ZohoEmulator) -> Iterator[Zoho]:
    client = Zoho(emulator)
    yield client
    client.session.close()


@pytest.fixture
def demo() -> Iterator[ZohoEmulator]:
    with ZohoEmulator(
        credentials=Credentials("1000.DEMO", "demo-secret", "1000.demo-refresh"), seed="demo"
    ) as emu:
        yield emu


def add_lead(emulator: ZohoEmulator, **fields: Any) -> str:
    lead = {
        "First_Name": "Jane",
        "Last_Name": "Doe",
        "Company": "Acme",
        "Email": "jane@acme.example",
        "Lead_Status": "Qualified",
        "Tag": ["VIP", "Hot"],
        **fields,
    }
    return emulator.crm.add_lead(**lead)


def lead_parent(lead_id: str) -> dict[str, Any]:
    """A note's Parent_Id as v3+ names it (zoho-crm-api.md §11)."""
    return {"module": {"api_name": "Leads"}, "id": lead_id}


def record_error(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    return response.json()["data"][0]


# --- OAuth token endpoint ----------------------------------------------------------------------


def test_refresh_token_grant_issues_a_bearer_token_for_the_emulator_domain(emulator):
    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"].startswith("1000.")
    assert body == {
        "access_token": body["access_token"],
        "api_domain": emulator.url,
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def test_token_parameters_may_come_in_the_query_string(emulator):
    answer = requests.post(
        f"{emulator.url}/oauth/v2/token", params=token_form(emulator.credentials), timeout=5
    )

    assert "access_token" in answer.json()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_id": "1000.OTHER"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"refresh_token": "1000.revoked"}, "invalid_code"),
    ],
)
def test_wrong_credentials_are_refused_with_http_200_as_zoho_does(emulator, override, error):
    form = token_form(emulator.credentials, **override)

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)

    assert answer.status_code == 200
    assert answer.json() == {"error": error}


def test_the_eleventh_token_within_ten_minutes_is_access_denied(emulator):
    form = token_form(emulator.credentials)
    answers = [requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5) for _ in range(11)]

    assert all("access_token" in answer.json() for answer in answers[:10])
    assert answers[10].status_code == 200
    assert answers[10].json() == {
        "error_description": (
            "You have made too many requests continuously. Please try again after some time."
        ),
        "error": "Access Denied",
        "status": "failure",
    }
    assert emulator.token_requests == 11


def test_token_throttle_fault_denies_tokens_until_switched_off(emulator):
    form = token_form(emulator.credentials)
    emulator.faults.token_throttle = True

    denied = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)
    emulator.faults.token_throttle = False
    granted = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)

    assert denied.json()["error"] == "Access Denied"
    assert "access_token" in granted.json()


def test_token_throttle_can_answer_with_http_400_as_some_clients_observed(emulator):
    emulator.faults.token_throttle = True
    emulator.faults.token_throttle_status = 400

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error"] == "Access Denied"


def test_token_down_fault_answers_an_html_503(emulator):
    emulator.faults.token_down = True

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("text/html")


# --- authentication of API calls ---------------------------------------------------------------


def test_an_api_call_without_a_token_is_an_authentication_failure(emulator):
    answer = requests.get(f"{emulator.url}/crm/v8/users", timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {
        "code": "AUTHENTICATION_FAILURE",
        "details": {},
        "message": "Authentication failed",
        "status": "error",
    }


def test_an_unknown_token_is_invalid(emulator):
    answer = requests.get(
        f"{emulator.url}/crm/v8/users",
        headers={"Authorization": "Zoho-oauthtoken 1000.made-up"},
        timeout=5,
    )

    assert answer.status_code == 401
    assert answer.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_revoked_tokens_are_invalid_and_a_fresh_token_works_again(emulator, zoho):
    emulator.faults.revoke_tokens()

    refused = zoho.get("users")
    fresh = Zoho(emulator)

    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_TOKEN"
    assert fresh.get("users").status_code == 200


# --- org setup: users, org, fields -------------------------------------------------------------


def test_current_user_is_the_default_admin(emulator, zoho):
    answer = zoho.get("users", params={"type": "CurrentUser"}).json()

    assert [user["id"] for user in answer["users"]] == [emulator.crm.default_user_id]
    assert answer["users"][0]["profile"]["name"] == "Administrator"
    assert answer["info"]["count"] == 1


def test_all_users_lists_added_users(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")

    users = zoho.get("users", params={"type": "AllUsers"}).json()["users"]

    assert {user["id"]: user["email"] for user in users}[seller] == "sam@example.com"


def test_org_has_the_ids_the_sdk_reads(zoho):
    org = zoho.get("org").json()["org"][0]

    assert org["zgid"]
    assert org["id"]


def test_deal_fields_offer_the_pipelines_and_their_stages_as_picklists(emulator, zoho):
    fields = {field["api_name"]: field for field in zoho.get("settings/fields?module=Deals").json()["fields"]}

    stages = [value["display_value"] for value in fields["Stage"]["pick_list_values"]]
    pipelines = [value["actual_value"] for value in fields["Pipeline"]["pick_list_values"]]
    assert set(stages) == {stage for all_stages in emulator.crm.pipelines.values() for stage in all_stages}
    assert pipelines == list(emulator.crm.pipelines)
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert fields["Deal_Name"]["system_mandatory"] is True


def test_modules_list_the_module_ids_mass_convert_refers_to(zoho):
    modules = {module["api_name"]: module for module in zoho.get("settings/modules").json()["modules"]}

    assert modules["Contacts"]["id"] == "4876876000000002179"
    assert modules["Leads"]["convertable"] is True
    assert set(modules) >= {"Leads", "Contacts", "Accounts", "Deals"}


def test_fields_of_an_unknown_module_are_refused(zoho):
    assert zoho.get("settings/fields?module=Gadgets").status_code == 400
    assert zoho.get("settings/fields").json()["code"] == "REQUIRED_PARAM_MISSING"


# --- reading a lead ----------------------------------------------------------------------------


def test_a_lead_reads_back_in_zohos_shape(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_id = add_lead(emulator, Owner=seller, Annual_Revenue=2_000_000)

    answer = zoho.get(f"Leads/{lead_id}")

    assert answer.status_code == 200
    lead = answer.json()["data"][0]
    assert lead["id"] == lead_id
    assert lead["Full_Name"] == "Jane Doe"
    assert lead["Owner"] == {"name": "Sam Seller", "id": seller, "email": "sam@example.com"}
    assert [tag["name"] for tag in lead["Tag"]] == ["VIP", "Hot"]
    assert all(set(tag) == {"name", "id", "color_code"} for tag in lead["Tag"])
    assert lead["Converted__s"] is False
    assert lead["Converted_Contact"] is None
    assert lead["Modified_Time"].endswith("+00:00")


def test_a_lead_keeps_a_given_modified_time(emulator, zoho):
    lead_id = add_lead(emulator, Modified_Time="2026-11-01T08:30:00+00:00")

    lead = zoho.get(f"Leads/{lead_id}").json()["data"][0]

    assert lead["Modified_Time"] == "2026-11-01T08:30:00+00:00"


def test_fields_parameter_limits_the_answer(emulator, zoho):
    lead_id = add_lead(emulator)

    lead = zoho.get(f"Leads/{lead_id}", params={"fields": "Email,Lead_Status"}).json()["data"][0]

    assert lead == {"id": lead_id, "Email": "jane@acme.example", "Lead_Status": "Qualified"}


def test_a_non_numeric_lead_id_is_invalid_data(zoho):
    answer = zoho.get("Leads/abc")

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "INVALID_DATA",
        "details": {"resource_path_index": 1},
        "message": "the given id seems to be invalid",
        "status": "error",
    }


def test_an_unknown_lead_is_no_content(zoho):
    answer = zoho.get("Leads/4876876000000999999")

    assert answer.status_code == 204
    assert answer.content == b""


def test_converted_leads_are_hidden_unless_asked_for(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.convert(lead_id, {"Deals": DEAL})

    default = zoho.get(f"Leads/{lead_id}")
    converted = zoho.get(f"Leads/{lead_id}", params={"converted": "true"})
    both = zoho.get(f"Leads/{lead_id}", params={"converted": "both"})

    assert default.status_code == 204
    lead = converted.json()["data"][0]
    assert both.json()["data"][0] == lead
    assert lead["Converted__s"] is True
    assert lead["Converted_Date_Time"]
    assert set(lead["Converted_Contact"]) == {"name", "id"}
    assert lead["Converted_Account"]["name"] == "Acme"
    assert lead["Converted_Deal"]["name"] == "Acme - Doe"


def test_converted_true_does_not_return_an_unconverted_lead(emulator, zoho):
    lead_id = add_lead(emulator)

    assert zoho.get(f"Leads/{lead_id}", params={"converted": "true"}).status_code == 204
    assert zoho.get(f"Leads/{lead_id}", params={"converted": "maybe"}).status_code == 400


def test_get_records_lists_chosen_leads_with_the_fields_asked_for(emulator, zoho):
    first, second, third = (add_lead(emulator, Last_Name=f"L{n}") for n in range(3))
    zoho.convert(second)

    default = zoho.get("Leads", params={"ids": f"{first},{second}", "fields": "Last_Name"})
    both = zoho.get(
        "Leads", params={"ids": f"{second},{third}", "fields": "Last_Name,Converted__s", "converted": "both"}
    )

    assert default.json() == {
        "data": [{"id": first, "Last_Name": "L0"}],
        "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
    }
    assert both.json()["data"] == [
        {"id": second, "Last_Name": "L1", "Converted__s": True},
        {"id": third, "Last_Name": "L2", "Converted__s": False},
    ]


def test_get_records_pages_through_all_leads(emulator, zoho):
    lead_ids = [add_lead(emulator, Last_Name=f"L{n}") for n in range(5)]

    first = zoho.get("Leads", params={"fields": "Last_Name", "per_page": 2}).json()
    last = zoho.get("Leads", params={"fields": "Last_Name", "per_page": 2, "page": 3}).json()
    beyond = zoho.get("Leads", params={"fields": "Last_Name", "per_page": 2, "page": 4})

    assert [row["id"] for row in first["data"]] == lead_ids[:2]
    assert first["info"]["more_records"] is True
    assert [row["id"] for row in last["data"]] == lead_ids[4:]
    assert last["info"]["more_records"] is False
    assert beyond.status_code == 204


def test_get_records_needs_fields_from_v3_on_and_limits_ids(emulator, zoho):
    lead_id = add_lead(emulator)
    too_many = ",".join(str(4876876000000100001 + n) for n in range(101))

    missing = zoho.get("Leads", params={"ids": lead_id})
    legacy = Zoho(emulator, version="v2", token=zoho.token).get("Leads", params={"ids": lead_id})
    over = zoho.get("Leads", params={"ids": too_many, "fields": "Last_Name"})

    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert legacy.json()["data"][0]["Last_Name"] == "Doe"
    assert (over.status_code, over.json()["code"]) == (400, "LIMIT_EXCEEDED")


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


def test_convert_links_the_contact_with_the_same_email_and_the_account_named_like_the_company(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="ACME")
    contact_id = emulator.crm.add_contact(Last_Name="Doe", Email="JANE@acme.example")
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id).json()["data"][0]["details"]

    assert details["Contacts"]["id"] == contact_id
    assert details["Accounts"]["id"] == account_id
    assert len(emulator.crm.contacts) == 1
    assert len(emulator.crm.accounts) == 1
    assert emulator.crm.contacts[contact_id]["Account_Name"]["id"] == account_id


def test_convert_links_the_contact_and_account_it_is_given(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="Other Corp")
    contact_id = emulator.crm.add_contact(Last_Name="Other", Email="other@example.com")
    lead_id = add_lead(emulator)

    details = zoho.convert(lead_id, {"Contacts": {"id": contact_id}, "Accounts": {"id": account_id}}).json()[
        "data"
    ][0]["details"]

    assert (details["Contacts"]["id"], details["Accounts"]["id"]) == (contact_id, account_id)


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


def test_linking_the_duplicate_contact_converts(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    existing = emulator.crm.add_contact(Last_Name="Roe", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0100")

    answer = zoho.convert(lead_id, {"Contacts": {"id": existing}})

    assert answer.json()["data"][0]["details"]["Contacts"]["id"] == existing


# --- conversion options ----------------------------------------------------------------------


def test_conversion_options_are_no_content_when_nothing_matches(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.get(f"Leads/{lead_id}/__conversion_options")

    assert answer.status_code == 204
    assert answer.content == b""


def test_conversion_options_list_the_contact_and_account_a_convert_would_link(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="Acme")
    contact_id = emulator.crm.add_contact(
        First_Name="Jane", Last_Name="Doe", Email="jane@acme.example", Account_Name=account_id
    )
    lead_id = add_lead(emulator)

    options = zoho.get(f"Leads/{lead_id}/__conversion_options").json()["__conversion_options"]

    assert options["module_preference"] == {"api_name": "Contacts", "id": "4876876000000002179"}
    assert [contact["id"] for contact in options["Contacts"]] == [contact_id]
    assert options["Contacts"][0]["Account_Name"] == {"name": "Acme", "id": account_id}
    assert [account["id"] for account in options["Accounts"]] == [account_id]
    matched = options["preference_field_matched_value"]
    assert [(m["field"]["api_name"], m["matched_lead_value"]) for m in matched["Contacts"]] == [
        ("Email", "jane@acme.example")
    ]
    assert [(m["field"]["api_name"], m["matched_lead_value"]) for m in matched["Accounts"]] == [
        ("Account_Name", "Acme")
    ]
    assert options["Deals"] is None


def test_conversion_options_include_contacts_matching_a_configured_unique_field(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    contact_id = emulator.crm.add_contact(Last_Name="Roe", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0100", Company="Nobody Inc")

    options = zoho.get(f"Leads/{lead_id}/__conversion_options").json()["__conversion_options"]

    assert [contact["id"] for contact in options["Contacts"]] == [contact_id]
    assert options["preference_field_matched_value"]["Contacts"][0]["field"]["api_name"] == "Phone"
    assert options["Accounts"] is None


def test_conversion_options_exist_from_v5_on(emulator, zoho):
    lead_id = add_lead(emulator)
    older = Zoho(emulator, version="v4", token=zoho.token)

    assert older.get(f"Leads/{lead_id}/__conversion_options").json()["code"] == "INVALID_URL_PATTERN"
    assert (
        Zoho(emulator, version="v5", token=zoho.token)
        .get(f"Leads/{lead_id}/__conversion_options")
        .status_code
        == 204
    )


def test_conversion_options_of_a_converted_or_malformed_lead_are_refused(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.convert(lead_id)

    converted = zoho.get(f"Leads/{lead_id}/__conversion_options")
    malformed = zoho.get("Leads/x1/__conversion_options")

    assert (converted.status_code, converted.json()["code"]) == (400, "ID_ALREADY_CONVERTED")
    assert malformed.json()["details"] == {"resource_path_index": 1}


# --- notes -------------------------------------------------------------------------------------


def test_a_note_added_to_a_lead_reads_back_and_leaves_the_lead_unmodified(emulator, zoho):
    lead_id = add_lead(emulator, Modified_Time="2026-11-01T08:30:00+00:00")

    added = zoho.post(
        f"Leads/{lead_id}/Notes",
        json={
            "data": [
                {
                    "Note_Title": "Automatic conversion failed",
                    "Note_Content": "why",
                    "Parent_Id": lead_parent(lead_id),
                }
            ]
        },
    )
    notes = zoho.get(
        f"Leads/{lead_id}/Notes", params={"fields": "Note_Title,Note_Content,Parent_Id,$se_module"}
    ).json()

    assert added.status_code == 201
    result = added.json()["data"][0]
    assert (result["code"], result["message"], result["status"]) == (
        "SUCCESS",
        "record added",
        "success",
    )
    note_id = result["details"]["id"]
    assert [note["id"] for note in notes["data"]] == [note_id]
    note = notes["data"][0]
    assert (note["Note_Title"], note["Note_Content"]) == ("Automatic conversion failed", "why")
    assert note["Parent_Id"]["id"] == lead_id
    assert note["$se_module"] == "Leads"
    assert notes["info"]["count"] == 1
    assert emulator.crm.lead(lead_id)["Modified_Time"] == "2026-11-01T08:30:00+00:00"
    assert note_id in emulator.crm.notes


def test_a_note_can_name_its_parent_with_se_module_as_in_v2(emulator, zoho):
    lead_id = add_lead(emulator)

    added = Zoho(emulator, version="v2", token=zoho.token).post(
        "Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": lead_id, "se_module": "Leads"}]}
    )

    assert added.status_code == 201
    assert [note["Parent_Id"]["id"] for note in emulator.crm.notes.values()] == [lead_id]


def test_a_note_can_name_its_parent_as_an_object_as_in_v8(emulator, zoho):
    lead_id = add_lead(emulator)
    parent = {"id": lead_id, "module": {"api_name": "Leads"}}

    added = zoho.post("Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": parent}]})

    assert added.status_code == 201
    assert [note["Parent_Id"]["id"] for note in emulator.crm.notes.values()] == [lead_id]


def test_a_note_without_content_is_mandatory_not_found(emulator, zoho):
    lead_id = add_lead(emulator)

    parent = lead_parent(lead_id)
    refused = zoho.post(
        f"Leads/{lead_id}/Notes", json={"data": [{"Note_Title": "empty", "Parent_Id": parent}]}
    )
    mixed = zoho.post(
        f"Leads/{lead_id}/Notes",
        json={
            "data": [{"Note_Content": "ok", "Parent_Id": parent}, {"Note_Title": "no", "Parent_Id": parent}]
        },
    )

    assert record_error(refused)["details"] == {
        "api_name": "Note_Content",
        "json_path": "$.data[0].Note_Content",
    }
    assert mixed.status_code == 207
    assert [item["status"] for item in mixed.json()["data"]] == ["success", "error"]


def test_notes_of_a_lead_without_notes_are_no_content(emulator, zoho):
    lead_id = add_lead(emulator)

    assert zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title"}).status_code == 204
    assert zoho.get("Leads/4876876000000999999/Notes", params={"fields": "Note_Title"}).status_code == 400


def add_notes(zoho: Zoho, lead_id: str, count: int) -> list[str]:
    body = {"data": [{"Note_Content": f"note {n}", "Parent_Id": lead_parent(lead_id)} for n in range(count)]}
    return [result["details"]["id"] for result in zoho.post("Notes", json=body).json()["data"]]


def test_get_notes_without_fields_is_required_param_missing(emulator, zoho):
    lead_id = add_lead(emulator)
    add_notes(zoho, lead_id, 1)

    answer = zoho.get(f"Leads/{lead_id}/Notes", params={"per_page": "200"})

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


def test_get_notes_pages_oldest_first_with_only_the_fields_asked_for(emulator, zoho):
    lead_id = add_lead(emulator)
    note_ids = add_notes(zoho, lead_id, 3)

    def page(number: int) -> requests.Response:
        return zoho.get(
            f"Leads/{lead_id}/Notes", params={"fields": "Note_Content", "per_page": "2", "page": str(number)}
        )

    first, second, beyond = page(1), page(2), page(3)

    assert first.json() == {
        "data": [
            {"id": note_ids[0], "Note_Content": "note 0"},
            {"id": note_ids[1], "Note_Content": "note 1"},
        ],
        "info": {"per_page": 2, "count": 2, "page": 1, "more_records": True},
    }
    assert second.json() == {
        "data": [{"id": note_ids[2], "Note_Content": "note 2"}],
        "info": {"per_page": 2, "count": 1, "page": 2, "more_records": False},
    }
    assert beyond.status_code == 204


def test_get_notes_pages_hold_at_most_200_notes(emulator, zoho):
    lead_id = add_lead(emulator)
    add_notes(zoho, lead_id, 201)

    default = zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title"})
    over = zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title", "per_page": "201"})
    page_zero = zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title", "page": "0"})

    assert default.json()["info"] == {"per_page": 200, "count": 200, "page": 1, "more_records": True}
    assert (over.status_code, over.json()["code"], over.json()["details"]) == (
        400,
        "INVALID_DATA",
        {"param_name": "per_page"},
    )
    assert (page_zero.status_code, page_zero.json()["details"]) == (400, {"param_name": "page"})


@pytest.mark.parametrize("path", ["Notes", "Leads/{lead_id}/Notes"])
def test_a_note_without_parent_id_is_mandatory_not_found(emulator, zoho, path):
    lead_id = add_lead(emulator)

    answer = zoho.post(path.format(lead_id=lead_id), json={"data": [{"Note_Content": "orphan"}]})

    assert record_error(answer) == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Parent_Id", "json_path": "$.data[0].Parent_Id"},
        "message": "required field not found",
        "status": "error",
    }
    assert emulator.crm.notes == {}


@pytest.mark.parametrize(
    ("parent", "code", "json_path"),
    [
        ({"id": "{lead_id}"}, "MANDATORY_NOT_FOUND", "$.data[0].Parent_Id.module"),
        ({"module": {"api_name": "Leads"}}, "MANDATORY_NOT_FOUND", "$.data[0].Parent_Id.id"),
        (
            {"module": {"api_name": "Gadgets"}, "id": "{lead_id}"},
            "INVALID_DATA",
            "$.data[0].Parent_Id.module",
        ),
        ({"module": {"api_name": "Leads"}, "id": "x1"}, "INVALID_DATA", "$.data[0].Parent_Id.id"),
        ("{lead_id}", "INVALID_DATA", "$.data[0].Parent_Id"),
    ],
)
def test_v3_and_later_need_parent_id_as_a_module_and_id_object(emulator, zoho, parent, code, json_path):
    lead_id = add_lead(emulator)
    parent = json.loads(json.dumps(parent).replace("{lead_id}", lead_id))

    answer = Zoho(emulator, version="v3", token=zoho.token).post(
        "Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": parent, "se_module": "Leads"}]}
    )

    error = record_error(answer)
    assert (error["code"], error["details"]["api_name"], error["details"]["json_path"]) == (
        code,
        "Parent_Id",
        json_path,
    )


@pytest.mark.parametrize("version", ["v2", "v2.1"])
def test_v2_takes_parent_id_only_in_its_legacy_form(emulator, zoho, version):
    lead_id = add_lead(emulator)
    client = Zoho(emulator, version=version, token=zoho.token)

    legacy = client.post(
        f"Leads/{lead_id}/Notes",
        json={"data": [{"Note_Content": "hi", "Parent_Id": lead_id, "se_module": "Leads"}]},
    )
    as_object = client.post(
        "Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": lead_parent(lead_id)}]}
    )
    no_module = client.post("Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": lead_id}]})

    assert legacy.status_code == 201
    assert record_error(as_object)["details"]["api_name"] == "Parent_Id"
    assert record_error(no_module)["details"] == {"api_name": "se_module", "json_path": "$.data[0].se_module"}
    assert len(emulator.crm.notes) == 1


def test_a_note_naming_another_parent_than_the_url_is_invalid_data(emulator, zoho):
    lead_id, other_id = add_lead(emulator), add_lead(emulator, Last_Name="Other")
    contact_id = emulator.crm.add_contact(Last_Name="Roe")

    other_lead = zoho.post(
        f"Leads/{lead_id}/Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": lead_parent(other_id)}]}
    )
    other_module = zoho.post(
        f"Contacts/{contact_id}/Notes",
        json={"data": [{"Note_Content": "hi", "Parent_Id": lead_parent(lead_id)}]},
    )
    unknown_parent = zoho.post(
        "Notes", json={"data": [{"Note_Content": "hi", "Parent_Id": lead_parent("4876876000000999999")}]}
    )

    assert record_error(other_lead) == {
        "code": "INVALID_DATA",
        "details": {"api_name": "Parent_Id", "json_path": "$.data[0].Parent_Id"},
        "message": "invalid data",
        "status": "error",
    }
    assert record_error(other_module)["details"] == {
        "api_name": "Parent_Id",
        "json_path": "$.data[0].Parent_Id",
    }
    assert record_error(unknown_parent)["details"]["api_name"] == "Parent_Id"
    assert emulator.crm.notes == {}


# --- Mass Convert ------------------------------------------------------------------------------


def mass_convert(zoho: Zoho, lead_ids: list[str], **body: Any) -> requests.Response:
    return zoho.post("Leads/actions/mass_convert", json={"ids": lead_ids, "assign_to": {"id": ADMIN}, **body})


def job_status(zoho: Zoho, job_id: str) -> dict[str, Any]:
    return zoho.get("Leads/actions/mass_convert", params={"job_id": job_id}).json()["data"][0]


def finished_job(zoho: Zoho, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while (status := job_status(zoho, job_id))["Status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.02)
    return status


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
    first = job_status(zoho, answer.json()["details"]["job_id"])
    last = finished_job(zoho, answer.json()["details"]["job_id"])

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


def test_mass_convert_counts_chosen_and_already_converted_leads_as_failed(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    good, chosen, done = (add_lead(emulator, Email=f"{n}@acme.example") for n in range(3))
    zoho.convert(done)
    emulator.faults.mass_convert_fail_ids = {chosen}

    job_id = mass_convert(zoho, [good, chosen, done]).json()["details"]["job_id"]
    status = finished_job(zoho, job_id)

    assert (status["Status"], status["Converted_Count"], status["Failed_Count"]) == ("completed", 1, 2)
    assert emulator.crm.lead(chosen)["Converted__s"] is False


def test_a_mass_convert_job_where_every_lead_fails_is_failed(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_id = add_lead(emulator)
    emulator.faults.mass_convert_fail_ids = {lead_id}

    job_id = mass_convert(zoho, [lead_id]).json()["details"]["job_id"]

    assert finished_job(zoho, job_id)["Status"] == "failed"


def test_mass_convert_takes_at_most_fifty_ids(emulator, zoho):
    lead_ids = [str(4876876000000100001 + n) for n in range(51)]

    answer = mass_convert(zoho, lead_ids)

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
    answer = mass_convert(zoho, [add_lead(emulator)], **body)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["details"]["api_name"] == api_name


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


def unknown_url_answer(zoho: Zoho, version: str) -> tuple[int, Any]:
    answer = zoho.session.get(f"{zoho.url}/crm/{version}/Gadgets/1", timeout=5)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3"])
def test_mass_convert_and_its_status_answer_as_unknown_urls_before_v4(emulator, zoho, version):
    older = Zoho(emulator, version=version, token=zoho.token)
    lead_id = add_lead(emulator)

    submit = older.post("Leads/actions/mass_convert", json={"ids": [lead_id], "assign_to": {"id": ADMIN}})
    status = older.get("Leads/actions/mass_convert", params={"job_id": "4876876000005000001"})

    assert (submit.status_code, submit.json()) == unknown_url_answer(zoho, version)
    assert (status.status_code, status.json()) == unknown_url_answer(zoho, version)
    assert emulator.crm.lead(lead_id)["Converted__s"] is False


def test_mass_convert_and_its_status_exist_from_v4_on(emulator, zoho):
    v4 = Zoho(emulator, version="v4", token=zoho.token)

    submit = v4.post(
        "Leads/actions/mass_convert", json={"ids": [add_lead(emulator)], "assign_to": {"id": ADMIN}}
    )
    status = v4.get("Leads/actions/mass_convert")

    assert submit.status_code == 202
    assert (status.status_code, status.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3", "v4"])
def test_conversion_options_answer_as_an_unknown_url_before_v5(emulator, zoho, version):
    lead_id = add_lead(emulator)

    answer = Zoho(emulator, version=version, token=zoho.token).get(f"Leads/{lead_id}/__conversion_options")

    assert (answer.status_code, answer.json()) == unknown_url_answer(zoho, version)


# --- COQL --------------------------------------------------------------------------------------


@pytest.fixture
def prospects(emulator: ZohoEmulator) -> dict[str, str]:
    def lead(name: str, **fields: Any) -> str:
        return add_lead(emulator, Last_Name=name, Email=f"{name.lower()}@example.com", **fields)

    return {
        "partner": lead(
            "Partner",
            Lead_Source="Partner",
            Annual_Revenue=2_000_000,
            Modified_Time="2026-11-20T09:00:00+00:00",
        ),
        "show": lead(
            "Show",
            Lead_Source="Trade Show",
            Annual_Revenue=900_000,
            Modified_Time="2026-11-20T11:00:00+00:00",
        ),
        "late": lead("Late", Lead_Source="Partner", Modified_Time="2026-11-21T12:00:00+00:00"),
        "web": lead(
            "Web", Lead_Source="Web", Lead_Status="Contacted", Modified_Time="2026-11-19T09:00:00+00:00"
        ),
    }


def coql(zoho: Zoho, query: str) -> requests.Response:
    return zoho.post("coql", json={"select_query": query})


def selected_ids(answer: requests.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["data"]]


def test_coql_selects_the_fields_of_the_leads_matching_the_where_clause(zoho, prospects):
    answer = coql(
        zoho,
        "select id, Last_Name, Lead_Status, Owner from Leads "
        "where (Lead_Status = 'Qualified' and Lead_Source in ('Partner','Trade Show')) "
        "and Modified_Time < '2026-11-21T10:00:00+00:00' limit 0, 200",
    )

    assert answer.json() == {
        "data": [
            {
                "id": prospects["partner"],
                "Last_Name": "Partner",
                "Lead_Status": "Qualified",
                "Owner": {"id": ADMIN},
            },
            {
                "id": prospects["show"],
                "Last_Name": "Show",
                "Lead_Status": "Qualified",
                "Owner": {"id": ADMIN},
            },
        ],
        "info": {"count": 2, "more_records": False},
    }


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Lead_Status != 'Qualified'", ["web"]),
        ("Lead_Source not in ('Partner', 'Web')", ["show"]),
        ("Annual_Revenue >= 1000000", ["partner"]),
        ("Annual_Revenue < 1000000", ["show"]),
        ("Annual_Revenue is null", ["late", "web"]),
        ("Annual_Revenue is not null", ["partner", "show"]),
        ("Lead_Source = 'partner' or Last_Name = 'Web'", ["partner", "late", "web"]),
        ("Modified_Time >= '2026-11-20T11:00:00+00:00'", ["show", "late"]),
        ("Owner.id = '4876876000000002001' and Email = 'SHOW@example.com'", ["show"]),
    ],
)
def test_coql_where_operators(zoho, prospects, where, expected):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [prospects[name] for name in expected]


def test_coql_pages_with_both_limit_forms(zoho, prospects):
    first = coql(zoho, "select Last_Name from Leads where id is not null order by Last_Name limit 0, 3")
    rest = coql(zoho, "select Last_Name from Leads where id is not null order by Last_Name limit 3 offset 3")

    assert [row["Last_Name"] for row in first.json()["data"]] == ["Late", "Partner", "Show"]
    assert first.json()["info"] == {"count": 3, "more_records": True}
    assert [row["Last_Name"] for row in rest.json()["data"]] == ["Web"]
    assert rest.json()["info"] == {"count": 1, "more_records": False}


def test_coql_never_returns_converted_leads(zoho, prospects):
    zoho.convert(prospects["partner"])

    answer = coql(zoho, "select Last_Name from Leads where Lead_Source = 'Partner'")

    assert selected_ids(answer) == [prospects["late"]]


def test_coql_answers_no_content_when_nothing_matches(zoho, prospects):
    answer = coql(zoho, "select Last_Name from Leads where Lead_Status = 'Junk Lead'")

    assert answer.status_code == 204


@pytest.mark.parametrize(
    ("query", "code", "details"),
    [
        ("select Last_Name form Leads", "SYNTAX_ERROR", {"near": "form"}),
        ("select Last_Name from Leads where", "SYNTAX_ERROR", {}),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' and", "SYNTAX_ERROR", {}),
        ("select Shoe_Size from Leads where id is not null", "INVALID_QUERY", {"column_name": "Shoe_Size"}),
        ("select id from Leads where Shoe_Size = 1", "INVALID_QUERY", {"column_name": "Shoe_Size"}),
        ("select id from Leads where Email > 'a'", "INVALID_QUERY", {"column_name": "Email"}),
        ("select id from Leads where Modified_Time < 'soon'", "INVALID_QUERY", {}),
        ("select id from Deals where id is not null", "INVALID_QUERY", {"module": "Deals"}),
        ("select id from Leads where id is not null limit 2001", "LIMIT_EXCEEDED", {"limit": 2000}),
    ],
)
def test_coql_refuses_bad_queries(zoho, prospects, query, code, details):
    answer = coql(zoho, query)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert details.items() <= answer.json()["details"].items()


def test_coql_needs_a_select_query(zoho):
    assert zoho.post("coql", json={}).json()["details"]["api_name"] == "select_query"


def coql_error(answer: requests.Response, code: str) -> dict[str, Any]:
    """A COQL refusal: HTTP 400 and one unwrapped error object (zoho-crm-api.md §10)."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert (body["code"], body["status"]) == (code, "error")
    return body


def paired(criteria: list[str]) -> str:
    """Criteria joined by `and`, bracketed in pairs from the left: ((A and B) and C) ..."""
    where = criteria[0]
    for criterion in criteria[1:]:
        where = f"({where} and {criterion})"
    return where


def quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Lead_Status = 'Qualified'", ["partner", "show", "late"]),
        ("(Lead_Status = 'Qualified')", ["partner", "show", "late"]),
        ("((Lead_Status = 'Qualified'))", ["partner", "show", "late"]),
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner'", ["partner", "late"]),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner')", ["partner", "late"]),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner') and Annual_Revenue is null", ["late"]),
        ("Lead_Status = 'Qualified' and (Lead_Source = 'Partner' and Annual_Revenue is null)", ["late"]),
        ("((Lead_Status = 'Qualified' and Lead_Source = 'Partner') and Annual_Revenue is null)", ["late"]),
        ("(Lead_Source = 'Web' or Lead_Source = 'Trade Show') and Lead_Status = 'Contacted'", ["web"]),
    ],
)
def test_coql_takes_criteria_bracketed_in_pairs(zoho, prospects, where, expected):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    assert selected_ids(answer) == [prospects[name] for name in expected]


@pytest.mark.parametrize(
    ("where", "near"),
    [
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner' and Annual_Revenue is null", "and"),
        ("Lead_Source = 'Web' or Lead_Source = 'Partner' or Lead_Source = 'Trade Show'", "or"),
        ("Lead_Status = 'Qualified' and Lead_Source = 'Partner' or Last_Name = 'Web'", "or"),
        ("(Lead_Status = 'Qualified' and Lead_Source = 'Partner' and Annual_Revenue is null)", "and"),
        (
            "Last_Name = 'Web' and (Lead_Source = 'Web' or Lead_Source = 'Partner' or Last_Name = 'Show')",
            "or",
        ),
    ],
)
def test_coql_refuses_three_criteria_in_one_bracket_as_zoho_does(zoho, prospects, where, near):
    answer = coql(zoho, f"select Last_Name from Leads where {where}")  # noqa: S608 (COQL)

    error = coql_error(answer, "SYNTAX_ERROR")
    assert error["details"]["near"] == near
    assert error["details"]["column"] == len("select Last_Name from Leads where ") + where.rindex(near) + 1


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads",
        "select Last_Name from Leads order by Last_Name",
        "select Last_Name from Leads limit 10",
    ],
)
def test_coql_refuses_a_query_without_where_clause(zoho, prospects, query):
    error = coql_error(coql(zoho, query), "SYNTAX_ERROR")

    assert error["message"] == "the query does not contain the where clause"
    assert error["details"]["clause"] == "where"


def test_coql_takes_at_most_25_criteria(zoho, prospects):
    criteria = [f"Last_Name != 'nobody {n}'" for n in range(26)]

    at_limit = coql(zoho, f"select Last_Name from Leads where {paired(criteria[:25])}")  # noqa: S608
    over = coql(zoho, f"select Last_Name from Leads where {paired(criteria)}")  # noqa: S608

    assert len(selected_ids(at_limit)) == 4
    error = coql_error(over, "LIMIT_EXCEEDED")
    assert error["details"] == {"clause": "where", "limit": 25}


def test_coql_counts_each_value_of_an_in_list_as_one_criterion(zoho, prospects):
    names = [f"nobody {n}" for n in range(13)]
    twenty_five = f"Last_Name in ({quoted([*names[:11], 'Web'])}) and Email not in ({quoted(names)})"
    twenty_six = f"Last_Name in ({quoted([*names[:12], 'Web'])}) and Email not in ({quoted(names)})"

    at_limit = coql(zoho, f"select Last_Name from Leads where {twenty_five}")  # noqa: S608
    over = coql(zoho, f"select Last_Name from Leads where {twenty_six}")  # noqa: S608

    assert selected_ids(at_limit) == [prospects["web"]]
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "where", "limit": 25}


def test_coql_takes_at_most_50_values_in_one_in_list(zoho, prospects):
    values = quoted([f"nobody {n}" for n in range(51)])

    over = coql(zoho, f"select Last_Name from Leads where Last_Name not in ({values})")  # noqa: S608

    error = coql_error(over, "LIMIT_EXCEEDED")
    assert error["message"] == "more than 50 values for the in"
    assert error["details"]["limit"] == 50
    assert error["details"]["column_name"] == "Last_Name"


def test_coql_takes_at_most_50_selected_fields_counting_id(zoho, prospects):
    fifty = ", ".join(["id"] + ["Last_Name"] * 49)
    fifty_one = ", ".join(["Last_Name"] * 50 + ["id"])

    at_limit = coql(zoho, f"select {fifty} from Leads where Last_Name = 'Web'")  # noqa: S608
    over = coql(zoho, f"select {fifty_one} from Leads where Last_Name = 'Web'")  # noqa: S608

    assert at_limit.json()["data"] == [{"id": prospects["web"], "Last_Name": "Web"}]
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "select", "limit": 50}


@pytest.mark.parametrize(
    ("version", "largest"),
    [
        ("v2", 200),
        ("v2.1", 200),
        ("v3", 200),
        ("v4", 200),
        ("v5", 200),
        ("v6", 200),
        ("v7", 2000),
        ("v8", 2000),
    ],
)
def test_coql_page_size_depends_on_the_version(emulator, zoho, prospects, version, largest):
    client = Zoho(emulator, version=version, token=zoho.token)
    query = "select Last_Name from Leads where Last_Name is not null limit {}"

    at_limit = client.post("coql", json={"select_query": query.format(largest)})
    over = client.post("coql", json={"select_query": query.format(largest + 1)})

    assert len(selected_ids(at_limit)) == 4
    assert coql_error(over, "LIMIT_EXCEEDED")["details"] == {"clause": "limit", "limit": largest}


def test_coql_answers_200_rows_without_limit(emulator, zoho):
    for n in range(201):
        add_lead(emulator, Last_Name=f"L{n:03}")

    answer = coql(zoho, "select Last_Name from Leads where Last_Name is not null")

    assert answer.json()["info"] == {"count": 200, "more_records": True}


@pytest.mark.parametrize(
    ("version", "allowed", "refused"),
    [
        ("v8", "limit 98000, 2000", "limit 98001, 2000"),
        ("v8", "limit 2000 offset 98000", "limit 2000 offset 98001"),
        ("v7", "limit 99999, 1", "limit 100000, 1"),
        ("v6", "limit 9800, 200", "limit 9801, 200"),
        ("v2", "limit 200 offset 9800", "limit 200 offset 9801"),
    ],
)
def test_coql_offset_and_limit_stay_under_the_version_ceiling(
    emulator, zoho, prospects, version, allowed, refused
):
    client = Zoho(emulator, version=version, token=zoho.token)
    query = "select Last_Name from Leads where Last_Name is not null {}"

    within = client.post("coql", json={"select_query": query.format(allowed)})
    beyond = client.post("coql", json={"select_query": query.format(refused)})

    assert within.status_code == 204
    error = coql_error(beyond, "LIMIT_EXCEEDED")
    assert error["message"] == "Max records limit exceeded"
    assert error["details"]["clause"] == "offset"


def test_coql_offset_ceiling_can_be_lowered_for_tests_and_reset(emulator, zoho, prospects):
    control = f"{emulator.url}/__emulator"
    set_ceiling = requests.post(f"{control}/faults", json={"coql_offset_ceiling": 3}, timeout=5)

    within = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 1")
    beyond = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 2")
    keyset = coql(
        zoho,
        f"select Last_Name from Leads where id > '{prospects['partner']}' order by id limit 3",  # noqa: S608
    )
    requests.post(f"{control}/reset", timeout=5)
    after_reset = coql(zoho, "select Last_Name from Leads where Last_Name is not null limit 2, 2")

    assert set_ceiling.status_code == 200
    assert selected_ids(within) == [prospects["late"]]
    assert coql_error(beyond, "LIMIT_EXCEEDED")["details"] == {"clause": "offset", "limit": 3}
    assert selected_ids(keyset) == [prospects["show"], prospects["late"], prospects["web"]]
    assert emulator.faults.coql_offset_ceiling is None
    assert after_reset.status_code == 204


def test_coql_reads_a_doubled_quote_as_one_quote(emulator, zoho, prospects):
    lead_id = add_lead(emulator, Last_Name="O'Brien")

    equal = coql(zoho, "select Last_Name from Leads where Last_Name = 'o''brien'")
    listed = coql(zoho, "select Last_Name from Leads where Last_Name in ('O''Brien', 'Web')")

    assert equal.json()["data"] == [{"id": lead_id, "Last_Name": "O'Brien"}]
    assert selected_ids(listed) == [prospects["web"], lead_id]


@pytest.mark.parametrize("literal", [r"'O\'Brien'", r"'a\\b'", r"'C:\temp'"])
def test_coql_refuses_any_backslash_in_a_string_literal(emulator, zoho, prospects, literal):
    add_lead(emulator, Last_Name="O'Brien")

    answer = coql(zoho, f"select Last_Name from Leads where Last_Name = {literal}")  # noqa: S608

    error = coql_error(answer, "SYNTAX_ERROR")
    assert "\\" in error["details"]["near"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("id > '{partner}'", ["show", "late", "web"]),
        ("id > {partner}", ["show", "late", "web"]),
        ("id >= '{show}'", ["show", "late", "web"]),
        ("id < '{show}'", ["partner"]),
        ("id > '999'", ["partner", "show", "late", "web"]),
        ("id = '{late}'", ["late"]),
        ("id in ('{late}', {web})", ["late", "web"]),
        ("id not in ('{late}')", ["partner", "show", "web"]),
        ("(Lead_Status = 'Qualified' and id > '{partner}') and id >= '{partner}'", ["show", "late"]),
    ],
)
def test_coql_compares_ids_as_numbers(zoho, prospects, where, expected):
    query = f"select Last_Name from Leads where {where.format(**prospects)} order by id asc"  # noqa: S608

    assert selected_ids(coql(zoho, query)) == [prospects[name] for name in expected]


def test_coql_refuses_an_id_that_is_not_digits(zoho, prospects):
    error = coql_error(coql(zoho, "select Last_Name from Leads where id > 'abc'"), "INVALID_QUERY")

    assert error["details"]["column_name"] == "id"


def test_coql_orders_by_id_either_way(zoho, prospects):
    ascending = coql(zoho, "select Last_Name from Leads where id is not null order by id")
    descending = coql(zoho, "select Last_Name from Leads where id is not null order by id desc")

    assert selected_ids(ascending) == list(prospects.values())
    assert selected_ids(descending) == list(reversed(prospects.values()))


def test_coql_pages_by_id_until_no_records_follow(emulator, zoho):
    lead_ids = [add_lead(emulator, Lead_Status="Qualified" if n % 3 else "Contacted") for n in range(30)]
    qualified = [lead_id for n, lead_id in enumerate(lead_ids) if n % 3]
    emulator.crm.convert(qualified[4])
    pages, cursor, more = [], "0", True

    while more:
        answer = coql(
            zoho,
            f"select Last_Name from Leads where (Lead_Status = 'Qualified' and id > '{cursor}') "  # noqa: S608
            "order by id asc limit 5",
        )
        pages.append(selected_ids(answer))
        cursor, more = pages[-1][-1], answer.json()["info"]["more_records"]

    assert [len(page) for page in pages] == [5, 5, 5, 4]
    assert [lead_id for page in pages for lead_id in page] == [q for q in qualified if q != qualified[4]]


def test_coql_offset_pages_in_id_order_agree_with_sorted_pages(emulator, zoho):
    for n in range(12):
        add_lead(emulator, Last_Name=f"L{n:02}")
    select = "select Last_Name from Leads where Last_Name is not null"

    by_id = [coql(zoho, f"{select} order by id asc limit {offset}, 5") for offset in (0, 5, 10)]
    unordered = coql(zoho, f"{select} limit 5 offset 10")
    by_name = [coql(zoho, f"{select} order by Last_Name limit {offset}, 5") for offset in (0, 5, 10)]

    assert [selected_ids(page) for page in by_id] == [selected_ids(page) for page in by_name]
    assert [page.json()["info"]["more_records"] for page in by_id] == [True, True, False]
    assert selected_ids(unordered) == selected_ids(by_id[2])


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


# --- URLs and methods --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/crm/v9/users", "/crm/v8/Gadgets/1", "/somewhere"])
def test_unknown_urls_are_invalid_url_pattern(emulator, zoho, path):
    answer = zoho.session.get(f"{emulator.url}{path}", timeout=5)

    assert answer.status_code == 404
    assert answer.json()["code"] == "INVALID_URL_PATTERN"


def test_a_wrong_method_on_a_known_path_is_invalid_request_method(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.session.delete(f"{emulator.url}/crm/v8/Leads/{lead_id}", timeout=5)

    assert answer.status_code == 405
    assert answer.json()["code"] == "INVALID_REQUEST_METHOD"


# --- HTTP behaviour ----------------------------------------------------------------------------


def test_every_answer_says_how_long_the_emulator_spent_on_it(emulator, zoho):
    answers = [
        zoho.get("users"),
        zoho.get("Leads/4876876000000999999"),
        requests.get(f"{emulator.url}/crm/v8/users", timeout=5),
    ]

    assert all(float(answer.headers["X-Emulator-Time-Ms"]) >= 0 for answer in answers)


def test_keep_alive_calls_do_not_stall_on_delayed_acks(zoho):
    zoho.get("users")
    started = time.perf_counter()
    for _ in range(25):
        assert zoho.get("users").status_code == 200
    elapsed = time.perf_counter() - started

    # A response written in two packets without TCP_NODELAY stalls ~40 ms per call (1 s here).
    assert elapsed < 0.5


# --- faults ------------------------------------------------------------------------------------


def test_latency_delays_api_calls_but_not_token_calls(emulator, zoho):
    emulator.faults.latency = 0.2

    started = time.perf_counter()
    api = zoho.get("users")
    api_seconds = time.perf_counter() - started
    started = time.perf_counter()
    requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)
    token_seconds = time.perf_counter() - started

    assert api_seconds >= 0.2
    assert float(api.headers["X-Emulator-Time-Ms"]) >= 200
    assert token_seconds < 0.2


def test_calls_beyond_the_concurrency_limit_are_refused_at_once(emulator, zoho):
    emulator.faults.concurrency_limit = 2
    emulator.faults.latency = 0.5
    clients = [Zoho(emulator, token=zoho.token) for _ in range(5)]
    start = threading.Barrier(5)

    def call(client: Zoho) -> tuple[int, float, dict[str, Any]]:
        start.wait()
        began = time.perf_counter()
        answer = client.get("users")
        return answer.status_code, time.perf_counter() - began, answer.json()

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(call, clients))

    assert Counter(status for status, _, _ in results) == {200: 2, 429: 3}
    refused = [(seconds, body) for status, seconds, body in results if status == 429]
    assert all(seconds < 0.5 for seconds, _ in refused)
    assert all(body["code"] == "TOO_MANY_REQUESTS" for _, body in refused)


def test_fail_next_fails_only_the_matching_calls_then_recovers(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.fail_next(2, status=503, code="INTERNAL_ERROR", path=r"/actions/convert$")

    read = zoho.get(f"Leads/{lead_id}")
    failed = [zoho.convert(lead_id) for _ in range(2)]
    converted = zoho.convert(lead_id)

    assert read.status_code == 200
    assert [answer.status_code for answer in failed] == [503, 503]
    assert failed[0].json()["code"] == "INTERNAL_ERROR"
    assert converted.status_code == 200
    assert emulator.crm.conversions(lead_id) == 1


def test_fail_next_can_target_a_method(emulator, zoho):
    emulator.faults.fail_next(1, status=500, method="POST")

    assert zoho.get("users").status_code == 200
    assert zoho.convert("4876876000000999999").status_code == 500


def test_fail_fraction_fails_a_reproducible_share_until_cleared(emulator, zoho):
    emulator.faults.fail_fraction(0.5, status=500, seed=7)

    statuses = [zoho.get("users").status_code for _ in range(40)]
    emulator.faults.clear()
    after = [zoho.get("users").status_code for _ in range(5)]

    assert 5 < statuses.count(500) < 35
    assert set(statuses) == {200, 500}
    assert after == [200] * 5


def test_reset_next_resets_the_connection_without_an_answer(emulator, zoho):
    emulator.faults.reset_next(1, path=r"/users$")

    with pytest.raises(requests.ConnectionError):
        zoho.get("users")
    recovered = zoho.get("users")

    assert recovered.status_code == 200
    assert [entry.status for entry in emulator.requests("GET", "users")] == [0, 200]


def test_hang_next_delays_the_answer(emulator, zoho):
    emulator.faults.hang_next(1, 0.3, path=r"/users$")

    started = time.perf_counter()
    answer = zoho.get("users")

    assert answer.status_code == 200
    assert time.perf_counter() - started >= 0.3
    assert float(answer.headers["X-Emulator-Time-Ms"]) >= 300


def test_a_hang_after_processing_converts_although_the_client_gives_up(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.hang_next(1, 2.0, path=r"/actions/convert$", after_processing=True)

    with pytest.raises(requests.ReadTimeout):
        zoho.convert(lead_id, {"Deals": DEAL}, timeout=0.3)
    again = Zoho(emulator, token=zoho.token).convert(lead_id, {"Deals": DEAL})

    assert emulator.crm.conversions(lead_id) == 1
    assert again.json()["code"] == "ID_ALREADY_CONVERTED"


def test_malformed_next_answers_the_given_body_without_processing(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.malformed_next(1, body=b"<html>oops", status=200, path=r"/actions/convert$")

    answer = zoho.convert(lead_id)

    assert (answer.status_code, answer.content) == (200, b"<html>oops")
    assert emulator.crm.conversions(lead_id) == 0


def test_token_calls_are_not_api_calls_for_faults_without_a_path(emulator):
    emulator.faults.fail_next(1, status=500)

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert "access_token" in answer.json()


# --- journal -----------------------------------------------------------------------------------


def test_the_journal_records_what_clients_sent_and_what_they_got(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.get(f"Leads/{lead_id}", params={"converted": "both"}, headers={"X-Trace": "abc"})
    zoho.convert(lead_id, {"Deals": DEAL})

    token, read, convert = emulator.journal

    assert (token.method, token.path, token.status) == ("POST", "/oauth/v2/token", 200)
    assert token.form["grant_type"] == ["refresh_token"]
    assert (read.method, read.query, read.status) == ("GET", {"converted": ["both"]}, 200)
    assert read.headers["x-trace"] == "abc"
    assert read.headers["Authorization"] == f"Zoho-oauthtoken {zoho.token}"
    assert convert.json == {"data": [{"Deals": DEAL}]}
    assert convert.body.startswith(b"{")
    assert convert.duration_ms >= 0
    assert convert.started >= token.started


def test_requests_filters_the_journal_by_method_and_path(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.get(f"Leads/{lead_id}")
    zoho.convert(lead_id)

    assert [entry.method for entry in emulator.requests(path=r"/Leads/")] == ["GET", "POST"]
    assert [entry.path for entry in emulator.requests(method="POST", path="convert$")] == [
        f"/crm/v8/Leads/{lead_id}/actions/convert"
    ]
    assert emulator.token_requests == 1


def test_clearing_the_journal_forgets_earlier_calls(emulator, zoho):
    zoho.get("users")

    emulator.clear_journal()

    assert emulator.journal == []
    assert emulator.token_requests == 0


# --- control endpoints -------------------------------------------------------------------------


def test_control_endpoints_set_up_state_and_report_it(emulator, zoho):
    control = f"{emulator.url}/__emulator"

    created = requests.post(f"{control}/leads", json={"Last_Name": "Roe", "Company": "Initech"}, timeout=5)
    lead_id = created.json()["id"]
    raw = requests.get(f"{control}/leads/{lead_id}", timeout=5).json()
    zoho.convert(lead_id)
    state = requests.get(f"{control}/state", timeout=5).json()
    journal = requests.get(f"{control}/journal", timeout=5).json()

    assert created.status_code == 201
    assert raw["Company"] == "Initech"
    assert state == {
        "leads": 1,
        "converted_leads": 1,
        "contacts": 1,
        "accounts": 1,
        "deals": 0,
        "notes": 0,
        "token_requests": 1,
    }
    assert [entry["path"] for entry in journal] == [
        "/oauth/v2/token",
        f"/crm/v8/Leads/{lead_id}/actions/convert",
    ]


def test_control_endpoint_sets_faults(emulator, zoho):
    control = f"{emulator.url}/__emulator/faults"

    requests.post(control, json={"fail_next": {"n": 1, "status": 502}, "latency": 0.01}, timeout=5)
    failed = zoho.get("users")
    requests.post(control, json={"revoke_tokens": True}, timeout=5)
    revoked = zoho.get("users")
    refused = requests.post(control, json={"no_such_fault": 1}, timeout=5)

    assert failed.status_code == 502
    assert revoked.json()["code"] == "INVALID_TOKEN"
    assert emulator.faults.latency == 0.01
    assert refused.status_code == 400


def test_control_reset_returns_to_the_seeded_state(demo):
    control = f"{demo.url}/__emulator"
    requests.post(f"{control}/leads", json={"Last_Name": "Extra"}, timeout=5)
    demo.faults.latency = 1.0

    requests.post(f"{control}/reset", timeout=5)

    assert requests.get(f"{control}/state", timeout=5).json()["leads"] == 5
    assert demo.faults.latency == 0.0


def test_unknown_control_endpoints_are_not_found(emulator):
    assert requests.get(f"{emulator.url}/__emulator/nothing", timeout=5).status_code == 404


# --- seed and command line ---------------------------------------------------------------------


def test_demo_seed_has_the_documented_users_and_leads(demo):
    client = Zoho(demo)

    users = {user["id"]: user["full_name"] for user in client.get("users").json()["users"]}
    jane = client.get("Leads/4876876000000100001").json()["data"][0]
    li = client.get("Leads/4876876000000100005").json()["data"][0]

    assert users == {
        "4876876000000002001": "Ava Admin",
        "4876876000000002002": "Sam Seller",
        "4876876000000002003": "Riya Rep",
    }
    assert (jane["Full_Name"], jane["Company"], jane["Annual_Revenue"]) == ("Jane Doe", "Globex", 2500000)
    assert [tag["name"] for tag in jane["Tag"]] == ["VIP", "Hot"]
    assert jane["Owner"]["name"] == "Sam Seller"
    assert (li["Lead_Source"], li["Owner"]["id"]) == ("Trade Show", "4876876000000002001")
    assert demo.crm.add_lead(Last_Name="Next") == "4876876000000100006"


def test_the_command_line_serves_the_demo_until_terminated():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.zoho_emulator", "--port", "0", "--seed", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        line = process.stdout.readline()
        url = line.split()[-1]
        form = {
            "grant_type": "refresh_token",
            "client_id": "1000.DEMOCLIENTID",
            "client_secret": "demo-client-secret",
            "refresh_token": "1000.demo-refresh-token",
        }
        token = requests.post(f"{url}/oauth/v2/token", data=form, timeout=5).json()["access_token"]
        lead = requests.get(
            f"{url}/crm/v8/Leads/4876876000000100001",
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=5)

    assert url.startswith("http://127.0.0.1:")
    assert lead.json()["data"][0]["Last_Name"] == "Doe"
    assert returncode == 0
