"""Shared fixtures: the Zoho emulator on a real local port, and the function served against it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from tests.zoho_emulator import Credentials, ZohoEmulator

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = Credentials(
    client_id="1000.TESTCLIENTID",
    client_secret="test-client-secret",
    refresh_token="1000.test-refresh-token",
)
WEBHOOK_SECRET = "test-webhook-secret-7f3a9c"
SETTINGS_READ_BY_THE_FUNCTION = (
    "ZOHO_DC",
    "ZOHO_API_DOMAIN",
    "ZOHO_API_VERSION",
    "RULES_FILE",
    "DRY_RUN",
    "GOOGLE_CLOUD_PROJECT",
    "ZOHO_RETRY_SECONDS",
    "ZOHO_CONNECT_TIMEOUT_SECONDS",
    "ZOHO_READ_TIMEOUT_SECONDS",
    "ZOHO_TOKEN_COOLDOWN_SECONDS",
    "ZOHO_ACCESS_TOKEN_SECRET",
    "SECRET_CACHE_SECONDS",
    "SECRET_MANAGER_ENDPOINT",
    "FAILURE_NOTE",
    "ZOHO_CLIENT_ID_SECRET",
    "ZOHO_CLIENT_SECRET_SECRET",
    "ZOHO_REFRESH_TOKEN_SECRET",
    "WEBHOOK_SECRET_SECRET",
)


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    with ZohoEmulator(credentials=CREDENTIALS) as emu:
        yield emu


@pytest.fixture
def function_env(emulator: ZohoEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The function's environment pointed at the emulator; tests change it with monkeypatch."""
    for name in SETTINGS_READ_BY_THE_FUNCTION:
        monkeypatch.delenv(name, raising=False)
    env = {
        "ZOHO_CLIENT_ID": CREDENTIALS.client_id,
        "ZOHO_CLIENT_SECRET": CREDENTIALS.client_secret,
        "ZOHO_REFRESH_TOKEN": CREDENTIALS.refresh_token,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ZOHO_ACCOUNTS_URL": emulator.url,
        "ZOHO_RETRY_SECONDS": "3",
        "ZOHO_READ_TIMEOUT_SECONDS": "0.5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def serve(function_env: dict[str, str]) -> Callable[..., FlaskClient]:
    """Start a fresh function instance (main.py executed anew) with the environment as it is now."""

    def start(target: str = "zoho_webhook") -> FlaskClient:
        return create_app(target, str(ROOT / "main.py")).test_client()

    return start


@pytest.fixture
def client(serve: Callable[..., FlaskClient]) -> FlaskClient:
    return serve()


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """The structured log lines the function wrote to stdout so far (each must be JSON)."""
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        seen.extend(json.loads(line) for line in out.splitlines() if line.strip())
        return list(seen)

    return read
