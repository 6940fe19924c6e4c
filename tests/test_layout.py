"""The floor plan holds at run time: what a module loads is what its wing promises.

The import contracts (`lint-imports`, in `make test`) hold the source to the layers; these tests
hold the processes to them, in a fresh interpreter each: the Zoho client works without a web
framework, and a webhook instance whose conversions succeed never loads the preflight.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, WEBHOOK_SECRET


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_zoho_client_loads_no_web_framework():
    loaded = run_python(
        "import sys, handlers.zoho.client, handlers.zoho.access_token, handlers.zoho.token_stores\n"
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


def lint_imports(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """handlers/ and the contracts (pyproject.toml), to plant an import into."""
    shutil.copytree(ROOT / "handlers", tmp_path / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_for_the_code_as_it_is(repo_copy: Path):
    done = lint_imports(repo_copy)

    assert done.returncode == 0, done.stdout
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("zoho/lead.py", "from handlers.engine import rules", "Wings, top to bottom BROKEN"),
        ("platform/settings.py", "from handlers.doors import answer", "Wings, top to bottom BROKEN"),
        ("engine/outcome.py", "import flask", "Only the doors import a web framework BROKEN"),
    ],
)
def test_an_import_against_the_plan_breaks_a_contract(
    repo_copy: Path, module: str, planted: str, contract: str
):
    path = repo_copy / "handlers" / module
    path.write_text(path.read_text() + f"\n{planted}  # planted\n")

    done = lint_imports(repo_copy)

    assert done.returncode == 1
    assert contract in done.stdout


def test_every_module_has_a_test_file_named_after_it():
    """tests/test_<module>.py, or tests/test_<wing>_<module>.py where the name alone says little."""
    missing = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        if path.name.startswith("__"):
            continue
        wing = path.parent.name
        names = {f"test_{path.stem}.py", f"test_{wing}_{path.stem}.py"}
        if not any((ROOT / "tests" / name).is_file() for name in names):
            missing.append(str(path.relative_to(ROOT)))

    assert missing == []
