"""What differs between the org's webhook and workflow rule and the ones `connect` wants.

Only what the product manages is compared: Zoho adds ids, timestamps, `type: value` in criteria
and other keys of its own, and may leave `repeat` out of a rule it answers. A difference is named
by its key (`url`, `headers.X-Webhook-Secret`, `criteria`), never by a value: a header's value is
the webhook secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from handlers.platform.settings import WEBHOOK_SECRET_HEADER
from handlers.setup.desired import LEAD_ID_BODY, TRIGGER


def webhook_differences(found: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
    """The managed keys of the org's webhook that differ from the desired one."""
    differences = [
        key for key in ("url", "http_method", "feature_type") if found.get(key) != desired.get(key)
    ]
    if _get(found, "module", "api_name") != "Leads":
        differences.append("module")
    if _get(found, "authentication", "type") != "general":
        differences.append("authentication")
    differences += _header_differences(found, desired)
    body = found.get("body") if isinstance(found.get("body"), Mapping) else {}
    assert isinstance(body, Mapping)
    if (body.get("type"), str(body.get("format") or "").upper()) != ("raw", "JSON") or _parsed(
        body.get("raw_data_content")
    ) != _parsed(LEAD_ID_BODY):
        differences.append("body")
    return differences


def _header_differences(found: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
    wanted = _custom_headers(desired)[WEBHOOK_SECRET_HEADER.lower()]
    headers = _custom_headers(found)
    key = f"headers.{WEBHOOK_SECRET_HEADER}"
    if WEBHOOK_SECRET_HEADER.lower() not in headers:
        return [f"{key} (missing)"]
    value = headers[WEBHOOK_SECRET_HEADER.lower()]
    if value != wanted and not masked(value):
        return [f"{key} (another value)"]
    return []


def secret_masked(found: Mapping[str, Any]) -> bool:
    """Whether the org shows the secret header's value masked, so that it cannot be compared.
    Zoho's documentation shows header values in clear; whether real answers mask them is not
    settled, so a masked value is told, not taken for a difference (it would be updated forever)."""
    headers = _custom_headers(found)
    return WEBHOOK_SECRET_HEADER.lower() in headers and masked(headers[WEBHOOK_SECRET_HEADER.lower()])


def masked(value: Any) -> bool:
    return value is None or (isinstance(value, str) and set(value) <= {"*"})


def _custom_headers(webhook: Mapping[str, Any]) -> dict[str, Any]:
    """Header name (lower case: HTTP names are case-insensitive) to value."""
    headers = webhook.get("headers")
    parameters = headers.get("custom_parameters") if isinstance(headers, Mapping) else None
    if not isinstance(parameters, list):
        return {}
    return {
        str(item.get("name", "")).lower(): item.get("value")
        for item in parameters
        if isinstance(item, Mapping)
    }


def rule_differences(found: Mapping[str, Any], desired: Mapping[str, Any], webhook_id: str) -> list[str]:
    """The managed keys of the org's rule that differ from the desired one, `status.active` last."""
    differences = []
    if _get(found, "execute_when", "type") != TRIGGER:
        differences.append("execute_when.type")
    if _get(found, "execute_when", "details", "repeat") is True:
        differences.append("execute_when.details.repeat")
    conditions = found.get("conditions") if isinstance(found.get("conditions"), list) else []
    assert isinstance(conditions, list)
    if len(conditions) != 1:
        differences.append("conditions")
    first = conditions[0] if conditions and isinstance(conditions[0], Mapping) else {}
    wanted = desired["conditions"][0]
    if _criteria(_get(first, "criteria_details", "criteria")) != _criteria(
        wanted["criteria_details"]["criteria"]
    ):
        differences.append("criteria")
    if not _fires(first, webhook_id):
        differences.append("webhook action")
    if _get(found, "status", "active") is False:
        differences.append("status.active")
    return differences


def _fires(condition: Mapping[str, Any], webhook_id: str) -> bool:
    actions = _get(condition, "instant_actions", "actions")
    if not isinstance(actions, list):
        return False
    return any(
        isinstance(action, Mapping)
        and action.get("type") == "webhooks"
        and str(action.get("id")) == webhook_id
        for action in actions
    )


def _criteria(criteria: Any) -> Any:
    """A criterion as compared: field, comparator and the set of values (Zoho adds ids and types)."""
    if not isinstance(criteria, Mapping):
        return None
    if "group" in criteria:
        items = criteria.get("group")
        group = [_criteria(item) for item in items] if isinstance(items, list) else []
        return (str(criteria.get("group_operator", "")).upper(), tuple(sorted(map(repr, group))))
    value = criteria.get("value")
    values = value if isinstance(value, list) else [value]
    return (_get(criteria, "field", "api_name"), criteria.get("comparator"), frozenset(map(str, values)))


def _parsed(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return text


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
