"""A conversion's Deals fields (conversion.py, crm.py, pipelines.py): their maximum lengths
(zoho-crm-api.md §14.4) and which form of a picklist option they take (§14.5)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, record_error
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

DEALS_LAYOUT = "4876876000000091023"


def control(emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emulator.url}/__emulator/{path}", json=body, timeout=5)


def deal_fields(zoho: Zoho) -> dict[str, dict[str, Any]]:
    return {
        field["api_name"]: field
        for field in zoho.get("settings/fields", params={"module": "Deals"}).json()["fields"]
    }


# --- maximum lengths (zoho-crm-api.md §14.4) ---------------------------------------------------


def test_a_deal_name_past_120_characters_is_refused_as_the_reference_shows(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.convert(lead_id, {"Deals": {**DEAL, "Deal_Name": "x" * 121}})

    assert answer.status_code == 400
    assert answer.json() == {
        "data": [
            {
                "code": "INVALID_DATA",
                "details": {
                    "maximum_length": 120,
                    "api_name": "Deal_Name",
                    "json_path": "$.data[0].Deals.Deal_Name",
                },
                "message": "invalid data",
                "status": "error",
            }
        ]
    }
    assert list(answer.json()["data"][0]["details"]) == ["maximum_length", "api_name", "json_path"]
    assert emulator.crm.lead(lead_id)["Converted__s"] is False
    assert emulator.crm.contacts == {}


def test_a_deal_name_of_120_characters_converts(emulator, zoho):
    answer = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Deal_Name": "x" * 120}})

    assert answer.status_code == 200
    assert answer.json()["data"][0]["details"]["Deals"]["name"] == "x" * 120


@pytest.mark.parametrize(
    ("api_name", "maximum"),
    [("Next_Step", 200), ("Description", 32_000), ("Campaign_Source", 100)],
)
def test_the_other_deal_fields_section_14_4_lists_have_their_maximum(emulator, zoho, api_name, maximum):
    fits = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, api_name: "y" * maximum}})
    too_long = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, api_name: "y" * (maximum + 1)}})

    assert fits.status_code == 200
    assert record_error(too_long)["details"] == {
        "maximum_length": maximum,
        "api_name": api_name,
        "json_path": f"$.data[0].Deals.{api_name}",
    }


def test_a_contact_role_longer_than_50_is_refused_for_its_length_before_its_id_is_looked_at(emulator, zoho):
    too_long = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Contact_Role": "y" * 51}})

    assert record_error(too_long)["details"] == {
        "maximum_length": 50,
        "api_name": "Contact_Role",
        "json_path": "$.data[0].Deals.Contact_Role",
    }


def test_a_v2_convert_is_held_to_the_same_lengths(emulator, zoho):
    v2 = Zoho(emulator, version="v2", token=zoho.token)

    answer = v2.convert(add_lead(emulator), {"Deals": {**DEAL, "Deal_Name": "x" * 121}})

    assert record_error(answer)["details"]["maximum_length"] == 120


def test_mass_convert_takes_a_deal_name_up_to_255_characters(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    lead_id = add_lead(emulator)

    submitted = zoho.mass_convert([lead_id], Deals={**DEAL, "Deal_Name": "z" * 255})
    status = zoho.finished_job(submitted.json()["details"]["job_id"])
    refused = zoho.mass_convert([add_lead(emulator)], Deals={**DEAL, "Deal_Name": "z" * 256})

    assert submitted.status_code == 202
    assert status["Converted_Count"] == 1
    assert [deal["Deal_Name"] for deal in emulator.crm.deals.values()] == ["z" * 255]
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "INVALID_DATA",
        "details": {"maximum_length": 255, "api_name": "Deal_Name", "json_path": "$.Deals.Deal_Name"},
        "message": "invalid data",
        "status": "error",
    }


def test_the_deals_fields_metadata_carries_each_fields_length(emulator, zoho):
    fields = deal_fields(zoho)
    leads = {
        field["api_name"]: field
        for field in zoho.get("settings/fields", params={"module": "Leads"}).json()["fields"]
    }

    assert {name: fields[name]["length"] for name in ("Deal_Name", "Stage", "Pipeline", "Next_Step")} == {
        "Deal_Name": 120,
        "Stage": 100,
        "Pipeline": 100,
        "Next_Step": 200,
    }
    assert fields["Description"]["length"] == 32_000
    assert fields["Type"]["length"] == 50
    assert leads["Company"]["length"] == 200


def test_a_lead_with_a_200_character_company_is_stored_and_read_whole(emulator, zoho):
    lead_id = add_lead(emulator, Company="C" * 200)

    lead = zoho.get(f"Leads/{lead_id}", params={"fields": "Company"}).json()["data"][0]

    assert lead["Company"] == "C" * 200


def test_the_orgs_own_deal_name_length_holds_single_convert_to_it(emulator, zoho):
    """zoho-crm-api.md §14.4: "the org's own limit is the Deals Deal_Name length in Fields"."""
    answer = control(emulator, "POST", "fields", {"module": "Deals", "api_name": "Deal_Name", "length": 80})

    shown = deal_fields(zoho)["Deal_Name"]["length"]
    fits = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Deal_Name": "x" * 80}})
    too_long = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Deal_Name": "x" * 81}})

    assert answer.status_code == 200
    assert shown == 80
    assert fits.status_code == 200
    assert record_error(too_long)["details"]["maximum_length"] == 80


def test_a_longer_org_length_does_not_lift_the_convert_bodys_maximum(emulator, zoho):
    emulator.crm.set_field_length("Deals", "Deal_Name", 255)

    answer = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Deal_Name": "x" * 121}})

    assert deal_fields(zoho)["Deal_Name"]["length"] == 255
    assert record_error(answer)["details"]["maximum_length"] == 120


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"module": "Deals", "api_name": "No_Such_Field", "length": 80}, "api_name"),
        ({"module": "Gadgets", "api_name": "Deal_Name", "length": 80}, "module"),
        ({"module": "Deals", "api_name": "Deal_Name", "length": 0}, "length"),
        ({"module": "Deals", "api_name": "Deal_Name", "length": "80"}, "length"),
        ({"module": "Deals", "api_name": "Deal_Name"}, "length"),
        ({"module": "Deals", "api_name": "Deal_Name", "length": 80, "max": 1}, "max"),
    ],
)
def test_control_refuses_a_field_length_it_cannot_set_naming_the_key(emulator, zoho, body, key):
    answer = control(emulator, "POST", "fields", body)

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{key}: ")
    assert deal_fields(zoho)["Deal_Name"]["length"] == 120


def test_reset_forgets_the_orgs_own_lengths(emulator, zoho):
    emulator.crm.set_field_length("Deals", "Deal_Name", 80)

    emulator.reset()

    assert deal_fields(zoho)["Deal_Name"]["length"] == 120


# --- picklist readings (zoho-crm-api.md §14.5) -------------------------------------------------
# The demo stage "Identify Decision Makers" has the actual value "Id. Decision Makers"; a stage
# is given a reference value of its own below. Each reading takes one form and refuses the others.


def set_apart(emulator) -> None:
    """A stage and a pipeline whose display, actual and reference values all differ."""
    answer = control(
        emulator,
        "POST",
        "pipelines",
        {
            "pipeline": "Standard (Standard)",
            "rename": {
                "display_value": "Standard",
                "actual_value": "Standard (Standard)",
                "reference_value": "STD",
            },
            "rename_stages": {
                "Qualification": {
                    "display_value": "Qualifizierung",
                    "actual_value": "Qualification",
                    "reference_value": "QUALIFICATION_REF",
                }
            },
        },
    )
    assert answer.status_code == 200, answer.text


FORMS = {
    "actual": {"Pipeline": "Standard (Standard)", "Stage": "Qualification"},
    "display": {"Pipeline": "Standard", "Stage": "Qualifizierung"},
    "reference": {"Pipeline": "STD", "Stage": "QUALIFICATION_REF"},
}


@pytest.mark.parametrize("reading", ["actual", "display", "reference"])
def test_convert_takes_the_pipeline_and_stage_in_the_form_the_reading_names(emulator, zoho, reading):
    set_apart(emulator)
    control(emulator, "POST", "faults", {"picklist_reading": reading})
    answers = {
        form: zoho.convert(add_lead(emulator), {"Deals": {**DEAL, **values}})
        for form, values in FORMS.items()
    }

    assert answers[reading].status_code == 200
    deal = emulator.crm.deals[answers[reading].json()["data"][0]["details"]["Deals"]["id"]]
    assert (deal["Pipeline"], deal["Stage"]) == ("Standard (Standard)", "Qualification")  # stored as actual
    for form, answer in answers.items():
        if form != reading:
            error = record_error(answer)
            assert (error["code"], error["details"]["api_name"]) == ("INVALID_DATA", "Pipeline")


@pytest.mark.parametrize(
    ("reading", "stage", "accepted"),
    [
        ("actual", "Id. Decision Makers", True),
        ("actual", "Identify Decision Makers", False),
        ("display", "Identify Decision Makers", True),
        ("display", "Id. Decision Makers", False),
        ("reference", "Id. Decision Makers", True),  # the reference value follows the actual one
        ("reference", "Identify Decision Makers", False),
    ],
)
def test_the_demo_stage_whose_display_and_actual_differ_converts_by_the_reading(
    emulator, zoho, reading, stage, accepted
):
    emulator.faults.picklist_reading = reading

    answer = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Stage": stage}})

    if accepted:
        assert answer.status_code == 200
        deal = emulator.crm.deals[answer.json()["data"][0]["details"]["Deals"]["id"]]
        assert deal["Stage"] == "Id. Decision Makers"
    else:
        error = record_error(answer)
        assert (error["code"], error["details"]["api_name"]) == ("MAPPING_MISMATCH", "Stage")


@pytest.mark.parametrize(
    ("reading", "value", "accepted"),
    [
        ("actual", "Houston Showroom", True),
        ("actual", "Houston", False),
        ("display", "Houston", True),
        ("display", "Houston Showroom", False),
        ("reference", "Houston Showroom", True),
        ("actual", "Web", True),
        ("actual", "Yellow Pages", False),  # an unused option: in no layout
        ("actual", "Carrier Pigeon", False),
    ],
)
def test_the_other_deals_picklists_take_the_same_form(emulator, zoho, reading, value, accepted):
    emulator.faults.picklist_reading = reading

    answer = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Lead_Source": value}})

    if accepted:
        assert answer.status_code == 200
    else:
        assert record_error(answer)["details"] == {
            "api_name": "Lead_Source",
            "json_path": "$.data[0].Deals.Lead_Source",
        }


def test_mass_convert_takes_the_same_form(emulator, zoho):
    emulator.faults.picklist_reading = "display"
    emulator.faults.mass_convert_seconds = 0.05

    refused = zoho.mass_convert([add_lead(emulator)], Deals={**DEAL, "Stage": "Id. Decision Makers"})
    submitted = zoho.mass_convert([add_lead(emulator)], Deals={**DEAL, "Stage": "Identify Decision Makers"})
    status = zoho.finished_job(submitted.json()["details"]["job_id"])

    assert (refused.status_code, refused.json()["code"]) == (400, "MAPPING_MISMATCH")
    assert submitted.status_code == 202
    assert status["Converted_Count"] == 1


def test_the_metadata_shows_the_three_values_set_apart(emulator, zoho):
    set_apart(emulator)

    stage = next(
        v for v in deal_fields(zoho)["Stage"]["pick_list_values"] if v["actual_value"] == "Qualification"
    )
    pipeline = zoho.get("settings/pipeline", params={"layout_id": DEALS_LAYOUT}).json()["pipeline"][0]

    assert (stage["display_value"], stage["actual_value"], stage["reference_value"]) == (
        "Qualifizierung",
        "Qualification",
        "QUALIFICATION_REF",
    )
    assert (pipeline["display_value"], pipeline["actual_value"]) == ("Standard", "Standard (Standard)")


def test_control_adds_a_stage_with_its_values_set_apart(emulator, zoho):
    added = control(
        emulator,
        "POST",
        "pipelines",
        {
            "pipeline": "Partner Pipeline",
            "add_stages": [{"display_value": "Onboarding", "actual_value": "Partner Onboarding"}],
        },
    )
    emulator.faults.picklist_reading = "display"

    answer = zoho.convert(
        add_lead(emulator), {"Deals": {**DEAL, "Pipeline": "Partner Pipeline", "Stage": "Onboarding"}}
    )

    assert added.json()["pipeline"][1]["maps"][-1]["display_value"] == "Onboarding"
    assert added.json()["pipeline"][1]["maps"][-1]["actual_value"] == "Partner Onboarding"
    assert answer.status_code == 200


@pytest.mark.parametrize("value", ["", "value", 5, None])
def test_the_picklist_reading_is_actual_display_or_reference(emulator, value):
    answer = control(emulator, "POST", "faults", {"picklist_reading": value})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("picklist_reading: ")
    assert emulator.faults.picklist_reading == "actual"


def test_reset_restores_the_actual_reading(emulator):
    emulator.faults.picklist_reading = "display"

    emulator.reset()

    assert emulator.faults.picklist_reading == "actual"
