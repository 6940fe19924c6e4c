"""The reconciliation sweep, through the `reconcile` entry point, against the emulator's state."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import AN_HOUR_AGO, DEPLOYED, RIYA, ROOT, SAM, add_leads, converted

CONVERT = r"/actions/convert$"
MASS_CONVERT = r"/Leads/actions/mass_convert$"
COQL = r"/coql$"
# The rules' check against the org (handlers/checks/preflight.py), which each new instance's first sweep
# makes before it starts, and its read of the webhook's failed deliveries: reads only.
ORG_CHECK = r"^/crm/v[0-9.]+/(settings/(fields|layouts|pipeline|tags|automation/webhook_failures)|users)$"

RULES = """
rules:
  - name: tests
    when: {Email: {matches: '@test\\.invalid$'}}
    skip: true
  - name: partners
    when: {Lead_Status: Qualified, Lead_Source: Partner}
    deal:
      {Deal_Name: Partner deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: 2027-01-31}
    assign_to: "4876876000000002002"
    carry_over_tags: {Contacts: all, Deals: all}
  - name: events
    when: {Lead_Status: Qualified, Lead_Source: {in: [Trade Show, Webinar]}}
  - name: named
    when: {Lead_Status: Qualified, Lead_Source: Web}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
"""


@pytest.fixture
def sweep(sweep_with):
    return lambda **options: sweep_with(RULES, **options)


def reconcile_by_hand(function_env, tmp_path, *options: str) -> subprocess.CompletedProcess[str]:
    """`python -m handlers reconcile OPTIONS` with RULES, as an admin runs it."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(textwrap.dedent(RULES))
    env = {**os.environ, **function_env, "RULES_FILE": str(rules), "RECONCILE_SINCE": DEPLOYED.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "handlers", "reconcile", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("in_counts_once", "calls_per_mass_lead"),
    [(True, 0.1), (False, 0.16)],
    ids=["zoho-counts-an-in-once", "zoho-counts-each-value"],
)
def test_one_sweep_converts_exactly_the_qualifying_leads_mostly_by_mass_convert(
    emulator, sweep, in_counts_once, calls_per_mass_lead
):
    """Whether COQL counts an `in (...)` as one criterion or one per value is not documented: the
    lookup of existing records takes 50 values a query, or 24 after Zoho refuses 50 once."""
    emulator.faults.coql_in_counts_once = in_counts_once
    partners = add_leads(emulator, 200, "Partner")
    events = add_leads(emulator, 100, "Trade Show", owner=SAM) + add_leads(
        emulator, 100, "Webinar", owner=RIYA
    )
    named = add_leads(emulator, 100, "Web")
    not_qualified = add_leads(emulator, 200, "Partner", status="Contacted")
    earlier = add_leads(emulator, 50, "Earlier", Lead_Source="Partner", Company="Earlier")
    for lead in earlier:
        emulator.crm.convert(lead)
    emulator.clear_journal()

    summary = sweep()

    assert summary["scanned"] == 500
    assert summary["matched"] == 500
    assert summary["converted"] == 500
    assert summary["failed"] == []
    assert summary["remaining"] == 0
    assert converted(emulator, partners + events + named) == partners + events + named
    assert converted(emulator, not_qualified) == []
    assert all(emulator.crm.conversions(lead) == 1 for lead in earlier + partners + events + named)
    singles = {entry.path.split("/")[4] for entry in emulator.requests("POST", CONVERT)}
    assert singles == set(named)
    mass_ids = [lead for entry in emulator.requests("POST", MASS_CONVERT) for lead in entry.json["ids"]]
    assert sorted(mass_ids) == sorted(partners + events)
    assert summary["mass_convert_jobs"] == 8  # 200 partners in 4 jobs; events by owner: 2 + 2 jobs
    assert {emulator.crm.deals[d]["Deal_Name"] for d in emulator.crm.deals} >= {"Partner deal"}
    assert summary["api_calls"] == len(emulator.requests(None, r"^/crm/"))  # the org check included
    api_calls = sweep_calls(emulator)
    mass_path_calls = [entry for entry in api_calls if not entry.path.endswith("/actions/convert")]
    mass_path_calls = [entry for entry in mass_path_calls if not _single_lead_read(entry.path)]
    mass_path_calls = [entry for entry in mass_path_calls if not entry.path.endswith("/__conversion_options")]
    assert len(mass_path_calls) / 400 <= calls_per_mass_lead
    assert summary["api_calls"] < 3 * 100 + 60


def lead_queries(emulator) -> list[str]:
    """The sweep's COQL queries of leads (not its lookups of existing records)."""
    queries = [entry.json["select_query"] for entry in emulator.requests("POST", COQL)]
    return [query for query in queries if " from Leads " in query]


def sweep_calls(emulator, method: str | None = None) -> list:
    """The CRM API calls of the sweep itself: the journal without the org check's metadata reads."""
    return [entry for entry in emulator.requests(method, r"^/crm/") if not re.match(ORG_CHECK, entry.path)]


def _single_lead_read(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 5 and parts[3] == "Leads" and parts[4].isdigit()


def test_mass_convert_keeps_each_leads_tags_and_the_rules_owner(emulator, sweep):
    partners = add_leads(emulator, 3, "Partner", owner=RIYA)

    sweep()

    (job,) = emulator.requests("POST", MASS_CONVERT)
    assert job.json["assign_to"] == {"id": SAM}
    assert [module["api_name"] for module in job.json["carry_over_tags"]] == ["Contacts", "Deals"]
    assert all(module["id"] for module in job.json["carry_over_tags"])
    for lead in partners:
        deal = emulator.crm.deals[emulator.crm.lead(lead)["Converted_Deal"]["id"]]
        assert deal["Owner"]["id"] == SAM
        assert [tag["name"] for tag in deal["Tag"]] == ["Imported"]


def test_a_second_sweep_converts_nothing_and_only_queries(emulator, sweep):
    add_leads(emulator, 20, "Partner")
    add_leads(emulator, 5, "Web")
    sweep()
    emulator.clear_journal()

    summary = sweep()

    assert (summary["scanned"], summary["converted"], summary["mass_convert_jobs"]) == (0, 0, 0)
    assert [entry.path for entry in sweep_calls(emulator)] == ["/crm/v8/coql"]


def test_leads_modified_inside_the_grace_window_are_left_to_their_webhook(emulator, sweep):
    old = add_leads(emulator, 2, "Web")
    fresh = emulator.crm.add_lead(
        Last_Name="Fresh", Company="Fresh", Lead_Status="Qualified", Lead_Source="Web"
    )

    summary = sweep()

    assert summary["converted"] == 2
    assert converted(emulator, [*old, fresh]) == old
    (query,) = lead_queries(emulator)
    assert "Modified_Time <" in query


def test_since_limits_the_sweep_to_recently_modified_leads(emulator, sweep):
    add_leads(emulator, 2, "Web")

    summary = sweep(since=(AN_HOUR_AGO + dt.timedelta(minutes=1)).isoformat())

    assert summary["scanned"] == 0


def test_leads_a_mass_convert_job_leaves_are_retried_singly_with_their_own_reason(
    emulator, sweep_with, monkeypatch
):
    monkeypatch.setenv("FAILURE_NOTE", "false")
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    emulator.crm.add_contact(Last_Name="Existing", Email="someone@else.example", Phone="+1 555 0199")
    fine = add_leads(emulator, 3, "Partner")
    flaky = add_leads(emulator, 1, "Partner")[0]
    duplicate = add_leads(emulator, 1, "Partner", Phone="+1 555 0199", Email="dup@example.com")[0]
    emulator.faults.mass_convert_fail_ids = {flaky}

    summary = sweep_with("defaults: {existing_records: create}\n" + textwrap.dedent(RULES))

    assert summary["converted"] == 4
    assert converted(emulator, [*fine, flaky, duplicate]) == [*fine, flaky]
    (failure,) = summary["failed"]
    assert failure["lead_id"] == duplicate
    assert failure["rule"] == "partners"
    assert failure["reason"].startswith("DUPLICATE_DATA")
    retried = {entry.path.split("/")[4] for entry in emulator.requests("POST", CONVERT)}
    assert retried == {flaky, duplicate}


def test_the_time_budget_stops_cleanly_and_the_next_sweep_finishes(emulator, sweep, monkeypatch):
    leads = add_leads(emulator, 40, "Web")
    emulator.faults.latency = 0.05
    monkeypatch.setenv("RECONCILE_MAX_SECONDS", "0.5")
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "0.1")  # so a lead's worst case (two calls) fits 0.5 s

    first = sweep()

    assert first["remaining"] > 0
    assert first["converted"] + first["remaining"] == 40
    assert len(converted(emulator, leads)) == first["converted"]
    monkeypatch.setenv("RECONCILE_MAX_SECONDS", "60")
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "3")  # a loaded machine must not fail a lead of the next run
    emulator.faults.latency = 0

    second = sweep()

    assert second["converted"] == first["remaining"]
    assert second["remaining"] == 0
    assert all(emulator.crm.conversions(lead) == 1 for lead in leads)


def test_limit_caps_the_conversions_of_one_run(emulator, sweep):
    add_leads(emulator, 10, "Web")

    summary = sweep(limit=4)

    assert (summary["matched"], summary["converted"], summary["remaining"]) == (10, 4, 6)


def test_a_dry_run_changes_nothing(emulator, sweep):
    leads = add_leads(emulator, 60, "Partner") + add_leads(emulator, 3, "Web")
    before = {lead: emulator.crm.lead(lead) for lead in leads}

    summary = sweep(dry_run=True)

    assert summary["dry_run"] is True
    assert summary["matched"] == 63
    assert summary["converted"] == 0
    assert summary["planned"] == {"mass_convert_jobs": 2, "mass_convert_leads": 60, "single_convert_leads": 3}
    assert {lead: emulator.crm.lead(lead) for lead in leads} == before
    # the query, the lookups of the 60 leads Mass Convert could take (50 emails refused as too many
    # criteria, then 24 a query: 3 for emails, 3 for companies) and one page of the failure notes
    # (for the backoff): nothing written
    calls = sorted((entry.method, entry.path) for entry in sweep_calls(emulator))
    assert calls == [("GET", "/crm/v8/Notes")] + [("POST", "/crm/v8/coql")] * 8
    assert len(lead_queries(emulator)) == 1
    assert {entry.method for entry in emulator.requests(path=ORG_CHECK)} == {"GET"}
    assert emulator.crm.deals == {}


def test_the_summary_is_one_log_line(emulator, sweep, log_lines):
    add_leads(emulator, 3, "Web")

    sweep()

    (line,) = [line for line in log_lines() if line.get("outcome") == "reconciled"]
    assert line["severity"] == "INFO"
    assert line["converted"] == 3
    assert line["message"].startswith("reconcile summary: 3 qualifying of 3 scanned, 3 converted")


def test_the_cli_sweeps_by_hand_with_plain_progress_lines_off_a_terminal(
    emulator, function_env, users, tmp_path
):
    add_leads(emulator, 5, "Web")

    done = reconcile_by_hand(function_env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["converted"] == 5
    assert done.stderr.splitlines()[-1] == "5/5 leads, 5 converted, 0 failed"


# --- Zoho's COQL at any size --------------------------------------------------------------------


def queries_sent(emulator) -> list[str]:
    return [entry.json["select_query"] for entry in emulator.requests("POST", COQL)]


def test_thirty_rules_of_three_conditions_convert_every_qualifying_lead_once(emulator, sweep_with):
    rules = "rules:\n" + "".join(
        f"  - {{name: r{n}, when: {{Lead_Status: Qualified, Lead_Source: S{n}, Industry: I{n}}}}}\n"
        for n in range(30)
    )
    wanted = [lead for n in range(30) for lead in add_leads(emulator, 2, f"S{n}", Industry=f"I{n}")]
    decoys = add_leads(emulator, 5, "S1", Industry="I2") + add_leads(
        emulator, 5, "S3", status="New", Industry="I3"
    )

    summary = sweep_with(rules)

    assert summary["complete"] is True
    assert summary["converted"] == 60
    assert summary["failed"] == []
    assert converted(emulator, wanted + decoys) == wanted
    assert all(emulator.crm.conversions(lead) == 1 for lead in wanted)
    assert len(queries_sent(emulator)) > 1  # 90 criteria cannot go into one query


def test_a_rule_with_sixty_values_in_one_in_converts_leads_of_every_value(emulator, sweep_with):
    values = [f"Campaign {n}" for n in range(60)]
    rules = f"rules: [{{name: campaigns, when: {{Lead_Status: Qualified, Lead_Source: {{in: {values}}}}}}}]"
    wanted = [lead for n in (0, 24, 49, 59) for lead in add_leads(emulator, 1, f"Campaign {n}")]
    decoy = add_leads(emulator, 1, "Campaign 60")

    summary = sweep_with(rules)

    assert summary["converted"] == 4
    assert converted(emulator, wanted + decoy) == wanted
    assert all(query.count("'Campaign") <= 22 for query in queries_sent(emulator))


def test_values_with_quotes_or_backslashes_are_matched_locally_and_convert(emulator, sweep_with):
    rules = r"""
    rules:
      - {name: irish, when: {Lead_Status: Qualified, Company: "O'Brien & Sons"}}
      - {name: windows, when: {Lead_Status: Qualified, Lead_Source: 'Share\Drive'}}
    """
    irish = add_leads(emulator, 2, "Web", Company="O'Brien & Sons")
    share = add_leads(emulator, 1, "Share\\Drive")
    others = add_leads(emulator, 3, "Web")

    summary = sweep_with(rules)

    assert summary["converted"] == 3
    assert converted(emulator, irish + share + others) == irish + share
    assert all("O'Brien" not in query and "\\" not in query for query in queries_sent(emulator))


def test_leads_sharing_one_modified_time_past_the_offset_ceiling_convert_exactly_once(emulator, sweep_with):
    emulator.faults.coql_offset_ceiling = 5000
    same_moment = AN_HOUR_AGO.replace(microsecond=0)
    leads = [
        emulator.crm.add_lead(
            Last_Name=f"Same {n}",
            Lead_Status="Qualified",
            Lead_Source="Web",
            Owner=SAM,
            Modified_Time=same_moment,
        )
        for n in range(6500)
    ]

    summary = sweep_with("rules: [{name: q, when: {Lead_Status: Qualified}}]")

    assert summary["complete"] is True
    assert summary["converted"] == 6500
    assert summary["pages"] == 4
    assert emulator.crm.counts()["converted_leads"] == 6500
    assert {emulator.crm.conversions(lead) for lead in leads} == {1}
    assert all("offset" not in query.lower() for query in queries_sent(emulator))


def test_api_versions_before_v7_read_pages_of_200(emulator, sweep_with, monkeypatch):
    monkeypatch.setenv("ZOHO_API_VERSION", "v6")
    add_leads(emulator, 450, "Partner")

    summary = sweep_with(RULES)

    assert summary["converted"] == 450
    assert summary["pages"] == 3
    assert all(query.endswith("limit 200") for query in queries_sent(emulator))


def test_a_version_without_mass_convert_converts_singly(emulator, sweep_with, monkeypatch):
    monkeypatch.setenv("ZOHO_API_VERSION", "v3")
    partners = add_leads(emulator, 4, "Partner")

    summary = sweep_with(RULES)

    assert summary["converted"] == 4
    assert converted(emulator, partners) == partners
    assert emulator.requests(path=r"/mass_convert") == []
    assert len(emulator.requests("POST", CONVERT)) == 4


def test_a_single_convert_is_built_from_the_page_without_reading_the_lead_again(emulator, sweep):
    named = add_leads(emulator, 3, "Web")

    summary = sweep()

    assert summary["converted"] == 3
    assert [entry.path for entry in emulator.requests("GET", r"^/crm/v8/Leads/\d+$")] == []
    deals = {
        emulator.crm.deals[emulator.crm.lead(lead)["Converted_Deal"]["id"]]["Deal_Name"] for lead in named
    }
    assert deals == {f"Web Company {n}" for n in range(3)}


# --- the safety window ------------------------------------------------------------------------


def test_the_first_scheduled_run_converts_nothing_older_than_reconcile_since(emulator, sweep):
    before_deploy = add_leads(emulator, 3, "Web", Modified_Time=DEPLOYED - dt.timedelta(days=30))
    at_deploy = add_leads(emulator, 1, "Web", Modified_Time=DEPLOYED)
    after_deploy = add_leads(emulator, 2, "Web")

    summary = sweep()

    assert summary["converted"] == 3
    assert converted(emulator, before_deploy + at_deploy + after_deploy) == at_deploy + after_deploy
    assert summary["since"] == DEPLOYED.isoformat()


def test_an_older_since_converts_the_backlog_on_purpose(emulator, sweep):
    backlog = add_leads(emulator, 3, "Web", Modified_Time=DEPLOYED - dt.timedelta(days=30))

    plan = sweep(since="2000-01-01T00:00:00Z", dry_run=True)
    done = sweep(since="2000-01-01T00:00:00Z")

    assert plan["plan_total"] == 3
    assert done["converted"] == 3
    assert converted(emulator, backlog) == backlog


def test_without_reconcile_since_the_sweep_converts_nothing_and_says_how_to_set_it(
    serve, emulator, monkeypatch, users, log_lines
):
    add_leads(emulator, 3, "Web")
    monkeypatch.delenv("RECONCILE_SINCE", raising=False)

    response = serve("reconcile").post("/", json={})

    answer = response.get_json()
    assert response.status_code == 200
    assert (answer["converted"], answer["stopped_by"], answer["complete"]) == (0, "no_window", False)
    assert "RECONCILE_SINCE is not set" in answer["stopped"]
    assert "--since" in answer["stopped"]
    assert emulator.requests(path=r"^/crm/") == []
    (line,) = [line for line in log_lines() if line.get("outcome") == "reconciled"]
    assert line["severity"] == "WARNING"
    assert "RECONCILE_SINCE is not set" in line["message"]


# --- working as pages arrive --------------------------------------------------------------------


def test_an_error_on_a_later_page_ends_with_the_summary_of_what_was_done(emulator, sweep, log_lines):
    leads = add_leads(emulator, 2500, "Partner")
    emulator.faults.fail_next(50, status=500, path=COQL, after=1)

    first = sweep()

    assert first["complete"] is False
    assert first["stopped_by"] == "error"
    assert first["converted"] == 2000
    assert len(converted(emulator, leads)) == 2000
    (line,) = [line for line in log_lines() if line.get("outcome") == "reconciled"]
    assert line["severity"] == "ERROR"
    emulator.faults.clear()

    second = sweep()

    assert (second["complete"], second["converted"]) == (True, 500)
    assert converted(emulator, leads) == leads


# --- the dry run's plan -----------------------------------------------------------------------


def test_a_dry_run_lists_every_lead_it_would_convert_and_how(emulator, sweep):
    partners = add_leads(emulator, 3, "Partner")
    named = add_leads(emulator, 2, "Web")

    summary = sweep(dry_run=True)

    assert summary["plan_total"] == 5
    by_lead = {entry["lead_id"]: entry for entry in summary["plan"]}
    assert {lead: (by_lead[lead]["rule"], by_lead[lead]["how"]) for lead in partners} == {
        lead: ("partners", "mass") for lead in partners
    }
    assert {by_lead[lead]["job"] for lead in partners} == {1}
    assert {lead: (by_lead[lead]["how"], by_lead[lead]["job"]) for lead in named} == {
        lead: ("single", None) for lead in named
    }
    assert converted(emulator, partners + named) == []


def test_the_cli_dry_run_prints_a_table_and_writes_every_lead_to_csv(emulator, function_env, users, tmp_path):
    partners = add_leads(emulator, 60, "Partner")
    plan_csv = tmp_path / "plan.csv"

    done = reconcile_by_hand(function_env, tmp_path, "--dry-run", "--csv", str(plan_csv))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["plan_total"] == 60
    table = done.stderr.splitlines()
    header = next(line for line in table if line.startswith("lead id"))
    assert header.split() == ["lead", "id", "rule", "how", "job"]
    assert any(line.startswith(partners[0]) and "partners" in line and "mass" in line for line in table)
    assert "... and 10 more (60 in all; --csv FILE writes every one)" in table
    rows = plan_csv.read_text().splitlines()
    assert rows[0] == "lead_id,rule,how,job"
    assert sorted(row.split(",")[0] for row in rows[1:]) == sorted(partners)
    assert {row.split(",", 1)[1] for row in rows[1:]} == {"partners,mass,1", "partners,mass,2"}


def test_a_bug_in_the_sweep_still_answers_its_summary_with_one_error_line(
    serve, emulator, monkeypatch, users, log_lines
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the sweep")

    monkeypatch.setattr("handlers.sweep.run.queries_for", broken)  # fault injection, not a fake Zoho
    monkeypatch.setenv("RECONCILE_SINCE", DEPLOYED.isoformat())

    response = serve("reconcile").post("/", json={})

    assert (response.status_code, response.mimetype) == (200, "application/json")
    summary = response.get_json()
    assert (summary["complete"], summary["stopped_by"]) == (False, "error")
    assert summary["stopped"] == "internal error (RuntimeError)"
    assert "Traceback" not in response.get_data(as_text=True)
    (line,) = log_lines()
    assert line["severity"] == "ERROR"


def test_a_status_poll_that_keeps_failing_is_tried_again_in_the_next_round(emulator, sweep, monkeypatch):
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "0.05")  # so the poll gives up (ZohoUnavailable) at once
    partners = add_leads(emulator, 4, "Partner")
    emulator.faults.fail_next(3, status=503, path=MASS_CONVERT, method="GET")

    summary = sweep()

    assert (summary["complete"], summary["converted"]) == (True, 4)
    assert converted(emulator, partners) == partners
    assert [entry.status for entry in emulator.requests("GET", MASS_CONVERT)][:3] == [503, 503, 503]


@pytest.fixture
def instance(serve, monkeypatch, tmp_path, users):
    """One reconcile instance with RULES, started now; each POST is a sweep."""
    monkeypatch.setenv("RECONCILE_SINCE", DEPLOYED.isoformat())
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(RULES))
    monkeypatch.setenv("RULES_FILE", str(path))
    return serve("reconcile")


def test_a_stage_removed_after_the_start_is_a_rules_problem_in_the_summary(instance, emulator, log_lines):
    emulator.crm.edit_pipelines(lambda book: book.remove_stage("Standard (Standard)", "Qualification"))

    summary = instance.post("/", json={"dry_run": True}).get_json()

    problems = [problem for problem in summary["rules_problems"] if "deal.Stage" in problem]
    assert problems
    assert all("'Qualification' is not a stage of pipeline 'Standard (Standard)'" in p for p in problems)
    line = log_lines()[-1]
    assert line["severity"] == "ERROR"  # the alert on sweep errors fires
    assert "rules problem" in line["message"]
    assert line["rules_problems"] == summary["rules_problems"]


def test_the_org_is_checked_once_an_hour_per_instance_not_every_sweep(instance, emulator):
    first = instance.post("/", json={}).get_json()
    second = instance.post("/", json={}).get_json()

    assert first["rules_problems"] == second["rules_problems"] == []
    assert len(emulator.requests("GET", r"/settings/fields$")) == 2  # Leads and Deals, once


MATCHING = """
rules:
  - name: web
    when: {Lead_Status: Qualified, Lead_Source: Web}
    deal: {Deal_Name: Web deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
    assign_to: "4876876000000002002"
"""


def convert_bodies(emulator) -> dict[str, dict]:
    """The single Convert requests Zoho received, by lead id."""
    return {entry.path.split("/")[-3]: entry.json["data"][0] for entry in emulator.requests("POST", CONVERT)}


def test_returning_customers_convert_singly_into_their_records_and_new_leads_by_mass_convert(
    emulator, sweep_with
):
    new = add_leads(emulator, 5, "Web")
    account = emulator.crm.add_account(Account_Name="Acme")
    contact = emulator.crm.add_contact(Last_Name="Doe", Email="jane@acme.example", Account_Name=account)
    (returning,) = add_leads(emulator, 1, "Web", Email="jane@acme.example", Company="Acme")
    (colleague,) = add_leads(emulator, 1, "Web", Email="new.hire@acme.example", Company="ACME")
    emulator.clear_journal()

    summary = sweep_with(MATCHING)

    assert (summary["converted"], summary["failed"], summary["setup_problems"]) == (7, [], [])
    (job,) = emulator.requests("POST", MASS_CONVERT)
    assert sorted(job.json["ids"]) == sorted(new)
    singles = convert_bodies(emulator)
    assert set(singles) == {returning, colleague}
    assert (singles[returning]["Contacts"], singles[returning]["Accounts"]) == (
        {"id": contact},
        {"id": account},
    )
    assert singles[colleague]["Accounts"] == {"id": account}
    assert "Contacts" not in singles[colleague]
    assert [a["Account_Name"] for a in emulator.crm.accounts.values()].count("Acme") == 1
    lookups = [
        e.json["select_query"]
        for e in emulator.requests("POST", COQL)
        if " from Leads " not in e.json["select_query"]
    ]
    assert [query.split(" from ")[1].split(" ")[0] for query in lookups] == ["Contacts", "Accounts"]


def test_a_held_lead_is_noted_once_and_waits_for_its_backoff(emulator, sweep_with):
    emulator.crm.add_account(Account_Name="Acme")
    emulator.crm.add_account(Account_Name="Acme")
    (lead,) = add_leads(emulator, 1, "Web", Company="Acme")

    first = sweep_with(MATCHING)
    emulator.clear_journal()
    second = sweep_with(MATCHING)

    assert (first["held"], first["converted"]) == (1, 0)
    assert (second["held"], second["retry_later"]) == (0, 1)
    (note,) = emulator.crm.notes_of("Leads", lead)
    assert note["Note_Title"] == "Automatic conversion held"
    assert not emulator.requests("GET", r"/__conversion_options$")
    assert not emulator.crm.lead(lead)["Converted__s"]


def test_a_dry_run_plans_looked_up_leads_singly_naming_their_matches(emulator, sweep_with):
    account = emulator.crm.add_account(Account_Name="Acme")
    (lead,) = add_leads(emulator, 1, "Web", Company="Acme", Email="jane@acme.example")
    add_leads(emulator, 2, "Web")

    summary = sweep_with(MATCHING, dry_run=True)

    planned = {entry["lead_id"]: entry for entry in summary["plan"]}
    assert planned[lead]["how"] == "single"
    assert planned[lead]["matched"] == {"Accounts": [account]}
    assert summary["planned"] == {"mass_convert_jobs": 1, "mass_convert_leads": 2, "single_convert_leads": 1}


def test_leads_of_one_new_company_in_one_sweep_make_one_account(emulator, sweep_with):
    colleagues = add_leads(emulator, 3, "Web", Company="NewCo")
    others = add_leads(emulator, 3, "Web")

    summary = sweep_with(MATCHING)

    assert (summary["converted"], summary["failed"]) == (6, [])
    (account,) = [a["id"] for a in emulator.crm.accounts.values() if a["Account_Name"] == "NewCo"]
    assert {emulator.crm.lead(lead)["Converted_Account"]["id"] for lead in colleagues} == {account}
    assert len(converted(emulator, others)) == 3


def test_a_lead_the_lookup_finds_nothing_for_reads_no_conversion_options_unless_zoho_refuses_a_duplicate(
    emulator, sweep_with
):
    emulator.crm.unique_fields["Contacts"] = ["Phone"]
    roe = emulator.crm.add_contact(Last_Name="Roe", Email="roe@old.example", Phone="555-0100")
    (plain,) = add_leads(emulator, 1, "Web")
    (unique,) = add_leads(emulator, 1, "Web", Email="roe@new.example", Company="Roe Ltd", Phone="555-0100")
    emulator.clear_journal()

    summary = sweep_with(RULES)  # `named`: single Convert only (a deal named after each company)

    assert (summary["converted"], summary["failed"]) == (2, [])
    (options,) = emulator.requests("GET", r"/__conversion_options$")
    assert f"/Leads/{unique}/" in options.path
    assert emulator.crm.lead(unique)["Converted_Contact"]["id"] == roe
    assert [entry.status for entry in emulator.requests("POST", rf"/Leads/{unique}/actions/convert$")] == [
        400,
        200,
    ]
    assert len(emulator.requests("POST", rf"/Leads/{plain}/actions/convert$")) == 1


def test_paused_the_sweep_calls_nothing_in_zoho_and_says_so(emulator, sweep, monkeypatch):
    leads = add_leads(emulator, 3, "Partner")
    monkeypatch.setenv("CONVERSION_MODE", "paused")
    emulator.clear_journal()

    summary = sweep()

    assert (summary["paused"], summary["converted"], summary["scanned"]) == (True, 0, 0)
    assert emulator.journal == []
    assert converted(emulator, leads) == []


def test_in_the_dry_run_mode_the_sweep_plans_and_sends_no_convert(emulator, sweep, monkeypatch):
    leads = add_leads(emulator, 3, "Partner") + add_leads(emulator, 2, "Web")
    monkeypatch.setenv("CONVERSION_MODE", "dry_run")

    summary = sweep()

    assert (summary["dry_run"], summary["paused"], summary["plan_total"]) == (True, False, 5)
    assert not emulator.requests("POST", CONVERT)
    assert not emulator.requests("POST", MASS_CONVERT)
    assert converted(emulator, leads) == []


def test_a_refused_lookup_is_a_setup_problem_and_its_leads_still_convert_singly(emulator, sweep_with):
    """A token that may query Leads but not Contacts: the lookup is refused, said once, and each
    lead takes the webhook's path (its conversion options, then Convert)."""
    granted = set(emulator.granted_scopes())
    granted -= {"ZohoCRM.modules.ALL"}
    granted |= {
        "ZohoCRM.modules.CREATE",
        "ZohoCRM.modules.leads.READ",
        "ZohoCRM.modules.Leads.READ",
        "ZohoCRM.modules.notes.READ",
        "ZohoCRM.modules.notes.CREATE",
    }
    emulator.grant_scopes(sorted(granted))
    leads = add_leads(emulator, 3, "Web")

    summary = sweep_with(MATCHING)

    assert (summary["converted"], summary["failed"], summary["complete"]) == (3, [], True)
    (problem,) = summary["setup_problems"]
    assert problem.startswith("the lookup of existing contacts and accounts failed (Zoho refused")
    assert "(OAUTH_SCOPE_MISMATCH)" in problem
    assert len(emulator.requests("GET", r"/__conversion_options$")) == 3
    assert converted(emulator, leads) == leads
