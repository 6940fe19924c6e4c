"""The webhook deliveries Zoho could not make (handlers/sweep/failed_deliveries.py), read by the
sweep at most hourly and reported once, so its alert fires when Zoho cannot call the function."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.errors import ZohoRefused
from handlers.setup.desired import Trigger, rule, webhook
from handlers.sweep.failed_deliveries import FailedDeliveries
from handlers.zoho.automation import Automation
from tests.conftest import make_client
from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.scopes import AUTOMATION_GRANT

DEAD_URL = "http://127.0.0.1:9/"  # nothing listens: every delivery fails
LEADS = MODULE_IDS["Leads"]


@pytest.fixture
def broken_webhook(emulator):
    """The converter's webhook and rule, pointing where nothing answers."""
    emulator.grant_scopes(emulator.granted_scopes() | AUTOMATION_GRANT)
    automation = Automation(make_client(emulator))
    hook = automation.create_webhook(webhook("zoho_lead_converter", DEAD_URL, "s" * 24, LEADS))
    automation.create_rule(rule("zoho_lead_converter", Trigger(("Qualified",)), LEADS, hook))


def qualify(emulator, name: str) -> str:
    lead_id = emulator.crm.add_lead(Last_Name=name, Company=name, Lead_Status="Qualified")
    assert emulator.automation.wait_for_deliveries(10)
    return lead_id


class Clock:
    def __init__(self, emulator):
        self.now = emulator.clock.now()

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_new_failures_of_the_named_webhook_are_read_once_then_not_before_an_hour(
    emulator, broken_webhook
):
    clock = Clock(emulator)
    watch = FailedDeliveries(make_client(emulator), "zoho_lead_converter", clock=clock)
    first = qualify(emulator, "First")
    clock.now = emulator.clock.now()

    reported = watch.new()
    clock.now += dt.timedelta(minutes=20)
    too_soon = watch.new()

    assert [failure.lead_id for failure in reported or []] == [first]
    assert too_soon is None


def test_a_failure_already_reported_is_not_reported_again(emulator, broken_webhook):
    clock = Clock(emulator)
    watch = FailedDeliveries(make_client(emulator), "zoho_lead_converter", clock=clock)
    qualify(emulator, "First")
    clock.now = emulator.clock.now() + dt.timedelta(seconds=1)
    watch.new()
    emulator.clock.advance(3600)
    second = qualify(emulator, "Second")
    clock.now = emulator.clock.now() + dt.timedelta(seconds=1)

    later = watch.new()

    assert [failure.lead_id for failure in later or []] == [second]


def test_another_webhooks_failures_are_not_the_converters(emulator, broken_webhook):
    watch = FailedDeliveries(make_client(emulator), "another_integration", clock=Clock(emulator))
    qualify(emulator, "First")

    assert watch.new() == []


def test_without_the_read_scope_the_read_is_refused(emulator, broken_webhook):
    emulator.grant_scopes(emulator.granted_scopes() - {"ZohoCRM.settings.automation_actions.READ"})
    watch = FailedDeliveries(make_client(emulator), "zoho_lead_converter", clock=Clock(emulator))

    with pytest.raises(ZohoRefused):
        watch.new()


def test_the_sweep_reports_them_and_its_summary_is_an_error(emulator, broken_webhook, sweep_with):
    lead_id = qualify(emulator, "Lost")

    summary = sweep_with("rules: [{name: q, when: {Lead_Status: Qualified}, existing_records: create}]")

    (failure,) = summary["webhook_failures"]
    assert failure["lead_id"] == lead_id
    assert summary["webhook_failures_count"] == 1
    assert summary["webhook_failures_unread"] is None


def test_a_refused_read_is_said_once_and_the_sweep_goes_on(emulator, sweep_with):
    emulator.grant_scopes(emulator.granted_scopes() - {"ZohoCRM.settings.automation_actions.READ"})

    summary = sweep_with("rules: [{name: q, when: {Lead_Status: Qualified}, existing_records: create}]")

    assert summary["webhook_failures"] == []
    assert "ZohoCRM.settings.automation_actions.READ" in summary["webhook_failures_unread"]
    assert summary["complete"] is True


def test_a_refused_read_is_not_asked_again_before_the_hour_is_over(emulator, broken_webhook):
    emulator.grant_scopes(emulator.granted_scopes() - {"ZohoCRM.settings.automation_actions.READ"})
    clock = Clock(emulator)
    watch = FailedDeliveries(make_client(emulator), "zoho_lead_converter", clock=clock)

    for minutes in (0, 15, 30):
        clock.now = emulator.clock.now() + dt.timedelta(minutes=minutes)
        with pytest.raises(ZohoRefused):
            watch.new()

    assert len(emulator.requests("GET", r"/webhook_failures$")) == 1
