"""connect, verify and disconnect (handlers/setup/connection.py) against the emulator: a plan from
reads alone, exactly its changes applied, nothing the second time, drift found and repaired."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from handlers.engine.rules import load_rules
from handlers.errors import Misconfigured
from handlers.setup.connection import Connection
from handlers.setup.desired import webhook
from handlers.zoho.automation import Automation
from tests.conftest import make_client
from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.scopes import AUTOMATION_GRANT

URL = "https://zoho-lead-webhook.example/"
SECRET = "wh-7f3a9c2e41b85d06e9c4"
NAME = "zoho_lead_converter"


@pytest.fixture
def zoho(emulator):
    emulator.grant_scopes(emulator.granted_scopes() | AUTOMATION_GRANT)
    return make_client(emulator)


@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        textwrap.dedent("""
        rules:
          - {name: tests, when: {Email: {matches: 'test'}}, skip: true}
          - {name: qualified, when: {Lead_Status: Qualified}}
        """)
    )
    return load_rules(path)


@pytest.fixture
def connection(zoho, rules):
    return Connection(zoho, rules, NAME)


def writes(emulator) -> list[str]:
    return [
        f"{e.method} {e.path}" for e in emulator.requests() if e.method != "GET" and "/automation/" in e.path
    ]


def test_on_an_empty_org_the_plan_is_one_webhook_and_one_rule_and_nothing_is_written(emulator, connection):
    result = connection.connect(URL, SECRET, apply=False)

    assert [change.line() for change in result.changes] == [
        f"create webhook {NAME!r}: POST {URL}",
        f"create workflow rule {NAME!r}: on Leads, Lead_Status in (Qualified), the first time",
    ]
    assert writes(emulator) == []


def test_apply_creates_exactly_those_and_a_second_apply_changes_nothing(emulator, connection):
    connection.connect(URL, SECRET, apply=True)
    created = writes(emulator)
    again = connection.connect(URL, SECRET, apply=True)

    assert created == [
        "POST /crm/v8/settings/automation/webhooks",
        "POST /crm/v8/settings/automation/workflow_rules",
    ]
    assert again.changes == []
    assert writes(emulator) == created
    (hook,) = emulator.automation.webhooks()
    (rule,) = emulator.automation.rules(inner_details=True)
    assert rule["conditions"][0]["instant_actions"]["actions"][0]["id"] == hook["id"]
    assert rule["status"]["active"] is True


def test_verify_finds_nothing_after_connect(connection):
    connection.connect(URL, SECRET, apply=True)

    result = connection.verify(URL, SECRET, dt.date.today())

    assert result.changes == []
    assert result.as_json()["ok"] is True


@pytest.mark.parametrize(
    ("drift", "difference"),
    [
        ({"url": "https://old-deploy.example/"}, "url"),
        (
            {"headers": {"module_parameters": [], "custom_parameters": []}},
            "headers.X-Webhook-Secret (missing)",
        ),
    ],
)
def test_a_webhook_changed_in_zoho_is_named_and_put_back(zoho, connection, drift, difference):
    connection.connect(URL, SECRET, apply=True)
    automation = Automation(zoho)
    (found,) = automation.webhooks_named(NAME)
    automation.update_webhook(found["id"], {**webhook(NAME, URL, SECRET, MODULE_IDS["Leads"]), **drift})

    found_drift = connection.verify(URL, SECRET, dt.date.today())
    repaired = connection.connect(URL, SECRET, apply=True)

    (change,) = found_drift.changes
    assert change.difference() == f"differs: webhook {NAME!r} ({found['id']}): {difference}"
    assert [change.action for change in repaired.changes] == ["update"]
    assert connection.verify(URL, SECRET, dt.date.today()).changes == []


def test_an_inactive_rule_is_a_difference_and_connect_activates_it(zoho, connection):
    connection.connect(URL, SECRET, apply=True)
    automation = Automation(zoho)
    (rule,) = automation.rules_named(NAME)
    automation.update_rule(rule["id"], {"status": {"active": False}})

    (change,) = connection.verify(URL, SECRET, dt.date.today()).changes
    connection.connect(URL, SECRET, apply=True)

    assert change.difference() == f"inactive: workflow rule {NAME!r} ({rule['id']})"
    assert automation.rule(rule["id"])["status"]["active"] is True


def test_criteria_that_no_longer_match_the_rules_file_are_updated(zoho, tmp_path, connection):
    connection.connect(URL, SECRET, apply=True)
    path = tmp_path / "more.yaml"
    path.write_text("rules: [{name: q, when: {Lead_Status: {in: [Qualified, Pre-Qualified]}}}]")
    wider = Connection(zoho, load_rules(path), NAME)

    (change,) = wider.connect(URL, SECRET, apply=True).changes

    assert change.line().endswith(": criteria")
    (rule,) = Automation(zoho).rules_named(NAME)
    criteria = Automation(zoho).rule(rule["id"])["conditions"][0]["criteria_details"]["criteria"]
    assert sorted(criteria["value"]) == ["Pre-Qualified", "Qualified"]


def test_disconnect_deletes_the_rule_then_the_webhook(emulator, connection):
    connection.connect(URL, SECRET, apply=True)
    emulator.clear_journal()

    plan = connection.disconnect(apply=False)
    done = connection.disconnect(apply=True)

    assert [change.line().split(" (")[0] for change in plan.changes] == [
        f"delete workflow rule {NAME!r}",
        f"delete webhook {NAME!r}",
    ]
    assert [w.split("/")[-2] for w in writes(emulator)] == ["workflow_rules", "webhooks"]
    assert len(done.changes) == 2
    assert emulator.automation.webhooks() == []
    assert emulator.automation.rules() == []
    assert connection.disconnect(apply=True).changes == []


def test_two_webhooks_of_the_name_are_for_a_person_to_settle(connection):
    """Whether Zoho refuses a second webhook of a name is not documented (the emulator does): if an
    org has two, connect names them instead of guessing which is the converter's."""
    with pytest.raises(Misconfigured, match=f"the org has 2 webhooks on Leads named {NAME!r} \\(1, 2\\)"):
        connection._only("webhook", [{"id": "1"}, {"id": "2"}])


def test_a_version_below_v8_cannot_run(emulator, rules):
    with pytest.raises(Misconfigured, match="Zoho's v8 only, and ZOHO_API_VERSION is v7"):
        Connection(make_client(emulator, api_version="v7"), rules, NAME)
