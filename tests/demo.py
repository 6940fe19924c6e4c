"""`make demo`: the real function (functions-framework) against the bundled Zoho emulator.

Starts the emulator seeded with sample leads and the function configured with rules.yaml. An
admin connects Zoho to the function (`zoho-lead-converter connect --apply`: a webhook and a
workflow rule); then salespeople edit leads, and the emulator's workflow, not this script, calls
the function: each outcome, the function's log line and what each conversion created (read back
from the emulator's control API) is printed. A few requests Zoho would never send show what the
function answers them; after the org's admin removes a stage the rules use, a lead fails and
leaves a note. `verify` passes, then finds the webhook's URL changed in Zoho, and `connect
--apply` repairs it. Everything it started is stopped.
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
DEMO_SECRET = "demo-7c41e9a2f0b8d35e"  # a secret unlike any header name (the demo prints answers)
CREDENTIALS = {
    "ZOHO_CLIENT_ID": "1000.DEMOCLIENTID",
    "ZOHO_CLIENT_SECRET": "demo-client-secret",
    "ZOHO_REFRESH_TOKEN": "1000.demo-refresh-token",
}
SETUP_TOKEN = "1000.demo-setup-refresh-token"  # an admin's, with the setup scopes
SETUP_SCOPES = [
    "ZohoCRM.settings.automation_actions.ALL",
    "ZohoCRM.settings.workflow_rules.ALL",
    "ZohoCRM.settings.modules.READ",
    "ZohoCRM.settings.fields.READ",
]
# What salespeople do in Zoho's UI (PATCH /__emulator/leads/{id}); the workflow calls the function.
EDITS = [
    ("Sam qualifies John Smith of Initech", "4876876000000100002", {"Lead_Status": "Qualified"}),
    (
        "Riya adds a phone number to Jane Doe, a qualified partner lead",
        "4876876000000100001",
        {"Phone": "+1 555 0100"},
    ),
    ("Riya updates Maria Garcia, a returning customer", "4876876000000100003", {"Phone": "+1 555 0199"}),
    ("QA edits its test lead", "4876876000000100004", {"Phone": "+1 555 0000"}),
]
# Requests Zoho's workflow would not send, and what the function answers them.
REQUESTS = [
    ("John Smith's webhook again (Zoho retried it)", "4876876000000100002", DEMO_SECRET),
    ("a lead id Zoho does not know", "4876876000000199999", DEMO_SECRET),
    ("a request with a wrong secret", "4876876000000100005", "not-the-secret"),
]
# After the deploy, the org's admin takes a stage the rules use out of their pipeline.
STAGE_REMOVED = {"pipeline": "Standard (Standard)", "remove_stages": ["Qualification"]}
AFTER_THE_CHANGE = (
    "Sam edits Li Wei, a qualifying trade-show lead",
    "4876876000000100005",
    {"Phone": "+1 555 0123"},
)
MOVED_URL = "https://an-old-deployment.example/"


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


def send(number: int, scenario: tuple[str, str, str], function_url: str, log: IO[str]) -> None:
    """One request sent by hand: the answer and the function's log line."""
    title, lead_id, secret = scenario
    response = requests.post(
        function_url, json={"lead_id": lead_id}, headers={"X-Webhook-Secret": secret}, timeout=30
    )
    print(f'{number}. {title}: POST {{"lead_id": "{lead_id}"}}')
    print(f"   HTTP {response.status_code} {describe(response.json())}")
    print_log(log)


def edit(number: int, scenario: tuple[str, str, dict[str, str]], emulator_url: str, log: IO[str]) -> None:
    """A salesperson's edit in Zoho; the workflow's call to the function, and what came of it."""
    title, lead_id, fields = scenario
    before = len(requests.get(f"{emulator_url}/__emulator/deliveries", timeout=5).json())
    requests.patch(f"{emulator_url}/__emulator/leads/{lead_id}", json=fields, timeout=5).raise_for_status()
    deliveries = requests.get(f"{emulator_url}/__emulator/deliveries", params={"wait": 20}, timeout=30).json()
    print(f"{number}. {title}: {', '.join(f'{key} = {value}' for key, value in fields.items())}")
    for delivery in deliveries[before:]:
        print(f"   the workflow rule calls the function: POST {delivery['url']} -> HTTP {delivery['status']}")
    time.sleep(0.1)
    for entry in print_log(log):
        if entry.get("outcome") == "converted":
            for line in created_records(emulator_url, entry):
                print(f"   {line}")
            for module, match in (entry.get("matched") or {}).items():
                print(f"   existing {module} {match['id']}, matched on {match['field']}: no new record")
            if deal := entry.get("open_deal"):
                print(f'   no new deal: the account has the open deal "{deal["name"]}" ({deal["stage"]})')
        if entry.get("outcome") == "failed":
            for line in notes_on(emulator_url, lead_id):
                print(f"   {line}")
    print()


def print_log(log: IO[str]) -> list[dict[str, Any]]:
    """The function's new log lines, each printed; returned for what they name."""
    entries = [json.loads(line) for line in log.read().splitlines() if line.startswith("{")]
    for entry in entries:
        print(f"   log: {entry['severity']} {entry['message']}")
    return entries


def command(title: str, args: list[str], env: dict[str, str]) -> None:
    """A zoho-lead-converter command as the admin runs it, and what it prints."""
    print(f"$ zoho-lead-converter {' '.join(args)}    # {title}")
    done = subprocess.run(
        [str(BIN / "zoho-lead-converter"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    for line in (done.stdout + done.stderr).splitlines():
        print(f"  {line}")
    print(f"  (exit {done.returncode})\n")


def move_webhook(emulator_url: str, url: str) -> None:
    """Someone changes the webhook's URL in Zoho (its API, as the UI would)."""
    token = requests.post(
        f"{emulator_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CREDENTIALS["ZOHO_CLIENT_ID"],
            "client_secret": CREDENTIALS["ZOHO_CLIENT_SECRET"],
            "refresh_token": SETUP_TOKEN,
        },
        timeout=5,
    ).json()["access_token"]
    api = f"{emulator_url}/crm/v8/settings/automation/webhooks"
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    (summary,) = requests.get(api, params={"module": "Leads"}, headers=headers, timeout=5).json()["webhooks"]
    (webhook,) = requests.get(f"{api}/{summary['id']}", headers=headers, timeout=5).json()["webhooks"]
    kept = {key: webhook[key] for key in SETUP_KEYS if key in webhook}
    response = requests.put(
        f"{api}/{summary['id']}", json={"webhooks": [{**kept, "url": url}]}, headers=headers, timeout=5
    )
    response.raise_for_status()


SETUP_KEYS = (
    "name",
    "description",
    "module",
    "url",
    "http_method",
    "feature_type",
    "authentication",
    "headers",
    "body",
)


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
        requests.post(
            f"{emulator_url}/__emulator/scopes",
            json={"scopes": SETUP_SCOPES, "refresh_token": SETUP_TOKEN},
            timeout=5,
        ).raise_for_status()
        admin = {**env, "ZOHO_SETUP_REFRESH_TOKEN": SETUP_TOKEN}
        url = ["--url", function_url]
        print("An admin connects Zoho to the function, with a setup token of their own:\n")
        command("the plan", ["connect", *url], admin)
        command("the changes", ["connect", *url, "--apply"], admin)
        with open(function_log.name, encoding="utf-8", errors="replace") as log:
            log.read()  # the start-up lines
            print("Salespeople at work in Zoho; the workflow rule calls the function:\n")
            for number, scenario in enumerate(EDITS, start=1):
                edit(number, scenario, emulator_url, log)
            print("Requests Zoho would not send, sent by hand:\n")
            for number, request in enumerate(REQUESTS, start=len(EDITS) + 1):
                send(number, request, function_url, log)
            requests.post(
                f"{emulator_url}/__emulator/pipelines", json=STAGE_REMOVED, timeout=5
            ).raise_for_status()
            print(
                "The org's admin removes the stage Qualification from the pipeline Standard (Standard)"
                " (POST /__emulator/pipelines); rules.yaml still names it.\n"
            )
            edit(len(EDITS) + len(REQUESTS) + 1, AFTER_THE_CHANGE, emulator_url, log)
        command("all as connect made it", ["verify", *url], admin)
        move_webhook(emulator_url, MOVED_URL)
        print(f"Someone changes the webhook's URL in Zoho to {MOVED_URL}\n")
        command("the drift", ["verify", *url], admin)
        command("the repair", ["connect", *url, "--apply"], admin)
        command("as it should be again", ["verify", *url], admin)
        state = requests.get(f"{emulator_url}/__emulator/state", timeout=5).json()
        print(f"Emulator state afterwards: {json.dumps(state)}")
    print("Stopped the function and the emulator.")


if __name__ == "__main__":
    main()
