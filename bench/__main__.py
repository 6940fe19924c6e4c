"""`python -m bench` (`make bench`): run the seven figures, print the table, write bench/results.json.

results.json is a list with one object per figure, in this order:
{"name", "value", "unit", "target", "met"} plus "figure" (1-7), "checks" (every condition of the
target, each with its own value/target/met; `met` is true when all hold) and "context" (baselines,
ratios, percentiles, counts). Options: `--only cold_start,overhead,burst,sweep,sweep_scale,stuck_leads`
(any subset) runs those parts and does not write results.json.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import burst, cold_start, overhead, stuck_leads, sweep_cost, sweep_scale
from bench.common import RESULTS, Figure, Workspace, write_json

PARTS = ("cold_start", "overhead", "burst", "sweep", "sweep_scale", "stuck_leads")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", default=",".join(PARTS), help="comma-separated subset of " + ", ".join(PARTS)
    )
    args = parser.parse_args(argv)
    chosen = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(chosen) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")

    started = time.monotonic()
    figures: list[Figure] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        workspace = Workspace(scratch)
        for part in PARTS:
            if part not in chosen:
                continue
            began = time.monotonic()
            print(f"bench: {part} ...", file=sys.stderr, flush=True)
            if part == "cold_start":
                figures.append(cold_start.run(workspace))
            elif part == "overhead":
                figures.append(overhead.run(workspace))
            elif part == "burst":
                figures.extend(burst.run(workspace))
            elif part == "sweep":
                figures.append(sweep_cost.run(workspace))
            elif part == "sweep_scale":
                figures.append(sweep_scale.run(workspace))
            elif part == "stuck_leads":
                figures.append(stuck_leads.run(workspace))
            print(f"bench: {part} done in {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    figures.sort(key=lambda figure: figure.figure)
    print(table(figures))
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {platform.machine()},"
        f" {_cpus()} CPUs; bench took {time.monotonic() - started:.0f} s"
    )
    if set(chosen) == set(PARTS):
        write_json(RESULTS, [figure.as_json() for figure in figures])
        print(f"wrote {RESULTS.relative_to(RESULTS.parent.parent)}")
    return 0


def table(figures: list[Figure]) -> str:
    """Markdown: one row per figure, then its checks and the context worth reading."""
    rows = [
        "| # | figure | value | target | met |",
        "|---|---|---|---|---|",
    ]
    for figure in figures:
        rows.append(
            f"| {figure.figure} | **{figure.name}** | **{_number(figure.value)}** {figure.unit} |"
            f" {figure.target} | **{'yes' if figure.met else 'NO'}** |"
        )
        for check in figure.checks:
            rows.append(
                f"| | {check.name} | {_number(check.value)} {check.unit} | {check.target} |"
                f" {'yes' if check.met else 'NO'} |"
            )
        for line in _highlights(figure):
            rows.append(f"| | {line} | | | |")
    return "\n".join(rows)


def _highlights(figure: Figure) -> list[str]:
    c = figure.context
    if figure.figure == 1:
        offenders = ", ".join(f"{o['import']} {o['ms']} ms" for o in c["importtime_top_offenders_ms"][:6])
        return [
            f"baseline {c['baseline_median_ms']} ms, main {c['main_median_ms']} ms, ratio {c['ratio']}"
            f" (medians of {c['runs_each']} each)",
            f"importtime beyond baseline: {offenders}",
        ]
    if figure.figure == 2:
        return [
            f"overhead p95 {c['overhead_p95_ms']} ms; end-to-end p50 {c['end_to_end_p50_ms']} ms,"
            f" emulator p50 {c['emulator_p50_ms_per_webhook']} ms per webhook",
            f"function CPU p50 {c['function_cpu_p50_ms']} ms; harness baseline (trivial function,"
            f" same client) p50 {c['harness_baseline_p50_ms']} ms, p99 {c['harness_baseline_p99_ms']} ms",
        ]
    if figure.figure == 3:
        return [
            f"bound {c['bound_s']} s; 429s seen {c['throttled_429_seen']}; webhook p50"
            f" {c['webhook_latency_p50_ms']} ms, p99 {c['webhook_latency_p99_ms']} ms;"
            f" gunicorn {c['gunicorn_workers']} worker x {c['gunicorn_threads']} threads",
        ]
    if figure.figure == 4:
        return [
            f"{c['api_calls']} API calls (naive {c['naive_api_calls']}), {c['credits']} credits"
            f" (naive {c['naive_credits']}, floor {c['credits_floor']}), {c['mass_convert_jobs']} Mass"
            f" Convert jobs, {c['lookup_queries']} lookup queries, wall time {c['wall_time_s']} s,"
            f" 429s seen {c['throttled_429_seen']}",
            "if Zoho counts each value of an `in` as a criterion: {lookup_queries} lookup queries,"
            " {api_calls_per_eligible_lead} calls per eligible lead, {credits_over_floor_of_50_values} x"
            " the floor".format(**c["if_zoho_counts_each_value_of_an_in"]),
        ]
    if figure.figure == 6:
        return [
            *(
                f"{run['leads']:,} leads: {run['wall_s']} s, {run['pages']} pages, {run['api_calls']} calls,"
                f" {run['mass_convert_jobs']} Mass Convert jobs, {run['credits']} credits (floor"
                f" {run['credits_floor']}); CPU {run['cpu_ms_per_lead']} ms per lead (sweep"
                f" {run['sweep_cpu_s']} s, emulator {run['emulator_cpu_s']} s)"
                for run in c["runs"]
            ),
            f"CPU per lead 120,000 / 10,000: {c['cpu_per_lead_ratio']} x",
        ]
    if figure.figure == 7:
        day, baseline = c["day"], c["baseline_day"]
        return [
            f"baseline (retry_failed on every run) {c['baseline_per_stuck_lead']} credits per stuck lead"
            f" per day, ratio {c['ratio_to_baseline']}; attempts in sweeps {day['attempts_by_sweep']}",
            "stuck-lead credits by endpoint: "
            + ", ".join(
                f"{name} {credits:g}" for name, credits in day["stuck_credits"]["by_endpoint"].items()
            ),
            f"qualifying: {day['qualifying']['converted_by_the_sweeps']:,} converted by the sweeps,"
            f" {day['qualifying']['new_contacts']:,} contacts, {day['qualifying']['already_converted']}"
            f" already converted; day {day['wall_s']} s (sweep median {day['sweep_s_median']} s),"
            f" baseline day {baseline['wall_s']} s",
        ]
    if figure.figure == 5:
        return [
            f"master {c['master_vmhwm_mb']} MB peak; instance (master + worker, PSS)"
            f" {c['instance_pss_mb']} MB of {c['deployed_memory']}",
        ]
    return []


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
