"""Notes (lead_endpoints.py): creating and reading them as zoho-crm-api.md §11 describes."""

from __future__ import annotations

import json

import pytest
import requests

from tests.zoho_emulator.testing import Zoho, add_lead, lead_parent, record_error
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


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


def test_a_notes_request_without_records_is_refused_and_creates_nothing(emulator, zoho):
    """What the preflight's scope probe sends (handlers/org_metadata.py PROBES): Zoho must refuse it."""
    answer = zoho.post("Notes", json={"data": []})

    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["details"]) == (
        "MANDATORY_NOT_FOUND",
        {"api_name": "data", "json_path": "$.data"},
    )
    assert emulator.crm.notes == {}


# --- Get Notes across records: GET /Notes (zoho-crm-api.md §14.10) --------------------------

ACROSS = "Note_Title,Parent_Id,Created_Time"


def note_ids(answer: requests.Response) -> list[str]:
    return [] if answer.status_code == 204 else [note["id"] for note in answer.json()["data"]]


def test_get_notes_lists_the_notes_of_every_module_oldest_first(emulator, zoho):
    lead_id = add_lead(emulator)
    contact_id = emulator.crm.add_contact(Last_Name="Roe")
    first = emulator.crm.add_note("Leads", lead_id, "one", "first")
    second = emulator.crm.add_note("Contacts", contact_id, "two", "second")

    answer = zoho.get("Notes", params={"fields": ACROSS})

    assert answer.status_code == 200
    body = answer.json()
    assert note_ids(answer) == [first["id"], second["id"]]
    assert body["data"][0] == {
        "id": first["id"],
        "Note_Title": "one",
        "Parent_Id": {
            "module": {"api_name": "Leads", "id": "4876876000000002175"},
            "name": "Jane Doe",
            "id": lead_id,
        },
        "Created_Time": first["Created_Time"],
    }
    assert body["data"][1]["Parent_Id"]["module"]["api_name"] == "Contacts"
    assert body["info"] == {
        "per_page": 200,
        "count": 2,
        "page": 1,
        "more_records": False,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
        "sort_by": "Created_Time",
        "sort_order": "asc",
    }


def test_get_notes_needs_fields(emulator, zoho):
    emulator.crm.add_note("Leads", add_lead(emulator), None, "x")

    answer = zoho.get("Notes")

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


def test_get_notes_without_notes_is_no_content(emulator, zoho):
    add_lead(emulator)

    assert zoho.get("Notes", params={"fields": ACROSS}).status_code == 204


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "newest_first"),
    [
        ("Created_Time", "desc", True),
        ("Created_Time", "asc", False),
        ("Modified_Time", "desc", True),
        ("id", "desc", True),
        ("id", None, False),
        (None, "desc", True),
    ],
)
def test_get_notes_sorts_by_time_or_id(emulator, zoho, sort_by, sort_order, newest_first):
    lead_id = add_lead(emulator)
    ids = [emulator.crm.add_note("Leads", lead_id, None, f"n{n}")["id"] for n in range(3)]
    params = {"fields": ACROSS, "sort_by": sort_by, "sort_order": sort_order}

    answer = zoho.get("Notes", params={key: value for key, value in params.items() if value})

    assert note_ids(answer) == (ids[::-1] if newest_first else ids)
    assert answer.json()["info"]["sort_order"] == ("desc" if newest_first else "asc")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("sort_by", "Note_Title"),
        ("sort_order", "newest"),
        ("per_page", "201"),
        ("per_page", "0"),
        ("page", "0"),
        ("ids", "abc"),
    ],
)
def test_get_notes_refuses_a_bad_parameter_naming_it(emulator, zoho, param, value):
    emulator.crm.add_note("Leads", add_lead(emulator), None, "x")

    answer = zoho.get("Notes", params={"fields": ACROSS, param: value})

    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["details"]["param_name"]) == ("INVALID_DATA", param)


def test_get_notes_picks_notes_by_id(emulator, zoho):
    lead_id = add_lead(emulator)
    ids = [emulator.crm.add_note("Leads", lead_id, None, f"n{n}")["id"] for n in range(3)]

    answer = zoho.get("Notes", params={"fields": ACROSS, "ids": f"{ids[2]},{ids[0]}"})

    assert note_ids(answer) == [ids[0], ids[2]]


def many_notes(emulator, count: int) -> list[str]:
    lead_id = add_lead(emulator)
    return [emulator.crm.add_note("Leads", lead_id, None, f"n{n}")["id"] for n in range(count)]


def test_pages_reach_2000_notes_and_a_page_token_reads_on(emulator, zoho):
    ids = many_notes(emulator, 2150)

    tenth = zoho.get("Notes", params={"fields": ACROSS, "page": 10, "per_page": 200})
    beyond = zoho.get("Notes", params={"fields": ACROSS, "page": 11, "per_page": 200})
    token = tenth.json()["info"]["next_page_token"]
    eleventh = zoho.get("Notes", params={"fields": ACROSS, "page_token": token, "per_page": 200})

    assert note_ids(tenth) == ids[1800:2000]
    assert tenth.json()["info"]["more_records"] is True
    assert tenth.json()["info"]["page_token_expiry"]
    assert beyond.status_code == 400
    assert beyond.json() == {
        "code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
        "details": {"limit": 2000},
        "message": "you can fetch only the first 2000 records without a page_token",
        "status": "error",
    }
    assert note_ids(eleventh) == ids[2000:2150]
    assert eleventh.json()["info"]["page"] == 11
    assert eleventh.json()["info"]["more_records"] is False
    assert eleventh.json()["info"]["next_page_token"] is None


def test_a_page_that_would_cross_2000_notes_needs_a_page_token(emulator, zoho):
    answer = zoho.get("Notes", params={"fields": ACROSS, "page": 14, "per_page": 150})  # 1951-2100

    assert (answer.status_code, answer.json()["code"]) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")


def test_a_page_token_keeps_its_order_and_skips_nothing_when_notes_are_added(emulator, zoho):
    ids = many_notes(emulator, 5)
    first = zoho.get("Notes", params={"fields": ACROSS, "sort_by": "id", "sort_order": "desc", "per_page": 2})
    newer = emulator.crm.add_note("Leads", add_lead(emulator), None, "newest")["id"]

    token = first.json()["info"]["next_page_token"]
    second = zoho.get("Notes", params={"fields": ACROSS, "page_token": token, "per_page": 2})
    again = zoho.get("Notes", params={"fields": ACROSS, "page_token": token, "per_page": 2})

    assert note_ids(first) == [ids[4], ids[3]]
    assert note_ids(second) == [ids[2], ids[1]]
    assert note_ids(again) == note_ids(second)  # a token may be used again until it expires
    assert newer not in note_ids(second)
    assert second.json()["info"]["sort_order"] == "desc"


def test_a_page_token_never_issued_is_invalid_and_an_expired_one_expired(emulator, zoho):
    many_notes(emulator, 3)
    token = zoho.get("Notes", params={"fields": ACROSS, "per_page": 1}).json()["info"]["next_page_token"]

    unknown = zoho.get("Notes", params={"fields": ACROSS, "page_token": "not-a-token"})
    expired = requests.post(f"{emulator.url}/__emulator/faults", json={"expire_page_tokens": True}, timeout=5)
    stale = zoho.get("Notes", params={"fields": ACROSS, "page_token": token})

    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_DATA")
    assert unknown.json()["details"] == {"param_name": "page_token"}
    assert expired.status_code == 200
    assert (stale.status_code, stale.json()["code"]) == (400, "EXPIRED_VALUE")
    assert stale.json()["details"] == {"param_name": "page_token"}


def test_get_notes_needs_the_notes_read_scope(emulator, zoho):
    emulator.crm.add_note("Leads", add_lead(emulator), None, "x")

    emulator.grant_scopes(["ZohoCRM.modules.leads.READ"])
    without = zoho.get("Notes", params={"fields": ACROSS})
    emulator.grant_scopes(["ZohoCRM.modules.notes.READ"])
    notes_read = zoho.get("Notes", params={"fields": ACROSS})

    assert (without.status_code, without.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert notes_read.status_code == 200


def test_coql_on_notes_is_an_unsupported_module(emulator, zoho):
    """zoho-crm-api.md §14.10: COQL's modules leave Notes out; INVALID_MODULE (OAS-new)."""
    emulator.crm.add_note("Leads", add_lead(emulator), None, "x")

    answer = zoho.post(
        "coql", json={"select_query": "select Note_Title from Notes where Note_Title is not null"}
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "INVALID_MODULE",
        "details": {},
        "message": "the given module is not supported in api",
        "status": "error",
    }
