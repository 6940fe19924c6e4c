"""The command line keeps secrets as the function does: whatever Zoho echoes back, raw, upper-cased,
cut or URL-encoded, no secret reaches stdout or stderr, whole or as 12 characters in a row, in any
case. Each command runs as a process against a hostile Zoho on loopback (tests/echo_server.py)."""

from __future__ import annotations

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
    done = subprocess.run(
        [sys.executable, "-m", "handlers.cli", *command],
        cwd=ROOT,
        env={**os.environ, **function_env, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )
    output = done.stdout + done.stderr
    Written.text.append(output)  # the suite's own leak check reads it too
    return output


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
