"""The access token shared through Secret Manager, with the real client talking to the fake over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from handlers.access_token import CLAIM_ANNOTATION, AccessToken, SecretManagerTokenStore
from handlers.secret_manager import SecretManager
from tests.conftest import CREDENTIALS, ROOT, SETTINGS_READ_BY_THE_FUNCTION, WEBHOOK_SECRET
from tests.zoho_emulator import ZohoEmulator

SECRET = "projects/p/secrets/zoho-access-token"


@pytest.fixture
def store_for(secret_manager):
    """A token store as one more instance would build it: its own Secret Manager client."""
    secret_manager.create(SECRET)

    def build() -> SecretManagerTokenStore:
        return SecretManagerTokenStore(SecretManager(secret_manager.url), SECRET)

    return build


def token(value: str = "1000.shared-token") -> AccessToken:
    return AccessToken(value, time.time() + 3600, "https://www.zohoapis.eu")


def test_a_saved_token_is_what_another_instance_loads(store_for):
    saved = token()
    store_for().save(saved)

    assert store_for().load() == saved


def test_an_empty_secret_loads_nothing(store_for):
    assert store_for().load() is None


def test_saving_disables_the_version_before_it_and_destroys_older_ones(store_for, secret_manager):
    store = store_for()
    store.save(token("1000.first"))
    store.save(token("1000.second"))

    assert [version.state for version in secret_manager.versions(SECRET)] == ["DISABLED", "ENABLED"]

    store.save(token("1000.third"))

    states = [version.state for version in secret_manager.versions(SECRET)]
    assert states == ["DESTROYED", "DISABLED", "ENABLED"]
    assert store.load().value == "1000.third"


def test_saving_leaves_a_newer_version_from_another_instance_enabled(secret_manager):
    secret_manager.set(SECRET, "v1")
    kept = secret_manager.set(SECRET, "v2")
    secret_manager.set(SECRET, "v3, saved by another instance meanwhile")

    SecretManager(secret_manager.url).retire_older_versions(SECRET, keep=kept)

    assert [v.state for v in secret_manager.versions(SECRET)] == ["DISABLED", "ENABLED", "ENABLED"]


def test_only_one_of_two_instances_gets_the_refresh_claim(store_for, secret_manager):
    first, second = store_for(), store_for()

    assert first.claim_refresh(10) is True
    assert second.claim_refresh(10) is False
    claimed_until = float(secret_manager.annotations(SECRET)[CLAIM_ANNOTATION])
    assert claimed_until == pytest.approx(time.time() + 10, abs=2)


def test_exactly_one_of_many_simultaneous_claims_wins(store_for):
    stores = [store_for() for _ in range(8)]
    start = threading.Barrier(len(stores))
    results: list[bool] = []

    def claim(store: SecretManagerTokenStore) -> None:
        start.wait()
        results.append(store.claim_refresh(10))

    threads = [threading.Thread(target=claim, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]


def test_a_claim_expires_so_a_crashed_instance_cannot_block_refreshes(store_for):
    first, second = store_for(), store_for()
    assert first.claim_refresh(0.3) is True
    assert second.claim_refresh(0.3) is False

    time.sleep(0.4)

    assert second.claim_refresh(0.3) is True


def test_claiming_keeps_the_secrets_other_annotations(secret_manager):
    secret_manager.create(SECRET, annotations={"owner": "sales-ops"})

    SecretManagerTokenStore(SecretManager(secret_manager.url), SECRET).claim_refresh(10)

    assert secret_manager.annotations(SECRET)["owner"] == "sales-ops"
    assert CLAIM_ANNOTATION in secret_manager.annotations(SECRET)


def test_when_secret_manager_is_down_the_instance_refreshes_itself_and_warns(
    store_for, secret_manager, log_lines
):
    store = store_for()
    secret_manager.unavailable = True

    assert store.claim_refresh(10) is True
    (line,) = log_lines()
    assert line["severity"] == "WARNING"
    assert line["component"] == "token_store"
    assert "could not claim the token refresh" in line["message"]
    assert SECRET in line["message"]


def test_a_missing_secret_does_not_stop_the_refresh_either(secret_manager, log_lines):
    store = SecretManagerTokenStore(SecretManager(secret_manager.url), "projects/p/secrets/never-created")

    assert store.claim_refresh(10) is True
    assert log_lines()[-1]["severity"] == "WARNING"


def test_a_second_function_instance_uses_the_token_the_first_one_stored(
    function_env, serve, emulator, secret_manager, monkeypatch
):
    secret_manager.create(SECRET)
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")
    first, second = serve(), serve()

    for instance in (first, second):
        response = instance.post(
            "/", json={"lead_id": lead, "dry_run": True}, headers={"X-Webhook-Secret": WEBHOOK_SECRET}
        )
        assert response.get_json()["outcome"] == "dry_run"

    assert emulator.token_requests == 1
    used = {entry.headers["Authorization"] for entry in emulator.requests("GET", r"/Leads/")}
    assert len(used) == 1


# --- the test: a burst of cold starts shares one token ---------------------------------

# `python -m handlers.cli ARGS`, except that the process first imports everything, prints "ready"
# and waits for its stdin to close. Without this gate the imports (CPU-bound, seconds for ten
# processes) spread the starts out, and most processes simply find the token already saved.
CLI_AFTER_START_GATE = (
    "import runpy, sys, handlers.cli, google.cloud.secretmanager;"
    " print('ready', flush=True); sys.stdin.read();"
    " runpy.run_module('handlers.cli', run_name='__main__', alter_sys=True)"
)


def test_ten_processes_starting_at_once_cause_at_most_two_token_refreshes(emulator, secret_manager):
    lead = emulator.crm.add_lead(
        Last_Name="Garcia", Company="Umbrella Corp", Lead_Status="Qualified", Lead_Source="Web"
    )
    secret_manager.create(SECRET)
    env = cli_env(
        ZOHO_CLIENT_ID=CREDENTIALS.client_id,
        ZOHO_CLIENT_SECRET=CREDENTIALS.client_secret,
        ZOHO_REFRESH_TOKEN=CREDENTIALS.refresh_token,
        ZOHO_ACCOUNTS_URL=emulator.url,
        WEBHOOK_SECRET="not-used-by-the-cli",
        ZOHO_ACCESS_TOKEN_SECRET=SECRET,
        SECRET_MANAGER_ENDPOINT=secret_manager.url,
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLI_AFTER_START_GATE, "convert", lead, "--dry-run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    for process in processes:
        assert process.stdout.readline() == "ready\n", process.stderr.read()

    for process in processes:
        process.stdin.close()  # all ten start now
    finished = [(p.stdout.read(), p.stderr.read(), p.wait(timeout=60)) for p in processes]

    for stdout, stderr, exit_code in finished:
        assert exit_code == 0, stderr
        *log_lines, answer = json_documents(stdout)
        assert answer["outcome"] == "dry_run"
        assert log_lines == []  # not even a warning
    assert emulator.token_requests <= 2
    enabled = [version for version in secret_manager.versions(SECRET) if version.state == "ENABLED"]
    assert len(enabled) == 1
    assert json.loads(enabled[0].value)["access_token"].startswith("1000.")


def cli_env(**settings: str) -> dict[str, str]:
    """This process's environment without any of the function's settings, plus `settings`."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_READ_BY_THE_FUNCTION}
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "WEBHOOK_SECRET"):
        env.pop(name, None)
    return {**env, **settings}


def json_documents(text: str) -> list[object]:
    """Every JSON document in `text`: log lines, then the CLI's indented answer."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(text.rstrip()):
        while text[position].isspace():
            position += 1
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


# --- a shared cache that could have been forged --------------------------------------------------


@pytest.mark.parametrize("claim", ["inf", "nan", "32503680000", "not a time"])  # 32503680000: year 3000
def test_a_claim_beyond_one_lease_cannot_block_refreshes(secret_manager, claim):
    secret_manager.create(SECRET, annotations={CLAIM_ANNOTATION: claim})

    assert SecretManagerTokenStore(SecretManager(secret_manager.url), SECRET).claim_refresh(30) is True


@pytest.fixture
def forger():
    """Another host that would answer Convert with records it invented."""
    with ZohoEmulator(credentials=CREDENTIALS) as other:
        yield other


@pytest.mark.parametrize("forgery", ["other host", "plain http elsewhere", "expires in 2100"])
def test_a_forged_shared_token_is_ignored_and_replaced(
    forgery, function_env, serve, emulator, forger, secret_manager, monkeypatch, log_lines
):
    secret_manager.create(SECRET)
    domain, expires = {
        "other host": (forger.url, time.time() + 3000),
        "plain http elsewhere": ("http://zohoapis.example", time.time() + 3000),
        "expires in 2100": (emulator.url, 4102444800.0),
    }[forgery]
    record = {"access_token": "1000.forged-token-value-0a1b2c3d", "expires_at": expires, "api_domain": domain}
    secret_manager.set(SECRET, json.dumps(record))
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")

    response = serve().post("/", json={"lead_id": lead}, headers={"X-Webhook-Secret": WEBHOOK_SECRET})

    assert response.get_json()["outcome"] == "converted"
    assert emulator.crm.conversions(lead) == 1
    assert forger.journal == []
    assert emulator.token_requests == 1
    used = {entry.headers["Authorization"] for entry in emulator.requests(path=r"^/crm/")}
    assert "Zoho-oauthtoken 1000.forged-token-value-0a1b2c3d" not in used
    assert json.loads(secret_manager.versions(SECRET)[-1].value)["access_token"] != record["access_token"]
    assert any("ignored the shared access token" in line["message"] for line in log_lines())


def test_a_token_response_naming_a_foreign_api_domain_is_not_used(function_env, serve, emulator, monkeypatch):
    monkeypatch.setenv(
        "ZOHO_DC", "eu"
    )  # the emulator names itself, which is fine only as the accounts server
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")
    monkeypatch.setenv("ZOHO_ACCOUNTS_URL", emulator.url.replace("127.0.0.1", "localhost"))

    answer = (
        serve().post("/", json={"lead_id": lead}, headers={"X-Webhook-Secret": WEBHOOK_SECRET}).get_json()
    )

    assert answer["outcome"] == "error"
    assert "not a Zoho API host of the configured ZOHO_DC" in answer["reason"]
    assert emulator.requests(path=r"^/crm/") == []
