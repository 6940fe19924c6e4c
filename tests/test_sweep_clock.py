"""Sweeps at a simulated time: `Runtime(clock=...)` gives the converter its clock and
`handlers.doors.reconcile.sweep` gives the sweep the converter's, so with the emulator's clock moved
by the same offset a day of sweeps passes in seconds (as figure 7 of `make bench` runs it)."""

from __future__ import annotations

import datetime as dt

from handlers.engine.conversion import utc_now
from handlers.engine.rules import load_rules
from handlers.runtime import Runtime
from handlers.sweep.options import sweep_options
from tests.conftest import DEPLOYED, add_leads, converted

STUCK = """
rules:
  - name: stuck
    when: {Lead_Status: Qualified, Lead_Source: Partner}
    deal: {Deal_Name: Partner deal, Stage: No Such Stage, Pipeline: Standard (Standard), Closing_Date: +30d}
"""


def test_the_runtime_goes_by_the_real_time_unless_given_a_clock(function_env, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(STUCK)

    runtime = Runtime(load_rules(rules), function_env)

    assert runtime.clock is utc_now
    assert runtime.converter().clock is utc_now


def test_a_simulated_day_of_fresh_instances_tries_stuck_leads_after_1_h_then_4_h_then_not_that_day(
    emulator, function_env, users, tmp_path
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(STUCK)
    env = {
        **function_env,
        "RULES_FILE": str(rules),
        "RECONCILE_SINCE": DEPLOYED.isoformat(),
        "RECONCILE_MAX_SECONDS": "60",
        "ZOHO_READ_TIMEOUT_SECONDS": "10",
    }
    stuck = add_leads(emulator, 3, "Partner")
    tried, waiting, seen = [], [], []

    # minutes into the day: 0 the first attempt; 45 before its hour; 75 past it; 180 before the
    # next 4 hours; 320 past them; 1,400 before the day after that
    for minutes in (0, 45, 75, 180, 320, 1400):
        offset = dt.timedelta(minutes=minutes)
        emulator.clock.offset_seconds = offset.total_seconds()

        def clock(offset: dt.timedelta = offset) -> dt.datetime:
            return utc_now() + offset

        runtime = Runtime(load_rules(rules), env, clock=clock)  # a fresh instance each time
        summary = runtime.sweep(sweep_options(runtime.settings()))
        tried.append(len(summary.failed))
        waiting.append(summary.retry_later)
        seen.append(clock())

    assert tried == [3, 0, 3, 0, 3, 0]
    assert waiting == [0, 3, 0, 3, 0, 3]
    assert converted(emulator, stuck) == []
    notes = list(emulator.crm.notes.values())
    assert len(notes) == 3  # one note each, brought up to date
    for note in notes:
        assert "\nAttempts: 3\n" in note["Note_Content"]
        last = dt.datetime.fromisoformat(note["Note_Content"].split("Last attempt: ")[1].split("\n")[0])
        assert abs((last - seen[4]).total_seconds()) < 30  # the sweep's clock: 320 minutes on
        updated = dt.datetime.fromisoformat(note["Modified_Time"])
        assert abs((updated - seen[4]).total_seconds()) < 30  # the emulator's, moved alike
