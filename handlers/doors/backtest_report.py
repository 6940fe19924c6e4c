"""How `zoho-lead-converter backtest` shows its result: a text report, or every lead as CSV.

The JSON form is the result's own (`Backtest.as_json`); this module only lays it out for people.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from handlers.checks.backtest import OUTCOMES, Backtest, Decided, Verdict

CHANGE_ROWS = 50  # changes listed on screen; --csv writes every lead
CSV_COLUMNS = (
    "lead_id",
    "already_converted",
    "rule",
    "outcome",
    "owner",
    "reason",
    "old_rule",
    "old_outcome",
    "old_owner",
    "old_reason",
    "changed",
)


def report(result: Backtest, rows: int = CHANGE_ROWS) -> str:
    """The window and the count, a table per rule file, the changes, and what it cost."""
    window = result.window
    against = f" against {result.against}" if result.against else ""
    converted = sum(lead.converted for lead in result.leads)
    lines = [
        f"Backtest of {result.source}{against}: {len(result.leads)} leads modified from"
        f" {_utc(window.since)} to {_utc(window.before)} ({converted} of them converted already)",
        "",
        *rule_table(result.source, result.by_rule()),
    ]
    if result.against is not None:
        lines += ["", *rule_table(result.against, result.by_rule(old=True)), "", *changes(result, rows)]
    lines.append("")
    lines += [f"note: {note}" for note in result.notes]
    lines += [f"incomplete: {why}" for why in result.incomplete]
    if result.limited:
        lines.append(f"incomplete: stopped at --limit, after {len(result.leads)} leads")
    lines.append(f"{result.calls} API calls, at most {result.credits} API credits")
    return "\n".join(lines)


def rule_table(source: str, counts: dict[str, dict[str, int]]) -> list[str]:
    header = (source, *OUTCOMES, "already converted")
    body = [
        (f"  {rule}", *(str(tally[key]) for key in (*OUTCOMES, "already_converted")))
        for rule, tally in counts.items()
    ]
    if not body:
        return [f"{source}: no lead in the window"]
    return aligned([header, *body], numeric_from=1)


def changes(result: Backtest, rows: int) -> list[str]:
    changed = result.changes
    if not changed:
        return [f"No lead changes from {result.against} to {result.source}."]
    leads = f"{len(changed)} lead{'s' if len(changed) != 1 else ''}"
    lines = [f"{leads} change from {result.against} to {result.source}:"]
    table: list[tuple[str, ...]] = [("  lead id", "converted", "before", "after")]
    table += [
        (f"  {lead.lead_id}", _yes(lead.converted), _shown(lead.old), lead.new.describe())
        for lead in changed[:rows]
    ]
    lines += aligned(table)
    if len(changed) > rows:
        lines.append(f"  ... and {len(changed) - rows} more (--csv FILE writes every lead)")
    return lines


def aligned(table: list[tuple[str, ...]], numeric_from: int | None = None) -> list[str]:
    """Columns padded to their widest cell (right-aligned from `numeric_from` on)."""
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]))]

    def cell(text: str, column: int) -> str:
        right = numeric_from is not None and column >= numeric_from
        return text.rjust(widths[column]) if right else text.ljust(widths[column])

    return ["  ".join(cell(text, column) for column, text in enumerate(row)).rstrip() for row in table]


def write_csv(path: Path, result: Backtest) -> None:
    """Every lead decided, one row each, with both files' verdicts when there are two."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_csv_row(lead) for lead in result.leads)


def _csv_row(lead: Decided) -> list[str]:
    old = _cells(lead.old) if lead.old is not None else ["", "", "", ""]
    return [lead.lead_id, _yes(lead.converted), *_cells(lead.new), *old, _yes(lead.changed)]


def _cells(verdict: Verdict) -> list[str]:
    return [verdict.rule or "", verdict.outcome, verdict.owner or "", verdict.reason or ""]


def _shown(verdict: Verdict | None) -> str:
    return verdict.describe() if verdict is not None else ""


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
