"""The /__emulator/ control endpoints (control.py)."""

from __future__ import annotations

import requests

from tests.zoho_emulator.testing import demo as demo
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


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


def test_control_endpoint_adds_leads_in_bulk(emulator):
    control = f"{emulator.url}/__emulator/leads"
    leads = [{"Last_Name": f"Bulk {n}", "Company": f"Bulk Co {n}", "Tag": ["Imported"]} for n in range(3)]

    created = requests.post(control, json=leads, timeout=5)
    ids = created.json()["ids"]
    refused = requests.post(control, json=[{"Last_Name": "Fine"}, {"Company": "No last name"}], timeout=5)
    not_objects = requests.post(control, json=[{"Last_Name": "Never"}, "Roe"], timeout=5)

    assert created.status_code == 201
    assert [emulator.crm.lead(lead_id)["Last_Name"] for lead_id in ids] == ["Bulk 0", "Bulk 1", "Bulk 2"]
    assert [int(lead_id) for lead_id in ids] == sorted(int(lead_id) for lead_id in ids)
    assert emulator.crm.lead(ids[0])["Tag"][0]["name"] == "Imported"
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("leads[1]: ")
    assert [emulator.crm.lead(lead_id)["Last_Name"] for lead_id in refused.json()["ids"]] == ["Fine"]
    assert not_objects.status_code == 400
    assert not_objects.json()["error"] == "leads[1]: expected a JSON object"
    assert emulator.crm.counts()["leads"] == 4


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


def test_control_endpoint_sets_hidden_fields_and_trickles(emulator, zoho):
    lead_id = emulator.crm.add_lead(Last_Name="Hidden", Lead_Status="Qualified")
    requests.post(
        f"{emulator.url}/__emulator/faults",
        json={
            "hidden_fields": ["Lead_Status"],
            "trickle_next": {"n": 1, "seconds_per_byte": 0.0, "path": "x"},
        },
        timeout=5,
    ).raise_for_status()

    (lead,) = zoho.get(f"Leads/{lead_id}").json()["data"]

    assert "Lead_Status" not in lead
    assert emulator.faults.hidden_fields == {"Lead_Status"}
