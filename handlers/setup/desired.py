"""The webhook and the workflow rule `connect` wants in Zoho (docs/zoho-api.md, "Webhooks and
workflow rules").

The webhook POSTs `{"lead_id": "${!Leads.Id}"}` as raw JSON to the function, the secret in the
`X-Webhook-Secret` header. The rule fires it on Leads, on create or edit, the first time a lead
meets the criteria: `Lead_Status` in the statuses the converting rules ask for. When a converting
rule does not ask for one, any lead may convert, so the rule fires on every create and edit.

What Zoho leaves unsettled is chosen the safe way. A picklist value is sent in both its display
and its actual form where they differ (which one the criteria compare is not documented); names
keep to letters, digits, spaces and `_` (which other characters Zoho refuses is not documented);
`repeat: false` fires once per lead, and a delivery Zoho loses is the sweep's to catch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.engine.rules import Condition, RuleSet
from handlers.platform.settings import WEBHOOK_SECRET_HEADER
from handlers.zoho.metadata import FieldInfo

LEAD_ID_BODY = '{"lead_id": "${!Leads.Id}"}'
TRIGGER = "create_or_edit"
STATUS_FIELD = "Lead_Status"
DESCRIPTION = "Managed by zoho-lead-converter connect: edits here are undone by the next connect --apply"


@dataclass(frozen=True)
class Trigger:
    """When the rule fires: `Lead_Status` in `statuses`, or on every create and edit (None)."""

    statuses: tuple[str, ...] | None
    warnings: tuple[str, ...] = ()

    @property
    def criteria(self) -> dict[str, Any] | None:
        if self.statuses is None:
            return None
        return {"field": {"api_name": STATUS_FIELD}, "comparator": "in", "value": list(self.statuses)}


def trigger_for(rules: RuleSet, lead_fields: Mapping[str, FieldInfo] | None) -> Trigger:
    """The statuses the converting rules convert at, each in every form of its option."""
    statuses: list[str] = []
    for rule in rules.rules:
        if rule.skip:
            continue
        asked = _statuses(rule.when)
        if asked is None:
            return Trigger(
                None,
                (
                    f"rule {rule.name!r} has no {STATUS_FIELD} equals or in condition, so any lead may"
                    " convert: the workflow rule fires on every create and edit of a lead, one webhook"
                    " call (and the function's reads) per edit. Give each converting rule a"
                    f" {STATUS_FIELD} condition to fire only when a lead qualifies",
                ),
            )
        statuses += asked
    field = lead_fields.get(STATUS_FIELD) if lead_fields is not None else None
    forms = [form for status in statuses for form in _forms(status, field)]
    return Trigger(tuple(dict.fromkeys(forms)))


def _statuses(conditions: tuple[Condition, ...]) -> list[str] | None:
    for condition in conditions:
        if condition.field != STATUS_FIELD:
            continue
        if condition.operator == "equals" and isinstance(condition.expected, str):
            return [condition.expected]
        if condition.operator == "in" and all(isinstance(value, str) for value in condition.expected):
            return list(condition.expected)
    return None


def _forms(status: str, field: FieldInfo | None) -> list[str]:
    choices = field.choices if field is not None else ()
    for choice in choices:
        if status in (choice.display, choice.actual):
            return list(dict.fromkeys([choice.display, choice.actual]))
    return [status]


def webhook(name: str, url: str, secret: str, leads_module_id: str) -> dict[str, Any]:
    """The whole webhook, as created and as an update replaces it (every key, every time)."""
    return {
        "name": name,
        "description": DESCRIPTION,
        "module": {"api_name": "Leads", "id": leads_module_id},
        "url": url,
        "http_method": "POST",
        "feature_type": "workflow",
        "authentication": {"type": "general"},
        "headers": {
            "module_parameters": [],
            "custom_parameters": [{"name": WEBHOOK_SECRET_HEADER, "value": secret}],
        },
        "body": {"type": "raw", "format": "JSON", "raw_data_content": LEAD_ID_BODY},
    }


def rule(name: str, trigger: Trigger, leads_module_id: str, webhook_id: str) -> dict[str, Any]:
    """The rule as created: one condition whose instant action is the webhook."""
    leads = {"api_name": "Leads", "id": leads_module_id}
    return {
        "name": name,
        "description": DESCRIPTION,
        "module": leads,
        "execute_when": {"type": TRIGGER, "details": {"trigger_module": leads, "repeat": False}},
        "conditions": [condition(trigger, webhook_id)],
    }


def condition(trigger: Trigger, webhook_id: str, condition_id: str | None = None) -> dict[str, Any]:
    """The rule's one condition (its id when an update replaces an existing one)."""
    found = {"id": condition_id} if condition_id is not None else {}
    return {
        **found,
        "sequence_number": 1,
        "criteria_details": {"criteria": trigger.criteria},
        "instant_actions": {"actions": [{"type": "webhooks", "id": webhook_id}]},
    }
