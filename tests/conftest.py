"""Shared fixtures: the Zoho emulator on a real local port, and the function served against it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from flask import Response
from flask.testing import FlaskClient
from functions_framework import create_app
from werkzeug.test import TestResponse

from handlers.platform.credentials import OAuthCredentials
from handlers.zoho.client import ZohoClient, ZohoConfig
from handlers.zoho.token_stores import claims_secret
from tests.secret_manager_fake import SecretManagerFake
from tests.zoho_emulator import Credentials, ZohoEmulator

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = Credentials(
    client_id="1000.TESTCLIENTID",
    client_secret="cs-5d1f0a9b7e3c42",
    refresh_token="1000.rt-8c2e6a4f91d07b35",
)
WEBHOOK_SECRET = "wh-7f3a9c2e41b85d06e9c4"
SETTINGS_READ_BY_THE_FUNCTION = (
    "ZOHO_DC",
    "ZOHO_API_DOMAIN",
    "ZOHO_API_VERSION",
    "RULES_FILE",
    "CONVERSION_MODE",
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
    "RECONCILE_GRACE_MINUTES",
    "RECONCILE_MAX_SECONDS",
    "RECONCILE_CONCURRENCY",
    "RECONCILE_SINCE",
    "WEBHOOK_DEADLINE_SECONDS",
    "THREADS",
    "ZOHO_WEBHOOK_NAME",
    "ZOHO_SETUP_REFRESH_TOKEN",
    "ZOHO_CLIENT_ID_SECRET",
    "ZOHO_CLIENT_SECRET_SECRET",
    "ZOHO_REFRESH_TOKEN_SECRET",
    "WEBHOOK_SECRET_SECRET",
)


class Written:
    """Everything the function wrote during the session (responses, stdout, notes left in the
    emulator) and every secret it had.

    At the end of the session `pytest_sessionfinish` fails the run if any secret appears in it.
    """

    text: ClassVar[list[str]] = []
    secrets: ClassVar[set[str]] = {
        WEBHOOK_SECRET,
        CREDENTIALS.client_secret,
        CREDENTIALS.refresh_token,
    }


LEAK_RUN = 12  # a run of this many characters of a secret counts as a leak (handlers.redaction.PARTIAL)


def leaked_secrets(texts: list[str], secrets: set[str]) -> int:
    """How many of the secrets appear, whole or as a run of LEAK_RUN characters, in any case, in
    the texts."""
    written = "\n".join(texts).lower()
    return sum(1 for secret in secrets if any(run.lower() in written for run in _runs(secret)))


def _runs(secret: str) -> list[str]:
    if len(secret) <= LEAK_RUN:
        return [secret]
    return [secret[start : start + LEAK_RUN] for start in range(len(secret) - LEAK_RUN + 1)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite-wide leak check: no secret the function held appears in anything it wrote."""
    leaked = leaked_secrets(Written.text, Written.secrets)
    if leaked:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"LEAK CHECK FAILED: {leaked} secret(s) appear in a response or log line of this run",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _record_stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    yield
    Written.text.append(capsys.readouterr().out)


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    with ZohoEmulator(credentials=CREDENTIALS) as emu:
        yield emu
        Written.secrets.update(issued_tokens(emu))
        Written.text.extend(str(note.get("Note_Content")) for note in emu.crm.notes.values())


def issued_tokens(emu: ZohoEmulator) -> set[str]:
    headers = (entry.headers.get("Authorization", "") for entry in emu.journal)
    return {header.split()[-1] for header in headers if header.startswith("Zoho-oauthtoken ")}


@pytest.fixture
def function_env(
    emulator: ZohoEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The function's environment pointed at the emulator; tests change it with monkeypatch.

    XDG_CACHE_HOME is a fresh folder, so the command line's token file (handlers/zoho/token_stores.py)
    never outlives a test."""
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
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def cli(function_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The command line as a user runs it (`python -m handlers ARGS`), in the function's
    environment pointed at the emulator; keyword arguments set more variables."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "handlers", *args],
            cwd=ROOT,
            env={**os.environ, **function_env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def post_webhook(
    client: FlaskClient, lead_id: str, *, secret: str = WEBHOOK_SECRET, dry_run: bool | None = None
) -> TestResponse:
    """The request Zoho's workflow webhook sends for `lead_id`, with the shared secret."""
    body: dict[str, Any] = {"lead_id": lead_id}
    if dry_run is not None:
        body["dry_run"] = dry_run
    return client.post("/", json=body, headers={"X-Webhook-Secret": secret})


@pytest.fixture
def serve(function_env: dict[str, str]) -> Callable[..., FlaskClient]:
    """Start a fresh function instance (main.py executed anew) with the environment as it is now."""

    def start(target: str = "zoho_webhook") -> FlaskClient:
        app = create_app(target, str(ROOT / "main.py"))

        @app.after_request
        def record(response: Response) -> Response:
            Written.text.append(response.get_data(as_text=True))
            return response

        return app.test_client()

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
        Written.text.append(out)
        seen.extend(json.loads(line) for line in out.splitlines() if line.strip())
        return list(seen)

    return read


@pytest.fixture
def secret_manager() -> Iterator[SecretManagerFake]:
    """The Secret Manager fake on a local port; point SECRET_MANAGER_ENDPOINT at its url."""
    with SecretManagerFake() as fake:
        yield fake


def create_token_cache(fake: SecretManagerFake, name: str) -> None:
    """The two secrets Terraform creates for the shared token: the token's, and its claims'."""
    fake.create(name)
    fake.create(claims_secret(name))


TOKEN_CACHE_SECRET = "projects/p/secrets/zoho-access-token"


@pytest.fixture
def shared_cache(
    function_env: dict[str, str], secret_manager: SecretManagerFake, monkeypatch: pytest.MonkeyPatch
) -> SecretManagerFake:
    """The function's environment with the shared token cache (TOKEN_CACHE_SECRET) in the fake."""
    create_token_cache(secret_manager, TOKEN_CACHE_SECRET)
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN_SECRET", TOKEN_CACHE_SECRET)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)
    return secret_manager


def mint_access_token(emulator: ZohoEmulator, refresh_token: str = CREDENTIALS.refresh_token) -> str:
    """A live access token the emulator's token endpoint gives for `refresh_token`."""
    answer = requests.post(
        emulator.url + "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CREDENTIALS.client_id,
            "client_secret": CREDENTIALS.client_secret,
            "refresh_token": refresh_token,
        },
        timeout=10,
    ).json()
    Written.secrets.add(answer["access_token"])
    return str(answer["access_token"])


# --- the sweep -----------------------------------------------------------------------------------

# Users of the emulator's demo org (tests/zoho_emulator/seed.py): Sam and Riya are active sales
# users, Dana and Nico the ones the preflight finds inactive or unconfirmed.
SAM = "4876876000000002002"
RIYA = "4876876000000002003"
DANA = "4876876000000002004"
NICO = "4876876000000002005"
AN_HOUR_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
DEPLOYED = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # RECONCILE_SINCE: the first terraform apply


@pytest.fixture
def users(emulator):
    emulator.crm.add_user("Sam Seller", "sam@example.com", id=SAM)
    emulator.crm.add_user("Riya Rep", "riya@example.com", id=RIYA)


@pytest.fixture
def sweep_with(serve, monkeypatch, tmp_path, users):
    """Run the `reconcile` entry point with the given rules; the answer must be a 200 summary."""
    monkeypatch.setenv("RECONCILE_MAX_SECONDS", "60")
    monkeypatch.setenv("RECONCILE_SINCE", DEPLOYED.isoformat())
    monkeypatch.setenv(
        "ZOHO_READ_TIMEOUT_SECONDS", "10"
    )  # a loaded machine must not turn a convert into a retry

    def run(rules: str, **options):
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(rules))
        monkeypatch.setenv("RULES_FILE", str(path))
        response = serve("reconcile").post("/", json=options)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return run


def add_leads(emulator, count: int, source: str, *, status: str = "Qualified", owner: str = SAM, **fields):
    leads = []
    for n in range(count):
        values = {
            "Last_Name": f"{source} {n}",
            "Company": f"{source} Company {n}",
            "Email": f"{source.replace(' ', '').lower()}{n}.{status.lower()}@example.com",
            "Lead_Status": status,
            "Lead_Source": source,
            "Owner": owner,
            "Tag": ["Imported"],
            "Modified_Time": AN_HOUR_AGO,
        }
        leads.append(emulator.crm.add_lead(**{**values, **fields}))
    return leads


def converted(emulator, lead_ids) -> list[str]:
    return [lead for lead in lead_ids if emulator.crm.lead(lead)["Converted__s"]]


def make_client(
    emulator: ZohoEmulator, refresh_token: str = CREDENTIALS.refresh_token, **config: Any
) -> ZohoClient:
    """A ZohoClient of the emulator, with short retries (`config` overrides ZohoConfig's fields)."""
    settings: dict[str, Any] = {
        "retry_seconds": 3.0,
        "read_timeout": 1.0,
        "backoff_seconds": 0.02,
        "backoff_max_seconds": 0.2,
    }
    settings.update(config)
    credentials = OAuthCredentials(CREDENTIALS.client_id, CREDENTIALS.client_secret, refresh_token)
    return ZohoClient(ZohoConfig(accounts_url=emulator.url, **settings), credentials=lambda: credentials)
