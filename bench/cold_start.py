"""Figure 1, cold start: a fresh process importing `main` against a trivial functions-framework one.

Each run is a new interpreter, timed from spawn until it reports ready on a pipe (after the
imports; for `main` that includes loading and validating rules.yaml). The two kinds run
interleaved, after discarded warm-up runs that fill the bytecode cache both read, and the medians
are compared. `python -X importtime` then names what `main` imports beyond the baseline,
attributed to the first-party module that imported it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from typing import Any

from bench.common import PY, ROOT, Check, Figure, Workspace, median

RUNS = 21  # of each kind (at least 15, for a stable median)
WARMUP = 3
IMPORTTIME_RUNS = 5
TARGET_MS = 60.0

BASELINE = """
import functions_framework

@functions_framework.http
def baseline(request):
    return "ok"
"""
MAIN = "import main\n"
READY = "\nimport sys\nsys.stdout.write('ready\\n')\nsys.stdout.flush()\n"
# Heavy modules that must not be imported at start-up (the webhook path never needs them).
LAZY = (
    "google.cloud.secretmanager",
    "google.api_core",
    "grpc",
    "requests",
    "urllib3",
    "handlers.sweep.run",
    "handlers.checks.preflight",
)
LOADED = "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"


def run(workspace: Workspace) -> Figure:
    env = workspace.function_env("http://127.0.0.1:9")  # never contacted at start-up
    timings: dict[str, list[float]] = {"baseline": [], "main": []}
    for index in range(WARMUP + RUNS):
        order = ("baseline", "main") if index % 2 == 0 else ("main", "baseline")
        for kind in order:
            elapsed = _time_once(BASELINE if kind == "baseline" else MAIN, env)
            if index >= WARMUP:
                timings[kind].append(elapsed)
    base, main = median(timings["baseline"]), median(timings["main"])
    added = main - base
    offenders, base_modules = _importtime(env)
    loaded = _loaded_modules(MAIN, env)
    eager = [name for name in LAZY if name in loaded]
    return Figure(
        figure=1,
        name="cold_start_added_ms",
        value=round(added, 1),
        unit="ms (median main - median baseline)",
        target=f"<= {TARGET_MS:.0f} ms added over the baseline",
        checks=[
            Check("added over baseline", round(added, 1), "ms", f"<= {TARGET_MS:.0f}", added <= TARGET_MS),
            Check(
                "heavy modules imported at start-up",
                eager,
                "modules",
                "none of " + ", ".join(LAZY),
                not eager,
            ),
        ],
        context={
            "baseline_median_ms": round(base, 1),
            "main_median_ms": round(main, 1),
            "ratio": round(main / base, 2),
            "runs_each": RUNS,
            "baseline_ms": [round(t, 1) for t in timings["baseline"]],
            "main_ms": [round(t, 1) for t in timings["main"]],
            "importtime_top_offenders_ms": offenders,
            "modules_beyond_baseline": len(set(loaded) - base_modules),
            "method": "spawn to 'ready' on a pipe, interleaved runs, bytecode cached for both",
        },
    )


def _time_once(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([PY, "-c", code + READY], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - started) * 1000
    process.stdout.close()
    if process.wait() != 0 or line.strip() != b"ready":
        raise RuntimeError(f"the cold-start process failed: {code!r}")
    return elapsed


def _loaded_modules(code: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [PY, "-c", code + LOADED], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def _importtime(env: dict[str, str]) -> tuple[list[dict[str, Any]], set[str]]:
    """Median self time of what `main` imports beyond the baseline, per dependency."""
    base_modules = set(_loaded_modules(BASELINE, env))
    per_run: list[dict[str, float]] = []
    for _ in range(IMPORTTIME_RUNS):
        done = subprocess.run(
            [PY, "-X", "importtime", "-c", MAIN],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        per_run.append(_attribute(_parse(done.stderr), base_modules))
    names = {name for run in per_run for name in run}
    totals = {name: median([run.get(name, 0.0) for run in per_run]) for name in names}
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [{"import": name, "ms": round(ms, 1)} for name, ms in ranked[:10]], base_modules


def _parse(stderr: str) -> list[tuple[int, str, float]]:
    """(depth, module, self ms) in the order -X importtime prints them (children first)."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((depth, name.strip(), int(self_us) / 1000))
    return rows


def _attribute(rows: list[tuple[int, str, float]], base_modules: set[str]) -> dict[str, float]:
    """Self time summed per dependency: a module counts towards the module that a first-party
    module (main, handlers.*) imported directly; first-party modules count together."""
    parent: dict[int, int] = {}
    pending: dict[int, list[int]] = {}
    for index, (depth, _, _) in enumerate(rows):
        for child in pending.pop(depth + 1, []):
            parent[child] = index
        pending.setdefault(depth, []).append(index)

    def owner(index: int) -> str:
        name = rows[index][1]
        up = parent.get(index)
        if _first_party(name) or up is None or _first_party(rows[up][1]):
            return name
        return owner(up)

    totals: dict[str, float] = defaultdict(float)
    for index, (_, name, self_ms) in enumerate(rows):
        if name in base_modules:
            continue
        found = owner(index)
        totals["handlers/ and main.py (own code)" if _first_party(found) else found] += self_ms
    return dict(totals)


def _first_party(name: str) -> bool:
    return name in ("main", "handlers") or name.startswith("handlers.")
