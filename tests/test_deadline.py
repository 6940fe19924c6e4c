"""One deadline per request: whatever Zoho does, the webhook answers and the sweep stops in time.

The emulator's trickle fault writes its answer a byte at a time, so every read gets a byte before
its read timeout: only a deadline on the whole call can end it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import post_webhook

LEAD_READ = r"/Leads/\d+$"
TOKEN = r"^/oauth/v2/token$"


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Slow", Company="Slow Inc", Lead_Status="Qualified")


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setenv("WEBHOOK_DEADLINE_SECONDS", "1.5")
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "30")  # the retry window alone would allow far longer


@pytest.mark.parametrize("path", [LEAD_READ, TOKEN])
def test_a_trickling_zoho_gets_an_error_answer_at_the_deadline(
    path, serve, emulator, lead, short_deadline, log_lines
):
    emulator.faults.trickle_next(50, 0.2, path=path)  # ~1 KB at 0.2 s a byte: minutes

    response = post_webhook(serve(), lead)

    answer = response.get_json()
    assert (response.status_code, answer["outcome"]) == (503, "error")
    assert "deadline of 1.5 s passed" in answer["reason"]
    (line,) = log_lines()
    assert line["severity"] == "ERROR"
    assert emulator.crm.conversions(lead) == 0  # left to the sweep


def test_retries_share_the_deadline_instead_of_each_taking_its_own(serve, emulator, lead, short_deadline):
    emulator.faults.fail_next(1000, status=503, path=LEAD_READ)

    answer = post_webhook(serve(), lead).get_json()

    assert answer["outcome"] == "error"
    assert answer["reason"].startswith("Zoho API still failing after")  # gave up within 1.5 s, not 30
    assert len(emulator.requests("GET", LEAD_READ)) < 1000


def test_the_sweep_stops_a_trickling_page_and_still_answers_its_summary(serve, emulator, monkeypatch):
    emulator.crm.add_lead(
        Last_Name="Old",
        Lead_Status="Qualified",
        Modified_Time=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    monkeypatch.setenv("RECONCILE_SINCE", "2000-01-01T00:00:00Z")
    monkeypatch.setenv("RECONCILE_MAX_SECONDS", "2")
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "1")
    emulator.faults.trickle_next(50, 0.2, path=r"/coql$")

    response = serve("reconcile").post("/", json={})

    summary = response.get_json()
    assert response.status_code == 200
    assert (summary["complete"], summary["stopped_by"]) == (False, "error")
    assert summary["stopped"].endswith("POST /coql took longer than its time budget")
    assert summary["converted"] == 0
