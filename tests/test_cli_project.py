"""`zoho-lead-converter --project PROJECT_ID`: the deployed credentials alone.

The replay: with ZOHO_REFRESH_TOKEN still exported (a shell set up for the emulator, or for
another org), `--project acme-prod explain` refreshed with the local token and wrote its access
token into the deployed shared cache; the deployed webhook then answered `misconfigured` for an
hour. Now the command refuses to start while local credentials or endpoints are set, naming them,
and nothing but the deployed grant's token reaches the deployed cache. Each command runs as a
process, against the emulator and the Secret Manager fake standing in for the project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from handlers.zoho.access_token import grant_fingerprint
from tests.conftest import (
    CREDENTIALS,
    ROOT,
    SETTINGS_READ_BY_THE_FUNCTION,
    WEBHOOK_SECRET,
    Written,
    create_token_cache,
)

PROJECT = "acme-prod"
DEPLOYED = f"projects/{PROJECT}/secrets/zoho-lead"
TOKEN_CACHE = f"{DEPLOYED}-zoho-access-token"
LOCAL_GRANT = "1000.rt-local-readonly-7d2e9b41c6"  # another refresh token of the same client


@pytest.fixture
def deployed(secret_manager, emulator):
    """The secrets Terraform creates, holding the deployed credentials; the cache empty."""
    for name, value in (
        ("zoho-client-id", CREDENTIALS.client_id),
        ("zoho-client-secret", CREDENTIALS.client_secret),
        ("zoho-refresh-token", CREDENTIALS.refresh_token),
        ("webhook-secret", WEBHOOK_SECRET),
    ):
        secret_manager.set(f"{DEPLOYED}-{name}", value)
    create_token_cache(secret_manager, TOKEN_CACHE)
    emulator.grant_scopes(["ZohoCRM.modules.leads.READ"], refresh_token=LOCAL_GRANT)
    Written.secrets.add(LOCAL_GRANT)
    return secret_manager


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")


def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """The command line as a process, with none of the function's settings but `settings`."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_READ_BY_THE_FUNCTION}
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "WEBHOOK_SECRET"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "handlers", *args],
        cwd=ROOT,
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    Written.text.append(done.stdout + done.stderr)
    return done


def local_test_rig(emulator, secret_manager, tmp_path) -> dict[str, str]:
    """Where the tests' "project" lives: the Secret Manager fake and the emulator."""
    return {
        "SECRET_MANAGER_ENDPOINT": secret_manager.url,
        "ZOHO_ACCOUNTS_URL": emulator.url,
        "XDG_CACHE_HOME": str(tmp_path),
    }


def refresh_tokens_used(emulator) -> list[str]:
    return [entry.form["refresh_token"][0] for entry in emulator.requests("POST", r"^/oauth/v2/token$")]


@pytest.mark.parametrize(
    "local",
    [
        {
            "ZOHO_CLIENT_ID": CREDENTIALS.client_id,
            "ZOHO_CLIENT_SECRET": CREDENTIALS.client_secret,
            "ZOHO_REFRESH_TOKEN": LOCAL_GRANT,
        },
        {"ZOHO_REFRESH_TOKEN": LOCAL_GRANT},
        {"ZOHO_REFRESH_TOKEN_SECRET": "projects/mine/secrets/rt/versions/latest"},
        {"ZOHO_ACCESS_TOKEN_SECRET": "projects/mine/secrets/zoho-access-token"},
    ],
    ids=["the emulator's three", "a refresh token", "a refresh token's secret", "another token cache"],
)
def test_local_credentials_are_refused_by_name_and_the_deployed_cache_stays_untouched(
    deployed, emulator, lead, tmp_path, local
):
    done = run("--project", PROJECT, "explain", lead, **local_test_rig(emulator, deployed, tmp_path), **local)

    names = ", ".join(local)
    verb = "is" if len(local) == 1 else "are"
    assert done.returncode == 2, done.stdout
    assert done.stderr == (
        f"error: --project uses only the credentials deployed in {PROJECT}, but {names} {verb} set here"
        f" and would be used instead of them or beside them: run `unset {' '.join(local)}` first, or"
        " leave out --project\n"
    )
    assert emulator.token_requests == 0
    assert deployed.versions(TOKEN_CACHE) == []
    assert deployed.journal == []  # not even read


@pytest.mark.parametrize("endpoint", ["ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN"])
def test_local_endpoints_are_refused_when_the_secrets_come_from_google(emulator, lead, tmp_path, endpoint):
    """Else the deployed refresh token and client secret would be sent to a local accounts server,
    or the deployed access token to a local API domain."""
    done = run(
        "--project", PROJECT, "explain", lead, XDG_CACHE_HOME=str(tmp_path), **{endpoint: emulator.url}
    )

    assert done.returncode == 2
    assert done.stderr.startswith(
        f"error: --project uses only the credentials deployed in {PROJECT}, but {endpoint} is set"
    )
    assert "Traceback" not in done.stderr
    assert emulator.journal == []


def test_with_the_deployed_credentials_alone_the_cache_gets_the_deployed_grants_token(
    deployed, emulator, lead, tmp_path
):
    for _ in range(3):
        done = run("--project", PROJECT, "explain", lead, **local_test_rig(emulator, deployed, tmp_path))
        assert done.returncode == 0, done.stderr
        assert "WARNING" not in done.stderr  # the refresh was claimed in the deployed claims secret

    assert refresh_tokens_used(emulator) == [CREDENTIALS.refresh_token]
    (shared,) = [v for v in deployed.versions(TOKEN_CACHE) if v.state == "ENABLED"]
    record = json.loads(shared.value)
    assert record["grant"] == grant_fingerprint(CREDENTIALS.refresh_token)
    assert CREDENTIALS.refresh_token not in shared.value
    assert not (tmp_path / "zoho-lead-converter").exists()  # the shared cache, no local file


def test_the_deployed_webhook_then_converts_with_the_shared_token(
    deployed, emulator, lead, tmp_path, serve, monkeypatch
):
    assert (
        run("--project", PROJECT, "explain", lead, **local_test_rig(emulator, deployed, tmp_path)).returncode
        == 0
    )
    for setting in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "WEBHOOK_SECRET"):
        monkeypatch.delenv(setting)
        monkeypatch.setenv(
            f"{setting}_SECRET", f"{DEPLOYED}-{setting.lower().replace('_', '-')}/versions/latest"
        )
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN_SECRET", TOKEN_CACHE)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", deployed.url)

    response = serve().post("/", json={"lead_id": lead}, headers={"X-Webhook-Secret": WEBHOOK_SECRET})

    assert response.get_json()["outcome"] == "converted"
    assert emulator.token_requests == 1  # the command line's token, shared
