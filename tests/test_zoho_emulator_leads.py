"""Reading leads (lead_endpoints.py): Get Record and Get Records in Zoho's shapes."""

from __future__ import annotations

import json

import pytest
import requests

from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, lead_parent
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


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

    assert default.json()["data"] == [{"id": first, "Last_Name": "L0"}]
    assert default.json()["info"] | {"page_token_expiry": None} == {
        "per_page": 200,
        "count": 1,
        "page": 1,
        "more_records": False,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
        "sort_by": "id",
        "sort_order": "asc",
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


def test_get_records_sorts_converted_leads_by_modified_time_newest_first(emulator, zoho):
    older, newer, unconverted = (add_lead(emulator, Last_Name=f"L{n}") for n in range(3))
    zoho.convert(newer)
    emulator.clock.advance(60)
    zoho.convert(older)  # converted later: modified later

    listed = zoho.get(
        "Leads",
        params={
            "fields": "Modified_Time",
            "converted": "true",
            "sort_by": "Modified_Time",
            "sort_order": "desc",
        },
    ).json()

    assert [row["id"] for row in listed["data"]] == [older, newer]
    assert listed["data"][0]["Modified_Time"] > listed["data"][1]["Modified_Time"]
    assert unconverted not in [row["id"] for row in listed["data"]]


@pytest.mark.parametrize(("param", "value"), [("sort_by", "Last_Name"), ("sort_order", "up")])
def test_get_records_refuses_an_unknown_order_naming_the_parameter(zoho, param, value):
    answer = zoho.get("Leads", params={"fields": "Last_Name", param: value})

    assert answer.status_code == 400
    assert answer.json()["details"] == {"param_name": param}


def test_get_records_reaches_2000_leads_by_page_and_reads_on_with_a_page_token(emulator, zoho):
    lead_ids = [add_lead(emulator, Last_Name=f"L{n}") for n in range(2001)]

    refused = zoho.get("Leads", params={"fields": "Last_Name", "page": 11})
    tenth = zoho.get("Leads", params={"fields": "Last_Name", "page": 10}).json()
    eleventh = zoho.get(
        "Leads", params={"fields": "Last_Name", "page_token": tenth["info"]["next_page_token"]}
    ).json()

    assert refused.status_code == 400
    assert refused.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    assert refused.json()["details"] == {"limit": 2000}
    assert [row["id"] for row in tenth["data"]] == lead_ids[1800:2000]
    assert [row["id"] for row in eleventh["data"]] == lead_ids[2000:]
    assert eleventh["info"]["more_records"] is False


def test_get_records_needs_fields_from_v3_on_and_limits_ids(emulator, zoho):
    lead_id = add_lead(emulator)
    too_many = ",".join(str(4876876000000100001 + n) for n in range(101))

    missing = zoho.get("Leads", params={"ids": lead_id})
    legacy = Zoho(emulator, version="v2", token=zoho.token).get("Leads", params={"ids": lead_id})
    over = zoho.get("Leads", params={"ids": too_many, "fields": "Last_Name"})

    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert legacy.json()["data"][0]["Last_Name"] == "Doe"
    assert (over.status_code, over.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_a_read_shows_every_layout_field_null_when_empty_but_not_the_hidden_ones(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.hidden_fields = {"Lead_Status"}

    (lead,) = zoho.get(f"Leads/{lead_id}").json()["data"]

    assert lead["Industry"] is None  # empty, present: what Zoho answers
    assert "Lead_Status" not in lead  # field-level security: absent


# --- deleted leads ------------------------------------------------------------------------------


def test_a_deleted_lead_is_gone_from_every_read_as_an_id_that_never_existed(emulator, zoho):
    kept, gone = add_lead(emulator, Last_Name="Kept"), add_lead(emulator, Last_Name="Gone")
    never = "4876876000000999999"

    emulator.crm.delete_lead(gone)

    read, unknown = zoho.get(f"Leads/{gone}"), zoho.get(f"Leads/{never}")
    both = zoho.get(f"Leads/{gone}", params={"converted": "both"})
    listed = zoho.get("Leads", params={"ids": f"{kept},{gone}", "fields": "Last_Name"})
    alone = zoho.get("Leads", params={"ids": gone, "fields": "Last_Name"})
    query = zoho.post("coql", json={"select_query": "select Last_Name from Leads where id is not null"})
    assert (read.status_code, both.status_code, unknown.status_code) == (204, 204, 204)
    assert [row["id"] for row in listed.json()["data"]] == [kept]
    assert alone.status_code == 204
    assert [row["id"] for row in query.json()["data"]] == [kept]
    assert emulator.crm.counts()["leads"] == 1
    with pytest.raises(KeyError):
        emulator.crm.lead(gone)


def test_converting_a_deleted_lead_is_what_converting_an_unknown_id_is(emulator, zoho):
    gone = add_lead(emulator)
    emulator.crm.delete_lead(gone)

    deleted = zoho.convert(gone, {"Deals": DEAL})
    unknown = zoho.convert("4876876000000999999", {"Deals": DEAL})

    # zoho-crm-api.md §14.1: INVALID_DATA with details.resource_path_index, a root object.
    assert (deleted.status_code, deleted.json()) == (unknown.status_code, unknown.json())
    assert deleted.json()["details"] == {"resource_path_index": 1}
    assert emulator.crm.counts()["contacts"] == 0


def test_deleting_a_lead_deletes_its_notes_and_an_unknown_lead_is_a_key_error(emulator, zoho):
    lead_id = add_lead(emulator)
    note = {"Note_Title": "t", "Note_Content": "c", "Parent_Id": lead_parent(lead_id)}
    zoho.post("Notes", json={"data": [note]})

    emulator.crm.delete_lead(lead_id)

    assert emulator.crm.notes == {}
    assert (
        zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title"}).json()["code"] == "INVALID_DATA"
    )
    with pytest.raises(KeyError):
        emulator.crm.delete_lead(lead_id)


def test_deleted_leads_leave_the_id_order_of_the_others_intact(emulator, zoho):
    lead_ids = [add_lead(emulator, Last_Name=f"L{n}") for n in range(6)]

    assert emulator.crm.delete_leads([lead_ids[1], lead_ids[4], lead_ids[4], "4876876000000999999"]) == [
        lead_ids[1],
        lead_ids[4],
    ]
    query = f"select id from Leads where id > '{lead_ids[0]}' order by id asc limit 2"  # noqa: S608
    page = zoho.post("coql", json={"select_query": query})

    assert [row["id"] for row in page.json()["data"]] == [lead_ids[2], lead_ids[3]]
    assert page.json()["info"]["more_records"] is True


# --- multi-select picklists and numbers of any size ---------------------------------------------


def test_a_multi_select_picklist_is_stored_and_read_as_a_list_of_strings(emulator, zoho):
    chosen = add_lead(emulator, Product_Interest=("CRM", "Support"))
    unset = add_lead(emulator, Email="unset@acme.example")
    added = requests.post(
        f"{emulator.url}/__emulator/leads",
        json={"Last_Name": "Roe", "Product_Interest": ["Training"]},
        timeout=5,
    )

    assert zoho.get(f"Leads/{chosen}").json()["data"][0]["Product_Interest"] == ["CRM", "Support"]
    assert zoho.get(f"Leads/{unset}").json()["data"][0]["Product_Interest"] is None
    assert emulator.crm.lead(added.json()["id"])["Product_Interest"] == ["Training"]


@pytest.mark.parametrize("value", ["CRM", [1], {"CRM": True}])
def test_a_multi_select_picklist_takes_only_a_list_of_strings(emulator, value):
    refused = requests.post(
        f"{emulator.url}/__emulator/leads", json={"Last_Name": "Roe", "Product_Interest": value}, timeout=5
    )

    with pytest.raises(ValueError, match="Product_Interest"):
        add_lead(emulator, Product_Interest=value)
    assert refused.status_code == 400
    assert emulator.crm.counts()["leads"] == 0


@pytest.mark.parametrize("digits", [400, 5000])  # 5000: past the 4,300 digits json.dumps writes
def test_a_lead_with_an_integer_of_any_size_is_served_as_json(emulator, zoho, digits):
    lead_id = add_lead(emulator, Annual_Revenue=10**digits)

    read = zoho.get(f"Leads/{lead_id}")
    listed = zoho.get("Leads", params={"ids": lead_id, "fields": "Annual_Revenue"})
    stored = requests.get(f"{emulator.url}/__emulator/leads/{lead_id}", timeout=5)

    expected = "1" + "0" * digits
    assert json.loads(read.content, parse_int=str)["data"][0]["Annual_Revenue"] == expected
    assert json.loads(listed.content, parse_int=str)["data"][0]["Annual_Revenue"] == expected
    assert json.loads(stored.content, parse_int=str)["Annual_Revenue"] == expected
    assert zoho.get("users").status_code == 200  # and serves on
