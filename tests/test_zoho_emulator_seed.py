"""Seeds (seed.py) and the command line (__main__.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.zoho_emulator.testing import Zoho
from tests.zoho_emulator.testing import demo as demo

REPO = Path(__file__).resolve().parents[1]


def test_demo_seed_has_the_documented_users_and_leads(demo):
    client = Zoho(demo)

    users = {user["id"]: user["full_name"] for user in client.get("users").json()["users"]}
    jane = client.get("Leads/4876876000000100001").json()["data"][0]
    li = client.get("Leads/4876876000000100005").json()["data"][0]

    assert users == {
        "4876876000000002001": "Ava Admin",
        "4876876000000002002": "Sam Seller",
        "4876876000000002003": "Riya Rep",
    }
    assert (jane["Full_Name"], jane["Company"], jane["Annual_Revenue"]) == ("Jane Doe", "Globex", 2500000)
    assert [tag["name"] for tag in jane["Tag"]] == ["VIP", "Hot"]
    assert jane["Owner"]["name"] == "Sam Seller"
    assert (li["Lead_Source"], li["Owner"]["id"]) == ("Trade Show", "4876876000000002001")
    assert demo.crm.add_lead(Last_Name="Next") == "4876876000000100006"


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
