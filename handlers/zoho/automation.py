"""Zoho's automation settings as the setup commands use them: webhooks, workflow rules and the
webhook failures (docs/zoho-api.md, "Webhooks and workflow rules"). v8 only.

Neither a webhook nor a rule carries an external id, so the product finds its own by exact name
among those listed on Leads; the list answers a webhook without its headers and body, so each is
then read by id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handlers.errors import ZohoBadResponse, ZohoRefused

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

WEBHOOKS = "/settings/automation/webhooks"
RULES = "/settings/automation/workflow_rules"
FAILURES = "/settings/automation/webhook_failures"
PER_PAGE = 200
MAX_PAGES = 20  # 4,000 webhooks or rules: past that the paging is taken as not ending


@dataclass(frozen=True)
class FailedDelivery:
    """A webhook call Zoho could not make: the lead, when, why, and the webhook's name."""

    lead_id: str | None
    time: str | None
    reason: str | None
    webhook: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"lead_id": self.lead_id, "time": self.time, "reason": self.reason}


class Automation:
    def __init__(self, zoho: ZohoClient):
        self.zoho = zoho

    # --- webhooks -------------------------------------------------------------------------------

    def webhooks_named(self, name: str) -> list[dict[str, Any]]:
        """The Leads workflow webhooks whose name is exactly `name` (Zoho filters by `contains`)."""
        filters = {"field": {"api_name": "name"}, "comparator": "contains", "value": name}
        params = {"module": "Leads", "feature_type": "workflow", "filters": _json(filters)}
        return [item for item in self._listed(WEBHOOKS, "webhooks", params) if item.get("name") == name]

    def webhook(self, webhook_id: str) -> dict[str, Any] | None:
        """The whole webhook (headers and body included); None when there is no such webhook."""
        return self._one(f"{WEBHOOKS}/{webhook_id}", "webhooks")

    def create_webhook(self, webhook: dict[str, Any]) -> str:
        return self._created(self.zoho.settings("POST", WEBHOOKS, json={"webhooks": [webhook]}), "webhooks")

    def update_webhook(self, webhook_id: str, webhook: dict[str, Any]) -> None:
        """A full replacement: every key not sent reverts to its default."""
        self.zoho.settings("PUT", f"{WEBHOOKS}/{webhook_id}", json={"webhooks": [webhook]})

    def delete_webhook(self, webhook_id: str) -> None:
        self.zoho.settings("DELETE", f"{WEBHOOKS}/{webhook_id}")

    # --- workflow rules ---------------------------------------------------------------------------

    def rules_named(self, name: str) -> list[dict[str, Any]]:
        filter_ = {"field": {"api_name": "name"}, "comparator": "contains", "value": name}
        params = {"module": "Leads", "filter": _json(filter_)}
        return [item for item in self._listed(RULES, "workflow_rules", params) if item.get("name") == name]

    def rule(self, rule_id: str) -> dict[str, Any] | None:
        return self._one(f"{RULES}/{rule_id}", "workflow_rules")

    def create_rule(self, rule: dict[str, Any]) -> str:
        return self._created(
            self.zoho.settings("POST", RULES, json={"workflow_rules": [rule]}), "workflow_rules"
        )

    def update_rule(self, rule_id: str, changes: dict[str, Any]) -> None:
        """A partial update: only the keys sent change (a condition by its id)."""
        self.zoho.settings("PUT", f"{RULES}/{rule_id}", json={"workflow_rules": [changes]})

    def delete_rule(self, rule_id: str) -> None:
        self.zoho.settings("DELETE", f"{RULES}/{rule_id}")

    # --- failures ---------------------------------------------------------------------------------

    def failures(self, since: dt.date, until: dt.date, webhook_id: str | None = None) -> list[FailedDelivery]:
        """The deliveries Zoho could not make between the two dates (inclusive, the org's time
        zone), on Leads, of one webhook or all."""
        params = {"module": "Leads", "from": since.isoformat(), "to": until.isoformat()}
        if webhook_id is not None:
            params["webhook_id"] = webhook_id
        return [_failure(item) for item in self._listed(FAILURES, "webhook_failures", params)]

    # --- reading ----------------------------------------------------------------------------------

    def _listed(self, path: str, key: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        for page in range(1, MAX_PAGES + 1):
            body = self.zoho.settings(
                "GET", path, params={**params, "page": str(page), "per_page": str(PER_PAGE)}
            )
            items = _items(body, key, path)
            yield from items
            info = body.get("info") if isinstance(body, dict) else None
            if not items or not (isinstance(info, dict) and info.get("more_records")):
                return
        raise ZohoBadResponse(f"GET {path} listed more than {MAX_PAGES} pages: its paging does not end")

    def _one(self, path: str, key: str) -> dict[str, Any] | None:
        """The object by its id; None when there is none: Zoho answers 204, or (for a rule, not
        settled) INVALID_DATA naming the id in the path."""
        try:
            body = self.zoho.settings("GET", path)
        except ZohoRefused as refused:
            if refused.code == "INVALID_DATA" and refused.names_url_id:
                return None
            raise
        items = _items(body, key, path)
        return items[0] if items else None

    @staticmethod
    def _created(body: Any, key: str) -> str:
        items = _items(body, key, key)
        details = items[0].get("details") if items else None
        created = details.get("id") if isinstance(details, dict) else None
        if not created:
            raise ZohoBadResponse(f"Zoho answered the creation of {key} without an id")
        return str(created)


def _items(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    """The objects under `key` (none for a 204); a malformed answer is ZohoBadResponse."""
    if body is None:
        return []
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ZohoBadResponse(f"{what} answered without a list of objects in {key}[]")
    return items


def _failure(item: dict[str, Any]) -> FailedDelivery:
    return FailedDelivery(
        _text(_at(item, "entity_details", "id")),
        _text(item.get("failure_time")),
        _text(item.get("failure_reason")),
        _text(_at(item, "webhook", "name")),
    )


def _at(item: dict[str, Any], key: str, inner: str) -> Any:
    value = item.get(key)
    return value.get(inner) if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return str(value)[:200] if value not in (None, "") else None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
