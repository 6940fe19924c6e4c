"""Figure 5, memory: peak RSS of the function's gunicorn worker after the burst.

Read from /proc (Linux): VmHWM is the process's resident high-water mark. The gunicorn master
(which imported `main` before forking the worker) is reported too, and the instance's total as the
sum of both processes' proportional set sizes (shared pages counted once between them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import Check, Figure

TARGET_MB = 150.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        listed = (task / "children").read_text().split()
        found.extend(int(child) for child in listed)
    return found


def status_kib(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS, ... in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0])
    return values


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def sample(server_pid: int) -> dict[str, Any]:
    """Memory of the gunicorn master and its worker, while they still run."""
    workers = children(server_pid)
    if len(workers) != 1:
        raise RuntimeError(f"expected one gunicorn worker under {server_pid}, found {workers}")
    worker = workers[0]
    worker_status, master_status = status_kib(worker), status_kib(server_pid)
    return {
        "worker_vmhwm_mb": round(worker_status["VmHWM"] / 1024, 1),
        "worker_vmrss_mb": round(worker_status["VmRSS"] / 1024, 1),
        "master_vmhwm_mb": round(master_status["VmHWM"] / 1024, 1),
        "instance_pss_mb": round((pss_kib(worker) + pss_kib(server_pid)) / 1024, 1),
    }


def figure(memory: dict[str, Any], burst_requests: int, memory_limit: str) -> Figure:
    peak = memory["worker_vmhwm_mb"]
    return Figure(
        figure=5,
        name="memory_peak_rss_mb",
        value=peak,
        unit=f"MB (VmHWM of the gunicorn worker after {burst_requests} webhooks)",
        target=f"< {TARGET_MB:.0f} MB (instance memory {memory_limit})",
        checks=[Check("worker peak RSS", peak, "MB", f"< {TARGET_MB:.0f}", peak < TARGET_MB)],
        context={**memory, "deployed_memory": memory_limit},
    )
