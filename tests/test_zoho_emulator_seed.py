"""Seeds (seed.py) and the command line (__main__.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.zoho_emulator.testing import Zoho
from tests.zoho_emulator.testing import demo as demo

REPO = Path(__file__).resolve().parents[1]
# Deals fields a conversion fills itself (the owner, and the contact and account it creates).
FILLED_BY_CONVERSION = {"Owner", "Account_Name", "Contact_Name"}


def test_demo_seed_has_the_documented_users_and_leads(demo):
    client = Zoho(demo)

    users = {user["id"]: user["full_name"] for user in client.get("users").json()["users"]}
    jane = client.get("Leads/4876876000000100001").json()["data"][0]
    li = client.get("Leads/4876876000000100005").json()["data"][0]

    assert users == {
        "4876876000000002001": "Ava Admin",
        "4876876000000002002": "Sam Seller",
        "4876876000000002003": "Riya Rep",
        "4876876000000002004": "Dana Departed",
        "4876876000000002005": "Nico Newhire",
    }
    assert (jane["Full_Name"], jane["Company"], jane["Annual_Revenue"]) == ("Jane Doe", "Globex", 2500000)
    assert [tag["name"] for tag in jane["Tag"]] == ["VIP", "Hot"]
    assert jane["Owner"]["name"] == "Sam Seller"
    assert (li["Lead_Source"], li["Owner"]["id"]) == ("Trade Show", "4876876000000002001")
    assert demo.crm.add_lead(Last_Name="Next") == "4876876000000100006"


def _options(field: dict[str, Any]) -> set[str]:
    return {value["actual_value"] for value in field["pick_list_values"] if value["type"] == "used"}


def test_everything_rules_yaml_names_exists_in_the_demo_org(demo):
    client = Zoho(demo)
    rules = yaml.safe_load((REPO / "rules.yaml").read_text())["rules"]
    leads = {f["api_name"]: f for f in client.get("settings/fields?module=Leads&type=all").json()["fields"]}
    deals = {f["api_name"]: f for f in client.get("settings/fields?module=Deals&type=all").json()["fields"]}
    (lead_layout,) = client.get("settings/layouts?module=Leads").json()["layouts"]
    deals_layout_id = lead_layout["convert_mapping"]["Deals"]["id"]
    (deals_layout,) = client.get(f"settings/layouts/{deals_layout_id}?module=Deals").json()["layouts"]
    pipelines = client.get(f"settings/pipeline?layout_id={deals_layout_id}").json()["pipeline"]
    stages = {p["actual_value"]: {s["actual_value"] for s in p["maps"]} for p in pipelines}
    users = {u["id"]: u for u in client.get("users?type=ActiveConfirmedUsers").json()["users"]}
    tags = {tag["name"] for tag in client.get("settings/tags?module=Leads").json()["tags"]}
    required = {
        field["api_name"]
        for section in deals_layout["sections"]
        for field in section["fields"]
        if field["required"]
    }

    for rule in rules:
        for name, condition in rule["when"].items():
            assert leads[name]["type"] == "used", (rule["name"], name)
            values = condition.get("in", []) if isinstance(condition, dict) else [condition]
            if leads[name]["data_type"] == "picklist":
                assert set(values) <= _options(leads[name]), (rule["name"], name)
        if "deal" in rule:
            # `unless_open_deal` is an option of the rule, not a Deals field
            deal = {name: value for name, value in rule["deal"].items() if name != "unless_open_deal"}
            assert all(deals[name]["operation_type"]["api_create"] for name in deal), rule["name"]
            assert deal["Stage"] in stages[deal["Pipeline"]], rule["name"]
            assert required <= set(deal) | FILLED_BY_CONVERSION, rule["name"]
        assignees = rule.get("assign_to", {}).get("distribute", {}) if "assign_to" in rule else {}
        assert set(assignees) <= set(users), rule["name"]
        for names in rule.get("carry_over_tags", {}).values():
            assert names == "all" or set(names) <= tags, rule["name"]
    assert required == {"Deal_Name", "Closing_Date", "Stage", "Pipeline"}


def test_the_command_line_serves_the_demo_until_terminated():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.zoho_emulator", "--port", "0", "--seed", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        line = process.stdout.readline()
        url = line.split()[-1]
        form = {
            "grant_type": "refresh_token",
            "client_id": "1000.DEMOCLIENTID",
            "client_secret": "demo-client-secret",
            "refresh_token": "1000.demo-refresh-token",
        }
        token = requests.post(f"{url}/oauth/v2/token", data=form, timeout=5).json()["access_token"]
        lead = requests.get(
            f"{url}/crm/v8/Leads/4876876000000100001",
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=5)

    assert url.startswith("http://127.0.0.1:")
    assert lead.json()["data"][0]["Last_Name"] == "Doe"
    assert returncode == 0
