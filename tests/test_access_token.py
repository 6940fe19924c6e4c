"""An access token holding CR, LF or any character a Zoho token never has is refused wherever a
token is read: from the token endpoint, the shared cache (Secret Manager) and the command line's
file. It never reaches an Authorization header, and it is not kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from handlers.zoho.access_token import grant_fingerprint
from tests.conftest import CREDENTIALS, ROOT, TOKEN_CACHE_SECRET, Written, post_webhook

GRANT = grant_fingerprint(CREDENTIALS.refresh_token)
HOSTILE = {
    "CR LF and a header": "1000.planted\r\nX-Injected: 1",
    "LF": "1000.planted\nx",
    "NUL": "1000.planted\x00x",
    "DEL": "1000.planted\x7fx",
    "tab": "1000.planted\tx",
    "space": "1000.planted x",
    "non-ASCII": "1000.plantedéx",
    "3,000 characters": "1000.planted" + "a" * 3000,
}


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")


def authorizations(emulator) -> list[str]:
    return [entry.headers.get("Authorization", "") for entry in emulator.requests(path=r"^/crm/")]


@pytest.mark.parametrize("value", ["1000.planted\r\nX-Injected: 1", "1000.planted\n", "1000.planted\x01x"])
def test_a_token_endpoint_answering_a_token_with_control_characters_is_refused(
    value, shared_cache, serve, emulator, lead
):
    body = {"access_token": value, "api_domain": emulator.url, "token_type": "Bearer", "expires_in": 3600}
    emulator.faults.malformed_next(1, body=json.dumps(body).encode(), path=r"^/oauth/v2/token$")
    client = serve()

    refused = post_webhook(client, lead).get_json()

    assert refused["outcome"] == "error"
    assert refused["reason"] == (
        "the token endpoint answered an access token with characters a Zoho token never has (a"
        " control character such as CR or LF, a space, or another); it is not used"
    )
    assert authorizations(emulator) == []  # no call was made with it
    assert shared_cache.versions(TOKEN_CACHE_SECRET) == []  # nor was it shared
    assert (
        post_webhook(client, lead).get_json()["outcome"] == "converted"
    )  # the next request asks for a new one


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_shared_token_with_characters_a_token_never_has_is_ignored_and_replaced(
    kind, shared_cache, serve, emulator, lead, log_lines
):
    record = {
        "access_token": HOSTILE[kind],
        "expires_at": time.time() + 3000,
        "api_domain": emulator.url,
        "grant": GRANT,
    }
    shared_cache.set(TOKEN_CACHE_SECRET, json.dumps(record))

    answer = post_webhook(serve(), lead).get_json()

    assert answer["outcome"] == "converted", answer
    assert not [header for header in authorizations(emulator) if "planted" in header]
    assert "planted" not in shared_cache.versions(TOKEN_CACHE_SECRET)[-1].value
    (warning,) = [line["message"] for line in log_lines() if line["severity"] == "WARNING"]
    assert warning.startswith("ignored the shared access token: it has an access token ")


@pytest.mark.parametrize("kind", ["CR LF and a header", "NUL", "space"])
def test_a_token_file_with_characters_a_token_never_has_is_ignored_and_replaced(
    kind, function_env, emulator, lead, tmp_path
):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def explain() -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "handlers", "explain", lead],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        Written.text.append(done.stdout + done.stderr)
        return done

    assert explain().returncode == 0
    (path,) = (tmp_path / "zoho-lead-converter").glob("token-*.json")
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "access_token": HOSTILE[kind]}))

    done = explain()

    assert done.returncode == 0, done.stderr
    assert f"warning: ignored the cached access token in {path}: it has an access token" in done.stderr
    assert emulator.token_requests == 2
    assert not [header for header in authorizations(emulator) if "planted" in header]
    assert "planted" not in path.read_text()
