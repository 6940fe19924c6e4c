"""The sweep never loses a lead and nothing stops it: rule forms COQL cannot answer, refused
queries, refused Mass Converts and status polls, setup refusals, a slow or broken org check, a
poison lead or a bug. Every run answers its summary, and the other leads convert."""

from __future__ import annotations

import json
import time

import pytest

import handlers.sweep.run
from tests.conftest import RIYA, SAM, add_leads, converted

MASS_CONVERT = r"/Leads/actions/mass_convert$"
COQL = r"/coql$"
CONVERT = r"/actions/convert$"
LEAD_READ = r"^/crm/v8/Leads/\d+$"
PARTNERS = """
rules:
  - name: partners
    when: {Lead_Status: Qualified, Lead_Source: Partner}
    deal: {Deal_Name: Partner deal, Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +30d}
    assign_to: "4876876000000002002"
  - name: web
    when: {Lead_Status: Qualified, Lead_Source: Web}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
"""


def queries(emulator) -> list[str]:
    """The sweep's queries of leads (not its lookups of existing contacts and accounts)."""
    return [query for _, query in lead_queries(emulator)]


def lead_queries(emulator) -> list[tuple[int, str]]:
    sent = [(entry.status, entry.json["select_query"]) for entry in emulator.requests("POST", COQL)]
    return [(status, query) for status, query in sent if " from Leads " in query]


# --- rule forms a COQL row cannot answer ----------------------------------------------------------


@pytest.mark.parametrize("condition", ["Owner: Sam Seller", "Owner.name: Sam Seller", "Tag: VIP"])
def test_a_rule_on_a_lookups_name_or_a_tag_converts_through_the_sweep(emulator, sweep_with, condition):
    wanted = add_leads(emulator, 3, "Web", Tag=["VIP"])  # Sam's, tagged VIP
    others = add_leads(emulator, 2, "Web", owner=RIYA)  # Riya's, tagged Imported

    summary = sweep_with(f"rules: [{{name: r, when: {{Lead_Status: Qualified, {condition}}}}}]")

    assert converted(emulator, wanted + others) == wanted
    assert (summary["converted"], summary["skipped"], summary["failed"]) == (3, 2, [])
    assert summary["rules_problems"] == []
    (query,) = queries(emulator)
    assert "Lead_Status = 'Qualified'" in query  # what COQL can carry still narrows the read
    assert "Sam Seller" not in query
    assert "Tag" not in query
    # The rows cannot tell: each lead is read in full once, as the webhook reads it.
    assert len(emulator.requests("GET", LEAD_READ)) == 5


def test_a_lookup_by_id_is_decided_from_the_row_without_reading_the_lead(emulator, sweep_with):
    wanted = add_leads(emulator, 3, "Web")
    others = add_leads(emulator, 2, "Web", owner=RIYA)

    summary = sweep_with(f"rules: [{{name: r, when: {{Lead_Status: Qualified, Owner: {SAM}}}}}]")

    assert converted(emulator, wanted + others) == wanted
    assert summary["converted"] == 3
    (query,) = queries(emulator)
    assert f"Owner = '{SAM}'" in query
    assert emulator.requests("GET", LEAD_READ) == []


def test_a_number_written_as_text_is_queried_bare_and_the_other_rules_convert_too(emulator, sweep_with):
    rich = add_leads(emulator, 2, "Trade Show", Annual_Revenue=2500000)
    poorer = add_leads(emulator, 1, "Trade Show", Annual_Revenue=10)
    web = add_leads(emulator, 2, "Web")

    summary = sweep_with(
        PARTNERS + '  - {name: rich, when: {Lead_Status: Qualified, Annual_Revenue: "2500000"}}\n'
    )

    assert converted(emulator, rich + poorer + web) == rich + web
    assert (summary["complete"], summary["rules_problems"]) == (True, [])
    assert all("Annual_Revenue = 2500000" in query for query in queries(emulator))
    assert [status for status, _ in lead_queries(emulator)] == [200]


# --- refused queries ------------------------------------------------------------------------------


def test_a_refused_query_gives_way_to_one_query_per_rule_then_the_window_alone(
    emulator, sweep_with, log_lines
):
    partners = add_leads(emulator, 3, "Partner")
    web = add_leads(emulator, 2, "Web")
    emulator.faults.fail_next(
        2, status=400, code="INVALID_QUERY", path=COQL
    )  # the packed one, then 'partners'

    summary = sweep_with(PARTNERS)

    assert converted(emulator, partners + web) == partners + web
    assert (summary["complete"], summary["converted"], summary["failed"]) == (True, 5, [])
    first, second = summary["rules_problems"]
    assert "rules 'partners', 'web': Zoho refused their COQL query (INVALID_QUERY" in first
    assert first.endswith("each rule is queried alone")
    assert "rule 'partners': Zoho refused the COQL query (INVALID_QUERY" in second
    assert second.endswith("their leads are read with the time window alone and matched locally")
    sent = queries(emulator)
    assert len(sent) == 4  # packed (refused), partners (refused), web, the window alone
    assert "Lead_Source" not in sent[3].split(" where ")[1]
    assert log_lines()[-1]["severity"] == "ERROR"  # the alert fires: someone has to look


def test_when_even_the_window_alone_is_refused_the_summary_says_so(emulator, sweep_with):
    add_leads(emulator, 2, "Web")
    emulator.faults.fail_next(3, status=400, code="INVALID_QUERY", path=COQL)

    summary = sweep_with("rules: [{name: web, when: {Lead_Status: Qualified, Lead_Source: Web}}]")

    assert (summary["complete"], summary["stopped_by"], summary["converted"]) == (False, "error", 0)
    assert summary["stopped"].startswith("Zoho refused every query of the leads: INVALID_QUERY")
    assert len(summary["rules_problems"]) == 2


def test_a_query_refused_for_the_tokens_scope_stops_the_run_as_a_setup_problem(emulator, sweep_with):
    add_leads(emulator, 2, "Web")
    emulator.faults.fail_next(1, status=401, code="OAUTH_SCOPE_MISMATCH", path=COQL)

    summary = sweep_with(PARTNERS)

    assert (summary["complete"], summary["stopped_by"]) == (False, "setup")
    assert "OAUTH_SCOPE_MISMATCH" in summary["stopped"]
    assert len(queries(emulator)) == 1  # no simpler query can help a token that may not query


def test_without_the_orgs_field_types_the_window_alone_is_read_and_every_lead_still_converts(
    emulator, sweep_with
):
    partners = add_leads(emulator, 2, "Partner")
    web = add_leads(emulator, 2, "Web")
    contacted = add_leads(emulator, 2, "Web", status="Contacted")
    emulator.faults.fail_next(1, status=500, path=r"/settings/fields$")  # the org check cannot read them
    emulator.faults.fail_next(30, status=500, path=r"/settings/fields$", after=1)

    summary = sweep_with(PARTNERS)

    assert converted(emulator, partners + web + contacted) == partners + web
    assert any(
        p.startswith("the rules could not be checked against the org") for p in summary["rules_problems"]
    )
    (query,) = queries(emulator)
    assert "Lead_Status" not in query.split(" where ")[1]


# --- refused Mass Converts ------------------------------------------------------------------------


def test_without_the_mass_convert_permission_every_lead_converts_singly_and_it_is_said_once(
    emulator, sweep_with, log_lines
):
    partners = add_leads(emulator, 60, "Partner")  # two batches
    emulator.revoke_permissions("Crm_Implied_Mass_Convert_Leads")

    summary = sweep_with(PARTNERS)

    assert converted(emulator, partners) == partners
    assert (summary["complete"], summary["converted"], summary["mass_convert_jobs"]) == (True, 60, 0)
    (problem,) = summary["setup_problems"]
    assert "Mass Convert (Leads) (Crm_Implied_Mass_Convert_Leads)" in problem
    assert problem.endswith("this run converted one lead per call instead (5 API credits a lead)")
    assert len(emulator.requests("POST", MASS_CONVERT)) == 1  # not tried again for the second batch
    assert len(emulator.requests("POST", CONVERT)) == 60
    line = log_lines()[-1]
    assert line["severity"] == "ERROR"
    assert "Crm_Implied_Mass_Convert_Leads" in line["message"]


def test_a_token_without_the_mass_convert_scope_converts_singly_and_names_that_scope(emulator, sweep_with):
    partners = add_leads(emulator, 3, "Partner")
    emulator.grant_scopes(
        [scope for scope in emulator.granted_scopes() if scope != "ZohoCRM.mass_convert.leads.CREATE"]
    )

    summary = sweep_with(PARTNERS)

    assert converted(emulator, partners) == partners
    (problem,) = summary["setup_problems"]
    assert problem.startswith(
        "Mass Convert refused: Zoho refused the access token's scope for the sweep's Mass Convert"
        " (OAUTH_SCOPE_MISMATCH): the token needs ZohoCRM.mass_convert.leads.CREATE;"
    )


def test_a_lead_deleted_before_its_mass_convert_leaves_the_others_converted(emulator, sweep_with):
    partners = add_leads(emulator, 4, "Partner")
    emulator.faults.delete_leads_before_next([partners[1]], path=MASS_CONVERT, method="POST")

    summary = sweep_with(PARTNERS)

    (submission,) = emulator.requests("POST", MASS_CONVERT)
    assert submission.status == 400  # INVALID_DATA on $.ids[1]: the whole batch is refused
    kept = [partners[0], *partners[2:]]
    assert converted(emulator, kept) == kept
    assert (summary["converted"], summary["skipped"], summary["failed"]) == (3, 1, [])
    assert summary["setup_problems"] == []


@pytest.mark.parametrize(
    ("status", "code"), [(400, "INVALID_DATA"), (403, "NO_PERMISSION"), (400, "REQUIRED_PARAM_MISSING")]
)
def test_a_refused_status_poll_settles_the_job_by_reading_its_leads(emulator, sweep_with, status, code):
    partners = add_leads(emulator, 4, "Partner")
    emulator.faults.mass_convert_seconds = 0.05
    emulator.faults.fail_next(1, status=status, code=code, path=MASS_CONVERT, method="GET")

    summary = sweep_with(PARTNERS)

    assert converted(emulator, partners) == partners
    assert (summary["complete"], summary["converted"] + summary["already_converted"]) == (True, 4)
    assert summary["failed"] == []
    assert all(emulator.crm.conversions(lead) == 1 for lead in partners)


# --- setup refusals -------------------------------------------------------------------------------


def test_without_the_convert_permission_the_sweep_stops_at_the_first_lead_and_notes_nothing(
    emulator, sweep_with, monkeypatch
):
    monkeypatch.setenv("RECONCILE_CONCURRENCY", "1")
    web = add_leads(emulator, 5, "Web")
    emulator.revoke_permissions("Crm_Implied_Convert_Leads")

    summary = sweep_with(PARTNERS)

    assert converted(emulator, web) == []
    assert len(emulator.requests("POST", CONVERT)) == 1
    assert (summary["complete"], summary["stopped_by"], summary["remaining"]) == (False, "setup", 4)
    (failed,) = summary["failed"]
    assert failed["outcome"] == "misconfigured"
    assert "lacks the permission Convert (Leads) (Crm_Implied_Convert_Leads)" in failed["reason"]
    assert summary["setup_problems"] == [failed["reason"]]
    assert emulator.crm.notes == {}


# --- the org check: bounded and advisory ----------------------------------------------------------


def test_a_slow_org_check_keeps_its_share_of_the_time_budget(emulator, sweep_with, monkeypatch):
    monkeypatch.setenv("RECONCILE_MAX_SECONDS", "8")  # the org check's share: 1 s
    web = add_leads(emulator, 2, "Web")
    emulator.faults.hang_next(10, seconds=6, path=r"/settings/")

    started = time.monotonic()
    summary = sweep_with(PARTNERS)
    elapsed = time.monotonic() - started

    assert converted(emulator, web) == web
    assert elapsed < 8
    assert summary["duration_ms"] < 8000
    assert summary["duration_ms"] >= 1000  # the org check's second is counted
    (problem,) = summary["rules_problems"]
    assert problem.startswith("the rules could not be checked against the org:")


def test_users_that_never_end_are_a_rules_problem_not_an_endless_sweep(emulator, sweep_with):
    web = add_leads(emulator, 2, "Web")
    for page in range(60):  # every page new, and every page says more follow
        users = [
            {"id": str(4876876000000500000 + page * 200 + n), "full_name": "U", "status": "active"}
            for n in range(200)
        ]
        body = {"users": users, "info": {"more_records": True}}
        emulator.faults.malformed_next(1, body=json.dumps(body).encode(), path=r"^/crm/v8/users$")

    summary = sweep_with(PARTNERS)

    assert converted(emulator, web) == web
    assert len(emulator.requests("GET", r"^/crm/v8/users$")) == 50
    (problem,) = summary["rules_problems"]
    assert "the users list could not be read completely" in problem


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            r"/settings/fields$",
            {"fields": [{"api_name": "Lead_Status", "data_type": "picklist", "pick_list_values": 7}]},
        ),
        (
            r"/settings/layouts$",
            {"layouts": [{"id": "1", "status": "active", "convert_mapping": 7, "sections": 7}]},
        ),
        (r"/settings/fields$", {"fields": 7}),
    ],
)
def test_malformed_metadata_is_a_rules_problem_and_the_leads_convert(emulator, sweep_with, path, body):
    web = add_leads(emulator, 2, "Web")
    emulator.faults.malformed_next(1, body=json.dumps(body).encode(), path=path)

    summary = sweep_with(PARTNERS)

    assert converted(emulator, web) == web
    assert summary["complete"] is True
    assert any(
        p.startswith("the rules could not be checked against the org") for p in summary["rules_problems"]
    )


# --- poison leads and bugs ------------------------------------------------------------------------


def test_a_lead_with_a_400_digit_number_is_decided_and_the_others_convert(emulator, sweep_with):
    huge = add_leads(emulator, 1, "Trade Show", Annual_Revenue=10**400)
    small = add_leads(emulator, 1, "Trade Show", Annual_Revenue=5)
    web = add_leads(emulator, 2, "Web")

    summary = sweep_with(
        PARTNERS + "  - {name: rich, when: {Lead_Status: Qualified, Annual_Revenue: {gte: 1000}}}\n"
    )

    assert converted(emulator, huge + small + web) == huge + web
    assert (summary["complete"], summary["failed"]) == (True, [])


def test_an_unreadable_answer_for_one_lead_fails_that_lead_only(emulator, sweep_with):
    tagged = add_leads(emulator, 3, "Web", Tag=["VIP"])  # a tag rule reads every lead in full
    emulator.faults.malformed_next(1, body=b"[" * 100_000, path=LEAD_READ)

    summary = sweep_with("rules: [{name: vip, when: {Lead_Status: Qualified, Tag: VIP}}]")

    (failed,) = summary["failed"]
    assert failed["lead_id"] in tagged
    assert "nested deeper than" in failed["reason"]
    assert len(converted(emulator, tagged)) == 2
    assert summary["complete"] is True


def test_a_bug_deciding_one_lead_fails_that_lead_and_the_run_goes_on(
    emulator, sweep_with, monkeypatch, log_lines
):
    web = add_leads(emulator, 3, "Web")
    real = handlers.sweep.run.decide_partly

    def buggy(rules, row, answers):
        if row["id"] == web[1]:
            raise ValueError("a bug that only this lead's data reaches")
        return real(rules, row, answers)

    monkeypatch.setattr(handlers.sweep.run, "decide_partly", buggy)  # fault injection, not a fake Zoho

    summary = sweep_with(PARTNERS)

    assert converted(emulator, web) == [web[0], web[2]]
    assert summary["failed"] == [
        {"lead_id": web[1], "rule": None, "outcome": "error", "reason": "internal error (ValueError)"}
    ]
    assert summary["complete"] is True
    assert "Traceback" not in json.dumps(summary)
    assert log_lines()[-1]["severity"] == "ERROR"


# --- wait states ----------------------------------------------------------------------------------


def test_a_locked_lead_is_deferred_by_the_sweep_and_converts_on_a_later_run(emulator, sweep_with, log_lines):
    partners = add_leads(emulator, 3, "Partner")  # a Mass Convert batch
    web = add_leads(emulator, 2, "Web")  # singles
    locked = [partners[0], web[0]]
    for lead in locked:
        emulator.crm.set_lead_state(lead, locked=True)

    first = sweep_with(PARTNERS)

    assert (first["converted"], first["deferred"], first["failed"]) == (3, 2, [])
    assert converted(emulator, partners + web) == [partners[1], partners[2], web[1]]
    assert emulator.crm.notes == {}
    line = log_lines()[-1]
    assert "2 waiting (approval, review, lock or merge)" in line["message"]
    assert line["severity"] == "INFO"  # nothing failed: no alert

    for lead in locked:
        emulator.crm.set_lead_state(lead, locked=False)
    second = sweep_with(PARTNERS)

    assert (second["converted"], second["deferred"]) == (2, 0)
    assert converted(emulator, partners + web) == partners + web


# --- stuck leads: backoff -------------------------------------------------------------------------

STUCK = """
rules:
  - name: stuck
    when: {Lead_Status: Qualified, Lead_Source: Partner}
    deal: {Deal_Name: Partner deal, Stage: No Such Stage, Pipeline: Standard (Standard), Closing_Date: +30d}
"""


def converts_sent(emulator) -> int:
    return len(emulator.requests("POST", CONVERT))


def test_stuck_leads_are_tried_once_then_wait_for_their_backoff_across_fresh_instances(emulator, sweep_with):
    stuck = add_leads(emulator, 20, "Partner")

    first = sweep_with(STUCK)
    assert (len(first["failed"]), converts_sent(emulator)) == (20, 20)
    assert all("\nAttempts: 1\n" in note["Note_Content"] for note in emulator.crm.notes.values())

    for _ in range(4):  # four more sweeps, each a fresh instance (sweep_with serves a new one)
        emulator.clear_journal()
        later = sweep_with(STUCK)
        assert (later["retry_later"], later["failed"], converts_sent(emulator)) == (20, [], 0)
        assert len(emulator.requests("GET", r"^/crm/v8/Notes$")) == 1  # one page for all twenty

    assert len(emulator.crm.notes) == 20  # one note each, never a second
    assert converted(emulator, stuck) == []


def test_a_changed_rules_file_or_retry_failed_tries_stuck_leads_at_once(emulator, sweep_with):
    add_leads(emulator, 5, "Partner")
    sweep_with(STUCK)

    emulator.clear_journal()
    changed = sweep_with(STUCK + "# a comment is a change too\n")
    assert (changed["retry_later"], len(changed["failed"]), converts_sent(emulator)) == (0, 5, 5)
    assert all("\nAttempts: 2\n" in note["Note_Content"] for note in emulator.crm.notes.values())
    # the sweep's one read of recent notes found each lead's note: no read of a lead's own notes
    assert emulator.requests("GET", r"^/crm/v8/Leads/\d+/Notes$") == []

    emulator.clear_journal()
    asked = sweep_with(STUCK + "# a comment is a change too\n", retry_failed=True)
    assert (asked["retry_later"], converts_sent(emulator)) == (0, 5)

    emulator.clear_journal()
    waited = sweep_with(STUCK + "# a comment is a change too\n")
    assert (waited["retry_later"], converts_sent(emulator)) == (5, 0)


def test_a_stuck_lead_edited_since_its_last_attempt_is_tried_at_once(emulator, sweep_with, monkeypatch):
    monkeypatch.setenv("RECONCILE_GRACE_MINUTES", "0")  # the edit is seconds old
    edited, _ = add_leads(emulator, 2, "Partner")
    sweep_with(STUCK)
    time.sleep(1.1)  # Zoho's times count whole seconds: the edit comes after the attempt
    emulator.crm.update_lead(edited, Description="fixed by sales ops")  # Modified_Time: now
    time.sleep(1.1)  # and the sweep's window ends after it

    emulator.clear_journal()
    summary = sweep_with(STUCK)

    assert summary["retry_later"] == 1
    assert [entry.path.split("/")[4] for entry in emulator.requests("POST", CONVERT)] == [edited]
