"""What the command line prints. It keeps secrets as the function does: whatever Zoho echoes back,
raw, upper-cased, cut or URL-encoded, no secret reaches stdout or stderr, whole or as 12 characters
in a row, in any case (each command runs as a process against a hostile Zoho on loopback,
tests/echo_server.py). Its log lines go to stderr, so `--json` is one document; and text Zoho
sends that the terminal cannot encode (a lone surrogate) is escaped, not a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CREDENTIALS, DEPLOYED, ROOT, Written, leaked_secrets
from tests.echo_server import MODES, EchoServer

COMMANDS = {
    "explain": ["explain", "4876876000000100001"],
    "convert": ["convert", "4876876000000100001"],
    "convert --json": ["convert", "4876876000000100001", "--dry-run"],
    "reconcile": ["reconcile", "--since", DEPLOYED.isoformat()],
    "check-rules --org": ["check-rules", "--org", "--json"],
}


def run(function_env: dict[str, str], command: list[str], **env: str) -> str:
    done = process(function_env, command, **env)
    return done.stdout + done.stderr


def process(function_env: dict[str, str], command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "handlers", *command],
        cwd=ROOT,
        env={**os.environ, **function_env, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )
    Written.text.append(done.stdout + done.stderr)  # the suite's own leak check reads it too
    return done


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_api_answer_echoing_the_access_token_prints_no_part_of_it(emulator, function_env, mode, command):
    with EchoServer(mode) as zoho_api:
        output = run(function_env, COMMANDS[command], ZOHO_API_DOMAIN=zoho_api.url)

        tokens = zoho_api.tokens
    assert tokens, "the hostile server was not called with a token"
    Written.secrets.update(tokens)
    assert leaked_secrets([output], {*tokens, CREDENTIALS.client_secret, CREDENTIALS.refresh_token}) == 0
    assert "Traceback" not in output


@pytest.mark.parametrize("mode", MODES)
def test_a_token_endpoint_echoing_its_form_body_prints_neither_secret(function_env, mode):
    with EchoServer(mode) as accounts:
        output = run(function_env, COMMANDS["explain"], ZOHO_ACCOUNTS_URL=accounts.url)

        (echoed,) = accounts.seen
    assert CREDENTIALS.refresh_token[:12].lower() in echoed.lower().replace("%2e", ".").replace("%2d", "-")
    assert leaked_secrets([output], {CREDENTIALS.client_secret, CREDENTIALS.refresh_token}) == 0
    assert output.strip()  # it still says what went wrong


def test_a_warning_goes_to_stderr_and_json_stays_one_document(emulator, function_env, tmp_path):
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    process(function_env, ["explain", emulator.crm.add_lead(Last_Name="Doe")], **env)
    (token_file,) = (cache / "zoho-lead-converter").glob("token-*.json")
    token_file.write_text("{not json")  # the cached token is unreadable: a WARNING line follows

    done = process(function_env, ["check-rules", "--org", "--json"], **env)

    document = json.loads(done.stdout)
    assert "problems" in document
    assert "ignored the cached access token" in done.stderr


def test_a_lone_surrogate_from_zoho_is_printed_escaped(emulator, function_env):
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Bad \ud800 byte")

    done = process(function_env, ["explain", lead], PYTHONIOENCODING="utf-8")

    assert done.returncode == 0, done.stderr
    assert f"Lead {lead}: Doe (Bad \\ud800 byte)" in done.stdout


def test_a_lone_surrogate_in_the_orgs_metadata_is_printed_escaped(emulator, function_env, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: q, when: {Lead_Status: Qualified}}]")
    option = {"display_value": "\ud800", "actual_value": "\ud800", "type": "used"}
    body = {"fields": [{"api_name": "Lead_Status", "data_type": "picklist", "pick_list_values": [option]}]}
    emulator.faults.malformed_next(1, body=json.dumps(body).encode(), path=r"/settings/fields$")

    done = process(function_env, ["check-rules", "--org", str(rules)], PYTHONIOENCODING="utf-8")

    assert done.returncode == 1, done.stderr
    assert "'Qualified' is not an option of Lead_Status" in done.stdout
    assert "\\ud800" in done.stdout
