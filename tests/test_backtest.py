"""The backtest (handlers/checks/backtest.py): what a rules file decides for the leads of a
window, and what changes from another file, read from the emulator and never written to it."""

from __future__ import annotations

import datetime as dt
import functools
import json
import textwrap
from pathlib import Path

import pytest

from handlers.checks.backtest import NO_RULE, Backtest, BacktestRun
from handlers.engine.lookup import Lookup
from handlers.engine.plan import plan_lead
from handlers.engine.rules import load_rules
from handlers.sweep.query import Window
from tests.conftest import RIYA, SAM, add_leads, make_client

NOW = dt.datetime.now(dt.UTC)
LAST_MONTH = Window(NOW - dt.timedelta(days=30), NOW + dt.timedelta(minutes=1))

OLD_RULES = """
    rules:
      - name: qualified
        when: {Lead_Status: Qualified}
        assign_to: "4876876000000002002"
"""
# Leads from trade shows move to Riya; the others stay with Sam.
NEW_RULES = """
    rules:
      - name: trade-show
        when: {Lead_Status: Qualified, Lead_Source: Trade Show}
        assign_to: "4876876000000002003"
      - name: qualified
        when: {Lead_Status: Qualified}
        assign_to: "4876876000000002002"
"""


@pytest.fixture
def zoho(emulator, users):
    return make_client(emulator)


@pytest.fixture
def write_rules(tmp_path):
    def write(text: str, name: str = "rules.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def backtest(zoho, write_rules):
    def run(new: str, old: str | None = None, *, limit: int | None = None) -> Backtest:
        rules = load_rules(write_rules(new, "new.yaml"))
        against = load_rules(write_rules(old, "old.yaml")) if old is not None else None
        run = BacktestRun(zoho, Lookup(zoho), rules, against, LAST_MONTH, limit=limit)
        return run.run()

    return run


def test_a_rules_change_that_moves_leads_between_owners_lists_exactly_those_leads(emulator, backtest):
    moved = add_leads(emulator, 3, "Trade Show")
    add_leads(emulator, 4, "Web")
    add_leads(emulator, 2, "Trade Show", status="Contacted")

    result = backtest(NEW_RULES, OLD_RULES)

    assert sorted(lead.lead_id for lead in result.changes) == sorted(moved)
    change = result.as_json()["changes"][0]
    assert change["old"] == {"rule": "qualified", "outcome": "convert", "owner": SAM, "reason": None}
    assert change["new"] == {"rule": "trade-show", "outcome": "convert", "owner": RIYA, "reason": None}
    assert result.as_json()["leads"] == 9


def test_each_rule_counts_the_leads_it_converts_and_skips(emulator, backtest):
    add_leads(emulator, 3, "Trade Show")
    add_leads(emulator, 2, "Web", status="Contacted")

    by_rule = backtest(NEW_RULES).by_rule()

    assert by_rule["trade-show"] == {"convert": 3, "skip": 0, "hold": 0, "error": 0, "already_converted": 0}
    assert by_rule[NO_RULE]["skip"] == 2
    assert "qualified" not in by_rule


def test_a_converted_lead_shows_the_rule_that_would_have_converted_it(emulator, zoho, backtest):
    (lead_id,) = add_leads(emulator, 1, "Trade Show")
    emulator.crm.convert(lead_id)

    result = backtest(NEW_RULES, OLD_RULES)

    (lead,) = result.leads
    assert lead.converted
    assert (lead.new.rule, lead.new.outcome, lead.new.owner) == ("trade-show", "convert", RIYA)
    assert result.by_rule()["trade-show"]["already_converted"] == 1
    assert emulator.requests("GET", r"/Leads$")[-1].query["converted"] == ["true"]


def test_a_lead_modified_before_the_window_is_not_decided(emulator, backtest):
    add_leads(emulator, 1, "Web", Modified_Time=NOW - dt.timedelta(days=45))
    (recent,) = add_leads(emulator, 1, "Web")

    assert [lead.lead_id for lead in backtest(OLD_RULES).leads] == [recent]


def test_a_lead_two_contacts_match_is_held_under_the_default_and_converts_with_newest(emulator, backtest):
    add_leads(emulator, 1, "Web", Email="pat@example.com")
    for _ in range(2):
        emulator.crm.add_contact(Last_Name="Pat", Email="pat@example.com")
    newest = OLD_RULES + "        when_ambiguous: newest\n"

    result = backtest(OLD_RULES, newest)

    (lead,) = result.leads
    assert lead.new.outcome == "hold"
    assert lead.new.reason == "2 contacts match the lead"
    assert lead.old is not None
    assert lead.old.outcome == "convert"
    assert lead.changed


def test_a_rule_reading_tags_has_its_leads_read_in_full_a_hundred_a_call(emulator, backtest):
    add_leads(emulator, 3, "Web")
    tagged = """
        rules:
          - name: imported
            when: {Lead_Status: Qualified, Tag: Imported}
    """

    result = backtest(tagged)

    assert result.by_rule()["imported"]["convert"] == 3
    (read,) = emulator.requests("GET", r"/Leads$")[:1]
    assert len(read.query["ids"][0].split(",")) == 3
    assert "Tag" in read.query["fields"][0].split(",")


def test_nothing_is_written_to_zoho_and_the_count_of_calls_and_credits_is_the_emulators(emulator, backtest):
    leads = add_leads(emulator, 5, "Trade Show")
    emulator.clear_journal()

    result = backtest(NEW_RULES, OLD_RULES)

    assert {entry.method for entry in emulator.requests() if "/crm/" in entry.path} <= {"GET", "POST"}
    assert [entry.path for entry in emulator.requests("POST") if "/crm/" in entry.path] == [
        "/crm/v8/coql"
    ] * len(emulator.requests("POST", r"/coql$"))
    assert result.calls == len([entry for entry in emulator.requests() if "/crm/" in entry.path])
    assert result.credits == emulator.credits()["total"]
    assert not any(emulator.crm.lead(lead)["Converted__s"] for lead in leads)


def test_limit_stops_after_that_many_leads_and_says_so(emulator, backtest):
    add_leads(emulator, 5, "Web")

    result = backtest(OLD_RULES, limit=2)

    assert len(result.leads) == 2
    assert result.as_json()["limited"] is True
    assert result.as_json()["complete"] is False


def test_a_refused_read_leaves_what_was_decided_and_says_the_backtest_is_incomplete(emulator, backtest):
    add_leads(emulator, 2, "Web")
    emulator.faults.fail_next(1, status=400, code="INVALID_QUERY", path=r"/coql$", method="POST")

    result = backtest(OLD_RULES)

    assert result.incomplete
    assert "a read of the leads still to convert failed" in result.incomplete[0]
    assert result.as_json()["complete"] is False


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def backtest_cli(cli, users):
    return functools.partial(cli, "backtest")


def test_the_command_prints_json_with_leads_by_rule_and_changes(emulator, backtest_cli, write_rules):
    moved = add_leads(emulator, 2, "Trade Show")
    add_leads(emulator, 3, "Web")
    new, old = write_rules(NEW_RULES, "new.yaml"), write_rules(OLD_RULES, "old.yaml")

    done = backtest_cli(str(new), "--against", str(old), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["leads"] == 5
    assert result["by_rule"]["trade-show"]["convert"] == 2
    assert result["by_rule"]["qualified"]["convert"] == 3
    assert sorted(change["lead_id"] for change in result["changes"]) == sorted(moved)
    assert "5 leads decided" in done.stderr


def test_fail_on_change_exits_1_when_a_decision_changes_and_0_when_none_does(
    emulator, backtest_cli, write_rules
):
    add_leads(emulator, 1, "Trade Show")
    new, old = write_rules(NEW_RULES, "new.yaml"), write_rules(OLD_RULES, "old.yaml")

    changed = backtest_cli(str(new), "--against", str(old), "--fail-on-change")
    same = backtest_cli(str(old), "--against", str(old), "--fail-on-change")

    assert changed.returncode == 1
    assert "1 lead change from" in changed.stdout
    assert "qualified → convert (owner 4876876000000002002)" in changed.stdout
    assert "trade-show → convert (owner 4876876000000002003)" in changed.stdout
    assert same.returncode == 0
    assert "No lead changes from" in same.stdout


def test_csv_writes_every_lead_with_both_verdicts(emulator, backtest_cli, write_rules, tmp_path):
    (moved,) = add_leads(emulator, 1, "Trade Show")
    new, old = write_rules(NEW_RULES, "new.yaml"), write_rules(OLD_RULES, "old.yaml")
    out = tmp_path / "leads.csv"

    done = backtest_cli(str(new), "--against", str(old), "--csv", str(out))

    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == [
        "lead_id,already_converted,rule,outcome,owner,reason,old_rule,old_outcome,old_owner,old_reason,changed",
        f"{moved},no,trade-show,convert,{RIYA},,qualified,convert,{SAM},,yes",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "yesterday"],
            "argument --since: not a number of days, and since must be an ISO 8601 time",
        ),
        (["--since", "0"], "argument --since: a number of days above 0, at most 3650"),
        (["--limit", "0"], "argument --limit: limit must be a whole number of leads from 1"),
        (["--fail-on-change"], "--fail-on-change compares with --against OLD_FILE"),
        (["--json", "--csv", "x.csv"], "argument --csv: not allowed with argument --json"),
    ],
)
def test_the_command_refuses_bad_options_naming_them(backtest_cli, args, message):
    done = backtest_cli(*args)

    assert done.returncode == 2
    assert message in done.stderr


def test_each_lead_gets_the_rule_the_webhooks_plan_gives_it(emulator, zoho, backtest):
    """Rows decide what they can and the rest is read in full: the backtest's rule for every
    lead is the one `plan_lead` gives the lead read as the webhook reads it."""
    add_leads(emulator, 2, "Trade Show")
    add_leads(emulator, 2, "Web", Tag=["VIP"])
    add_leads(emulator, 2, "Web", owner=RIYA)
    add_leads(emulator, 1, "Web", status="Contacted")
    rules = """
        rules:
          - name: vip
            when: {Lead_Status: Qualified, Tag: VIP}
          - name: riyas
            when: {Lead_Status: Qualified, Owner.name: Riya Rep}
          - name: fairs
            when: {Lead_Status: Qualified, Lead_Source: {in: [Trade Show]}}
            deal: {Deal_Name: "{Company} fair", Stage: Qualification, Closing_Date: +7d}
          - name: rest
            when: {Lead_Status: Qualified}
    """

    result = backtest(rules)

    webhook = load_rules(Path(result.source))
    for lead in result.leads:
        plan = plan_lead(webhook, lead.lead_id, zoho.get_lead(lead.lead_id), NOW, legacy=False)
        assert lead.new.rule == (plan.rule.name if plan.rule else None), lead.lead_id
    assert result.by_rule() == {
        "fairs": {"convert": 2, "skip": 0, "hold": 0, "error": 0, "already_converted": 0},
        "vip": {"convert": 2, "skip": 0, "hold": 0, "error": 0, "already_converted": 0},
        "riyas": {"convert": 2, "skip": 0, "hold": 0, "error": 0, "already_converted": 0},
        NO_RULE: {"convert": 0, "skip": 1, "hold": 0, "error": 0, "already_converted": 0},
    }
