"""How the backtest's result is shown (handlers/doors/backtest_report.py): the report a person
reads, and the CSV of every lead."""

from __future__ import annotations

import csv
import datetime as dt

from handlers.checks.backtest import Backtest, Decided, Verdict
from handlers.doors.backtest_report import report, write_csv
from handlers.sweep.query import Window

WINDOW = Window(dt.datetime(2026, 11, 6, 5, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 6, 5, 0, tzinfo=dt.UTC))
SAM_CONVERTS = Verdict("qualified", "convert", "111")
RIYA_CONVERTS = Verdict("trade-show", "convert", "222")
NOTHING = Verdict(None, "skip", reason="no rule matches the lead (qualified: Lead_Status is 'Contacted')")


def result(*leads: Decided, against: str | None = "old.yaml") -> Backtest:
    return Backtest("new.yaml", against, WINDOW, list(leads), calls=4, credits=13)


def test_the_report_names_the_window_counts_per_rule_and_cost():
    text = report(
        result(Decided("1", False, RIYA_CONVERTS, SAM_CONVERTS), Decided("2", True, NOTHING, NOTHING))
    )

    lines = text.splitlines()
    assert lines[0] == (
        "Backtest of new.yaml against old.yaml: 2 leads modified from 2026-11-06 05:00 UTC to"
        " 2026-12-06 05:00 UTC (1 of them converted already)"
    )
    assert lines[2].split() == ["new.yaml", "convert", "skip", "hold", "error", "already", "converted"]
    assert lines[3].split() == ["trade-show", "1", "0", "0", "0", "0"]
    assert lines[4].split() == ["(no", "rule)", "0", "1", "0", "0", "1"]
    assert lines[-1] == "4 API calls, at most 13 API credits"


def test_the_report_lists_each_change_with_before_and_after():
    text = report(
        result(Decided("1", False, RIYA_CONVERTS, SAM_CONVERTS), Decided("2", False, NOTHING, NOTHING))
    )

    assert "1 lead change from old.yaml to new.yaml:" in text
    (row,) = [line for line in text.splitlines() if line.startswith("  1 ")]
    assert [cell.strip() for cell in row.split("  ") if cell.strip()] == [
        "1",
        "no",
        "qualified → convert (owner 111)",
        "trade-show → convert (owner 222)",
    ]


def test_the_report_cuts_a_long_list_of_changes_and_says_how_many_more():
    changed = [Decided(str(n), False, RIYA_CONVERTS, SAM_CONVERTS) for n in range(1, 8)]

    text = report(result(*changed), rows=5)

    assert "7 leads change from old.yaml to new.yaml:" in text
    assert "  ... and 2 more (--csv FILE writes every lead)" in text


def test_without_against_the_report_has_no_changes_section():
    text = report(result(Decided("1", False, SAM_CONVERTS), against=None))

    assert "change" not in text
    assert "against" not in text


def test_an_incomplete_or_limited_run_says_so():
    run = result(Decided("1", False, SAM_CONVERTS, SAM_CONVERTS))
    run.incomplete.append("a read of the converted leads failed, the rest were not decided (INVALID_QUERY)")
    run.limited = True

    text = report(run)

    assert "incomplete: a read of the converted leads failed" in text
    assert "incomplete: stopped at --limit, after 1 leads" in text


def test_the_csv_has_every_lead_with_both_verdicts(tmp_path):
    path = tmp_path / "leads.csv"

    write_csv(
        path, result(Decided("1", True, RIYA_CONVERTS, SAM_CONVERTS), Decided("2", False, NOTHING, NOTHING))
    )

    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows[0] == {
        "lead_id": "1",
        "already_converted": "yes",
        "rule": "trade-show",
        "outcome": "convert",
        "owner": "222",
        "reason": "",
        "old_rule": "qualified",
        "old_outcome": "convert",
        "old_owner": "111",
        "old_reason": "",
        "changed": "yes",
    }
    assert rows[1]["reason"] == NOTHING.reason
    assert rows[1]["changed"] == "no"
