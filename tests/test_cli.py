"""Running the function by hand: `zoho-lead-converter` (or `python -m handlers`), as a user
would, against the emulator."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = Path(sys.executable).with_name("zoho-lead-converter")  # what `make` installs into .venv/bin
FORMS = {"console script": [str(SCRIPT)], "module": [sys.executable, "-m", "handlers"]}


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(
        Last_Name="Garcia", Company="Umbrella Corp", Email="maria@umbrella.example", Lead_Status="Qualified"
    )


def test_check_rules_prints_the_rules_as_understood(cli):
    done = cli("check-rules", "rules.yaml")

    assert done.returncode == 0
    assert done.stdout.startswith("rules.yaml: 3 rules, valid")
    assert "owner: distributed by lead id over 4876876000000002002 (weight 3)" in done.stdout
    assert (
        "deal: Deal_Name={Company}, Stage=Qualification, Pipeline=Standard (Standard), Closing_Date=+14d"
        in (done.stdout)
    )


def test_check_rules_says_how_the_sweep_will_query(cli, tmp_path):
    values = [f"Campaign {n}" for n in range(60)]
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules: [{{name: c, when: {{Lead_Status: Qualified, Lead_Source: {{in: {values}}}}}}}]")

    done = cli("check-rules", str(rules))

    assert done.returncode == 0
    assert "With ZOHO_API_VERSION v8:" in done.stdout
    assert (
        "the sweep reads qualifying leads with COQL, 2000 leads per page; which conditions its queries"
        " carry depends on the org's field types (check-rules --org shows them)"
    ) in done.stdout


def test_check_rules_warns_of_what_the_configured_version_lacks(cli, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: link, when: {Lead_Status: Qualified}, existing_records: link}]")

    done = cli("check-rules", str(rules), ZOHO_API_VERSION="v3")

    assert done.returncode == 0
    assert (
        "warning: rule 'link': existing_records: link needs Zoho API v5 or later (ZOHO_API_VERSION is v3);"
        " a duplicate fails instead of linking" in done.stdout
    )
    assert "note: Mass Convert needs Zoho API v4 or later (ZOHO_API_VERSION is v3)" in done.stdout
    assert "200 leads per page" in done.stdout


def test_check_rules_names_the_problem_and_fails(cli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules:\n  - name: r\n    when: {A: {greater: 1}}\n")

    done = cli("check-rules", str(broken))

    assert done.returncode == 1
    assert (
        done.stderr == f"error: {broken}: rule 'r': when.A.greater: unknown operator (did you mean 'gte'?)\n"
    )
    assert "Traceback" not in done.stderr


def test_check_rules_warnings_exit_0_and_fail_with_strict(cli, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: rich, when: {Annual_Revenue: {gte: 1000000}}}]")

    relaxed = cli("check-rules", str(rules))
    strict = cli("check-rules", "--strict", str(rules))

    assert (relaxed.returncode, strict.returncode) == (0, 1)
    assert f"warning: {rules}: rule 'rich': when: no condition on Lead_Status" in relaxed.stdout
    assert relaxed.stdout.rstrip().endswith("1 rules, 1 warning")


def test_a_relative_rules_file_is_found_from_the_current_folder_as_a_file_argument_is(function_env, tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text("rules: [{name: mine, when: {Lead_Status: Qualified}}]")

    def check_rules(*args: str, **env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "handlers", "check-rules", *args],
            cwd=tmp_path,
            env={**os.environ, **function_env, "PYTHONPATH": str(ROOT), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[0]

    assert (
        check_rules(RULES_FILE="rules/mine.yaml")
        == check_rules("rules/mine.yaml")
        == ("rules/mine.yaml: 1 rules, valid")
    )


def test_the_function_refuses_to_start_on_a_broken_rules_file_with_one_line(function_env, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules:\n  - name: r\n    when: {A: {greater: 1}}\n")
    env = {**os.environ, **function_env, "RULES_FILE": str(broken)}

    done = subprocess.run(
        [sys.executable, "-c", "import main"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 1
    assert done.stderr == (
        f"refusing to start: {broken}: rule 'r': when.A.greater: unknown operator (did you mean 'gte'?)\n"
    )


def test_explain_shows_each_rule_the_match_and_the_payload(cli, emulator, lead):
    done = cli("explain", lead)

    assert done.returncode == 0
    assert "rule 'partner-enterprise' does not match" in done.stdout
    assert "✗ Lead_Source in ('Partner', 'Trade Show') fails (lead has None)" in done.stdout
    assert "rule 'qualified' MATCHES" in done.stdout
    payload = json.loads(done.stdout[done.stdout.index("{") :])
    assert payload["data"][0]["Deals"]["Deal_Name"] == "Umbrella Corp"
    assert emulator.requests("POST", r"/actions/convert$") == []


def test_explain_and_a_dry_run_show_the_existing_records_and_the_body_naming_them(cli, emulator, lead):
    account = emulator.crm.add_account(Account_Name="Umbrella Corp")
    contact = emulator.crm.add_contact(
        Last_Name="Garcia", Email="maria@umbrella.example", Account_Name=account
    )

    explained = cli("explain", lead)
    dry = json.loads(cli("convert", lead, "--dry-run").stdout)

    assert f"Converts into the existing Contacts record {contact} (matched on Email)" in explained.stdout
    assert (
        f"Converts into the existing Accounts record {account} (matched on Account_Name)" in explained.stdout
    )
    payload = json.loads(explained.stdout[explained.stdout.index("{") :])
    assert payload["data"][0]["Contacts"] == {"id": contact}
    assert dry["matched"]["Contacts"] == {"id": contact, "field": "Email"}
    assert dry["payload"]["data"][0]["Accounts"] == {"id": account}
    assert emulator.requests("POST", r"/actions/convert$") == []


def test_explain_names_the_candidates_of_a_lead_that_would_be_held(cli, emulator, lead):
    first = emulator.crm.add_account(Account_Name="Umbrella Corp")
    second = emulator.crm.add_account(Account_Name="Umbrella Corp")

    done = cli("explain", lead)

    assert "The webhook would answer held: 2 accounts match the lead. The candidates:" in done.stdout
    assert f'Accounts {first} "Umbrella Corp", matched on Account_Name' in done.stdout
    assert f'Accounts {second} "Umbrella Corp", matched on Account_Name' in done.stdout
    assert emulator.crm.notes_of("Leads", lead) == []


def test_explain_and_convert_decide_with_the_rules_file_given(cli, emulator, lead, tmp_path):
    rules = tmp_path / "other.yaml"
    rules.write_text("rules:\n  - name: garcias\n    when: {Last_Name: Garcia}\n")

    explained = cli("explain", lead, "--rules", str(rules))
    dry = json.loads(cli("convert", lead, "--dry-run", "--rules", str(rules)).stdout)

    assert "rule 'garcias' MATCHES" in explained.stdout
    assert "rule 'qualified'" not in explained.stdout
    assert (dry["outcome"], dry["rule"]) == ("dry_run", "garcias")


def test_convert_takes_the_webhook_path(cli, emulator, lead):
    dry = cli("convert", lead, "--dry-run")
    real = cli("convert", lead)

    assert json.loads(dry.stdout)["outcome"] == "dry_run"
    answer = json.loads(real.stdout)
    assert (real.returncode, answer["outcome"], answer["rule"]) == (0, "converted", "qualified")
    assert answer["deal_id"] == emulator.crm.lead(lead)["Converted_Deal"]["id"]


def test_a_missing_setting_is_a_misconfigured_outcome_naming_it(cli, lead):
    done = cli("convert", lead, ZOHO_REFRESH_TOKEN="")

    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["outcome"] == "misconfigured"
    assert answer["reason"].startswith("missing setting ZOHO_REFRESH_TOKEN")
    assert done.stderr == ""


def test_an_invalid_setting_is_one_clear_line(cli, lead):
    done = cli("explain", lead, ZOHO_DC="mars")

    assert done.returncode == 2
    assert done.stderr == "misconfigured: ZOHO_DC must be one of us, eu, in, au, jp, ca, sa, cn, not 'mars'\n"


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-07-20T20:17:00Z"]
)
def test_a_since_outside_the_bounds_is_one_line_and_no_call(cli, emulator, since):
    done = cli("reconcile", "--dry-run", "--since", since)

    assert done.returncode == 2
    assert re.fullmatch(
        r"error: since must be a time from 1970-01-01T00:00:00Z to a day from now \(\d{4}-[\d-]+T[\d:]+Z\),"
        f" not {re.escape(repr(since))}\n",
        done.stderr,
    )
    assert done.stdout == ""
    assert emulator.journal == []


def test_a_reconcile_since_setting_outside_the_bounds_is_one_line(cli, emulator):
    done = cli("reconcile", "--dry-run", RECONCILE_SINCE="9999-12-31T23:59:59-01:00")

    assert done.returncode == 2
    assert done.stderr.startswith("misconfigured: RECONCILE_SINCE must be a time from 1970-01-01T00:00:00Z")
    assert done.stderr.count("\n") == 1
    assert emulator.journal == []


def test_check_rules_org_ends_at_its_deadline_with_one_line(cli, emulator):
    emulator.faults.hang_next(10, 4.0, path=r"/settings/fields$")  # longer than the deadline
    started = time.monotonic()

    done = cli("check-rules", "--org", "--max-seconds", "1", "rules.yaml", ZOHO_READ_TIMEOUT_SECONDS="10")

    assert done.returncode == 1
    assert done.stderr == (
        "error: check-rules --org did not finish within its deadline of 1 s (--max-seconds):"
        " Zoho answered too slowly or not at all; nothing was checked\n"
    )
    assert done.stdout == ""
    assert time.monotonic() - started < 3.5  # the interpreter's start, the token and the 1 s
    assert len(emulator.requests("GET", r"/settings/fields$")) == 1


@pytest.mark.parametrize("seconds", ["0", "-5", "soon", "nan", "3601"])
def test_max_seconds_must_be_a_number_of_seconds(cli, seconds):
    done = cli("check-rules", "--org", "--max-seconds", seconds)

    assert done.returncode == 2
    assert "--max-seconds: a number of seconds above 0, at most 3600" in done.stderr


def test_check_rules_help_names_the_deadline(cli):
    done = cli("check-rules", "--help")

    text = " ".join(done.stdout.split())  # argparse wraps the help to the terminal's width
    assert "--max-seconds SECONDS with --org: the deadline of the whole check (default 120)" in text


def test_a_lead_id_that_is_not_digits_is_refused(cli):
    done = cli("convert", "12ab")

    assert done.returncode == 2
    assert "a lead id is 1 to 25 ASCII digits" in done.stderr


def installed_version() -> str:
    return metadata.version("zoho-lead-converter")


def test_the_version_is_the_installed_release_and_the_changelogs_latest():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    latest = re.search(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)

    for form in FORMS.values():
        done = subprocess.run([*form, "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            f"zoho-lead-converter {installed_version()}\n",
            "",
        )
    assert latest is not None
    assert latest[1] == installed_version()


def test_the_console_script_is_installed_and_runs_the_same_command(cli):
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: `make` installs the project (pip install --editable .)"

    script = subprocess.run(
        [str(SCRIPT), "check-rules", "rules.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    module = cli("check-rules", "rules.yaml")
    usage = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)

    assert (script.returncode, script.stdout) == (0, module.stdout)
    assert usage.stdout.startswith("usage: zoho-lead-converter [-h] [--version]")


def test_an_uninstalled_copy_knows_its_version_from_its_source(tmp_path):
    """The deployed function is a zip of the source, never installed: no package metadata to read."""
    shutil.copytree(ROOT / "handlers", tmp_path / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    init = tmp_path / "handlers" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{installed_version()}"', '"9.8.7"'))

    done = subprocess.run(
        [sys.executable, "-m", "handlers", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert done.stdout == "zoho-lead-converter 9.8.7\n"


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_output_into_a_pipe_closed_early_stops_quietly(form, function_env, tmp_path):
    """`| head -1` closes the pipe after one line; the rest of the output has nowhere to go."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(  # output far beyond a pipe's buffer, so the writer meets the closed pipe
        "rules:\n" + "".join(f"  - {{name: r{n}, when: {{Lead_Status: Qualified}}}}\n" for n in range(2000))
    )
    command = " ".join([*form, "check-rules", str(rules)])

    done = subprocess.run(
        ["bash", "-c", f'{command} | head -1; echo "exit ${{PIPESTATUS[0]}}" >&2'],
        cwd=ROOT,
        env={**os.environ, **function_env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.stdout == f"{rules}: 2000 rules, valid\n"
    assert done.stderr == "exit 141\n"  # no traceback, no "Exception ignored", SIGPIPE's status
