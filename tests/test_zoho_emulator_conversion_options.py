"""Lead Conversion Options (lead_endpoints.py, crm.py), v5 and later."""

from __future__ import annotations

import pytest

from tests.zoho_emulator.testing import Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


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


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3", "v4"])
def test_conversion_options_answer_as_an_unknown_url_before_v5(emulator, zoho, version):
    lead_id = add_lead(emulator)

    older = Zoho(emulator, version=version, token=zoho.token)

    answer = older.get(f"Leads/{lead_id}/__conversion_options")

    assert (answer.status_code, answer.json()) == older.unknown_url_answer()
