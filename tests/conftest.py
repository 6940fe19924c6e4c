"""Shared fixtures: the Zoho emulator on a real local port, and the function served against it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.zoho_emulator import Credentials, ZohoEmulator

CREDENTIALS = Credentials(
    client_id="1000.TESTCLIENTID",
    client_secret="test-client-secret",
    refresh_token="1000.test-refresh-token",
)


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    with ZohoEmulator(credentials=CREDENTIALS) as emu:
        yield emu
