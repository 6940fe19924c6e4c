"""Figure 4, sweep cost: Zoho API calls and credits of one reconciliation sweep over 5,000 leads.

4,000 of the qualifying leads (80%) fall under rules Mass Convert can express (the same rendered
parameters, no notify or overwrite options, tags carried as whole modules); 1,000 fall under a
rule whose deal is named after each lead's company, which only single Convert can do. The emulator
runs in its own process with 50 ms added to every API call and Zoho's concurrency limit; the sweep
runs in this process through the `reconcile` entry point with the deployed settings. Calls and
credits are counted from the emulator's journal and compared with the naive approach, one Convert
(5 credits) per lead.

Credit model (Zoho's documented figures where they exist, conservative where they do not):
Convert Lead 5 credits (documented); Mass Convert 5 credits per submitted job (Zoho documents no
separate figure; counted like one Convert although a job converts up to 50 leads); COQL 1 credit
per 200 rows of the page's LIMIT (10 for a 2,000-row page, at least Zoho's published bands);
every other CRM API call 1 credit (documented default); answers 429 are counted like the call;
the OAuth token endpoint (accounts server) uses no CRM API credits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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

LATENCY_S = 0.05
MASS_ELIGIBLE = 4000
SINGLE_ONLY = 1000
CONVERT_CREDITS = 5
MASS_CONVERT_CREDITS = 5
CALLS_PER_ELIGIBLE_TARGET = 0.1
CREDITS_TARGET = 0.30
USERS = ("4876876000000002001", "4876876000000002002", "4876876000000002003")  # the demo seed's users

RULES = """
rules:
  - name: partner-deal           # Mass Convert: one deal template, one owner, tags as whole modules
    when: {Lead_Status: Qualified, Lead_Source: Bench Partner}
    deal: {Deal_Name: Partner deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +30d}
    assign_to: "4876876000000002002"
    carry_over_tags: {Contacts: all, Deals: all}
  - name: event-contact          # Mass Convert: no deal; grouped by each lead's owner
    when: {Lead_Status: Qualified, Lead_Source: {in: [Bench Trade Show, Bench Webinar]}}
  - name: web-named-deal         # single Convert only: the deal is named after the lead's company
    when: {Lead_Status: Qualified, Lead_Source: Bench Web}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
"""
_LIMIT = re.compile(r"\blimit\s+(?:\d+\s*,\s*)?(\d+)", re.IGNORECASE)


def leads() -> tuple[list[dict[str, Any]], list[bool]]:
    """The leads to create, and for each whether it is Mass-Convert-eligible."""
    modified = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    sources = ["Bench Partner"] * (MASS_ELIGIBLE // 2)
    sources += ["Bench Trade Show", "Bench Webinar"] * (MASS_ELIGIBLE // 4)
    sources += ["Bench Web"] * SINGLE_ONLY
    created = [
        {
            "Last_Name": f"Sweep {n}",
            "Company": f"Sweep Company {n}",
            "Email": f"sweep{n}@example.com",
            "Lead_Status": "Qualified",
            "Lead_Source": source,
            "Owner": USERS[n % len(USERS)],
            "Tag": ["Imported"],
            "Modified_Time": modified,
        }
        for n, source in enumerate(sources)
    ]
    return created, [source != "Bench Web" for source in sources]


def credits(entry: dict[str, Any]) -> int:
    path, method = entry["path"], entry["method"]
    if method == "POST" and path.endswith("/actions/convert"):
        return CONVERT_CREDITS
    if method == "POST" and path.endswith("/Leads/actions/mass_convert"):
        return MASS_CONVERT_CREDITS
    if method == "POST" and path.endswith("/coql"):
        query = (entry.get("json") or {}).get("select_query", "")
        found = _LIMIT.search(query)
        return math.ceil(int(found[1]) / 200) if found else 10
    return 1


def run(workspace: Workspace) -> Figure:
    terraform = terraform_defaults()
    limit = int(terraform["zoho_concurrency_limit"])
    concurrency = int(terraform["reconcile_concurrency"])
    to_create, eligible_flags = leads()
    with Emulator(workspace, latency=LATENCY_S, concurrency_limit=limit, seed="demo") as emulator:
        lead_ids = emulator.add_leads(to_create)
        eligible = {lead for lead, flag in zip(lead_ids, eligible_flags, strict=True) if flag}
        single_only = set(lead_ids) - eligible
        with tempfile.TemporaryDirectory() as folder:
            rules = Path(folder) / "rules.yaml"
            rules.write_text(RULES)
            env = workspace.function_env(
                emulator.url,
                RULES_FILE=str(rules),
                # The sweep converts only leads modified since RECONCILE_SINCE (Terraform: the
                # first apply); the leads were modified an hour ago.
                RECONCILE_SINCE=(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(),
                RECONCILE_CONCURRENCY=str(concurrency),
                RECONCILE_MAX_SECONDS=str(int(terraform["reconcile_timeout_seconds"]) - 60),
            )
            with function_environ(env), quiet_stdout():
                client = create_app("reconcile", str(ROOT / "main.py")).test_client()
                started = time.perf_counter()
                response = client.post("/", json={})
                wall_s = time.perf_counter() - started
        summary = response.get_json()
        journal = emulator.journal()
        state = emulator.state()
    if response.status_code != 200:
        raise RuntimeError(f"the sweep failed: {response.status_code} {summary}")

    crm = [entry for entry in journal if entry["path"].startswith("/crm/")]
    total_credits = sum(credits(entry) for entry in crm)
    naive_credits = CONVERT_CREDITS * len(lead_ids)
    single_path = [entry for entry in crm if crm_lead_id(entry["path"]) in single_only]
    eligible_calls = len(crm) - len(single_path)
    per_eligible = eligible_calls / len(eligible)
    share = total_credits / naive_credits
    throttled = sum(1 for entry in crm if entry["status"] == 429)
    all_converted = summary["converted"] == len(lead_ids) and state["converted_leads"] == len(lead_ids)
    return Figure(
        figure=4,
        name="sweep_credits_vs_naive_pct",
        value=round(share * 100, 1),
        unit=f"% of naive credits ({len(lead_ids)} leads, {MASS_ELIGIBLE} Mass-Convert-eligible)",
        target=f"credits <= {CREDITS_TARGET:.0%} of naive; <= {CALLS_PER_ELIGIBLE_TARGET} API calls per"
        " Mass-Convert-eligible lead; every lead converted",
        checks=[
            Check(
                "credits / naive credits",
                round(share, 3),
                f"({total_credits} / {naive_credits})",
                f"<= {CREDITS_TARGET}",
                share <= CREDITS_TARGET,
            ),
            Check(
                "API calls per Mass-Convert-eligible lead",
                round(per_eligible, 4),
                f"calls ({eligible_calls} / {len(eligible)})",
                f"<= {CALLS_PER_ELIGIBLE_TARGET}",
                per_eligible <= CALLS_PER_ELIGIBLE_TARGET,
            ),
            Check(
                "leads converted",
                state["converted_leads"],
                "leads",
                f"= {len(lead_ids)}",
                all_converted and not summary["failed"] and summary["remaining"] == 0,
            ),
        ],
        context={
            "api_calls": len(crm),
            "naive_api_calls": len(lead_ids),
            "credits": total_credits,
            "naive_credits": naive_credits,
            "api_calls_single_convert_leads": len(single_path),
            "mass_convert_jobs": summary["mass_convert_jobs"],
            "wall_time_s": round(wall_s, 1),
            "throttled_429_seen": throttled,
            "token_requests": sum(1 for entry in journal if entry["path"] == "/oauth/v2/token"),
            "reconcile_concurrency": concurrency,
            "emulator_latency_ms": LATENCY_S * 1000,
            "emulator_concurrency_limit": limit,
            "credit_model": {
                "Convert Lead": f"{CONVERT_CREDITS} (documented)",
                "Mass Convert job": f"{MASS_CONVERT_CREDITS} (not documented; counted like a Convert)",
                "COQL page": "1 per 200 rows of LIMIT (conservative)",
                "other CRM API calls": "1 (documented default)",
                "429 answers": "counted like the call",
                "token endpoint": "0 (accounts server, not CRM API)",
            },
            "summary": {key: summary[key] for key in ("scanned", "matched", "converted", "remaining")},
        },
    )
