"""The function served as Cloud Run functions serve it: `functions-framework --target ...`, which
runs gunicorn (one worker, THREADS threads), in its own process on a local port.

The Flask test client (the `serve` fixture) hands the function a request already in memory; what
happens on the wire (a body that trickles in, a framing gunicorn refuses, the worker's memory)
needs the real server. Its log lines and answers join the suite's leak check (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.conftest import ROOT, Written


class ServedFunction:
    def __init__(
        self, target: str = "zoho_webhook", *, threads: int = 10, env: Mapping[str, str] | None = None
    ):
        self.target, self.threads = target, threads
        self.env = {**os.environ, **(env or {}), "THREADS": str(threads)}
        self.port = _free_port()
        # the server's output, read back by the tests; both are closed in __exit__
        self._stdout: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> ServedFunction:
        self._process = subprocess.Popen(
            [
                *(sys.executable, "-m", "functions_framework", "--target", self.target),
                *("--source", "main.py", "--host", "127.0.0.1", "--port", str(self.port)),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._stdout,
            stderr=self._stderr,
            text=True,
        )
        ends = time.monotonic() + 30
        while time.monotonic() < ends:
            if self._process.poll() is not None:
                raise RuntimeError(f"functions-framework exited early: {self.stderr()}")
            if self.worker_pid() is not None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("functions-framework did not start within 30 s")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        Written.text.append(self.stdout())
        self._stdout.close()
        self._stderr.close()

    def worker_pid(self) -> int | None:
        """The gunicorn worker (the master's one child), once it is forked."""
        if self._process is None:
            return None
        children = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children")
        try:
            listed = children.read_text().split()
        except OSError:
            return None
        return int(listed[0]) if listed else None

    def worker_memory_kib(self) -> dict[str, int]:
        """The worker's VmRSS and VmHWM (its resident high-water mark), in KiB, from /proc."""
        pid = self.worker_pid()
        values = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
        return values

    def stdout(self) -> str:
        self._stdout.seek(0)
        return self._stdout.read()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def log_lines(self) -> list[dict[str, Any]]:
        """The function's JSON log lines so far (anything else on stdout is not one)."""
        lines = []
        for line in self.stdout().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def raw(self, data: bytes, *, timeout: float = 10.0) -> bytes:
        """Send `data` as is on a fresh connection; what the server answered until it closed or
        went quiet for `timeout` seconds."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            connection.sendall(data)
            received = b""
            try:
                while chunk := connection.recv(65536):
                    received += chunk
            except TimeoutError:
                pass
        Written.text.append(received.decode("latin-1"))
        return received


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
