"""Notes (lead_endpoints.py, notes_endpoints.py): creating and reading them as zoho-crm-api.md
§11 and §14.10 describe, and updating them as Zoho's Update Notes API does (DOC-v8
update-notes.html and update-specific-note.html, OAS-new v8.0/notes/notes.yaml)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.zoho_emulator.clock import zoho_time
from tests.zoho_emulator.testing import ADMIN, Zoho, add_lead, lead_parent, record_error
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
    """What the preflight's scope probe sends (handlers/zoho/metadata.py PROBES): Zoho must refuse it."""
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


# --- Update Notes: PUT /Notes and PUT /Notes/{id} (DOC-v8 update-notes.html, OAS-new notes.yaml) --

DAY_OLD = "2026-01-05T09:00:00+00:00"
READ = "Note_Title,Note_Content,Parent_Id,Created_Time,Modified_Time,Modified_By,Created_By"
ADMIN_REF = {"name": "Ava Admin", "id": ADMIN}


def old_note(emulator, lead_id: str, title: str | None = "title", content: str = "content", when=DAY_OLD):
    return emulator.crm.add_note("Leads", lead_id, title, content, created_time=when)["id"]


def lead_notes(zoho: Zoho, lead_id: str) -> dict[str, dict]:
    answer = zoho.get(f"Leads/{lead_id}/Notes", params={"fields": READ})
    return {note["id"]: note for note in answer.json()["data"]}


def test_update_notes_changes_the_notes_and_every_read_shows_it(emulator, zoho):
    lead_id = add_lead(emulator, Modified_Time="2026-01-01T08:30:00+00:00")
    first, second = old_note(emulator, lead_id, "one", "first"), old_note(emulator, lead_id, "two", "second")
    before = zoho_time()

    answer = zoho.put(
        "Notes",
        json={
            "data": [
                {"id": first, "Note_Title": "Automatic conversion failed", "Note_Content": "why"},
                {"id": second, "Note_Content": "content only"},
            ]
        },
    )

    after = zoho_time()
    assert answer.status_code == 200
    results = answer.json()["data"]
    assert [(r["code"], r["message"], r["status"]) for r in results] == [
        ("SUCCESS", "record updated", "success")
    ] * 2
    details = results[0]["details"]
    assert list(details) == ["Modified_Time", "Modified_By", "Created_Time", "id", "Created_By"]
    assert (details["id"], details["Created_Time"]) == (first, DAY_OLD)
    assert before <= details["Modified_Time"] <= after
    assert details["Modified_By"] == details["Created_By"] == ADMIN_REF
    notes = lead_notes(zoho, lead_id)
    assert (notes[first]["Note_Title"], notes[first]["Note_Content"]) == (
        "Automatic conversion failed",
        "why",
    )
    assert (notes[second]["Note_Title"], notes[second]["Note_Content"]) == ("two", "content only")
    for note_id, result in zip((first, second), results, strict=True):
        assert notes[note_id]["Modified_Time"] == result["details"]["Modified_Time"]
        assert notes[note_id]["Created_Time"] == DAY_OLD
        assert notes[note_id]["Parent_Id"]["id"] == lead_id
        assert notes[note_id]["Modified_By"]["id"] == ADMIN
    across = zoho.get("Notes", params={"fields": READ, "ids": f"{first},{second}"}).json()["data"]
    assert {note["id"]: note["Note_Content"] for note in across} == {first: "why", second: "content only"}
    assert emulator.crm.lead(lead_id)["Modified_Time"] == "2026-01-01T08:30:00+00:00"  # the parent stays


def test_an_updated_note_sorts_by_its_new_modified_time_across_records(emulator, zoho):
    lead_id = add_lead(emulator)
    contact_id = emulator.crm.add_contact(Last_Name="Roe")
    oldest = old_note(emulator, lead_id, when="2026-01-05T07:00:00+00:00")
    middle = emulator.crm.add_note(
        "Contacts", contact_id, None, "x", created_time="2026-01-05T08:00:00+00:00"
    )["id"]
    newest = old_note(emulator, lead_id, when="2026-01-05T09:00:00+00:00")

    def by_modified(order: str) -> list[str]:
        params = {"fields": READ, "sort_by": "Modified_Time", "sort_order": order}
        return note_ids(zoho.get("Notes", params=params))

    assert by_modified("asc") == [oldest, middle, newest]
    assert zoho.put(f"Notes/{oldest}", json={"data": [{"Note_Content": "edited"}]}).status_code == 200

    assert by_modified("asc") == [middle, newest, oldest]
    assert by_modified("desc") == [oldest, newest, middle]
    by_created = zoho.get("Notes", params={"fields": READ, "sort_by": "Created_Time"})
    assert note_ids(by_created) == [oldest, middle, newest]  # Created_Time stays


def test_modified_by_is_the_tokens_user_at_the_time_of_the_update(emulator, zoho):
    note_id = old_note(emulator, add_lead(emulator))
    emulator.crm.update_user(ADMIN, full_name="Ava Renamed")

    answer = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": "t"}]})

    details = answer.json()["data"][0]["details"]
    assert details["Modified_By"] == {"name": "Ava Renamed", "id": ADMIN}
    assert details["Created_By"] == ADMIN_REF


def test_an_update_takes_the_title_alone_clears_it_with_null_and_ignores_other_keys(emulator, zoho):
    lead_id = add_lead(emulator)
    note_id = old_note(emulator, lead_id, "title", "content")

    retitled = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": "new title", "Owner": "x"}]})
    untitled = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": None, "Note_Content": "c2"}]})

    assert (retitled.status_code, untitled.status_code) == (200, 200)
    note = lead_notes(zoho, lead_id)[note_id]
    assert (note["Note_Title"], note["Note_Content"]) == (None, "c2")
    assert emulator.crm.note(note_id)["Owner"]["id"] == ADMIN


def test_an_id_may_be_a_json_number_as_the_sdk_sends_a_long(emulator, zoho):
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.put("Notes", json={"data": [{"id": int(note_id), "Note_Title": "t"}]})

    assert answer.status_code == 200
    assert answer.json()["data"][0]["details"]["id"] == note_id


def test_some_notes_updated_is_207_and_none_is_400_changing_nothing(emulator, zoho):
    lead_id = add_lead(emulator)
    note_id = old_note(emulator, lead_id, "title", "content")
    unknown = "4876876000004999999"

    mixed = zoho.put(
        "Notes", json={"data": [{"id": unknown, "Note_Title": "x"}, {"id": note_id, "Note_Title": "y"}]}
    )
    none = zoho.put(
        "Notes", json={"data": [{"id": unknown, "Note_Title": "x"}, {"id": note_id, "Note_Title": 7}]}
    )

    assert mixed.status_code == 207
    assert [result["status"] for result in mixed.json()["data"]] == ["error", "success"]
    assert none.status_code == 400
    assert [result["code"] for result in none.json()["data"]] == ["INVALID_DATA", "INVALID_DATA"]
    assert emulator.crm.note(note_id)["Note_Title"] == "y"
    assert unknown not in emulator.crm.notes


def test_an_unknown_note_id_is_invalid_data_on_its_json_path(emulator, zoho):
    lead_id = add_lead(emulator)
    deleted_lead = add_lead(emulator, Last_Name="Gone")
    deleted_note = old_note(emulator, deleted_lead)
    emulator.crm.delete_lead(deleted_lead)
    lead_id_as_note = lead_id  # a record, but no note

    for note_id in ("4876876000004999999", deleted_note, lead_id_as_note):
        answer = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": "x"}]})

        assert record_error(answer) == {
            "code": "INVALID_DATA",
            "details": {"api_name": "id", "json_path": "$.data[0].id"},
            "message": "the id given seems to be invalid",
            "status": "error",
        }


@pytest.mark.parametrize("value", ["abc", "", "12a", True, 1.5, -4, 0, {"id": "1"}, ["1"]])
def test_an_id_that_is_no_long_is_invalid_data(emulator, zoho, value):
    answer = zoho.put("Notes", json={"data": [{"id": value, "Note_Title": "x"}]})

    assert record_error(answer) == {
        "code": "INVALID_DATA",
        "details": {"api_name": "id", "json_path": "$.data[0].id"},
        "message": "invalid data",
        "status": "error",
    }


@pytest.mark.parametrize("item", [{"Note_Title": "x"}, {"id": None, "Note_Title": "x"}])
def test_a_note_without_id_is_mandatory_not_found(emulator, zoho, item):
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": "ok"}, item]})

    assert answer.status_code == 207
    assert answer.json()["data"][1] == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "id", "json_path": "$.data[1].id"},
        "message": "required field not found",
        "status": "error",
    }


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"Note_Title": None},
        {"Note_Content": None},
        {"Note_Title": None, "Note_Content": None},
        {"Owner": "x"},
    ],
)
def test_a_note_without_title_or_content_is_expected_field_missing(emulator, zoho, item):
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.put("Notes", json={"data": [{"id": note_id, **item}]})

    assert record_error(answer) == {
        "code": "EXPECTED_FIELD_MISSING",
        "details": {
            "expected_fields": [
                {"api_name": "Note_Content", "json_path": "$.data[0].Note_Content"},
                {"api_name": "Note_Title", "json_path": "$.data[0].Note_Title"},
            ]
        },
        "message": "should contain either content or title",
        "status": "error",
    }
    assert emulator.crm.note(note_id)["Modified_Time"] == DAY_OLD


@pytest.mark.parametrize(
    ("item", "code", "details"),
    [
        ({"Note_Title": 7}, "INVALID_DATA", {"api_name": "Note_Title", "expected_data_type": "string"}),
        (
            {"Note_Content": ["x"]},
            "INVALID_DATA",
            {"api_name": "Note_Content", "expected_data_type": "string"},
        ),
        ({"Note_Title": "t", "Note_Content": ""}, "MANDATORY_NOT_FOUND", {"api_name": "Note_Content"}),
        ({"Note_Title": "t", "Note_Content": None}, "MANDATORY_NOT_FOUND", {"api_name": "Note_Content"}),
        ({"Note_Title": "x" * 121}, "INVALID_DATA", {"api_name": "Note_Title", "maximum_length": 120}),
        (
            {"Note_Content": "x" * 65536},
            "INVALID_DATA",
            {"api_name": "Note_Content", "maximum_length": 65535},
        ),
    ],
)
def test_a_title_or_content_of_the_wrong_type_length_or_emptied_is_refused(
    emulator, zoho, item, code, details
):
    note_id = old_note(emulator, add_lead(emulator), "title", "content")

    answer = zoho.put("Notes", json={"data": [{"id": note_id, **item}]})

    error = record_error(answer)
    json_path = f"$.data[0].{details['api_name']}"
    assert (error["code"], error["details"]) == (code, {**details, "json_path": json_path})
    note = emulator.crm.note(note_id)
    assert (note["Note_Title"], note["Note_Content"], note["Modified_Time"]) == ("title", "content", DAY_OLD)


def test_a_title_of_120_and_content_of_65535_characters_are_taken(emulator, zoho):
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.put(
        "Notes", json={"data": [{"id": note_id, "Note_Title": "t" * 120, "Note_Content": "c" * 65535}]}
    )

    assert answer.status_code == 200
    assert len(emulator.crm.note(note_id)["Note_Content"]) == 65535


def test_a_note_that_is_no_object_is_invalid_data(emulator, zoho):
    answer = zoho.put("Notes", json={"data": ["4876876000004000001"]})

    assert record_error(answer)["details"] == {
        "api_name": "data",
        "json_path": "$.data[0]",
        "expected_data_type": "jsonobject",
    }


def test_the_same_note_twice_in_one_call_is_refused_the_second_time(emulator, zoho):
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.put(
        "Notes",
        json={"data": [{"id": note_id, "Note_Title": "first"}, {"id": note_id, "Note_Title": "second"}]},
    )

    assert answer.status_code == 207
    assert answer.json()["data"][1] == {
        "code": "INVALID_DATA",
        "details": {"api_name": "id", "json_path": "$.data[1].id"},
        "message": "the id is repeated in the request",
        "status": "error",
    }
    assert emulator.crm.note(note_id)["Note_Title"] == "first"


def test_a_note_may_repeat_its_parent_in_the_versions_form(emulator, zoho):
    lead_id = add_lead(emulator)
    note_id = old_note(emulator, lead_id)
    as_read = lead_notes(zoho, lead_id)[note_id]["Parent_Id"]  # module{api_name, id}, name, id

    v8 = zoho.put(
        "Notes",
        json={
            "data": [
                {"id": note_id, "Note_Title": "a", "Parent_Id": lead_parent(lead_id), "se_module": "Leads"}
            ]
        },
    )
    echoed = zoho.put("Notes", json={"data": [{"id": note_id, "Note_Title": "b", "Parent_Id": as_read}]})
    v2 = Zoho(emulator, version="v2", token=zoho.token).put(
        "Notes",
        json={"data": [{"id": note_id, "Note_Title": "c", "Parent_Id": lead_id, "se_module": "Leads"}]},
    )

    assert (v8.status_code, echoed.status_code, v2.status_code) == (200, 200, 200)
    assert emulator.crm.note(note_id)["Note_Title"] == "c"


@pytest.mark.parametrize(
    ("version", "change", "api_name"),
    [
        ("v8", {"Parent_Id": "{other_parent}"}, "Parent_Id"),
        ("v8", {"Parent_Id": {"module": {"api_name": "Contacts"}, "id": "{lead_id}"}}, "Parent_Id"),
        ("v8", {"Parent_Id": {"id": "{lead_id}"}}, "Parent_Id"),
        ("v8", {"Parent_Id": None}, "Parent_Id"),
        ("v8", {"Parent_Id": "{lead_id}"}, "Parent_Id"),  # v2's form on v8
        ("v8", {"se_module": "Contacts"}, "se_module"),
        ("v2", {"Parent_Id": "{other_id}"}, "Parent_Id"),
        ("v2", {"Parent_Id": "{lead_parent}"}, "Parent_Id"),  # v8's form on v2
        ("v2.1", {"Parent_Id": "{lead_id}", "se_module": "Deals"}, "se_module"),
    ],
)
def test_a_note_cannot_change_its_parent(emulator, zoho, version, change, api_name):
    lead_id, other_id = add_lead(emulator), add_lead(emulator, Last_Name="Other")
    note_id = old_note(emulator, lead_id, "title", "content")
    values = {
        '"{other_parent}"': json.dumps(lead_parent(other_id)),
        '"{lead_parent}"': json.dumps(lead_parent(lead_id)),
        "{lead_id}": lead_id,
        "{other_id}": other_id,
    }
    text = json.dumps(change)
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)

    answer = Zoho(emulator, version=version, token=zoho.token).put(
        "Notes", json={"data": [{"id": note_id, "Note_Title": "moved", **json.loads(text)}]}
    )

    assert record_error(answer) == {
        "code": "NOT_ALLOWED",
        "details": {"api_name": api_name, "json_path": f"$.data[0].{api_name}"},
        "message": "the parent of a note cannot be changed",
        "status": "error",
    }
    assert list(lead_notes(zoho, lead_id)) == [note_id]
    assert zoho.get(f"Leads/{other_id}/Notes", params={"fields": READ}).status_code == 204
    assert emulator.crm.note(note_id)["Note_Title"] == "title"


def test_at_most_100_notes_per_call(emulator, zoho):
    lead_id = add_lead(emulator)
    ids = [old_note(emulator, lead_id, content=f"n{n}") for n in range(101)]

    hundred = zoho.put("Notes", json={"data": [{"id": i, "Note_Title": "ok"} for i in ids[:100]]})
    over = zoho.put("Notes", json={"data": [{"id": i, "Note_Title": "over"} for i in ids]})

    assert hundred.status_code == 200
    assert len(hundred.json()["data"]) == 100
    assert over.status_code == 400
    assert over.json() == {
        "code": "INVALID_DATA",
        "details": {"maximum_length": 100, "api_name": "data", "json_path": "$.data"},
        "message": "invalid data",
        "status": "error",
    }
    assert {note["Note_Title"] for note in emulator.crm.notes.values()} == {"ok", "title"}
    assert emulator.crm.note(ids[100])["Note_Title"] == "title"


@pytest.mark.parametrize("path", ["Notes", "Notes/{note_id}"])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"data": []},
            {"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "data", "json_path": "$.data"}},
        ),
        (
            {"notes": []},
            {"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "data", "json_path": "$.data"}},
        ),
        (
            {"data": {"id": "1"}},
            {"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "data", "json_path": "$.data"}},
        ),
        ([{"Note_Title": "x"}], {"code": "INVALID_DATA", "details": {"expected_data_type": "jsonobject"}}),
        ("not json", {"code": "INVALID_DATA", "details": {"expected_data_type": "jsonobject"}}),
    ],
)
def test_an_update_body_without_a_data_list_is_refused_whole(emulator, zoho, path, body, expected):
    note_id = old_note(emulator, add_lead(emulator))
    url = path.format(note_id=note_id)

    answer = zoho.put(url, data=body) if isinstance(body, str) else zoho.put(url, json=body)

    assert answer.status_code == 400
    assert {key: answer.json()[key] for key in ("code", "details")} == expected
    assert emulator.crm.note(note_id)["Modified_Time"] == DAY_OLD


# --- PUT /Notes/{id} ----------------------------------------------------------------------


def test_update_a_specific_note(emulator, zoho):
    lead_id = add_lead(emulator)
    note_id = old_note(emulator, lead_id, "title", "content")

    answer = zoho.put(
        f"Notes/{note_id}", json={"data": [{"Note_Title": "Follow-up", "Note_Content": "done"}]}
    )
    with_its_id = zoho.put(f"Notes/{note_id}", json={"data": [{"id": note_id, "Note_Content": "again"}]})

    assert answer.status_code == 200
    [result] = answer.json()["data"]
    assert (result["code"], result["message"], result["details"]["id"]) == (
        "SUCCESS",
        "record updated",
        note_id,
    )
    assert result["details"]["Created_Time"] == DAY_OLD
    assert with_its_id.status_code == 200
    note = lead_notes(zoho, lead_id)[note_id]
    assert (note["Note_Title"], note["Note_Content"]) == ("Follow-up", "again")


@pytest.mark.parametrize("note_id", ["4876876000004999999", "abc", "{lead_id}", "{deleted_note}"])
def test_update_of_a_specific_note_that_is_none_is_invalid_id(emulator, zoho, note_id):
    lead_id = add_lead(emulator)
    gone = add_lead(emulator, Last_Name="Gone")
    deleted_note = old_note(emulator, gone)
    emulator.crm.delete_lead(gone)

    answer = zoho.put(
        "Notes/" + note_id.format(lead_id=lead_id, deleted_note=deleted_note),
        json={"data": [{"Note_Title": "x"}]},
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "INVALID_DATA",
        "details": {"resource_path_index": 1},
        "message": "the given id seems to be invalid",
        "status": "error",
    }


def test_update_of_a_specific_note_refuses_a_second_note_another_id_and_a_bad_field(emulator, zoho):
    lead_id = add_lead(emulator)
    note_id, other_id = old_note(emulator, lead_id), old_note(emulator, lead_id)

    two = zoho.put(f"Notes/{note_id}", json={"data": [{"Note_Title": "a"}, {"Note_Title": "b"}]})
    other = zoho.put(f"Notes/{note_id}", json={"data": [{"id": other_id, "Note_Title": "a"}]})
    empty = zoho.put(f"Notes/{note_id}", json={"data": [{}]})

    assert two.status_code == 400
    assert two.json() == {
        "code": "INVALID_DATA",
        "details": {"maximum_length": 1, "api_name": "data", "json_path": "$.data"},
        "message": "invalid data",
        "status": "error",
    }
    assert record_error(other)["details"] == {"api_name": "id", "json_path": "$.data[0].id"}
    assert record_error(empty)["code"] == "EXPECTED_FIELD_MISSING"
    assert {emulator.crm.note(i)["Modified_Time"] for i in (note_id, other_id)} == {DAY_OLD}


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3", "v5", "v7"])
def test_both_update_urls_answer_on_every_version(emulator, zoho, version):
    note_id = old_note(emulator, add_lead(emulator))
    client = Zoho(emulator, version=version, token=zoho.token)

    bulk = client.put("Notes", json={"data": [{"id": note_id, "Note_Title": "bulk"}]})
    single = client.put(f"Notes/{note_id}", json={"data": [{"Note_Title": "single"}]})

    assert (bulk.status_code, single.status_code) == (200, 200)
    assert emulator.crm.note(note_id)["Note_Title"] == "single"


def test_other_methods_on_a_note_url_are_invalid_request_method(emulator, zoho):
    """GET and DELETE Notes/{id} are not emulated: the path is known (PUT), so 405."""
    note_id = old_note(emulator, add_lead(emulator))

    answer = zoho.get(f"Notes/{note_id}")

    assert (answer.status_code, answer.json()["code"]) == (405, "INVALID_REQUEST_METHOD")


# --- Update Notes: scopes and credits --------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "allowed"),
    [
        (["ZohoCRM.modules.ALL"], True),
        (["ZohoCRM.modules.notes.UPDATE", "ZohoCRM.modules.leads.UPDATE"], True),
        (["ZohoCRM.modules.notes.ALL", "ZohoCRM.modules.leads.ALL"], True),
        (["ZohoCRM.modules.notes.UPDATE"], False),  # and the parent module's (DOC-v8)
        (["ZohoCRM.modules.leads.UPDATE"], False),
        (["ZohoCRM.modules.notes.CREATE", "ZohoCRM.modules.leads.CREATE"], False),
        (["ZohoCRM.modules.notes.READ", "ZohoCRM.modules.leads.READ"], False),
        (["ZohoCRM.modules.notes.WRITE", "ZohoCRM.modules.leads.WRITE"], False),
        (["ZohoCRM.modules.Notes.UPDATE", "ZohoCRM.modules.Leads.UPDATE"], False),  # case counts
    ],
)
@pytest.mark.parametrize("path", ["Notes", "Notes/{note_id}"])
def test_update_notes_needs_the_notes_and_the_parents_update_scope(emulator, zoho, granted, allowed, path):
    note_id = old_note(emulator, add_lead(emulator), "title", "content")
    emulator.grant_scopes(granted)

    answer = zoho.put(path.format(note_id=note_id), json={"data": [{"id": note_id, "Note_Title": "new"}]})

    if allowed:
        assert answer.status_code == 200
        assert emulator.crm.note(note_id)["Note_Title"] == "new"
    else:
        assert answer.status_code == 401
        assert answer.json() == {
            "code": "OAUTH_SCOPE_MISMATCH",
            "details": {},
            "message": "Invalid oauth scope to access this URL",
            "status": "error",
        }
        assert emulator.crm.note(note_id)["Note_Title"] == "title"


def test_update_notes_checks_every_parent_modules_scope_before_changing_any(emulator, zoho):
    lead_note = old_note(emulator, add_lead(emulator), "lead", "x")
    contact_id = emulator.crm.add_contact(Last_Name="Roe")
    contact_note = emulator.crm.add_note("Contacts", contact_id, "contact", "x", created_time=DAY_OLD)["id"]
    emulator.grant_scopes(["ZohoCRM.modules.notes.UPDATE", "ZohoCRM.modules.leads.UPDATE"])

    answer = zoho.put(
        "Notes",
        json={"data": [{"id": lead_note, "Note_Title": "a"}, {"id": contact_note, "Note_Title": "b"}]},
    )

    assert (answer.status_code, answer.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert [emulator.crm.note(i)["Note_Title"] for i in (lead_note, contact_note)] == ["lead", "contact"]


@pytest.mark.parametrize(("notes", "credits"), [(1, 1), (10, 1), (11, 2), (25, 3), (100, 10), (101, 10)])
def test_update_notes_costs_a_credit_per_10_notes(emulator, zoho, notes, credits):
    lead_id = add_lead(emulator)
    ids = [old_note(emulator, lead_id, content=f"n{n}") for n in range(notes)]
    emulator.clear_journal()

    zoho.put("Notes", json={"data": [{"id": i, "Note_Title": "t"} for i in ids]})
    zoho.put(f"Notes/{ids[0]}", json={"data": [{"Note_Title": "t"}]})

    assert emulator.credits()["endpoints"] == {
        "PUT Notes": {"calls": 1, "credits": credits},
        "PUT Notes/{id}": {"calls": 1, "credits": 1},
    }
