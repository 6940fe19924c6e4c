"""Credentials from Secret Manager: the webhook end to end, with the real client talking to the fake.

Each credential can live in a Secret Manager version named by `<SETTING>_SECRET`. Values are
cached for SECRET_CACHE_SECONDS so a rotation takes effect without a new instance, and a failed
read is never cached: the next request tries again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from handlers.errors import Misconfigured
from handlers.platform.credentials import FAILED_READ_PAUSE_SECONDS, Credentials
from handlers.platform.secret_manager import SecretManager
from tests.conftest import ROOT, WEBHOOK_SECRET, post_webhook

SECRETS = {
    "ZOHO_CLIENT_ID": "projects/p/secrets/zoho-client-id",
    "ZOHO_CLIENT_SECRET": "projects/p/secrets/zoho-client-secret",
    "ZOHO_REFRESH_TOKEN": "projects/p/secrets/zoho-refresh-token",
    "WEBHOOK_SECRET": "projects/p/secrets/webhook-secret",
}
WEBHOOK = SECRETS["WEBHOOK_SECRET"]


@pytest.fixture
def credentials_in_secret_manager(function_env, secret_manager, monkeypatch):
    """The four credentials moved out of the environment into the latest versions of four secrets."""
    for setting, secret in SECRETS.items():
        secret_manager.set(secret, function_env[setting])
        monkeypatch.delenv(setting)
        monkeypatch.setenv(f"{setting}_SECRET", f"{secret}/versions/latest")
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(
        Last_Name="Garcia", Company="Umbrella Corp", Lead_Status="Qualified", Lead_Source="Web"
    )


def test_the_function_converts_with_credentials_read_from_secret_manager(
    credentials_in_secret_manager, serve, emulator, secret_manager, lead
):
    response = post_webhook(serve(), lead, dry_run=False)

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "converted"
    assert emulator.crm.conversions(lead) == 1
    read = {entry.path for entry in secret_manager.requests("GET", r":access$")}
    assert read == {f"/v1/{secret}/versions/latest:access" for secret in SECRETS.values()}


def test_within_the_cache_ttl_a_secret_is_read_once_not_per_request(
    credentials_in_secret_manager, serve, secret_manager, lead
):
    client = serve()

    for _ in range(3):
        assert post_webhook(client, lead, dry_run=True).status_code == 200

    assert len(secret_manager.requests("GET", f"^/v1/{WEBHOOK}/versions/latest:access$")) == 1


def test_a_rotated_webhook_secret_takes_effect_after_the_cache_ttl_without_a_new_instance(
    credentials_in_secret_manager, serve, secret_manager, monkeypatch, lead
):
    monkeypatch.setenv("SECRET_CACHE_SECONDS", "0.5")
    client = serve()
    assert post_webhook(client, lead, secret=WEBHOOK_SECRET, dry_run=True).status_code == 200

    secret_manager.set(WEBHOOK, f"rotated-0b9e4f17c2a6d8, {WEBHOOK_SECRET}")  # overlap while Zoho is updated
    time.sleep(0.6)
    assert post_webhook(client, lead, secret="rotated-0b9e4f17c2a6d8", dry_run=True).status_code == 200
    assert post_webhook(client, lead, secret=WEBHOOK_SECRET, dry_run=True).status_code == 200

    secret_manager.set(WEBHOOK, "rotated-0b9e4f17c2a6d8")  # the old secret removed
    time.sleep(0.6)
    refused = post_webhook(client, lead, secret=WEBHOOK_SECRET, dry_run=True)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "unauthorized"
    assert post_webhook(client, lead, secret="rotated-0b9e4f17c2a6d8", dry_run=True).status_code == 200


def test_secret_manager_unavailable_is_an_error_that_names_no_project_and_reads_once_a_pause(
    credentials_in_secret_manager, serve, emulator, secret_manager, lead, log_lines
):
    client = serve()
    secret_manager.unavailable = True

    answers = [post_webhook(client, lead, secret="guessing-a-secret-1234", dry_run=True) for _ in range(10)]

    assert {answer.status_code for answer in answers} == {503}
    reasons = {answer.get_json()["reason"] for answer in answers}
    assert reasons == {"the function's secrets could not be read; try again later"}  # no project id
    reads = secret_manager.requests("GET", f"^/v1/{WEBHOOK}/versions/latest:access$")
    assert len(reads) == 1  # ten strangers, one read: then a pause
    assert emulator.journal == []  # nothing reached Zoho
    line = log_lines()[-1]
    assert line["severity"] == "ERROR"
    assert f"{WEBHOOK}/versions/latest" in line["reason"]  # the log line keeps the whole reason

    secret_manager.unavailable = False
    time.sleep(FAILED_READ_PAUSE_SECONDS)
    recovered = post_webhook(client, lead, dry_run=True)

    assert recovered.status_code == 200
    assert recovered.get_json()["outcome"] == "dry_run"


@pytest.mark.parametrize("state", ["no-version", "no-such-secret", "version-disabled"])
def test_a_secret_that_cannot_be_read_is_misconfigured_naming_it(
    state, credentials_in_secret_manager, serve, emulator, secret_manager, monkeypatch, lead
):
    version = "projects/p/secrets/refresh-token-2026/versions/latest"
    if state == "no-version":
        secret_manager.create("projects/p/secrets/refresh-token-2026")
    elif state == "version-disabled":
        version = secret_manager.set("projects/p/secrets/refresh-token-2026", "1000.old-refresh-token")
        secret_manager.disable(version)
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN_SECRET", version)

    response = post_webhook(serve(), lead, dry_run=True)

    assert response.status_code == 500
    answer = response.get_json()
    assert answer["outcome"] == "misconfigured"
    assert f"Secret Manager has no enabled {version}" in answer["reason"]
    assert emulator.token_requests == 0


@pytest.mark.parametrize("setting", ["ZOHO_REFRESH_TOKEN_SECRET", "WEBHOOK_SECRET_SECRET"])
def test_a_malformed_secret_setting_is_misconfigured_naming_the_variable(
    setting, credentials_in_secret_manager, serve, emulator, secret_manager, monkeypatch, lead, log_lines
):
    monkeypatch.setenv(setting, "webhook-secret")  # a secret id, not a version name

    response = post_webhook(serve(), lead, dry_run=True)

    assert response.status_code == 500
    answer = response.get_json()
    assert answer["outcome"] == "misconfigured"
    reason = log_lines()[-1]["reason"]
    assert reason.startswith(f"{setting} must look like projects/PROJECT/secrets/NAME/versions/")
    if setting == "WEBHOOK_SECRET_SECRET":  # no caller is authenticated yet: the setting's name alone
        assert answer["reason"] == "misconfigured: WEBHOOK_SECRET_SECRET"
    else:
        assert answer["reason"] == reason
    assert emulator.token_requests == 0


def test_a_secret_value_pasted_where_a_version_name_belongs_is_never_echoed(
    credentials_in_secret_manager, serve, monkeypatch, lead, log_lines
):
    pasted = "Zk9pQ2x7vR4mT8wB1nS6"  # the secret itself, set in WEBHOOK_SECRET_SECRET by mistake
    monkeypatch.setenv("WEBHOOK_SECRET_SECRET", pasted)

    unauthenticated = post_webhook(serve(), lead, secret="anything-at-all-here", dry_run=True)

    assert unauthenticated.get_json() == {
        **unauthenticated.get_json(),
        "reason": "misconfigured: WEBHOOK_SECRET_SECRET",
    }
    written = unauthenticated.get_data(as_text=True) + json.dumps(log_lines())
    assert pasted not in written
    assert pasted[:12] not in written


@pytest.mark.parametrize(
    ("setting", "value"),
    [("WEBHOOK_SECRET", '"wh-quoted-0a1b2c3d4e5f"'), ("ZOHO_REFRESH_TOKEN", "'1000.rt-quoted-0a1b2c'")],
)
def test_a_credential_wrapped_in_quotes_is_refused_saying_so(
    serve, monkeypatch, lead, log_lines, setting, value
):
    monkeypatch.setenv(setting, value)
    secret = value.strip('"') if setting == "WEBHOOK_SECRET" else WEBHOOK_SECRET

    response = post_webhook(serve(), lead, secret=secret, dry_run=True)

    assert response.status_code == 500
    assert "starts and ends with a quote" in log_lines()[-1]["reason"]


def test_secrets_from_the_environment_never_load_the_secret_manager_client(function_env):
    check = "import main, sys; print('google.cloud.secretmanager' in sys.modules)"

    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def cached_webhook_secret(secret_manager, value: str) -> Credentials:
    """Credentials whose webhook secret (`value`) was read once and has just expired."""
    secret_manager.set(WEBHOOK, value)
    env = {"WEBHOOK_SECRET_SECRET": f"{WEBHOOK}/versions/latest"}
    credentials = Credentials(env, SecretManager(secret_manager.url), ttl_seconds=0.2)
    assert credentials.webhook_secrets() == (value,)
    time.sleep(0.3)
    return credentials


def test_when_a_value_expires_one_thread_reads_it_while_the_others_keep_the_old_one(secret_manager):
    credentials = cached_webhook_secret(secret_manager, "first-webhook-secret-value")
    secret_manager.set(WEBHOOK, "second-webhook-secret-value")
    secret_manager.latency = 1.0  # a slow Secret Manager
    secret_manager.clear_journal()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = [answer for (answer,) in pool.map(lambda _: credentials.webhook_secrets(), range(10))]

    assert sorted(answers) == ["first-webhook-secret-value"] * 9 + ["second-webhook-secret-value"]
    assert len(secret_manager.requests("GET", r":access$")) == 1
    assert credentials.webhook_secrets() == ("second-webhook-secret-value",)


def test_secret_manager_down_at_expiry_keeps_the_old_value_until_it_answers_again(secret_manager):
    credentials = cached_webhook_secret(secret_manager, "first-webhook-secret-value")
    secret_manager.set(WEBHOOK, "second-webhook-secret-value")
    secret_manager.unavailable = True

    during = credentials.webhook_secrets()
    secret_manager.unavailable = False
    time.sleep(0.3)
    after = credentials.webhook_secrets()

    assert (during, after) == (("first-webhook-secret-value",), ("second-webhook-secret-value",))


def test_a_value_disabled_at_expiry_stops_being_used(secret_manager):
    credentials = cached_webhook_secret(secret_manager, "first-webhook-secret-value")
    secret_manager.disable(f"{WEBHOOK}/versions/1")

    with pytest.raises(Misconfigured, match="Secret Manager has no enabled"):
        credentials.webhook_secrets()
