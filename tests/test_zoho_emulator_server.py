"""HTTP behaviour of the emulator's server (server.py, gateway.py)."""

from __future__ import annotations

import socket

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


def test_keep_alive_calls_share_one_tcp_nodelay_connection(emulator, zoho):
    """A response written in two packets without TCP_NODELAY stalls ~40 ms on a delayed ACK; the
    server sets it on every connection and keeps one connection for a client's calls."""
    for _ in range(25):
        assert zoho.get("users").status_code == 200

    (connection,) = emulator._server._connections  # one kept-alive connection served all 25 calls
    assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
