"""The journal (journal.py): what clients sent and what they got."""

from __future__ import annotations

import time

from tests.zoho_emulator.testing import DEAL, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_the_journal_records_what_clients_sent_and_what_they_got(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.get(f"Leads/{lead_id}", params={"converted": "both"}, headers={"X-Trace": "abc"})
    zoho.convert(lead_id, {"Deals": DEAL})

    token, read, convert = emulator.journal

    assert (token.method, token.path, token.status) == ("POST", "/oauth/v2/token", 200)
    assert token.form["grant_type"] == ["refresh_token"]
    assert (read.method, read.query, read.status) == ("GET", {"converted": ["both"]}, 200)
    assert read.headers["x-trace"] == "abc"
    assert read.headers["Authorization"] == f"Zoho-oauthtoken {zoho.token}"
    assert convert.json == {"data": [{"Deals": DEAL}]}
    assert convert.body.startswith(b"{")
    assert convert.duration_ms >= 0
    assert convert.started >= token.started


def test_requests_filters_the_journal_by_method_and_path(emulator, zoho):
    lead_id = add_lead(emulator)
    zoho.get(f"Leads/{lead_id}")
    zoho.convert(lead_id)

    assert [entry.method for entry in emulator.requests(path=r"/Leads/")] == ["GET", "POST"]
    assert [entry.path for entry in emulator.requests(method="POST", path="convert$")] == [
        f"/crm/v8/Leads/{lead_id}/actions/convert"
    ]
    assert emulator.token_requests == 1


def test_clearing_the_journal_forgets_earlier_calls(emulator, zoho):
    zoho.get("users")

    emulator.clear_journal()

    assert emulator.journal == []
    assert emulator.token_requests == 0


def test_a_calls_duration_runs_from_its_request_line_to_its_answer_written(emulator, zoho):
    emulator.faults.latency = 0.05
    lead_id = add_lead(emulator)

    answer = zoho.get(f"Leads/{lead_id}")

    answering_ms = float(answer.headers["X-Emulator-Time-Ms"])
    durations = []
    for _ in range(100):  # the entry is completed just after the answer is written
        (entry,) = emulator.requests("GET", rf"/Leads/{lead_id}$")
        durations.append(entry.duration_ms)
        if entry.duration_ms > answering_ms:
            break
        time.sleep(0.01)
    assert answering_ms >= 50
    assert durations[-1] > answering_ms  # the emulator's own HTTP reading and writing too
