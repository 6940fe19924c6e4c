"""Per-lead wait states (wait_states.py, crm.py, control.py): approval, review, lock and merge,
as zoho-crm-api.md §14.1 gives them to record reads and Convert, and the `approved` parameter of
record reads (§14.3)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead, record_error
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

# (state, the code Convert refuses it with, the message) -- zoho-crm-api.md §14.1
REFUSALS = [
    ("awaiting_approval", "NOT_APPROVED", "cannot convert record that is not approved yet"),
    ("awaiting_review", "NOT_REVIEWED", "cannot convert record that is still in review process"),
    ("locked", "RECORD_LOCKED", "the record is locked"),
    ("in_merge", "RECORD_LOCKED", "merge duplicates is in progress for this record"),
]
FLAGS = "$approved,$approval_state,$approval,$review_process,$in_merge,$editable,Locked__s"


def control(emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emulator.url}/__emulator/{path}", json=body, timeout=5)


def read(zoho: Zoho, lead_id: str, **params: str) -> requests.Response:
    return zoho.get(f"Leads/{lead_id}", params={"fields": f"Last_Name,{FLAGS}", **params})


# --- Convert refuses a lead in a wait state (zoho-crm-api.md §14.1) -----------------------------


@pytest.mark.parametrize(("state", "code", "message"), REFUSALS)
def test_convert_refuses_a_lead_in_a_wait_state_wrapped_by_default(emulator, zoho, state, code, message):
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, **{state: True})

    answer = zoho.convert(lead_id, {"Deals": DEAL})

    error = record_error(answer)  # HTTP 400, wrapped in data[]
    assert (error["code"], error["message"], error["status"]) == (code, message, "error")
    assert error["details"]["id"] == lead_id
    assert emulator.crm.lead(lead_id)["Converted__s"] is False
    assert (emulator.crm.contacts, emulator.crm.deals) == ({}, {})


@pytest.mark.parametrize(("state", "code", "message"), REFUSALS)
def test_the_refusal_can_be_set_to_come_as_a_root_object(emulator, zoho, state, code, message):
    """zoho-crm-api.md §14.11 item 1: the placement is unverified, so both can be served."""
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, **{state: True})
    control(emulator, "POST", "faults", {"wait_state_placement": "root"})

    answer = zoho.convert(lead_id)

    assert answer.status_code == 400
    body = answer.json()
    assert "data" not in body
    assert (body["code"], body["message"], body["status"]) == (code, message, "error")
    assert body["details"]["id"] == lead_id


def test_a_record_lock_names_record_locking_as_record_apis_do(emulator, zoho):
    """zoho-crm-api.md §14.1: record APIs give RECORD_LOCKED `details{action:"record_locking",id}`."""
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, locked=True)

    error = record_error(zoho.convert(lead_id))

    assert error["details"] == {"action": "record_locking", "id": lead_id}


def test_clearing_the_state_lets_the_lead_convert(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, locked=True, awaiting_review=True)
    refused = zoho.convert(lead_id, {"Deals": DEAL})

    emulator.crm.set_lead_state(lead_id, awaiting_review=False)
    still_locked = zoho.convert(lead_id, {"Deals": DEAL})
    emulator.crm.set_lead_state(lead_id, locked=False)
    converted = zoho.convert(lead_id, {"Deals": DEAL})

    assert record_error(refused)["code"] == "NOT_REVIEWED"  # approval, review, merge, lock in turn
    assert record_error(still_locked)["code"] == "RECORD_LOCKED"
    assert converted.status_code == 200
    assert emulator.crm.lead(lead_id)["Converted__s"] is True
    assert emulator.crm.lead_state(lead_id)["locked"] is False


def test_an_already_converted_lead_answers_id_already_converted_whatever_its_state(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.convert(lead_id)
    emulator.crm.set_lead_state(lead_id, locked=True)

    answer = zoho.convert(lead_id)

    assert (answer.status_code, answer.json()["code"]) == (400, "ID_ALREADY_CONVERTED")


def test_a_v2_convert_is_refused_the_same_way(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, awaiting_approval=True)

    answer = Zoho(emulator, version="v2", token=zoho.token).convert(lead_id)

    assert record_error(answer)["code"] == "NOT_APPROVED"


# --- Mass Convert counts such a lead as failed inside the job (§14.1, §14.2) -----------------


def test_mass_convert_counts_a_lead_in_a_wait_state_as_failed_inside_the_job(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    free, locked, unapproved = (add_lead(emulator, Email=f"lead{n}@acme.example") for n in range(3))
    emulator.crm.set_lead_state(locked, locked=True)
    emulator.crm.set_lead_state(unapproved, awaiting_approval=True)

    answer = zoho.post(
        "Leads/actions/mass_convert",
        json={"ids": [free, locked, unapproved], "assign_to": {"id": ADMIN}, "Deals": DEAL},
    )
    job_id = answer.json()["details"]["job_id"]
    deadline = time.monotonic() + 5
    while (status := zoho.get("Leads/actions/mass_convert", params={"job_id": job_id}).json()["data"][0])[
        "Status"
    ] != "completed":
        assert time.monotonic() < deadline, status
        time.sleep(0.02)

    assert answer.status_code == 202  # the submission is not refused
    assert (status["Converted_Count"], status["Failed_Count"]) == (1, 2)
    assert [emulator.crm.lead(lead)["Converted__s"] for lead in (free, locked, unapproved)] == [
        True,
        False,
        False,
    ]


# --- conversion options (zoho-crm-api.md §2) ---------------------------------------------------


@pytest.mark.parametrize(
    ("state", "code"), [("awaiting_approval", "NOT_APPROVED"), ("in_merge", "RECORD_LOCKED")]
)
def test_conversion_options_refuse_an_unapproved_lead_and_one_in_a_merge(emulator, zoho, state, code):
    lead_id = add_lead(emulator)
    emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example")
    emulator.crm.set_lead_state(lead_id, **{state: True})

    answer = zoho.get(f"Leads/{lead_id}/__conversion_options")

    assert record_error(answer)["code"] == code


@pytest.mark.parametrize("state", ["awaiting_review", "locked"])
def test_conversion_options_answer_for_a_lead_under_review_or_locked(emulator, zoho, state):
    """§2 documents only NOT_APPROVED and RECORD_LOCKED for a merge: a read is not refused."""
    lead_id = add_lead(emulator)
    emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example")
    emulator.crm.set_lead_state(lead_id, **{state: True})

    assert zoho.get(f"Leads/{lead_id}/__conversion_options").status_code == 200


# --- reads show the states (zoho-crm-api.md §14.1) -------------------------------------------


def test_an_ordinary_lead_reads_as_approved_and_editable(emulator, zoho):
    lead_id = add_lead(emulator)

    lead = read(zoho, lead_id).json()["data"][0]

    assert lead == {
        "id": lead_id,
        "Last_Name": "Doe",
        "$approved": True,
        "$approval_state": "approved",
        "$approval": {"delegate": False, "approve": False, "reject": False, "resubmit": False},
        "$review_process": {"approve": False, "reject": False, "resubmit": False},
        "$in_merge": False,
        "$editable": True,
        "Locked__s": False,
    }


def test_the_state_keys_come_only_when_fields_asks_for_them(emulator, zoho):
    lead_id = add_lead(emulator)

    asked = zoho.get(f"Leads/{lead_id}", params={"fields": "Last_Name"}).json()["data"][0]
    whole = zoho.get(f"Leads/{lead_id}").json()["data"][0]

    assert asked == {"id": lead_id, "Last_Name": "Doe"}
    assert whole["$approval_state"] == "approved"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            "awaiting_approval",
            {
                "$approved": False,
                "$approval_state": "approval_process_pending",
                "$approval": {"delegate": False, "approve": True, "reject": True, "resubmit": False},
            },
        ),
        (
            "awaiting_review",
            {
                "$approval_state": "review_process_pending",
                "$review_process": {"approve": True, "reject": True, "resubmit": False},
            },
        ),
        ("in_merge", {"$approval_state": "merge_pending", "$in_merge": True}),
        ("locked", {"Locked__s": True}),
    ],
)
def test_a_lead_in_a_wait_state_reads_so_and_is_not_editable(emulator, zoho, state, expected):
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, **{state: True})

    lead = read(zoho, lead_id, approved="both").json()["data"][0]
    listed = zoho.get("Leads", params={"fields": FLAGS, "approved": "both"}).json()["data"][0]

    assert lead["$editable"] is False
    assert {key: lead[key] for key in expected} == expected
    assert {key: listed[key] for key in expected} == expected


def test_a_locked_lead_has_locking_information_from_v7(emulator, zoho):
    """zoho-crm-api.md §14.1: `GET /Leads/{id}/Locking_Information__s` (v7+), its own scope."""
    lead_id = add_lead(emulator)
    other = add_lead(emulator)
    emulator.grant_scopes([*emulator.granted_scopes(), "ZohoCRM.modules.lockinginformation.READ"])
    emulator.crm.set_lead_state(lead_id, locked=True, lock_reason="contract under review")
    emulator.crm.set_lead_state(other, locked=True, lock_source="Automatic")

    manual = zoho.get(f"Leads/{lead_id}/Locking_Information__s")
    automatic = zoho.get(f"Leads/{other}/Locking_Information__s").json()["data"][0]
    emulator.crm.set_lead_state(lead_id, locked=False)
    unlocked = zoho.get(f"Leads/{lead_id}/Locking_Information__s")
    v6 = Zoho(emulator, version="v6", token=zoho.token).get(f"Leads/{other}/Locking_Information__s")
    unknown = zoho.get("Leads/4876876000000199999/Locking_Information__s")

    assert manual.status_code == 200
    lock = manual.json()["data"][0]
    assert lock["Lock_Source__s"] == "Manual"
    assert lock["Locked_Reason__s"] == "contract under review"
    assert lock["Locked_By__s"] == {"name": "Ava Admin", "id": ADMIN}
    assert lock["Locked_For__s"]["id"] == lead_id
    assert lock["Locked_For__s"]["module"]["api_name"] == "Leads"
    assert lock["Locked_Time__s"]
    assert lock["id"]
    assert (automatic["Lock_Source__s"], automatic["Locked_By__s"], automatic["Locked_Reason__s"]) == (
        "Automatic",
        None,
        None,
    )
    assert unlocked.status_code == 204
    assert (v6.status_code, v6.json()["code"]) == (404, "INVALID_URL_PATTERN")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_DATA")


def test_locking_information_needs_its_own_scope(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.crm.set_lead_state(lead_id, locked=True)

    answer = zoho.get(f"Leads/{lead_id}/Locking_Information__s")  # the default grant lacks it

    assert (answer.status_code, answer.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")


# --- the `approved` parameter of record reads (zoho-crm-api.md §14.3) -------------------------


def test_a_lead_awaiting_approval_is_left_out_of_record_reads_unless_asked_for(emulator, zoho):
    approved = add_lead(emulator, Last_Name="Approved")
    waiting = add_lead(emulator, Last_Name="Waiting")
    emulator.crm.set_lead_state(waiting, awaiting_approval=True)

    def listed(**params: str) -> list[str]:
        answer = zoho.get("Leads", params={"fields": "Last_Name", **params})
        return [] if answer.status_code == 204 else [lead["id"] for lead in answer.json()["data"]]

    assert read(zoho, waiting).status_code == 204  # approved=true is the default
    assert read(zoho, waiting, approved="true").status_code == 204
    assert read(zoho, waiting, approved="both").json()["data"][0]["$approved"] is False
    assert read(zoho, waiting, approved="false").status_code == 200
    assert read(zoho, approved, approved="false").status_code == 204
    assert read(zoho, approved, approved="both").status_code == 200
    assert listed() == [approved]
    assert listed(approved="both") == [approved, waiting]
    assert listed(approved="false") == [waiting]
    assert listed(ids=f"{approved},{waiting}") == [approved]


def test_approved_combines_with_converted(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.convert(lead_id)
    emulator.crm.set_lead_state(lead_id, awaiting_approval=True)

    assert read(zoho, lead_id, approved="both").status_code == 204  # converted=false by default
    assert read(zoho, lead_id, approved="both", converted="both").status_code == 200
    assert read(zoho, lead_id, converted="both").status_code == 204


@pytest.mark.parametrize("value", ["yes", "TRUE", ""])
def test_approved_takes_true_false_or_both(emulator, zoho, value):
    lead_id = add_lead(emulator)

    single = read(zoho, lead_id, approved=value)
    listed = zoho.get("Leads", params={"fields": "Last_Name", "approved": value})

    if value == "":  # an empty parameter is no parameter
        assert single.status_code == listed.status_code == 200
        return
    for answer in (single, listed):
        assert answer.status_code == 400
        assert answer.json()["code"] == "INVALID_DATA"
        assert answer.json()["details"] == {"param_name": "approved"}


def test_coql_leaves_out_leads_awaiting_approval(emulator, zoho):
    """Whether COQL returns unapproved records is unverified (§14.3): they are left out."""
    approved = add_lead(emulator)
    waiting = add_lead(emulator)
    emulator.crm.set_lead_state(waiting, awaiting_approval=True)
    locked = add_lead(emulator)
    emulator.crm.set_lead_state(locked, locked=True)

    answer = zoho.post(
        "coql", json={"select_query": "select Last_Name from Leads where Lead_Status = 'Qualified'"}
    )
    query = f"select Last_Name from Leads where id >= '{approved}' order by id asc limit 2"  # noqa: S608 (COQL)
    keyset = zoho.post("coql", json={"select_query": query})

    assert [row["id"] for row in answer.json()["data"]] == [approved, locked]
    assert [row["id"] for row in keyset.json()["data"]] == [approved, locked]


# --- setting states: Python and control API ---------------------------------------------------


def test_set_lead_state_is_all_or_nothing_in_python(emulator):
    lead_id = add_lead(emulator)

    with pytest.raises(ValueError, match=r"^in_merge: expected true or false"):
        emulator.crm.set_lead_state(lead_id, locked=True, in_merge="yes")
    with pytest.raises(ValueError, match=r"^on_hold: unknown lead state"):
        emulator.crm.set_lead_state(lead_id, locked=True, on_hold=True)
    with pytest.raises(KeyError):
        emulator.crm.set_lead_state("4876876000000199999", locked=True)

    assert emulator.crm.lead_state(lead_id)["locked"] is False


def test_control_sets_and_reads_a_leads_state(emulator, zoho):
    lead_id = add_lead(emulator)

    set_ = control(emulator, "POST", f"leads/{lead_id}/state", {"awaiting_approval": True, "locked": True})
    read_back = control(emulator, "GET", f"leads/{lead_id}/state")
    refused = zoho.convert(lead_id)
    cleared = control(
        emulator, "POST", f"leads/{lead_id}/state", {"awaiting_approval": False, "locked": False}
    )

    assert set_.status_code == 200
    assert set_.json() == read_back.json()
    state = read_back.json()
    assert {key: state[key] for key in ("awaiting_approval", "awaiting_review", "locked", "in_merge")} == {
        "awaiting_approval": True,
        "awaiting_review": False,
        "locked": True,
        "in_merge": False,
    }
    assert state["lock_source"] == "Manual"
    assert state["lock_id"]
    assert state["locked_time"]
    assert record_error(refused)["code"] == "NOT_APPROVED"
    assert cleared.json()["lock_id"] is None
    assert zoho.convert(lead_id).status_code == 200


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"locked": True, "awaiting_review": "yes"}, "awaiting_review"),
        ({"locked": True, "frozen": True}, "frozen"),
        ({"locked": True, "lock_source": "Rule"}, "lock_source"),
        ({"locked": True, "lock_reason": 5}, "lock_reason"),
        ({"locked": True, "lock_id": "1"}, "lock_id"),  # set by the emulator, not settable
    ],
)
def test_control_refuses_a_malformed_state_naming_the_key_and_changes_nothing(emulator, body, key):
    lead_id = add_lead(emulator)

    answer = control(emulator, "POST", f"leads/{lead_id}/state", body)

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{key}: ")
    assert emulator.crm.lead_state(lead_id)["locked"] is False


def test_control_state_of_an_unknown_lead_is_404_and_a_non_object_400(emulator):
    lead_id = add_lead(emulator)

    assert control(emulator, "POST", "leads/4876876000000199999/state", {"locked": True}).status_code == 404
    assert control(emulator, "GET", "leads/4876876000000199999/state").status_code == 404
    assert control(emulator, "POST", f"leads/{lead_id}/state", ["locked"]).status_code == 400


def test_reset_and_deletion_forget_the_states(emulator, zoho):
    kept, deleted = add_lead(emulator), add_lead(emulator)
    emulator.crm.set_lead_state(kept, locked=True)
    emulator.crm.set_lead_state(deleted, awaiting_approval=True)
    emulator.crm.delete_lead(deleted)

    listed = zoho.get("Leads", params={"fields": "Last_Name", "approved": "both"}).json()["data"]
    emulator.reset()
    again = add_lead(emulator)  # ids start over: the same id as `kept`

    assert [lead["id"] for lead in listed] == [kept]
    assert again == kept
    assert emulator.crm.lead_state(again)["locked"] is False


@pytest.mark.parametrize("value", ["data", "", None, True])
def test_the_placement_is_wrapped_or_root(emulator, value):
    answer = control(emulator, "POST", "faults", {"wait_state_placement": value})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("wait_state_placement: ")
    assert emulator.faults.wait_state_placement == "wrapped"


def test_clear_and_reset_restore_the_wrapped_placement(emulator):
    emulator.faults.wait_state_placement = "root"
    control(emulator, "POST", "faults", {"clear": True})
    cleared = emulator.faults.wait_state_placement
    emulator.faults.wait_state_placement = "root"

    emulator.reset()

    assert (cleared, emulator.faults.wait_state_placement) == ("wrapped", "wrapped")
