"""Lead Conversion Options (lead_endpoints.py, crm.py), v5 and later: the contacts and accounts
that match a lead, in Kaizen #137's order (zoho-crm-api.md §1.2, §2, §14.6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.zoho_emulator.testing import Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_conversion_options_are_no_content_when_nothing_matches(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.get(f"Leads/{lead_id}/__conversion_options")

    assert answer.status_code == 204
    assert answer.content == b""


def test_conversion_options_are_no_content_when_no_record_matches(emulator, zoho):
    emulator.crm.add_contact(First_Name="John", Last_Name="Doe", Email="john@acme.example")
    emulator.crm.add_account(Account_Name="Acme Holdings")
    lead_id = add_lead(emulator)

    assert zoho.conversion_options(lead_id).status_code == 204


def options_of(zoho: Zoho, lead_id: str) -> dict[str, Any]:
    answer = zoho.conversion_options(lead_id)
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()["__conversion_options"]
    return options


def ids(records: list[dict[str, Any]] | None) -> list[str]:
    return [record["id"] for record in records or []]


def matched(options: dict[str, Any], module: str) -> list[tuple[str, str]]:
    """preference_field_matched_value of a module as (field api_name, matched lead value)."""
    values = options["preference_field_matched_value"][module] or []
    return [(value["field"]["api_name"], value["matched_lead_value"]) for value in values]


def test_conversion_options_list_the_matching_contact_and_account(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="Acme")
    contact_id = emulator.crm.add_contact(
        First_Name="Jane", Last_Name="Doe", Email="jane@acme.example", Account_Name=account_id
    )
    lead_id = add_lead(emulator)

    options = options_of(zoho, lead_id)

    assert options["module_preference"] == {"api_name": "Contacts", "id": "4876876000000002179"}
    assert options["Contacts"] == [
        {
            "id": contact_id,
            "Full_Name": "Jane Doe",
            "Email": "jane@acme.example",
            "Phone": None,
            "Account_Name": {"name": "Acme", "id": account_id},
            "$editable": True,
            "$approval_state": "approved",
        }
    ]
    assert ids(options["Accounts"]) == [account_id]
    assert matched(options, "Contacts") == [("Email", "jane@acme.example"), ("Full_Name", "Jane Doe")]
    assert matched(options, "Accounts") == [("Account_Name", "Acme")]
    assert options["Deals"] is None
    assert options["preference_field_matched_value"]["Deals"] is None


def test_contacts_come_by_unique_field_then_email_then_name_each_once_oldest_first(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    add = emulator.crm.add_contact
    name_old = add(First_Name="Jane", Last_Name="Doe")
    email_old = add(Last_Name="Smith", Email="JANE@acme.example")
    phone_and_email = add(Last_Name="Roe", Email="jane@acme.example", Phone="555-0100")
    name_new = add(First_Name="jane", Last_Name="DOE")
    email_new = add(First_Name="Jane", Last_Name="Doe", Email="jane@acme.example")
    add(First_Name="Jane", Last_Name="Doe-Smith", Email="jane.smith@acme.example")
    lead_id = add_lead(emulator, Phone="555-0100")

    options = options_of(zoho, lead_id)

    assert ids(options["Contacts"]) == [phone_and_email, email_old, email_new, name_old, name_new]
    assert matched(options, "Contacts") == [
        ("Phone", "555-0100"),
        ("Email", "jane@acme.example"),
        ("Full_Name", "Jane Doe"),
    ]


def test_a_lead_without_a_first_name_matches_contacts_named_by_its_last_name_alone(emulator, zoho):
    last_only = emulator.crm.add_contact(Last_Name="Doe")
    emulator.crm.add_contact(First_Name="Jane", Last_Name="Doe")
    lead_id = add_lead(emulator, First_Name=None, Email="someone@else.example", Company=None)

    options = options_of(zoho, lead_id)
    fields = zoho.get("settings/fields", params={"module": "Contacts"}).json()["fields"]

    assert ids(options["Contacts"]) == [last_only]
    (value,) = options["preference_field_matched_value"]["Contacts"]
    full_name_id = next(field["id"] for field in fields if field["api_name"] == "Full_Name")
    assert value == {"field": {"api_name": "Full_Name", "id": full_name_id}, "matched_lead_value": "Doe"}
    assert options["Accounts"] is None


def test_accounts_come_by_unique_field_then_by_the_company_name_each_once_oldest_first(emulator, zoho):
    emulator.crm.unique_fields["Accounts"] = ["Phone"]
    name_old = emulator.crm.add_account(Account_Name="Acme")
    phone = emulator.crm.add_account(Account_Name="Other Corp", Phone="555-0100")
    phone_and_name = emulator.crm.add_account(Account_Name="acme", Phone="555-0100")
    name_new = emulator.crm.add_account(Account_Name="ACME")
    emulator.crm.add_account(Account_Name="Acme Holdings")
    lead_id = add_lead(emulator, Phone="555-0100", Email="someone@else.example")

    options = options_of(zoho, lead_id)

    assert ids(options["Accounts"]) == [phone, phone_and_name, name_old, name_new]
    assert options["Accounts"][0] == {
        "id": phone,
        "Account_Name": "Other Corp",
        "$editable": True,
        "$approval_state": "approved",
    }
    assert matched(options, "Accounts") == [("Phone", "555-0100"), ("Account_Name", "Acme")]


@pytest.mark.parametrize(
    ("unique_fields", "account_phone", "preferred"),
    [
        ({}, "555-0100", "Contacts"),
        ({"Accounts": ["Phone"]}, "555-0100", "Accounts"),  # only Accounts has unique fields: flipped
        ({"Accounts": ["Phone"]}, None, "Contacts"),  # ...but the account matched on its name only
        ({"Accounts": ["Phone"], "Contacts": ["Mobile"]}, "555-0100", "Contacts"),
    ],
    ids=["no unique fields", "accounts unique, matched", "accounts unique, not matched", "both unique"],
)
def test_module_preference_is_contacts_unless_only_accounts_has_unique_fields_and_one_matched(
    emulator, zoho, unique_fields, account_phone, preferred
):
    emulator.crm.unique_fields.update(unique_fields)
    emulator.crm.add_contact(Last_Name="Roe", Email="jane@acme.example")
    emulator.crm.add_account(Account_Name="Acme", Phone=account_phone)
    lead_id = add_lead(emulator, Phone="555-0100")

    assert options_of(zoho, lead_id)["module_preference"]["api_name"] == preferred


def test_module_preference_is_accounts_when_only_an_account_matches(emulator, zoho):
    account_id = emulator.crm.add_account(Account_Name="Acme")
    lead_id = add_lead(emulator)

    options = options_of(zoho, lead_id)

    assert options["module_preference"] == {"api_name": "Accounts", "id": "4876876000000002177"}
    assert (options["Contacts"], ids(options["Accounts"])) == (None, [account_id])
    assert options["preference_field_matched_value"]["Contacts"] is None


def test_conversion_options_include_contacts_matching_a_configured_unique_field(emulator, zoho):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    contact_id = emulator.crm.add_contact(Last_Name="Roe", Phone="555-0100")
    lead_id = add_lead(emulator, Phone="555-0100", Company="Nobody Inc")

    options = options_of(zoho, lead_id)

    assert ids(options["Contacts"]) == [contact_id]
    assert matched(options, "Contacts") == [("Phone", "555-0100")]
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
