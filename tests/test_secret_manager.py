"""Secret Manager reads are held to the request's deadline: an answer trickled
a byte at a time, each byte inside any read timeout, once held a webhook 114 s. The real client
talks to the fake over HTTP; the fake trickles (tests/secret_manager_fake.py, trickle_next)."""

from __future__ import annotations

import json
import time

import pytest

from handlers.errors import DeadlineExceeded
from handlers.platform import deadline
from handlers.platform.secret_manager import SecretManager
from tests.conftest import WEBHOOK_SECRET, post_webhook

WEBHOOK = "projects/p/secrets/webhook-secret"
TOKEN_CACHE = "projects/p/secrets/zoho-access-token"


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")


def test_a_trickled_webhook_secret_costs_the_webhook_its_deadline_and_no_more(
    function_env, serve, secret_manager, monkeypatch, emulator, lead
):
    secret_manager.set(WEBHOOK, WEBHOOK_SECRET)
    monkeypatch.delenv("WEBHOOK_SECRET")
    monkeypatch.setenv("WEBHOOK_SECRET_SECRET", f"{WEBHOOK}/versions/latest")
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)
    monkeypatch.setenv("WEBHOOK_DEADLINE_SECONDS", "1.5")
    secret_manager.trickle_next(1, 0.1, path=r":access$")  # about 10 s for the whole answer
    client = serve()
    started = time.monotonic()

    answer = post_webhook(client, lead).get_json()

    assert time.monotonic() - started < 3
    assert answer["outcome"] == "error"
    assert answer["reason"] == "the deadline of 1.5 s passed before Secret Manager answered"
    assert emulator.journal == []
    assert post_webhook(client, lead).get_json()["outcome"] == "converted"  # the next request reads it again


def test_a_trickled_shared_token_costs_the_webhook_its_deadline_and_no_more(
    function_env, serve, secret_manager, monkeypatch, emulator, lead
):
    record = {
        "access_token": "1000.5e0c9a7d31b4aa07f2c6d8e9",
        "expires_at": time.time() + 3000,
        "api_domain": emulator.url,
    }
    secret_manager.set(TOKEN_CACHE, json.dumps(record))
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN_SECRET", TOKEN_CACHE)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)
    monkeypatch.setenv("WEBHOOK_DEADLINE_SECONDS", "1.5")
    secret_manager.trickle_next(1, 0.05, path=r":access$")
    started = time.monotonic()

    answer = post_webhook(serve(), lead).get_json()

    assert time.monotonic() - started < 3
    assert answer["outcome"] == "error"
    assert answer["reason"] == "the deadline of 1.5 s passed before Secret Manager answered"
    assert emulator.journal == []


def test_a_read_inside_a_deadline_is_cut_at_it(secret_manager):
    version = secret_manager.set(WEBHOOK, "a value long enough to trickle for a while")
    secret_manager.trickle_next(1, 0.1)
    manager = SecretManager(secret_manager.url)
    started = time.monotonic()

    with pytest.raises(DeadlineExceeded, match="before Secret Manager answered"), deadline.within(1):
        manager.access(version)

    assert time.monotonic() - started < 2
    assert manager.access(version).value == "a value long enough to trickle for a while"  # same client
