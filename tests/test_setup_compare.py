"""What differs between the org's webhook and rule and the desired ones (handlers/setup/compare.py):
the managed keys only, named never with a value."""

from __future__ import annotations

import copy

import pytest

from handlers.setup.compare import rule_differences, secret_masked, webhook_differences
from handlers.setup.desired import Trigger, rule, webhook

SECRET = "wh-7f3a9c2e41b85d06e9c4"
DESIRED = webhook("zoho_lead_converter", "https://f.example/", SECRET, "42")
TRIGGER = Trigger(("Qualified",))
DESIRED_RULE = rule("zoho_lead_converter", TRIGGER, "42", "7")


def as_zoho_answers(webhook_or_rule: dict) -> dict:
    """The object as Zoho answers it: ids, timestamps and keys of its own added."""
    answered = copy.deepcopy(webhook_or_rule)
    answered |= {"id": "7", "modified_time": "2026-12-06T05:00:00+00:00", "editable": True}
    if "conditions" in answered:
        answered["status"] = {"active": True}
        answered["conditions"][0]["id"] = "91"
        answered["conditions"][0]["criteria_details"]["criteria"] |= {"type": "value"}
        answered["conditions"][0]["criteria_details"]["criteria"]["field"]["id"] = "8"
        answered["conditions"][0]["instant_actions"]["actions"][0]["name"] = "zoho_lead_converter"
        del answered["execute_when"]["details"]["repeat"]  # Zoho may leave it out
    return answered


def test_a_webhook_as_zoho_answers_it_has_no_difference():
    assert webhook_differences(as_zoho_answers(DESIRED), DESIRED) == []


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        (lambda w: w.update(url="https://old.example/"), "url"),
        (lambda w: w.update(http_method="GET"), "http_method"),
        (lambda w: w["headers"].update(custom_parameters=[]), "headers.X-Webhook-Secret (missing)"),
        (
            lambda w: w["headers"]["custom_parameters"][0].update(value="another-secret-of-24ch"),
            "headers.X-Webhook-Secret (another value)",
        ),
        (lambda w: w["body"].update(raw_data_content='{"lead_id": "${Leads.Lead Id}"}'), "body"),
        (lambda w: w["body"].update(type="form_data"), "body"),
        (lambda w: w.update(authentication={"type": "connection"}), "authentication"),
    ],
)
def test_each_managed_key_that_differs_is_named(change, difference):
    found = as_zoho_answers(DESIRED)
    change(found)

    assert webhook_differences(found, DESIRED) == [difference]


def test_a_header_name_differing_only_in_case_is_the_same_header():
    found = as_zoho_answers(DESIRED)
    found["headers"]["custom_parameters"][0]["name"] = "x-webhook-secret"

    assert webhook_differences(found, DESIRED) == []


def test_a_masked_secret_is_not_a_difference_but_is_told():
    found = as_zoho_answers(DESIRED)
    found["headers"]["custom_parameters"][0]["value"] = "********"

    assert webhook_differences(found, DESIRED) == []
    assert secret_masked(found)
    assert not secret_masked(as_zoho_answers(DESIRED))


def test_no_difference_ever_shows_the_secret():
    found = as_zoho_answers(DESIRED)
    found["headers"]["custom_parameters"][0]["value"] = "another-secret-of-24ch"

    assert SECRET not in repr(webhook_differences(found, DESIRED))
    assert "another-secret" not in repr(webhook_differences(found, DESIRED))


def test_a_rule_as_zoho_answers_it_has_no_difference():
    assert rule_differences(as_zoho_answers(DESIRED_RULE), DESIRED_RULE, "7") == []


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        (lambda r: r["execute_when"].update(type="create"), "execute_when.type"),
        (lambda r: r["execute_when"]["details"].update(repeat=True), "execute_when.details.repeat"),
        (
            lambda r: r["conditions"][0]["criteria_details"]["criteria"].update(value=["Contacted"]),
            "criteria",
        ),
        (lambda r: r["conditions"][0]["instant_actions"]["actions"][0].update(id="8"), "webhook action"),
        (lambda r: r.update(status={"active": False}), "status.active"),
        (lambda r: r["conditions"].append(copy.deepcopy(r["conditions"][0])), "conditions"),
    ],
)
def test_each_managed_key_of_the_rule_that_differs_is_named(change, difference):
    found = as_zoho_answers(DESIRED_RULE)
    change(found)

    assert rule_differences(found, DESIRED_RULE, "7") == [difference]


def test_criteria_values_compare_as_a_set():
    two = rule("n", Trigger(("Qualified", "Sales_Ready")), "42", "7")
    found = as_zoho_answers(two)
    found["conditions"][0]["criteria_details"]["criteria"]["value"] = ["Sales_Ready", "Qualified"]

    assert rule_differences(found, two, "7") == []
