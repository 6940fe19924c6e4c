"""Org setup endpoints (metadata_endpoints.py): users, org, fields and modules."""

from __future__ import annotations

from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


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


def test_related_lists_name_the_notes_of_a_module_and_need_the_module(zoho):
    (notes,) = zoho.get("settings/related_lists", params={"module": "Leads"}).json()["related_lists"]
    missing = zoho.get("settings/related_lists")
    unknown = zoho.get("settings/related_lists", params={"module": "Nope"})

    assert (notes["api_name"], notes["module"]["api_name"]) == ("Notes", "Notes")
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_MODULE")
