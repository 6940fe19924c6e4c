"""The floor plan holds at run time: what a module loads is what its wing promises.

The import contracts (`lint-imports`, in `make test`) hold the source to the layers; these tests
hold the processes to them, in a fresh interpreter each: the Zoho client works without a web
framework, and a webhook instance whose conversions succeed never loads the preflight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, WEBHOOK_SECRET


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_zoho_client_loads_no_web_framework():
    loaded = run_python(
        "import sys, handlers.zoho, handlers.access_token, handlers.token_file\n"
        "web = ('flask', 'werkzeug', 'functions_framework')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in web))"
    )

    assert loaded == "[]"


def test_a_webhook_instance_converts_without_loading_the_preflight(function_env, emulator):
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")
    code = (
        "import json, sys\n"
        "from functions_framework import create_app\n"
        "client = create_app('zoho_webhook', 'main.py').test_client()\n"
        f"headers = {{'X-Webhook-Secret': '{WEBHOOK_SECRET}'}}\n"
        f"answer = client.post('/', json={{'lead_id': '{lead}'}}, headers=headers)\n"
        "checks = sorted(m for m in sys.modules if m.startswith('handlers.') and 'preflight' in m)\n"
        "print(json.dumps({'outcome': answer.get_json()['outcome'], 'checks': checks}))\n"
    )

    result = json.loads(run_python(code).splitlines()[-1])

    assert result == {"outcome": "converted", "checks": []}
    assert emulator.crm.conversions(lead) == 1
