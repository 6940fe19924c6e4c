"""`make demo`, the README's first command, runs to the end and shows what it promises: the Zoho
side connected by `connect --apply`, the workflow calling the function, a drift found and repaired."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_demo_connects_zoho_converts_through_the_workflow_and_repairs_a_drift():
    done = subprocess.run(
        [sys.executable, "-m", "tests.demo"], cwd=ROOT, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "  applied 2 changes" in out
    assert "1. Sam qualifies John Smith of Initech: Lead_Status = Qualified" in out
    assert "the workflow rule calls the function: POST http://127.0.0.1:" in out
    assert "log: INFO lead 4876876000000100002: converted by rule 'qualified'" in out
    assert 'no new deal: the account has the open deal "Umbrella Corp - renewal"' in out
    assert "  differs: webhook 'zoho_lead_converter' (" in out
    assert out.count("are as connect makes them, and active") == 2
    assert "wrong X-Webhook-Secret header" in out
    assert out.rstrip().endswith("Stopped the function and the emulator.")
