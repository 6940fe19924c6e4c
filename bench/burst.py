"""Figure 3, burst: 1,000 webhooks from 32 concurrent clients to the function behind its real server.

The function runs under functions-framework's gunicorn exactly as the Terraform deploys it
(THREADS from terraform/variables.tf, WORKERS unset so functions-framework's default of 1), in its
own process; the emulator runs in another with 50 ms added to every API call and Zoho's
concurrency limit (429 beyond it). The physical bound is what the deployment lets the webhook have
in flight: its threads (6 by default: Terraform keeps the sweep's 4 of Zoho's 10 for the sweep), at
most Zoho's limit, so 1,000 converts x 3 calls (the lead read, its conversion options, Convert:
rules.yaml matches existing records) x 50 ms / 6 calls in flight = 25 s. After the
burst, figure 5 reads the worker's peak memory before the server is stopped.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import tempfile
import threading
import time
from collections import Counter
from typing import Any

from bench import memory
from bench.common import (
    PY,
    ROOT,
    WEBHOOK_HEADERS,
    Check,
    Emulator,
    Figure,
    Workspace,
    crm_lead_id,
    free_port,
    percentile,
    stop,
    terraform_defaults,
    wait_for_http,
)

WEBHOOKS = 1000
CLIENTS = 32
LATENCY_S = 0.05
CALLS_PER_CONVERSION = 3
BOUND_FACTOR = 1.5


def burst_lead(n: int) -> dict[str, Any]:
    return {
        "First_Name": "Bench",
        "Last_Name": f"Burst {n}",
        "Company": f"Burst Company {n}",
        "Email": f"burst{n}@example.com",
        "Lead_Status": "Qualified",
        "Lead_Source": "Web",
    }


def run(workspace: Workspace) -> tuple[Figure, Figure]:
    terraform = terraform_defaults()
    threads = int(terraform["webhook_concurrency"])
    limit = int(terraform["zoho_concurrency_limit"])
    bound_s = WEBHOOKS * CALLS_PER_CONVERSION * LATENCY_S / min(threads, limit)
    with Emulator(workspace, latency=LATENCY_S, concurrency_limit=limit) as emulator:
        lead_ids = emulator.add_leads([burst_lead(n) for n in range(WEBHOOKS)])
        port = free_port()
        env = workspace.function_env(emulator.url, THREADS=str(threads))
        with tempfile.TemporaryFile("w+") as errors:
            server = subprocess.Popen(
                [
                    PY,
                    "-m",
                    "functions_framework",
                    "--target",
                    "zoho_webhook",
                    "--source",
                    "main.py",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # one log line per webhook
                stderr=errors,
            )
            try:
                wait_for_http(f"http://127.0.0.1:{port}/", server)
                answers, wall_s = _fire(port, lead_ids)
                used = memory.sample(server.pid)
            finally:
                stop(server)
                errors.seek(0)
                server_errors = errors.read()
        journal = emulator.journal()
        state = emulator.state()

    outcomes = Counter(outcome for _, outcome, _ in answers.values())
    converted = outcomes.get("converted", 0)
    failed = {
        lead: answer for lead, answer in answers.items() if answer[0] != 200 or answer[1] != "converted"
    }
    successes: Counter[str] = Counter()
    convert_calls: Counter[str] = Counter()
    for entry in journal:
        lead_id = crm_lead_id(entry["path"])
        if lead_id is not None and entry["method"] == "POST" and entry["path"].endswith("/actions/convert"):
            convert_calls[lead_id] += 1
            if entry["status"] == 200:
                successes[lead_id] += 1
    duplicates = sum(count - 1 for count in successes.values() if count > 1)
    throttled = sum(1 for entry in journal if entry["status"] == 429)
    latencies = [latency for _, _, latency in answers.values()]
    ratio = wall_s / bound_s
    burst = Figure(
        figure=3,
        name="burst_wall_time_s",
        value=round(wall_s, 2),
        unit=f"s for {WEBHOOKS} webhooks, {CLIENTS} clients",
        target=f"<= {BOUND_FACTOR} x bound ({BOUND_FACTOR * bound_s:.1f} s); {WEBHOOKS} converted,"
        " 0 duplicates, 0 errors",
        checks=[
            Check(
                "wall time / bound",
                round(ratio, 2),
                f"x bound {bound_s:.1f} s",
                f"<= {BOUND_FACTOR}",
                ratio <= BOUND_FACTOR,
            ),
            Check(
                "converted (emulator)",
                state["converted_leads"],
                "leads",
                f"= {WEBHOOKS}",
                state["converted_leads"] == WEBHOOKS,
            ),
            Check("converted (responses)", converted, "webhooks", f"= {WEBHOOKS}", converted == WEBHOOKS),
            Check(
                "duplicate conversions",
                duplicates,
                "conversions",
                "= 0",
                duplicates == 0 and max(successes.values(), default=0) <= 1,
            ),
            Check("errors returned", len(failed), "responses", "= 0", not failed),
        ],
        context={
            "bound_s": round(bound_s, 2),
            "ratio_to_bound": round(ratio, 3),
            "throttled_429_seen": throttled,
            "convert_calls": sum(convert_calls.values()),
            "crm_calls": sum(1 for entry in journal if entry["path"].startswith("/crm/")),
            "contacts_created": state["contacts"],
            "deals_created": state["deals"],
            "webhook_latency_p50_ms": round(percentile(latencies, 50), 1),
            "webhook_latency_p99_ms": round(percentile(latencies, 99), 1),
            "gunicorn_threads": threads,
            "gunicorn_workers": 1,
            "emulator_latency_ms": LATENCY_S * 1000,
            "emulator_concurrency_limit": limit,
            "outcomes": dict(outcomes),
            "first_errors": [f"{lead}: {answer[:2]}" for lead, answer in list(failed.items())[:5]],
            "server_stderr_tail": server_errors[-500:],
        },
    )
    return burst, memory.figure(used, WEBHOOKS, str(terraform["webhook_memory"]))


def _fire(port: int, lead_ids: list[str]) -> tuple[dict[str, tuple[int, str, float]], float]:
    """Send every webhook from CLIENTS keep-alive connections; the answers and the wall time."""
    queue = iter(lead_ids)
    queue_lock = threading.Lock()
    answers: dict[str, tuple[int, str, float]] = {}
    start = threading.Barrier(CLIENTS + 1)
    headers = {**WEBHOOK_HEADERS, "Content-Type": "application/json"}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        while True:
            with queue_lock:
                lead_id = next(queue, None)
            if lead_id is None:
                break
            sent = time.perf_counter()
            try:
                connection.request("POST", "/", body=json.dumps({"lead_id": lead_id}), headers=headers)
                response = connection.getresponse()
                body = response.read()
                outcome = str(json.loads(body).get("outcome"))
                status = response.status
            except (OSError, http.client.HTTPException, ValueError) as error:
                connection.close()
                status, outcome = 0, f"client error {error.__class__.__name__}"
            answers[lead_id] = (status, outcome, (time.perf_counter() - sent) * 1000)
        connection.close()

    workers = [threading.Thread(target=client, name=f"burst-client-{n}") for n in range(CLIENTS)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return answers, time.perf_counter() - started
