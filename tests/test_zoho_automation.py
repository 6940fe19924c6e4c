"""Zoho's automation settings as the setup commands call them (handlers/zoho/automation.py),
against the emulator: webhooks and rules found by exact name, created, replaced, deleted, and the
failed deliveries read."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.errors import ZohoRefused
from handlers.setup.desired import Trigger, rule, webhook
from handlers.zoho.automation import Automation
from tests.conftest import make_client
from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.scopes import AUTOMATION_GRANT

LEADS = MODULE_IDS["Leads"]
SECRET = "wh-7f3a9c2e41b85d06e9c4"


@pytest.fixture
def automation(emulator):
    emulator.grant_scopes(emulator.granted_scopes() | AUTOMATION_GRANT)
    return Automation(make_client(emulator))


def test_a_webhook_is_created_found_by_its_exact_name_and_read_whole(automation):
    created = automation.create_webhook(webhook("zoho_lead_converter", "https://f.example/", SECRET, LEADS))
    automation.create_webhook(webhook("zoho_lead_converter_old", "https://old.example/", SECRET, LEADS))

    (found,) = automation.webhooks_named("zoho_lead_converter")
    whole = automation.webhook(created)

    assert found["id"] == created
    assert "headers" not in found  # the list answers summaries
    assert whole is not None
    assert whole["headers"]["custom_parameters"] == [{"name": "X-Webhook-Secret", "value": SECRET}]


def test_an_update_replaces_the_webhook_and_a_delete_removes_it(automation):
    created = automation.create_webhook(webhook("w", "https://f.example/", SECRET, LEADS))

    automation.update_webhook(created, webhook("w", "https://g.example/", SECRET, LEADS))
    moved = automation.webhook(created)
    automation.delete_webhook(created)

    assert moved is not None
    assert moved["url"] == "https://g.example/"
    assert automation.webhook(created) is None
    assert automation.webhooks_named("w") == []


def test_a_rule_is_created_updated_and_deleted(automation):
    hook = automation.create_webhook(webhook("w", "https://f.example/", SECRET, LEADS))
    created = automation.create_rule(rule("w", Trigger(("Qualified",)), LEADS, hook))

    automation.update_rule(created, {"status": {"active": False}})
    (found,) = automation.rules_named("w")
    whole = automation.rule(created)
    automation.delete_rule(created)

    assert found["id"] == created
    assert whole is not None
    assert whole["status"]["active"] is False
    assert whole["conditions"][0]["instant_actions"]["actions"][0]["id"] == hook
    assert automation.rule(created) is None


def test_zohos_refusal_in_the_webhooks_envelope_is_raised_with_its_code(automation):
    used = automation.create_webhook(webhook("w", "https://f.example/", SECRET, LEADS))
    automation.create_rule(rule("w", Trigger(("Qualified",)), LEADS, used))

    with pytest.raises(ZohoRefused) as refused:
        automation.delete_webhook(used)

    assert refused.value.code == "NOT_ALLOWED"


def test_a_token_without_the_setup_scopes_is_told_which_scope_the_call_needs(emulator):
    automation = Automation(make_client(emulator))  # the function's own grant: it may only read

    with pytest.raises(ZohoRefused) as refused:
        automation.create_webhook(webhook("w", "https://f.example/", SECRET, LEADS))

    assert refused.value.code == "OAUTH_SCOPE_MISMATCH"
    assert "needs ZohoCRM.settings.automation_actions.CREATE" in refused.value.reason


def test_failed_deliveries_are_read_with_the_lead_and_the_webhook(emulator, automation):
    hook = automation.create_webhook(webhook("w", "http://127.0.0.1:9/", SECRET, LEADS))  # nothing listens
    automation.create_rule(rule("w", Trigger(("Qualified",)), LEADS, hook))
    lead_id = emulator.crm.add_lead(Last_Name="Doe", Company="Acme", Lead_Status="Qualified")
    assert emulator.automation.wait_for_deliveries(10)
    today = emulator.clock.now().date()

    (failure,) = automation.failures(today - dt.timedelta(days=1), today)

    assert (failure.lead_id, failure.webhook) == (lead_id, "w")
    assert failure.time
    assert failure.reason
