"""What one instance keeps (handlers/runtime.py): built once, on first use, shared by its requests."""

from __future__ import annotations

import os
import threading

from handlers.engine.rules import load_rules
from handlers.errors import Kind
from handlers.platform import log
from handlers.runtime import Runtime
from handlers.sweep.options import SweepOptions
from tests.conftest import ROOT


def runtime() -> Runtime:
    return Runtime(load_rules(ROOT / "rules.yaml"), dict(os.environ))


def test_every_log_line_of_the_instance_names_its_rules_version(function_env, log_lines):
    instance = runtime()

    log.write("INFO", "a line", {})

    assert log_lines()[-1]["rules_version"] == instance.rules.version


def test_settings_converter_and_org_check_are_built_once_and_shared_by_threads(function_env):
    instance = runtime()
    built: list[object] = []
    threads = [threading.Thread(target=lambda: built.append(instance.converter())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(converter) for converter in built}) == 1
    assert instance.settings() is instance.settings()
    assert instance.org_check() is instance.org_check()


def test_nothing_reaches_zoho_until_a_request_needs_it(function_env, emulator):
    instance = runtime()

    instance.converter()
    instance.org_check()

    assert emulator.journal == []


def test_a_refusal_the_rule_may_have_caused_is_explained_by_the_org_check(function_env, emulator):
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")
    emulator.faults.fail_next(1, status=400, code="MAPPING_MISMATCH", path=r"/actions/convert$")

    result = runtime().converter().convert(lead)

    assert result.kind is Kind.FAILED
    (note,) = emulator.crm.notes.values()
    assert "Preflight of the rule against the org" in note["Note_Content"]


def test_a_sweep_runs_on_the_instances_converter_and_answers_its_summary(function_env, emulator):
    summary = runtime().sweep(SweepOptions(since=None))

    assert summary.stopped_by == "no_window"
    assert str(summary.stopped).startswith("RECONCILE_SINCE is not set, so the sweep converts nothing")
    assert emulator.journal == []
