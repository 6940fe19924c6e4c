"""Fault injection (faults.py, gateway.py): latency, concurrency, scripted failures."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, token_form
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_latency_delays_api_calls_but_not_token_calls(emulator, zoho):
    emulator.faults.latency = 0.2

    started = time.perf_counter()
    api = zoho.get("users")
    api_seconds = time.perf_counter() - started
    token = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert api_seconds >= 0.2
    assert float(api.headers["X-Emulator-Time-Ms"]) >= 200
    assert float(token.headers["X-Emulator-Time-Ms"]) < 200  # measured by the emulator, not the client


def test_calls_beyond_the_concurrency_limit_are_refused_at_once(emulator, zoho):
    emulator.faults.concurrency_limit = 2
    emulator.faults.latency = 0.5
    clients = [Zoho(emulator, token=zoho.token) for _ in range(5)]
    start = threading.Barrier(5)

    def call(client: Zoho) -> tuple[int, float, dict[str, Any]]:
        start.wait()
        answer = client.get("users")
        return answer.status_code, float(answer.headers["X-Emulator-Time-Ms"]) / 1000, answer.json()

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(call, clients))

    assert Counter(status for status, _, _ in results) == {200: 2, 429: 3}
    refused = [(seconds, body) for status, seconds, body in results if status == 429]
    assert all(seconds < 0.5 for seconds, _ in refused)
    assert all(body["code"] == "TOO_MANY_REQUESTS" for _, body in refused)


def test_fail_next_fails_only_the_matching_calls_then_recovers(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.fail_next(2, status=503, code="INTERNAL_ERROR", path=r"/actions/convert$")

    read = zoho.get(f"Leads/{lead_id}")
    failed = [zoho.convert(lead_id) for _ in range(2)]
    converted = zoho.convert(lead_id)

    assert read.status_code == 200
    assert [answer.status_code for answer in failed] == [503, 503]
    assert failed[0].json()["code"] == "INTERNAL_ERROR"
    assert converted.status_code == 200
    assert emulator.crm.conversions(lead_id) == 1


def test_fail_next_after_lets_that_many_matching_calls_through_first(emulator, zoho):
    emulator.faults.fail_next(1, status=500, path=r"/users$", after=2)

    statuses = [zoho.get("users").status_code for _ in range(4)]

    assert statuses == [200, 200, 500, 200]


def test_fail_next_can_target_a_method(emulator, zoho):
    emulator.faults.fail_next(1, status=500, method="POST")

    assert zoho.get("users").status_code == 200
    assert zoho.convert("4876876000000999999").status_code == 500


def test_fail_fraction_fails_a_reproducible_share_until_cleared(emulator, zoho):
    emulator.faults.fail_fraction(0.5, status=500, seed=7)

    statuses = [zoho.get("users").status_code for _ in range(40)]
    emulator.faults.clear()
    after = [zoho.get("users").status_code for _ in range(5)]

    assert 5 < statuses.count(500) < 35
    assert set(statuses) == {200, 500}
    assert after == [200] * 5


def test_reset_next_resets_the_connection_without_an_answer(emulator, zoho):
    emulator.faults.reset_next(1, path=r"/users$")

    with pytest.raises(requests.ConnectionError):
        zoho.get("users")
    recovered = zoho.get("users")

    assert recovered.status_code == 200
    assert [entry.status for entry in emulator.requests("GET", "users")] == [0, 200]


def test_hang_next_delays_the_answer(emulator, zoho):
    emulator.faults.hang_next(1, 0.3, path=r"/users$")

    started = time.perf_counter()
    answer = zoho.get("users")

    assert answer.status_code == 200
    assert time.perf_counter() - started >= 0.3
    assert float(answer.headers["X-Emulator-Time-Ms"]) >= 300


def test_a_hang_after_processing_converts_although_the_client_gives_up(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.hang_next(1, 2.0, path=r"/actions/convert$", after_processing=True)

    with pytest.raises(requests.ReadTimeout):
        zoho.convert(lead_id, {"Deals": DEAL}, timeout=0.3)
    again = Zoho(emulator, token=zoho.token).convert(lead_id, {"Deals": DEAL})

    assert emulator.crm.conversions(lead_id) == 1
    assert again.json()["code"] == "ID_ALREADY_CONVERTED"


def test_malformed_next_answers_the_given_body_without_processing(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.faults.malformed_next(1, body=b"<html>oops", status=200, path=r"/actions/convert$")

    answer = zoho.convert(lead_id)

    assert (answer.status_code, answer.content) == (200, b"<html>oops")
    assert emulator.crm.conversions(lead_id) == 0


def test_token_calls_are_not_api_calls_for_faults_without_a_path(emulator):
    emulator.faults.fail_next(1, status=500)

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert "access_token" in answer.json()


def test_trickle_next_outlasts_a_read_timeout_a_byte_at_a_time(emulator, zoho):
    emulator.faults.trickle_next(1, 0.005, path=r"/users$")
    url = f"{zoho.url}/crm/v8/users"

    trickled = zoho.session.get(url, timeout=(1, 0.1))  # ~1 KB at 5 ms a byte: seconds, in reads of 5 ms
    normal = zoho.session.get(url, timeout=(1, 0.1))

    assert trickled.status_code == normal.status_code == 200
    assert trickled.json() == normal.json()


def test_delete_leads_before_next_deletes_them_as_the_next_matching_call_arrives(emulator, zoho):
    kept, gone = add_lead(emulator), add_lead(emulator, Email="gone@acme.example")
    emulator.faults.delete_leads_before_next([gone, "4876876000000999999"], path=r"/actions/convert$")

    before = zoho.get(f"Leads/{gone}")  # not a matching call
    refused = zoho.convert(gone)  # the matching call: the lead is deleted, then the call is processed
    converted = zoho.convert(kept)

    assert before.status_code == 200
    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_DATA")
    assert converted.status_code == 200
    assert emulator.crm.counts()["leads"] == 1


def test_delete_leads_before_next_without_a_path_takes_the_next_api_call_and_clear_drops_it(emulator, zoho):
    first, second = add_lead(emulator), add_lead(emulator, Email="second@acme.example")
    emulator.faults.delete_leads_before_next([first], method="GET")
    requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert zoho.get(f"Leads/{first}").status_code == 204
    emulator.faults.delete_leads_before_next([second])
    emulator.faults.clear()
    assert zoho.get(f"Leads/{second}").status_code == 200
