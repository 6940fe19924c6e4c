"""handlers/platform/http.py from outside: what the function makes of answers that are too large or cut.

The function is served by functions-framework's gunicorn (tests/served_function.py) where the
worker's memory is measured, and through the Flask test client elsewhere; Zoho is the emulator
or a hostile server on loopback (tests/big_answer_server.py). Nothing is patched.
"""

from __future__ import annotations

import pytest
import requests

from handlers.platform.http import MAX_ANSWER_BYTES
from tests.big_answer_server import FRAMINGS, BigAnswerServer
from tests.conftest import WEBHOOK_SECRET
from tests.served_function import ServedFunction

HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}
HUGE = 150 * 1024 * 1024
DEPLOYED_MEMORY_KIB = 256 * 1024  # the webhook's memory in Terraform
UNKNOWN_LEAD = "4876876000000999999"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_150_mb_answer_is_refused_without_the_worker_growing_past_its_memory(function_env, framing):
    with (
        BigAnswerServer(HUGE, framing) as zoho,
        ServedFunction(threads=2, env={"ZOHO_API_DOMAIN": zoho.url}) as served,
    ):
        before = served.worker_memory_kib()["VmRSS"]
        answer = requests.post(served.url, json={"lead_id": UNKNOWN_LEAD}, headers=HEADERS, timeout=60)
        memory = served.worker_memory_kib()

    assert memory["VmHWM"] < DEPLOYED_MEMORY_KIB, memory
    grown = memory["VmHWM"] - before
    assert grown < 2 * MAX_ANSWER_BYTES // 1024, (before, memory)  # the cap, not the answer
    assert answer.status_code == 503, answer.text
    reason = answer.json()["reason"]
    assert reason.startswith(f"GET /crm/v8/Leads/{UNKNOWN_LEAD} answered more than 32 MiB, the cap on")
    assert reason.endswith(": refused")
    assert zoho.sent
    assert max(zoho.sent) < HUGE  # the answer was abandoned, not read to its end
    assert len(zoho.sent) == 1  # a refusal, not retried


def test_an_announced_size_past_the_cap_is_refused_before_reading(function_env):
    with (
        BigAnswerServer(HUGE, "announced") as zoho,
        ServedFunction(threads=2, env={"ZOHO_API_DOMAIN": zoho.url}) as served,
    ):
        answer = requests.post(served.url, json={"lead_id": UNKNOWN_LEAD}, headers=HEADERS, timeout=60)

    assert "(157,286,400 bytes announced): refused" in answer.json()["reason"]


def test_an_answer_just_under_the_cap_is_read(function_env):
    """The cap refuses what is past it only: an answer of the cap's size is read (and, not being
    JSON, refused for that)."""
    with (
        BigAnswerServer(MAX_ANSWER_BYTES, "chunked") as zoho,
        ServedFunction(threads=2, env={"ZOHO_API_DOMAIN": zoho.url}) as served,
    ):
        answer = requests.post(served.url, json={"lead_id": UNKNOWN_LEAD}, headers=HEADERS, timeout=60)

    assert answer.status_code == 503
    assert answer.json()["reason"].endswith("answered HTTP 200 with a body that is not JSON")
    assert zoho.sent == [MAX_ANSWER_BYTES]


# --- a cut is never an answer --------------------------------------------------------------------
# The emulator trickles its answer a byte every 50 ms, headers included: the status line is in by
# 1.3 s, and the call's budget (ZOHO_RETRY_SECONDS, 3 s) ends while the headers still arrive.
# http.client reads a status line followed by the end of the stream as a whole answer without a
# body; only the watchdog knows it was cut.

SECONDS_PER_BYTE = 0.05


def test_a_204_cut_while_its_headers_arrive_is_unavailable_not_not_found(client, emulator):
    emulator.faults.trickle_next(10, SECONDS_PER_BYTE, path=r"/crm/v8/Leads/\d+$", method="GET")

    answer = client.post("/", json={"lead_id": UNKNOWN_LEAD}, headers=HEADERS)

    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["outcome"] == "error"
    assert "took longer than its time budget" in answer.get_json()["reason"]


def test_a_200_cut_while_its_headers_arrive_is_unavailable_not_an_empty_answer(client, emulator):
    lead_id = emulator.crm.add_lead(Last_Name="Cut", Company="Acme", Lead_Status="Qualified")
    emulator.faults.trickle_next(10, SECONDS_PER_BYTE, path=r"/crm/v8/Leads/\d+$", method="GET")

    answer = client.post("/", json={"lead_id": lead_id}, headers=HEADERS)

    reason = answer.get_json()["reason"]
    assert answer.status_code == 503, reason
    assert "took longer than its time budget" in reason
    assert "without" not in reason  # not "answered HTTP 200 without a record in data[]"


def test_a_call_carries_the_callers_headers_and_the_usual_ones_and_its_query_in_order(client, emulator):
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")

    client.post("/", json={"lead_id": lead, "dry_run": True}, headers=HEADERS)

    (read,) = emulator.requests("GET", r"^/crm/v8/Leads/\d+$")
    assert read.headers["Authorization"].startswith("Zoho-oauthtoken 1000.")
    assert read.headers["User-Agent"].startswith("python-requests/")
    assert read.headers["Accept-Encoding"] == "gzip, deflate"
    assert read.query == {"converted": ["both"], "approved": ["both"]}
