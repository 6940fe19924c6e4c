"""Figure 6, sweep scale: one sweep over 10,000 and over 120,000 candidate leads.

120,000 is past the 100,000 records COQL's LIMIT/OFFSET paging can reach, so the run shows the
sweep reading every page by key. 90 % of the leads fall under rules Mass Convert can express, 10 %
under a rule whose deal is named after each lead's company (single Convert only). The emulator runs
in its own process with Zoho's concurrency limit; the sweep runs in this process through the
`reconcile` entry point with the deployed settings.

Three figures, all from the emulator's journal and the sweep's wall time:
- API calls per Mass-Convert-eligible lead (every CRM call not about a single-only lead);
- per-lead time at 120,000 over per-lead time at 10,000 (1.0 is perfectly linear), wall time;
  the CPU time of both processes per lead is reported beside it, as it moves less with other
  load on the machine;
- credits over the floor: one Convert per single-only lead, one Mass Convert job per 50 eligible
  leads, the COQL pages, and the lookup of the leads among existing records (one query per 50
  emails and per 50 companies), with the credit model and the emulator's reading of COQL's
  criteria count of figure 4.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from functions_framework import create_app

from bench.common import (
    ROOT,
    Check,
    Emulator,
    Figure,
    Workspace,
    crm_lead_id,
    function_environ,
    quiet_stdout,
    terraform_defaults,
)
from bench.sweep_cost import (
    CONVERT_CREDITS,
    MASS_CONVERT_CREDITS,
    RULES,
    USERS,
    credits,
    lookup_floor,
)

SIZES = (10_000, 120_000)
SINGLE_EVERY = 10  # one lead in ten needs single Convert
PAGE = 2000
CALLS_PER_ELIGIBLE_TARGET = 0.1
LINEARITY_TARGET = 1.2
CREDITS_OVER_FLOOR_TARGET = 1.05


def leads(count: int) -> tuple[list[dict[str, Any]], list[bool]]:
    """The leads to create, and for each whether it is Mass-Convert-eligible."""
    modified = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    created, eligible = [], []
    for n in range(count):
        single = n % SINGLE_EVERY == 0
        source = "Bench Web" if single else ("Bench Partner" if n % 2 else "Bench Webinar")
        created.append(
            {
                "Last_Name": f"Scale {n}",
                "Company": f"Scale Company {n}",
                "Email": f"scale{n}@example.com",
                "Lead_Status": "Qualified",
                "Lead_Source": source,
                "Owner": USERS[n % len(USERS)],
                "Tag": ["Imported"],
                "Modified_Time": modified,
            }
        )
        eligible.append(not single)
    return created, eligible


def measure(workspace: Workspace, count: int) -> dict[str, Any]:
    terraform = terraform_defaults()
    to_create, flags = leads(count)
    with Emulator(
        workspace, concurrency_limit=int(terraform["zoho_concurrency_limit"]), seed="demo"
    ) as emulator:
        emulator.control("POST", "faults", {"coql_in_counts_once": True})
        lead_ids = emulator.add_leads(to_create)
        eligible = {lead for lead, flag in zip(lead_ids, flags, strict=True) if flag}
        single_only = set(lead_ids) - eligible
        with tempfile.TemporaryDirectory() as folder:
            rules = Path(folder) / "rules.yaml"
            rules.write_text(RULES)
            env = workspace.function_env(
                emulator.url,
                RULES_FILE=str(rules),
                RECONCILE_SINCE=(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(),
                RECONCILE_CONCURRENCY=str(int(terraform["reconcile_concurrency"])),
                RECONCILE_MAX_SECONDS="1700",
            )
            with function_environ(env), quiet_stdout():
                client = create_app("reconcile", str(ROOT / "main.py")).test_client()
                cpu_before = time.process_time(), emulator.cpu_seconds()
                started = time.perf_counter()
                response = client.post("/", json={})
                wall_s = time.perf_counter() - started
                sweep_cpu_s = time.process_time() - cpu_before[0]
                emulator_cpu_s = emulator.cpu_seconds() - cpu_before[1]
        summary = response.get_json()
        journal = emulator.journal()
        state = emulator.state()
    if response.status_code != 200 or not summary.get("complete"):
        raise RuntimeError(f"the sweep over {count} leads failed: {response.status_code} {summary}")
    crm = [entry for entry in journal if entry["path"].startswith("/crm/")]
    single_path = [entry for entry in crm if crm_lead_id(entry["path"]) in single_only]
    floor = (
        CONVERT_CREDITS * len(single_only)
        + MASS_CONVERT_CREDITS * math.ceil(len(eligible) / 50)
        + math.ceil(count / PAGE) * math.ceil(PAGE / 200)
        + lookup_floor(to_create)
    )
    return {
        "leads": count,
        "eligible": len(eligible),
        "single_only": len(single_only),
        "wall_s": round(wall_s, 2),
        "ms_per_lead": round(wall_s * 1000 / count, 4),
        # CPU of both processes (the sweep's here, the emulator's): what the work costs, less
        # moved by other load on the machine than the wall time is.
        "sweep_cpu_s": round(sweep_cpu_s, 2),
        "emulator_cpu_s": round(emulator_cpu_s, 2),
        "cpu_ms_per_lead": round((sweep_cpu_s + emulator_cpu_s) * 1000 / count, 4),
        "api_calls": len(crm),
        "calls_per_eligible": round((len(crm) - len(single_path)) / len(eligible), 4),
        "credits": sum(credits(entry) for entry in crm),
        "credits_floor": floor,
        "pages": summary["pages"],
        "mass_convert_jobs": summary["mass_convert_jobs"],
        "all_converted": state["converted_leads"] == count and summary["converted"] == count,
        "failed": len(summary["failed"]),
    }


def run(workspace: Workspace) -> Figure:
    small, large = (measure(workspace, count) for count in SIZES)
    linearity = large["ms_per_lead"] / small["ms_per_lead"]
    over_floor = max(run["credits"] / run["credits_floor"] for run in (small, large))
    worst_calls = max(small["calls_per_eligible"], large["calls_per_eligible"])
    return Figure(
        figure=6,
        name="sweep_scale_per_lead_time_ratio",
        value=round(linearity, 3),
        unit=f"x (per-lead time at {SIZES[1]:,} over {SIZES[0]:,} leads)",
        target=f"<= {LINEARITY_TARGET}; <= {CALLS_PER_ELIGIBLE_TARGET} API calls per Mass-Convert-eligible"
        f" lead; credits <= {CREDITS_OVER_FLOOR_TARGET} x the floor; every lead converted",
        checks=[
            Check(
                f"per-lead time {SIZES[1]:,} / {SIZES[0]:,}",
                round(linearity, 3),
                f"({large['ms_per_lead']} / {small['ms_per_lead']} ms per lead)",
                f"<= {LINEARITY_TARGET}",
                linearity <= LINEARITY_TARGET,
            ),
            Check(
                "API calls per Mass-Convert-eligible lead (worst of both)",
                worst_calls,
                "calls",
                f"<= {CALLS_PER_ELIGIBLE_TARGET}",
                worst_calls <= CALLS_PER_ELIGIBLE_TARGET,
            ),
            Check(
                "credits / floor (worst of both)",
                round(over_floor, 4),
                "; ".join(f"{run['credits']} / {run['credits_floor']}" for run in (small, large)),
                f"<= {CREDITS_OVER_FLOOR_TARGET}",
                over_floor <= CREDITS_OVER_FLOOR_TARGET,
            ),
            Check(
                "leads converted",
                f"{small['leads']:,} and {large['leads']:,}",
                "leads",
                "all, none failed",
                small["all_converted"] and large["all_converted"] and not small["failed"] + large["failed"],
            ),
        ],
        context={
            "runs": [small, large],
            "cpu_per_lead_ratio": round(large["cpu_ms_per_lead"] / small["cpu_ms_per_lead"], 3),
            "page_size": PAGE,
            "single_every": SINGLE_EVERY,
        },
    )
