"""Test helpers for code that talks to the emulator: a small `requests` client and pytest fixtures.

The emulator itself needs only the standard library and never imports this module; tests do.
Import the fixtures by name into the test module, each with `as` (which tells linters the import
is used), and always `emulator` beside `zoho`, since `zoho` asks pytest for the `emulator`
visible from the test module:

    from tests.zoho_emulator.testing import Zoho, add_lead
    from tests.zoho_emulator.testing import emulator as emulator
    from tests.zoho_emulator.testing import zoho as zoho

    def test_reads_a_lead(emulator, zoho):
        lead_id = add_lead(emulator)
        assert zoho.get(f"Leads/{lead_id}").status_code == 200
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests

from .emulator import ZohoEmulator
from .local_http import LoopbackServer
from .tokens import Credentials

CREDENTIALS = Credentials(
    client_id="1000.EMULATORTESTCLIENT",
    client_secret="emulator-test-client-secret",
    refresh_token="1000.emulator-test-refresh-token",
)
ADMIN = "4876876000000002001"  # the default admin user of every emulated org
DEAL = {
    "Deal_Name": "Acme - Doe",
    "Stage": "Qualification",
    "Pipeline": "Standard (Standard)",
    "Closing_Date": "2026-12-31",
}


def token_form(credentials: Credentials, **overrides: str) -> dict[str, str]:
    """The form of a refresh-token grant, as POST /oauth/v2/token takes it."""
    return {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        **overrides,
    }


class Zoho:
    """A plain HTTP client of the emulator: one keep-alive session holding a valid token.

    Paths are relative to /crm/{version}/, so one test can speak several API versions by
    making a client per version that shares the token.
    """

    def __init__(self, emulator: ZohoEmulator, version: str = "v8", token: str | None = None) -> None:
        self.url = emulator.url
        self.version = version
        self.session = requests.Session()
        if token is None:
            answer = self.session.post(
                f"{self.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5
            )
            token = str(answer.json()["access_token"])
        self.token = token
        self.session.headers["Authorization"] = f"Zoho-oauthtoken {token}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(f"{self.url}/crm/{self.version}/{path}", timeout=5, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.post(f"{self.url}/crm/{self.version}/{path}", **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.put(f"{self.url}/crm/{self.version}/{path}", **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.patch(f"{self.url}/crm/{self.version}/{path}", **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.delete(f"{self.url}/crm/{self.version}/{path}", **kwargs)

    def convert(
        self, lead_id: str, converter: dict[str, Any] | None = None, timeout: float = 5
    ) -> requests.Response:
        return self.post(
            f"Leads/{lead_id}/actions/convert", json={"data": [converter or {}]}, timeout=timeout
        )

    def mass_convert(self, lead_ids: list[str], assign_to: str = ADMIN, **body: Any) -> requests.Response:
        """Submit a Mass Convert of `lead_ids` to `assign_to`, with the other keys of `body`."""
        return self.post(
            "Leads/actions/mass_convert", json={"ids": lead_ids, "assign_to": {"id": assign_to}, **body}
        )

    def job_status(self, job_id: str) -> dict[str, Any]:
        return dict(self.get("Leads/actions/mass_convert", params={"job_id": job_id}).json()["data"][0])

    def finished_job(self, job_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """A Mass Convert job's status once it is completed or failed (within `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while (status := self.job_status(job_id))["Status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, status
            time.sleep(0.02)
        return status

    def conversion_options(self, lead_id: str) -> requests.Response:
        return self.get(f"Leads/{lead_id}/__conversion_options")

    def coql(self, query: str) -> requests.Response:
        return self.post("coql", json={"select_query": query})

    def unknown_url_answer(self) -> tuple[int, Any]:
        """Status and body of a URL that no version has, in this client's version."""
        answer = self.session.get(f"{self.url}/crm/{self.version}/Gadgets/1", timeout=5)
        return answer.status_code, answer.json()


def add_lead(emulator: ZohoEmulator, **fields: Any) -> str:
    """A qualified lead, Jane Doe of Acme with two tags, unless `fields` say otherwise."""
    lead = {
        "First_Name": "Jane",
        "Last_Name": "Doe",
        "Company": "Acme",
        "Email": "jane@acme.example",
        "Lead_Status": "Qualified",
        "Tag": ["VIP", "Hot"],
        **fields,
    }
    return emulator.crm.add_lead(**lead)


def add_deal(emulator: ZohoEmulator, **fields: Any) -> str:
    """A deal, `DEAL` (Standard pipeline, Qualification) unless `fields` say otherwise;
    `Account_Name` and `Contact_Name` take record ids (`CrmStore.add_deal`)."""
    return emulator.crm.add_deal(**{**DEAL, **fields})


def control(emulator: ZohoEmulator, method: str, path: str, body: Any = None) -> requests.Response:
    """A call to the control API, `/__emulator/{path}` (no token), with `body` as JSON."""
    return requests.request(method, f"{emulator.url}/__emulator/{path}", json=body, timeout=5)


def lead_parent(lead_id: str) -> dict[str, Any]:
    """A note's Parent_Id as v3+ names it (zoho-crm-api.md §11)."""
    return {"module": {"api_name": "Leads"}, "id": lead_id}


def record_error(response: requests.Response) -> dict[str, Any]:
    """The first error of a record-level refusal: HTTP 400 with the error wrapped in data[]."""
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["data"][0]
    return error


@dataclass(frozen=True)
class Received:
    """One request a `WebhookReceiver` got: header names as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, its name compared case-insensitively."""
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


class WebhookReceiver(LoopbackServer):
    """A local HTTP server standing in for what a webhook calls (the function, in production):
    it records every request and answers `status` (200 unless changed) with an empty body,
    `delay` seconds after reading it."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self._received: list[Received] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests once at least `count` have come (or `timeout` seconds have passed)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(self.command, self.path, dict(self.headers.items()), body)
                with receiver._lock:
                    receiver._received.append(received)
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _record

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        return Handler


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A `WebhookReceiver` on a free local port, answering 200."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    """An empty org (only the default admin) on a free local port, stopped after the test."""
    with ZohoEmulator(credentials=CREDENTIALS) as emu:
        yield emu


@pytest.fixture
def zoho(emulator: ZohoEmulator) -> Iterator[Zoho]:
    """A v8 client of the test's `emulator`, already holding a token."""
    client = Zoho(emulator)
    yield client
    client.session.close()


@pytest.fixture
def demo() -> Iterator[ZohoEmulator]:
    """An emulator with the "demo" seed (users and five leads the README walks through)."""
    with ZohoEmulator(
        credentials=Credentials("1000.DEMO", "demo-secret", "1000.demo-refresh"), seed="demo"
    ) as emu:
        yield emu
