"""The credit meter (credits.py, router.py, gateway.py, journal.py): the CRM credits each call
costs (zoho-crm-api.md §14.7, §6, §13.8), on every journal entry and added up by
`emu.credits()` and `GET /__emulator/credits`."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

CONVERT = "POST Leads/{id}/actions/convert"


def coql(zoho: Zoho, query: str) -> requests.Response:
    return zoho.post("coql", json={"select_query": query})


def test_every_journal_entry_carries_its_endpoint_and_credits(emulator, zoho):
    lead_id = add_lead(emulator)

    zoho.get(f"Leads/{lead_id}")
    zoho.convert(lead_id, {"Deals": DEAL})
    zoho.get(f"Leads/{lead_id}/Notes", params={"fields": "Note_Title"})
    journal = [(entry.method, entry.endpoint, entry.credits) for entry in emulator.journal]

    assert journal == [
        ("POST", "POST /oauth/v2/token", 0),  # the accounts server: no CRM credits
        ("GET", "GET Leads/{id}", 1),
        ("POST", CONVERT, 5),  # zoho-crm-api.md §14.7: Convert Lead costs 5
        ("GET", "GET {module}/{id}/Notes", 1),
    ]


def test_credits_add_up_per_endpoint_since_the_journal_was_cleared(emulator, zoho):
    first, second = add_lead(emulator), add_lead(emulator)
    zoho.convert(first)
    emulator.clear_journal()

    zoho.convert(second)
    zoho.get("Leads", params={"fields": "Last_Name"})
    zoho.get("Leads", params={"fields": "Last_Name", "page": 2})
    control = requests.get(f"{emulator.url}/__emulator/credits", timeout=5).json()

    assert emulator.credits() == control
    assert control == {
        "total": 7,
        "calls": 3,
        "endpoints": {CONVERT: {"calls": 1, "credits": 5}, "GET Leads": {"calls": 2, "credits": 2}},
    }
    assert [
        entry["credits"] for entry in requests.get(f"{emulator.url}/__emulator/journal", timeout=5).json()
    ] == [
        5,
        1,
        1,
    ]


def test_a_refused_call_is_charged_as_if_it_had_succeeded(emulator, zoho):
    """zoho-crm-api.md §14.7: whether a refused call costs credits is unverified: it does."""
    lead_id = add_lead(emulator)
    zoho.convert(lead_id)
    emulator.faults.fail_next(1, status=500, path="/Leads$")
    emulator.clear_journal()

    zoho.convert(lead_id)  # ID_ALREADY_CONVERTED
    zoho.convert("4876876000000199999")  # no such lead
    zoho.get("Leads", params={"fields": "Last_Name"})  # the fault's 500
    zoho.get("Gadgets/1")  # an unknown URL
    Zoho(emulator, token="1000.not-a-token").get(f"Leads/{lead_id}")  # INVALID_TOKEN

    assert [entry.status for entry in emulator.journal] == [400, 400, 500, 404, 401]
    assert emulator.credits() == {
        "total": 5 + 5 + 1 + 1 + 1,
        "calls": 5,
        "endpoints": {
            CONVERT: {"calls": 2, "credits": 10},
            "GET Leads": {"calls": 1, "credits": 1},
            "GET unknown": {"calls": 1, "credits": 1},
            "GET Leads/{id}": {"calls": 1, "credits": 1},
        },
    }


def test_calls_refused_for_concurrency_are_charged_too(emulator, zoho):
    emulator.faults.concurrency_limit = 1
    emulator.faults.hang_next(1, 0.5, path="/actions/convert$")
    lead_id = add_lead(emulator)
    emulator.clear_journal()

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(zoho.convert, lead_id)
        time.sleep(0.2)
        throttled = Zoho(emulator, token=zoho.token).get(f"Leads/{lead_id}")
        slow.result()

    assert throttled.status_code == 429
    assert emulator.credits()["total"] == 5 + 1


@pytest.mark.parametrize(
    ("query", "credits"),
    [
        ("select Last_Name from Leads where Lead_Status = 'Qualified'", 1),  # LIMIT 200 by default
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 200", 1),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 201", 2),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 1000, 400", 2),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 1000 offset 400", 5),
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 2000", 10),
        ("select Last_Name from Leads where Company = 'limit 2000' limit 10", 1),  # a literal is no LIMIT
        ("select Last_Name from Leads where Lead_Status = 'Qualified' limit 5000", 10),  # refused, charged
        ("select from where", 1),  # a syntax error, charged
    ],
)
def test_coql_costs_one_credit_per_200_rows_of_its_limit(emulator, zoho, query, credits):
    """§14.7: COQL's cost in CRM is unverified; the meter charges more than the sibling
    product's bands (1/2/3): one credit per 200 rows of the LIMIT, at most 10."""
    add_lead(emulator)
    emulator.clear_journal()

    coql(zoho, query)

    assert [(entry.endpoint, entry.credits) for entry in emulator.journal] == [("POST coql", credits)]


def test_mass_convert_costs_five_and_its_status_one(emulator, zoho):
    """§14.7: Mass Convert's cost is unverified ("1 is the default"); the submission is counted
    like one Convert, the status poll at the default."""
    emulator.faults.mass_convert_seconds = 0.05
    lead_ids = [add_lead(emulator, Email=f"l{n}@acme.example") for n in range(3)]
    emulator.clear_journal()

    job: dict[str, Any] = zoho.post(
        "Leads/actions/mass_convert", json={"ids": lead_ids, "assign_to": {"id": ADMIN}}
    ).json()
    zoho.get("Leads/actions/mass_convert", params={"job_id": job["details"]["job_id"]})

    assert emulator.credits()["endpoints"] == {
        "POST Leads/actions/mass_convert": {"calls": 1, "credits": 5},
        "GET Leads/actions/mass_convert": {"calls": 1, "credits": 1},
    }


def test_metadata_notes_and_conversion_options_cost_one_each(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.clear_journal()

    for path, params in [
        ("settings/fields", {"module": "Deals"}),
        ("settings/layouts", {"module": "Leads"}),
        ("settings/pipeline", {"layout_id": "4876876000000091023"}),
        ("settings/tags", {"module": "Leads"}),
        ("users", {"type": "CurrentUser"}),
        ("Notes", {"fields": "Note_Title"}),
        (f"Leads/{lead_id}/__conversion_options", {}),
    ]:
        zoho.get(path, params=params)
    zoho.post(
        "Notes",
        json={"data": [{"Note_Content": "x", "Parent_Id": {"module": {"api_name": "Leads"}, "id": lead_id}}]},
    )

    assert {entry.endpoint: entry.credits for entry in emulator.journal} == {
        "GET settings/fields": 1,
        "GET settings/layouts": 1,
        "GET settings/pipeline": 1,
        "GET settings/tags": 1,
        "GET users": 1,
        "GET Notes": 1,
        "GET Leads/{id}/__conversion_options": 1,
        "POST Notes": 1,
    }
    assert emulator.credits()["total"] == 8


def test_reset_empties_the_meter(emulator, zoho):
    zoho.convert(add_lead(emulator))

    emulator.reset()

    assert emulator.credits() == {"total": 0, "calls": 0, "endpoints": {}}
    assert requests.get(f"{emulator.url}/__emulator/credits", timeout=5).json()["total"] == 0
