"""`make demo`: the real function (functions-framework) against the bundled Zoho emulator.

Starts the emulator seeded with sample leads and the function configured with rules.yaml, sends
a few webhooks the way Zoho would, prints each outcome and the function's log line, what each
conversion created (read back from the emulator's control API) and, after the org's admin
removes a stage the rules use, the failure and the note it left on the lead; then stops
everything it started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_SECRET = "demo-webhook-secret"
CREDENTIALS = {
    "ZOHO_CLIENT_ID": "1000.DEMOCLIENTID",
    "ZOHO_CLIENT_SECRET": "demo-client-secret",
    "ZOHO_REFRESH_TOKEN": "1000.demo-refresh-token",
}
SCENARIOS = [
    ("a qualifying partner lead", "4876876000000100001", DEMO_SECRET),
    ("a lead that is not qualified yet", "4876876000000100002", DEMO_SECRET),
    ("the first lead again (a repeated webhook)", "4876876000000100001", DEMO_SECRET),
    (
        "a returning customer (her contact, account and an open deal exist)",
        "4876876000000100003",
        DEMO_SECRET,
    ),
    ("a test lead (a skip rule)", "4876876000000100004", DEMO_SECRET),
    ("a lead id Zoho does not know", "4876876000000199999", DEMO_SECRET),
    ("a request with a wrong secret", "4876876000000100005", "not-the-secret"),
]
# After the deploy, the org's admin takes a stage the rules use out of their pipeline.
STAGE_REMOVED = {"pipeline": "Standard (Standard)", "remove_stages": ["Qualification"]}
AFTER_THE_CHANGE = (
    "a qualifying trade-show lead, into the changed pipeline",
    "4876876000000100005",
    DEMO_SECRET,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during start-up (code {process.returncode})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start listening on port {port} within 30 s")


@contextmanager
def running(command: list[str], env: dict[str, str], output: IO[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def describe(answer: dict[str, object]) -> str:
    text = str(answer.get("outcome") or answer.get("error"))
    if answer.get("rule"):
        text += f" by rule {answer['rule']!r}"
    ids = [f"{key[:-3]} {answer[key]}" for key in ("contact_id", "account_id", "deal_id") if answer.get(key)]
    if ids:
        text += " -> " + ", ".join(ids)
    if answer.get("reason"):
        text += f"\n      reason: {answer['reason']}"
    return text


def tag_names(record: dict[str, Any]) -> str:
    return ", ".join(tag["name"] for tag in record.get("Tag") or []) or "none"


def created_records(emulator_url: str, answer: dict[str, Any]) -> list[str]:
    """What a conversion made, read back from the emulator (GET /__emulator/deals/{id}, ...)."""
    lines: list[str] = []
    if deal_id := answer.get("deal_id"):
        deal = requests.get(f"{emulator_url}/__emulator/deals/{deal_id}", timeout=5).json()
        lines.append(
            f'deal "{deal["Deal_Name"]}": stage {deal["Stage"]}, pipeline {deal["Pipeline"]},'
            f" closing {deal['Closing_Date']}, owner {deal['Owner']['name']}, tags {tag_names(deal)}"
        )
    if contact_id := answer.get("contact_id"):
        contact = requests.get(f"{emulator_url}/__emulator/contacts/{contact_id}", timeout=5).json()
        lines.append(f"contact {contact['Full_Name']}: tags {tag_names(contact)}")
    return lines


def notes_on(emulator_url: str, lead_id: str) -> list[str]:
    notes = requests.get(f"{emulator_url}/__emulator/leads/{lead_id}/notes", timeout=5).json()
    lines: list[str] = []
    for note in notes:
        lines.append(f"note on the lead: {note['Note_Title']}")
        lines += [f"  | {line}" for line in note["Note_Content"].splitlines()]
    return lines


def send(
    number: int, scenario: tuple[str, str, str], function_url: str, emulator_url: str, log: IO[str]
) -> None:
    """One webhook: the answer, the function's log lines, what was created or the note left."""
    title, lead_id, secret = scenario
    response = requests.post(
        function_url, json={"lead_id": lead_id}, headers={"X-Webhook-Secret": secret}, timeout=30
    )
    answer = response.json()
    print(f'{number}. {title}: POST {{"lead_id": "{lead_id}"}}')
    print(f"   HTTP {response.status_code} {describe(answer)}")
    if answer.get("outcome") == "converted":
        for line in created_records(emulator_url, answer):
            print(f"   {line}")
        for module, match in (answer.get("matched") or {}).items():
            print(f"   existing {module} {match['id']}, matched on {match['field']}: no new record")
        if open_deal := answer.get("open_deal"):
            print(
                f'   no new deal: the account has the open deal "{open_deal["name"]}" ({open_deal["stage"]})'
            )
    if answer.get("outcome") == "failed":
        for line in notes_on(emulator_url, lead_id):
            print(f"   {line}")
    time.sleep(0.05)
    for line in log.read().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            print(f"   log: {entry['severity']} {entry['message']}")
    print()


def main() -> None:
    emulator_port, function_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    function_url = f"http://127.0.0.1:{function_port}/"
    env = {
        **os.environ,
        **CREDENTIALS,
        "WEBHOOK_SECRET": DEMO_SECRET,
        "ZOHO_ACCOUNTS_URL": emulator_url,
        "RULES_FILE": "rules.yaml",
        "PYTHONUNBUFFERED": "1",
    }
    with ExitStack() as stack:
        emulator_log = stack.enter_context(tempfile.TemporaryFile())
        function_log = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".log"))
        print(f"Starting the Zoho CRM emulator (demo seed) on {emulator_url}")
        emulator = stack.enter_context(
            running(
                [sys.executable, "-m", "tests.zoho_emulator", "--port", str(emulator_port), "--seed", "demo"],
                env,
                emulator_log,
            )
        )
        wait_until_listening(emulator_port, emulator, "the emulator")
        print(f"Starting the function with functions-framework on {function_url} (rules: rules.yaml)\n")
        function = stack.enter_context(
            running(
                [
                    str(BIN / "functions-framework"),
                    "--target",
                    "zoho_webhook",
                    "--source",
                    "main.py",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(function_port),
                ],
                env,
                function_log,
            )
        )
        wait_until_listening(function_port, function, "the function")
        with open(function_log.name, encoding="utf-8", errors="replace") as log:
            for number, scenario in enumerate(SCENARIOS, start=1):
                send(number, scenario, function_url, emulator_url, log)
            requests.post(
                f"{emulator_url}/__emulator/pipelines", json=STAGE_REMOVED, timeout=5
            ).raise_for_status()
            print(
                "The org's admin removes the stage Qualification from the pipeline Standard (Standard)"
                " (POST /__emulator/pipelines); rules.yaml still names it.\n"
            )
            send(len(SCENARIOS) + 1, AFTER_THE_CHANGE, function_url, emulator_url, log)
        state = requests.get(f"{emulator_url}/__emulator/state", timeout=5).json()
        print(f"Emulator state afterwards: {json.dumps(state)}")
    print("Stopped the function and the emulator.")


if __name__ == "__main__":
    main()
