"""HTTP behaviour of the emulator's server (server.py, gateway.py)."""

from __future__ import annotations

import time

import requests

from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_every_answer_says_how_long_the_emulator_spent_on_it(emulator, zoho):
    answers = [
        zoho.get("users"),
        zoho.get("Leads/4876876000000999999"),
        requests.get(f"{emulator.url}/crm/v8/users", timeout=5),
    ]

    assert all(float(answer.headers["X-Emulator-Time-Ms"]) >= 0 for answer in answers)


def test_keep_alive_calls_do_not_stall_on_delayed_acks(zoho):
    zoho.get("users")
    started = time.perf_counter()
    for _ in range(25):
        assert zoho.get("users").status_code == 200
    elapsed = time.perf_counter() - started

    # A response written in two packets without TCP_NODELAY stalls ~40 ms per call (1 s here).
    assert elapsed < 0.5
