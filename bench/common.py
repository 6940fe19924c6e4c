"""Shared pieces of the benchmarks: results, environments, the emulator process, timing helpers."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = ROOT / "bench" / "results.json"

CLIENT_ID = "1000.BENCHCLIENTID"
CLIENT_SECRET = "bench-client-secret"
REFRESH_TOKEN = "1000.bench-refresh-token"
WEBHOOK_SECRET = "bench-webhook-secret"
WEBHOOK_HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}
TOKEN_PATH = "/oauth/v2/token"

# Settings of the function and of functions-framework/gunicorn: removed from inherited
# environments, so only what a benchmark sets explicitly applies.
_STRIPPED_PREFIXES = ("ZOHO_", "SECRET_", "RECONCILE_", "GUNICORN_")
_STRIPPED_NAMES = {
    "WEBHOOK_SECRET",
    "WEBHOOK_SECRET_SECRET",
    "RULES_FILE",
    "DRY_RUN",
    "GOOGLE_CLOUD_PROJECT",
    "FAILURE_NOTE",
    "THREADS",
    "WORKERS",
    "CLOUD_RUN_TIMEOUT_SECONDS",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
}


@dataclass
class Check:
    """One condition of a figure's target."""

    name: str
    value: Any
    unit: str
    target: str
    met: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
        }


@dataclass
class Figure:
    """One figure of the benchmark: the headline value, its target, whether every check holds."""

    figure: int
    name: str
    value: float
    unit: str
    target: str
    checks: list[Check]
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(check.met for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
            "figure": self.figure,
            "checks": [check.as_json() for check in self.checks],
            "context": self.context,
        }


# --- environments ---------------------------------------------------------------------------


class Workspace:
    """Per-run scratch space: a bytecode cache shared by every child process, temp files."""

    def __init__(self, path: Path):
        self.path = path
        self.pycache = path / "pycache"

    def child_env(self, **extra: str) -> dict[str, str]:
        """The inherited environment without any function setting, plus `extra`.

        Bytecode is cached under the workspace (not in the tree) so that every timed process
        imports compiled modules, as a deployed image with compiled sources would.
        """
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in _STRIPPED_NAMES and not name.startswith(_STRIPPED_PREFIXES)
        }
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env.update(extra)
        return env

    def function_env(self, emulator_url: str, **extra: str) -> dict[str, str]:
        """A valid environment for the function, pointed at an emulator."""
        return self.child_env(
            ZOHO_CLIENT_ID=CLIENT_ID,
            ZOHO_CLIENT_SECRET=CLIENT_SECRET,
            ZOHO_REFRESH_TOKEN=REFRESH_TOKEN,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            ZOHO_ACCOUNTS_URL=emulator_url,
            **extra,
        )


@contextlib.contextmanager
def function_environ(env: dict[str, str]) -> Iterator[None]:
    """Run the function in this process with exactly the function settings of `env`."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The function's log lines (one per request) go to /dev/null, as to a pipe, not the table."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def terraform_defaults() -> dict[str, Any]:
    """Defaults of terraform/variables.tf, so the benchmarks use the deployed settings."""
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    with (ROOT / "terraform" / "variables.tf").open() as handle:
        parsed = hcl2.load(handle, serialization_options=options)
    defaults: dict[str, Any] = {}
    for block in parsed.get("variable", []):
        for name, body in block.items():
            if isinstance(body, dict) and "default" in body:
                defaults[name] = body["default"]
    return defaults


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[Any], seconds: float = 30.0) -> None:
    """Until the server answers anything at all (a 405 is an answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before answering")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[Any], seconds: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not end; only the process this benchmark started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Emulator:
    """The Zoho emulator in its own process (its own GIL), driven through /__emulator/."""

    def __init__(
        self,
        workspace: Workspace,
        latency: float = 0.0,
        concurrency_limit: int | None = None,
        seed: str | None = None,
    ):
        self.workspace = workspace
        self.args = [
            PY,
            "-m",
            "tests.zoho_emulator",
            "--port",
            "0",
            "--latency",
            str(latency),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--refresh-token",
            REFRESH_TOKEN,
        ]
        if concurrency_limit is not None:
            self.args += ["--concurrency-limit", str(concurrency_limit)]
        if seed is not None:
            self.args += ["--seed", seed]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.session = requests.Session()

    def __enter__(self) -> Emulator:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.workspace.child_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            stop(self.process)
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1].strip()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()
        if self.process is not None:
            stop(self.process)
            if self.process.stdout is not None:
                self.process.stdout.close()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(method, f"{self.url}/__emulator/{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def add_leads(self, leads: Sequence[dict[str, Any]], chunk: int = 5000) -> list[str]:
        """Create the leads (not timed), `chunk` to a request; ids in the order given.

        One JSON array per request (the control API's bulk form), sent one after another, so the
        emulator hands out the ids in the order of `leads`.
        """
        url = f"{self.url}/__emulator/leads"
        ids: list[str] = []
        for start in range(0, len(leads), chunk):
            response = self.session.post(url, json=list(leads[start : start + chunk]), timeout=120)
            response.raise_for_status()
            ids.extend(str(lead_id) for lead_id in response.json()["ids"])
        if len(ids) != len(leads):
            raise RuntimeError(f"the emulator created {len(ids)} of {len(leads)} leads")
        return ids

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far (Linux /proc)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def journal(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "journal"))

    def state(self) -> dict[str, int]:
        return dict(self.control("GET", "state"))


# --- numbers --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def crm_lead_id(path: str) -> str | None:
    """The lead id in /crm/{version}/Leads/{id}[/...], else None."""
    parts = path.split("/")
    if len(parts) >= 5 and parts[1] == "crm" and parts[3] == "Leads" and parts[4].isdigit():
        return parts[4]
    return None


def write_json(path: Path, document: Any) -> None:
    buffer = io.StringIO()
    json.dump(document, buffer, indent=2)
    path.write_text(buffer.getvalue() + "\n")
