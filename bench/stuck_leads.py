"""Figure 7, stuck leads: the CRM credits a lead Zoho keeps refusing costs over a simulated day.

100 stuck leads (a rule converts them, Zoho refuses: 50 under a rule whose deal Stage is not in
its pipeline, MAPPING_MISMATCH; 50 under a rule whose deal is named `{Industry}`, which these
leads leave empty, MANDATORY_NOT_FOUND; both rules are ones Mass Convert can express, so each
attempt offers them as jobs first, refused at 5 credits a job, then one lead at a time) and 1,000
qualifying leads (about ten arriving before each sweep, under three rules like figure 4's) go
through 96 sweeps, a day at one every 15 minutes. Each sweep runs on a fresh instance (a new
`handlers.runtime.Runtime`: nothing cached in memory, the failure notes are all it knows) with
the deployed settings, through `handlers.doors.reconcile.sweep`; before each, the emulator's clock and
the instance's are both moved on 15 minutes (`clock_offset_seconds`, `Runtime(clock=...)`), so a
day passes in a few real minutes. The access token is shared between the instances (the CLI's
token file, as the deployed functions share theirs), since the emulator's token throttle keeps the
real time.

The stuck leads' credits come from the emulator's credit meter (the `credits` of each journal
entry, zoho_emulator/credits.py): every call about a stuck lead (Convert 5, the read of its notes,
the note added or brought up to date, any read of the lead, its share of a Mass Convert job), and
all of the per-run `GET /Notes` pages (the read is there for failed leads: counted against them,
the conservative reading). The COQL pages and the hourly check of the rules against the org are
not counted: every sweep makes them, stuck leads or none. The baseline is the same day with
`retry_failed` on every run: no backoff, every stuck lead attempted by each of the 96 sweeps
(that was about 576 a day, Convert and the notes read; each attempt now also brings
the note up to date, and the refused Mass Convert jobs count too).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import Check, Emulator, Figure, Workspace, crm_lead_id, quiet_stdout, terraform_defaults
from bench.sweep_cost import USERS

SWEEPS = 96  # a day, one sweep every 15 minutes
STEP = dt.timedelta(minutes=15)
STUCK_STAGE = 50
STUCK_NAME = 50
QUALIFYING = 1000
TARGET = 25  # credits per stuck lead per day
ARRIVAL = dt.timedelta(minutes=12)  # a qualifying lead is modified this long before its sweep

# Lead sources the org offers and no lead of the demo seed has: the org check names only the
# stuck-stage rule's stage (every hour, as it would in an org nobody has fixed yet).
RULES = """
rules:
  - name: stuck-stage            # Partner Negotiation is a stage of the Partner Pipeline only
    when: {Lead_Status: Qualified, Lead_Source: Seminar Partner}
    deal:
      {Deal_Name: Seminar deal, Stage: Partner Negotiation, Pipeline: Standard (Standard), Closing_Date: +30d}
    assign_to: "4876876000000002002"
  - name: stuck-empty-name       # these leads have no Industry: the deal has no name
    when: {Lead_Status: Qualified, Lead_Source: Cold Call}
    deal: {Deal_Name: "{Industry}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
  - name: referral-deal          # Mass Convert: one deal template, one owner, tags as whole modules
    when: {Lead_Status: Qualified, Lead_Source: External Referral}
    deal: {Deal_Name: Referral deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +30d}
    assign_to: "4876876000000002002"
    carry_over_tags: {Contacts: all, Deals: all}
  - name: event-contact          # Mass Convert: no deal; grouped by each lead's owner
    when: {Lead_Status: Qualified, Lead_Source: {in: [Webinar, Online Store]}}
  - name: download-named-deal    # single Convert only: the deal is named after the lead's company
    when: {Lead_Status: Qualified, Lead_Source: Web Download}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
"""


def stuck_leads(modified: dt.datetime) -> list[dict[str, Any]]:
    leads = []
    for n in range(STUCK_STAGE + STUCK_NAME):
        by_stage = n < STUCK_STAGE
        leads.append(
            {
                "Last_Name": f"Stuck {n}",
                "Company": f"Stuck Company {n}",
                "Email": f"stuck{n}@example.com",
                "Lead_Status": "Qualified",
                "Lead_Source": "Seminar Partner" if by_stage else "Cold Call",
                "Owner": USERS[n % len(USERS)],
                "Modified_Time": modified.isoformat(),
            }
        )
    return leads


def qualifying_leads(sweep: int, modified: dt.datetime) -> list[dict[str, Any]]:
    """The leads that arrive before `sweep`: the day's 1,000 spread evenly, a tenth of them
    single-Convert-only (a deal named after the company), the rest for Mass Convert."""
    leads = []
    for n in range(sweep * QUALIFYING // SWEEPS, (sweep + 1) * QUALIFYING // SWEEPS):
        source = "Web Download" if n % 10 == 0 else ("External Referral", "Webinar", "Online Store")[n % 3]
        leads.append(
            {
                "Last_Name": f"Qualifying {n}",
                "Company": f"Qualifying Company {n}",
                "Email": f"qualifying{n}@example.com",
                "Lead_Status": "Qualified",
                "Lead_Source": source,
                "Owner": USERS[n % len(USERS)],
                "Tag": ["Imported"],
                "Modified_Time": modified.isoformat(),
            }
        )
    return leads


def simulate_day(workspace: Workspace, retry_failed: bool) -> dict[str, Any]:
    """96 sweeps on fresh instances, 15 simulated minutes apart; what they cost and did."""
    from handlers.engine.conversion import utc_now
    from handlers.engine.rules import load_rules
    from handlers.runtime import Runtime
    from handlers.sweep.options import sweep_options

    terraform = terraform_defaults()
    started = time.perf_counter()
    with (
        Emulator(
            workspace, concurrency_limit=int(terraform["zoho_concurrency_limit"]), seed="demo"
        ) as emulator,
        tempfile.TemporaryDirectory() as folder,
    ):
        start = utc_now()
        stuck = emulator.add_leads(stuck_leads(start - dt.timedelta(hours=1)))
        rules_file = Path(folder) / "rules.yaml"
        rules_file.write_text(RULES)
        tokens = Path(folder) / "tokens"
        tokens.mkdir(mode=0o700)
        env = workspace.function_env(
            emulator.url,
            RULES_FILE=str(rules_file),
            RECONCILE_SINCE=(start - dt.timedelta(days=1)).isoformat(),
            RECONCILE_CONCURRENCY=str(int(terraform["reconcile_concurrency"])),
            RECONCILE_MAX_SECONDS=str(int(terraform["reconcile_timeout_seconds"]) - 60),
        )
        env.pop("PYTHONPYCACHEPREFIX", None)
        state_before = emulator.state()
        qualifying: list[str] = []
        summaries: list[dict[str, Any]] = []
        sweep_seconds: list[float] = []
        for number in range(SWEEPS):
            offset = STEP * number
            emulator.control("POST", "faults", {"clock_offset_seconds": offset.total_seconds()})
            arrived = qualifying_leads(number, utc_now() + offset - ARRIVAL)
            qualifying += emulator.add_leads(arrived) if arrived else []

            def clock(offset: dt.timedelta = offset) -> dt.datetime:
                return utc_now() + offset

            began = time.perf_counter()
            with quiet_stdout():
                runtime = Runtime(load_rules(rules_file), env, token_directory=tokens, clock=clock)
                options = sweep_options(runtime.settings(), retry_failed=retry_failed)
                summary = runtime.sweep(options).as_dict(items=None)
            sweep_seconds.append(time.perf_counter() - began)
            if not summary["complete"]:
                raise RuntimeError(f"sweep {number} stopped: {summary['stopped']}")
            summaries.append(summary)
        journal = emulator.journal()
        state = emulator.state()
        notes = {lead: emulator.control("GET", f"leads/{lead}/notes") for lead in stuck}
        stuck_converted = sum(1 for lead in stuck if emulator.control("GET", f"leads/{lead}")["Converted__s"])
    return {
        "stuck": stuck,
        "qualifying": qualifying,
        "summaries": summaries,
        "journal": journal,
        "state_before": state_before,
        "state": state,
        "notes": notes,
        "stuck_converted": stuck_converted,
        "sweep_seconds": sweep_seconds,
        "wall_s": time.perf_counter() - started,
    }


def stuck_credits(day: dict[str, Any]) -> dict[str, Any]:
    """The credits the day spent on its stuck leads, by endpoint, from the emulator's meter."""
    stuck = set(day["stuck"])
    note_parents = {note["id"]: lead for lead, notes in day["notes"].items() for note in notes}
    by_endpoint: Counter[str] = Counter()
    converts: Counter[str] = Counter()
    for entry in day["journal"]:
        if not entry["path"].startswith("/crm/") or not entry["credits"]:
            continue
        share = _stuck_share(entry, stuck, note_parents)
        if share:
            by_endpoint[entry["endpoint"]] += entry["credits"] * share
        lead = crm_lead_id(entry["path"])
        if lead in stuck and entry["path"].endswith("/actions/convert"):
            converts[lead] += 1
    total = sum(by_endpoint.values())
    return {
        "total": round(total, 1),
        "per_stuck_lead": round(total / len(stuck), 2),
        "by_endpoint": {endpoint: round(credits, 1) for endpoint, credits in by_endpoint.most_common()},
        "converts_per_stuck_lead": sorted(Counter(converts[lead] for lead in stuck).items()),
    }


def _stuck_share(entry: dict[str, Any], stuck: set[str], note_parents: dict[str, str]) -> float:
    """How much of the call is about stuck leads: all of it for a call on one (its Convert, its
    notes, a read of it) and for the run's read of every record's notes (`GET Notes`); a Mass
    Convert job, a read of several leads or a write of several notes by their stuck share."""
    endpoint, body = entry["endpoint"], entry.get("json")
    notes = (
        [note for note in body.get("data") or [] if isinstance(note, dict)] if isinstance(body, dict) else []
    )
    lead = crm_lead_id(entry["path"])
    if lead is not None:
        return 1.0 if lead in stuck else 0.0
    if endpoint == "GET Notes":
        return 1.0
    if endpoint == "POST Leads/actions/mass_convert" and isinstance(body, dict):
        return _share([str(lead) for lead in body.get("ids") or []], stuck)
    if endpoint == "GET Leads":
        return _share(",".join(entry["query"].get("ids", [])).split(","), stuck)
    if endpoint == "POST Notes":
        return _share([str((note.get("Parent_Id") or {}).get("id")) for note in notes], stuck)
    if endpoint == "PUT Notes":
        return _share([note_parents.get(str(note.get("id")), "") for note in notes], stuck)
    if endpoint == "PUT Notes/{id}":
        return 1.0 if note_parents.get(entry["path"].rsplit("/", 1)[1]) in stuck else 0.0
    return 0.0


def _share(ids: list[str], stuck: set[str]) -> float:
    return sum(1 for lead in ids if lead in stuck) / len(ids) if ids else 0.0


def qualifying_outcome(day: dict[str, Any]) -> dict[str, Any]:
    """Whether every qualifying lead converted exactly once: the sweeps counted each once, none
    was found converted already, the org holds one converted lead and one new contact for each,
    and no stuck lead converted."""
    summaries = day["summaries"]
    before, after = day["state_before"], day["state"]
    failed = {failure["lead_id"] for summary in summaries for failure in summary["failed"]}
    converted = sum(summary["converted"] for summary in summaries)
    already = sum(summary["already_converted"] for summary in summaries)
    new_contacts = after["contacts"] - before["contacts"]
    newly_converted = after["converted_leads"] - before["converted_leads"]
    count = len(day["qualifying"])
    return {
        "qualifying": count,
        "converted_by_the_sweeps": converted,
        "already_converted": already,
        "converted_leads_in_the_org": newly_converted,
        "new_contacts": new_contacts,
        "failed_not_stuck": len(failed - set(day["stuck"])),
        "stuck_converted": day["stuck_converted"],
        "exactly_once": converted == count == newly_converted == new_contacts
        and already == 0
        and failed <= set(day["stuck"])
        and day["stuck_converted"] == 0,
    }


def notes_state(day: dict[str, Any]) -> dict[str, Any]:
    """One failure note per stuck lead, and the attempts it counts."""
    per_lead = [len(notes) for notes in day["notes"].values()]
    attempts: Counter[str] = Counter()
    for notes in day["notes"].values():
        for note in notes:
            for line in str(note.get("Note_Content", "")).splitlines():
                if line.startswith("Attempts: "):
                    attempts[line.removeprefix("Attempts: ")] += 1
    return {
        "notes_per_stuck_lead": sorted(Counter(per_lead).items()),
        "attempts_on_the_notes": sorted(attempts.items()),
    }


def day_context(day: dict[str, Any], credits: dict[str, Any]) -> dict[str, Any]:
    summaries = day["summaries"]
    return {
        "stuck_credits": credits,
        "qualifying": qualifying_outcome(day),
        "notes": notes_state(day),
        "attempts_by_sweep": [
            number
            for number, summary in enumerate(summaries)
            if any(f["rule"].startswith("stuck") for f in summary["failed"])
        ],
        "retry_later_last_sweep": summaries[-1]["retry_later"],
        "credits_all_calls": sum(entry["credits"] for entry in day["journal"]),
        "api_calls": sum(1 for entry in day["journal"] if entry["path"].startswith("/crm/")),
        "mass_convert_jobs": sum(summary["mass_convert_jobs"] for summary in summaries),
        "sweep_s_median": round(statistics.median(day["sweep_seconds"]), 3),
        "sweep_s_max": round(max(day["sweep_seconds"]), 3),
        "wall_s": round(day["wall_s"], 1),
    }


def run(workspace: Workspace) -> Figure:
    day = simulate_day(workspace, retry_failed=False)
    credits = stuck_credits(day)
    baseline_day = simulate_day(workspace, retry_failed=True)
    baseline = stuck_credits(baseline_day)
    measured, without = day_context(day, credits), day_context(baseline_day, baseline)
    per_lead = credits["per_stuck_lead"]
    qualifying = measured["qualifying"]
    return Figure(
        figure=7,
        name="stuck_lead_credits_per_day",
        value=per_lead,
        unit=f"credits per stuck lead per day ({len(day['stuck'])} stuck, {QUALIFYING:,} qualifying,"
        f" {SWEEPS} sweeps)",
        target=f"<= {TARGET} credits per stuck lead per day; every qualifying lead converted exactly once",
        checks=[
            Check(
                "credits per stuck lead per day",
                per_lead,
                f"credits ({credits['total']:g} / {len(day['stuck'])});"
                f" baseline {baseline['per_stuck_lead']}",
                f"<= {TARGET}",
                per_lead <= TARGET,
            ),
            Check(
                "qualifying leads converted exactly once",
                qualifying["converted_leads_in_the_org"],
                "leads",
                f"= {QUALIFYING:,}, each once",
                qualifying["exactly_once"] and qualifying["qualifying"] == QUALIFYING,
            ),
        ],
        context={
            "baseline_per_stuck_lead": baseline["per_stuck_lead"],
            "ratio_to_baseline": round(per_lead / baseline["per_stuck_lead"], 4),
            "day": measured,
            "baseline_day": without,
            "sweeps": SWEEPS,
            "minutes_between_sweeps": STEP.total_seconds() / 60,
            "wall_time_s": round(day["wall_s"] + baseline_day["wall_s"], 1),
        },
    )
