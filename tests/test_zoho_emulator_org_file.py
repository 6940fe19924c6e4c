"""An org described in a file (tests/zoho_emulator/org_file.py): custom fields, picklists,
pipelines, users, tags and records, so that `check-rules --org` and `backtest` can be tried on an
admin's own rules offline."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from tests.zoho_emulator.org_file import OrgFileError, load_org
from tests.zoho_emulator.testing import control
from tests.zoho_emulator.testing import zoho as zoho

EXAMPLE = ROOT / "docs" / "example-org.yaml"


@pytest.fixture
def org_file(tmp_path):
    def write(text: str):
        path = tmp_path / "org.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


def lead_fields(zoho) -> dict[str, dict]:
    answer = zoho.get("settings/fields", params={"module": "Leads", "type": "all"}).json()
    return {field["api_name"]: field for field in answer["fields"]}


def test_the_example_org_is_applied_section_by_section(emulator, zoho):
    counts = load_org(emulator, EXAMPLE)

    assert counts == {
        "users": 3,
        "tags": 3,
        "fields": 2,
        "pipelines": 1,
        "accounts": 1,
        "contacts": 1,
        "deals": 0,
        "leads": 4,
    }
    fields = lead_fields(zoho)
    assert fields["Region"]["custom_field"] is True
    assert [option["display_value"] for option in fields["Region"]["pick_list_values"]] == [
        "EMEA",
        "APAC",
        "Americas",
    ]
    assert "Trade Fair" in [option["actual_value"] for option in fields["Lead_Source"]["pick_list_values"]]
    (maria,) = [c for c in emulator.crm.contacts.values() if c["Email"] == "maria@umbrella.example"]
    assert maria["Account_Name"]["name"] == "Umbrella Corp"  # named in the file, linked by id


def test_coql_reads_a_custom_field_of_the_file(emulator, zoho):
    load_org(emulator, EXAMPLE)

    answer = zoho.post("coql", json={"select_query": "select Last_Name from Leads where Region = 'APAC'"})

    assert [row["Last_Name"] for row in answer.json()["data"]] == ["Wei"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("owners: []", "org.yaml: owners: unknown section (sections: users, tags, fields,"),
        ("- users", "org.yaml: expected a mapping of sections"),
        ("users: {full_name: A}", "org.yaml: users: expected a list"),
        ("users: [{full_name: A}]", "org.yaml: users[1]: a user needs full_name and email"),
        (
            "fields: [{api_name: Region, data_type: colour}]",
            "org.yaml: fields[1]: data_type: one of bigint, boolean,",
        ),
        (
            "fields: [{api_name: Industry, options: [A]}]",
            "org.yaml: fields[1]: api_name: Leads has no picklist field 'Industry'",
        ),
        (
            "fields: [{api_name: Lead_Status, data_type: text}]",
            "org.yaml: fields[1]: api_name: Leads already has a field 'Lead_Status'",
        ),
        ("leads: [{Company: Acme}, {Company: Acme}]", "org.yaml: leads[1]: Leads need Last_Name"),
        ("leads: [{Last_Name: Doe, Owner: '42'}]", "org.yaml: leads[1]: Owner: no user with id '42'"),
        ("users: [\n\t- x]", "org.yaml: cannot be read:"),
    ],
)
def test_a_file_it_cannot_apply_is_refused_naming_section_item_and_key(emulator, org_file, text, message):
    path = org_file(text)

    with pytest.raises(OrgFileError) as refused:
        load_org(emulator, path)

    assert str(refused.value).startswith(f"{path.parent}/{message}")


def test_the_emulator_command_applies_the_file_and_says_what_it_added(tmp_path):
    done = subprocess.Popen(
        [sys.executable, "-m", "tests.zoho_emulator", "--port", "0", "--org", str(EXAMPLE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert done.stdout is not None
        first = done.stdout.readline()
    finally:
        done.terminate()
        done.wait(timeout=10)

    assert first == (f"{EXAMPLE}: 3 users, 3 tags, 2 fields, 1 pipelines, 1 accounts, 1 contacts, 4 leads\n")


def test_the_emulator_command_refuses_a_bad_file_with_one_line(org_file):
    path = org_file("users: [{full_name: A}]")

    done = subprocess.run(
        [sys.executable, "-m", "tests.zoho_emulator", "--port", "0", "--org", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr == f"error: {path}: users[1]: a user needs full_name and email (strings)\n"


# --- the control API's field edits, which the file's `fields` use ---------------------------------


def test_control_adds_a_custom_field_and_renames_a_picklists_options(emulator, zoho):
    added = control(
        emulator, "POST", "fields", {"module": "Leads", "api_name": "Budget", "data_type": "currency"}
    )
    renamed = control(
        emulator, "POST", "fields", {"module": "Leads", "api_name": "Lead_Status", "options": ["New", "Won"]}
    )

    assert (added.status_code, renamed.status_code) == (200, 200)
    fields = lead_fields(zoho)
    assert (fields["Budget"]["data_type"], fields["Budget"]["custom_field"]) == ("currency", True)
    assert [option["actual_value"] for option in fields["Lead_Status"]["pick_list_values"]] == ["New", "Won"]


def test_reset_forgets_the_orgs_own_fields(emulator, zoho):
    load_org(emulator, EXAMPLE)

    emulator.reset()

    assert "Region" not in lead_fields(zoho)
    assert "Trade Show" in [o["actual_value"] for o in lead_fields(zoho)["Lead_Source"]["pick_list_values"]]


# --- the product against the file's org ------------------------------------------------------------


def test_check_rules_against_the_example_org_names_the_renamed_option(emulator, cli):
    load_org(emulator, EXAMPLE)

    done = cli("check-rules", "--org", "rules.yaml")

    assert done.returncode == 1
    assert "rules.yaml: rule 'partner-enterprise': when.Lead_Source: 'Trade Show'" in done.stdout


def test_a_backtest_runs_on_the_example_orgs_leads(emulator, cli, tmp_path):
    load_org(emulator, EXAMPLE)
    rules = tmp_path / "regions.yaml"
    rules.write_text(
        "rules: [{name: apac, when: {Lead_Status: Qualified, Region: APAC}, existing_records: create}]"
    )

    done = cli("backtest", str(rules), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["leads"] == 4, done.stdout
    assert result["by_rule"]["apac"]["convert"] == 1
    assert result["by_rule"]["(no rule)"]["skip"] == 3
