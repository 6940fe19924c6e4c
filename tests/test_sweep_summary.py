"""The sweep's summary is one log line (and the answer): bounded in size, whatever the org or the
run produced, well under Cloud Logging's 256 KB entry limit."""

from __future__ import annotations

import io
import json

from handlers.platform import log
from handlers.sweep.run import (
    PLAN_LIMIT,
    RULE_NAME_CHARS,
    SUMMARY_ITEM_CHARS,
    SUMMARY_ITEMS,
    PlannedLead,
    SweepSummary,
)

CLOUD_LOGGING_ENTRY_LIMIT = 256 * 1024
LONG_STAGE = "Needs Analysis " + "and more " * 600  # about 5,400 characters


def test_a_long_picklist_option_quoted_in_30_rules_problems_keeps_the_line_small(
    sweep_with, emulator, log_lines
):
    """Before: each of the 30 problems quoted the stage whole, and the line was 163 KB."""
    emulator.crm.edit_pipelines(lambda book: book.rename_stage("Needs Analysis", LONG_STAGE, LONG_STAGE))
    rules = "rules:\n" + "".join(
        f"  - name: rule-{n}\n"
        f"    when: {{Lead_Status: Qualified, Lead_Source: Web, Annual_Revenue: {{gte: {n}}}}}\n"
        "    deal: {Deal_Name: '{Company}', Stage: Won, Pipeline: Standard (Standard), Closing_Date: +14d}\n"
        for n in range(30)
    )

    summary = sweep_with(rules)

    (line,) = [line for line in log_lines() if line.get("outcome") == "reconciled"]
    size = len(json.dumps(line, separators=(",", ":")))
    assert size < 32 * 1024, size
    assert summary["rules_problems_count"] == 30
    assert len(summary["rules_problems"]) == SUMMARY_ITEMS
    assert all(len(problem) <= SUMMARY_ITEM_CHARS for problem in summary["rules_problems"])
    assert "rules.yaml: rule 'rule-0': deal.Stage: 'Won' is not a stage" in summary["rules_problems"][0]
    assert summary["rules_problems"][0].endswith("…")
    assert "; 30 rules problems: " in line["message"]
    assert len(line["message"]) < 2 * SUMMARY_ITEM_CHARS


def test_the_largest_summary_line_is_well_under_the_entry_limit():
    """Every list long, every text long, a dry run's plan at its limit with long rule names."""
    long = "x" * 20_000
    summary = SweepSummary(
        scanned=10**6,
        failed=[{"lead_id": str(n), "rule": long, "outcome": "failed", "reason": long} for n in range(5000)],
        rules_problems=[long] * 1000,
        setup_problems=[long] * 1000,
        dry_run=True,
        since="2026-01-01T00:00:00+00:00",
        plan=[PlannedLead(f"48768760000{n:08d}", long, "single") for n in range(20_000)],
    )
    summary.stop("error", long)

    stream = io.StringIO()
    with log.logs_to(stream):
        log.write(summary.severity, summary.message(), {"outcome": "reconciled", **summary.as_dict()})
    line = stream.getvalue()

    assert len(line.encode()) < CLOUD_LOGGING_ENTRY_LIMIT // 2, len(line)
    written = json.loads(line)
    assert written["failed_count"] == 5000
    assert len(written["failed"]) == SUMMARY_ITEMS
    assert written["rules_problems_count"] == written["setup_problems_count"] == 1000
    assert written["plan_total"] == 20_000
    assert len(written["plan"]) == PLAN_LIMIT
    assert len(written["plan"][0]["rule"]) == RULE_NAME_CHARS
    assert len(written["stopped"]) == SUMMARY_ITEM_CHARS


def test_the_command_line_can_ask_for_every_item():
    summary = SweepSummary(rules_problems=[f"problem {n}" for n in range(50)])

    assert len(summary.as_dict(items=None)["rules_problems"]) == 50
    assert len(summary.as_dict()["rules_problems"]) == SUMMARY_ITEMS
