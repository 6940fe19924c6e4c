"""connect, verify and disconnect: the org's webhook and workflow rule read, compared with what
the rules file wants (handlers.setup.desired, .compare), and changed in the order Zoho needs.

The webhook comes first (the rule names it) and goes last (Zoho refuses to delete a webhook a
rule uses). Both are found by their exact name among the Leads ones; two of either is a problem
for a person to settle, never a guess. Without `apply` nothing is written: the plan comes from
reads alone, since Zoho has no dry run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from handlers.engine.rules import RuleSet
from handlers.errors import Misconfigured, ZohoBadResponse
from handlers.platform.settings import DEFAULT_WEBHOOK_NAME, WEBHOOK_SECRET_HEADER
from handlers.setup import desired
from handlers.setup.compare import rule_differences, secret_masked, webhook_differences
from handlers.zoho.automation import Automation, FailedDelivery
from handlers.zoho.metadata import read_lead_fields

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

Action = Literal["create", "update", "activate", "delete"]
Kind = Literal["webhook", "workflow rule"]
# Triggers an update may move between; from any other the rule is deleted and created again
# (docs/zoho-api.md, "Webhooks and workflow rules": a trigger cannot change category).
RECORD_ACTIONS = frozenset({"create", "edit", "create_or_edit"})
FAILURE_DAYS = 1


@dataclass(frozen=True)
class Change:
    action: Action
    kind: Kind
    name: str
    id: str | None = None
    keys: tuple[str, ...] = ()

    def line(self) -> str:
        """`update webhook 'zoho_lead_converter' (4876…): url, headers.X-Webhook-Secret (another value)`."""
        found = f" ({self.id})" if self.id else ""
        keys = f": {', '.join(self.keys)}" if self.keys else ""
        return f"{self.action} {self.kind} {self.name!r}{found}{keys}"

    def difference(self) -> str:
        """The change as verify reports it: what is wrong now."""
        found = f" ({self.id})" if self.id else ""
        if self.action == "create":
            return f"missing: {self.kind} {self.name!r}"
        if self.action == "activate":
            return f"inactive: {self.kind} {self.name!r}{found}"
        return f"differs: {self.kind} {self.name!r}{found}: {', '.join(self.keys)}"


@dataclass
class Result:
    """What connect or disconnect plans (or did, with apply), or what verify found."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[FailedDelivery] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """verify's answer: `ok` when nothing differs."""
        return {
            "ok": not self.changes,
            "differences": [change.difference() for change in self.changes],
            "failures": [failure.as_json() for failure in self.failures],
            "notes": self.notes,
        }


@dataclass
class _Org:
    leads_module_id: str
    webhook: dict[str, Any] | None
    rule: dict[str, Any] | None


class Connection:
    """The product's webhook and rule in one org, named `name`."""

    def __init__(self, zoho: ZohoClient, rules: RuleSet, name: str = DEFAULT_WEBHOOK_NAME):
        if not zoho.version.number >= 8:
            raise Misconfigured(
                f"the webhook and workflow-rule APIs are Zoho's v8 only, and ZOHO_API_VERSION is"
                f" {zoho.version.name}: set ZOHO_API_VERSION=v8 for these commands"
            )
        self.zoho = zoho
        self.automation = Automation(zoho)
        self.rules = rules
        self.name = name

    def connect(self, url: str, secret: str, *, apply: bool) -> Result:
        return self._connect(self._read(), url, secret, apply=apply)

    def verify(self, url: str, secret: str, today: dt.date) -> Result:
        """What connect would change (each a difference), and the webhook's delivery failures of
        the last day."""
        org = self._read()
        result = self._connect(org, url, secret, apply=False)
        if org.webhook is not None:
            since = today - dt.timedelta(days=FAILURE_DAYS)
            result.failures = self.automation.failures(since, today, str(org.webhook["id"]))
        return result

    def _connect(self, org: _Org, url: str, secret: str, *, apply: bool) -> Result:
        trigger = desired.trigger_for(self.rules, read_lead_fields(self.zoho))
        webhook = desired.webhook(self.name, url, secret, org.leads_module_id)
        result = Result(notes=list(trigger.warnings))
        webhook_id = self._webhook_change(org, webhook, result)
        if apply:
            webhook_id = self._apply_webhook(result.changes, webhook, webhook_id)
        rule = desired.rule(self.name, trigger, org.leads_module_id, webhook_id or "the new webhook")
        changes = self._rule_changes(org, rule, webhook_id)
        result.changes += changes
        if apply:
            assert webhook_id is not None
            self._apply_rule(changes, org, trigger, rule, webhook_id)
        return result

    def disconnect(self, *, apply: bool) -> Result:
        org = self._read()
        result = Result()
        if org.rule is not None:
            result.changes.append(Change("delete", "workflow rule", self.name, str(org.rule["id"])))
        if org.webhook is not None:
            result.changes.append(Change("delete", "webhook", self.name, str(org.webhook["id"])))
        if apply:
            for change in result.changes:  # the rule first: Zoho keeps a webhook a rule uses
                assert change.id is not None
                if change.kind == "workflow rule":
                    self.automation.delete_rule(change.id)
                else:
                    self.automation.delete_webhook(change.id)
        return result

    # --- reading ----------------------------------------------------------------------------------

    def _read(self) -> _Org:
        leads = self.zoho.module_ids().get("Leads")
        if leads is None:
            raise ZohoBadResponse("the modules read has no Leads module")
        webhook = self._only("webhook", self.automation.webhooks_named(self.name))
        rule = self._only("workflow rule", self.automation.rules_named(self.name))
        return _Org(
            leads,
            self.automation.webhook(str(webhook["id"])) if webhook is not None else None,
            self.automation.rule(str(rule["id"])) if rule is not None else None,
        )

    def _only(self, kind: Kind, found: list[dict[str, Any]]) -> dict[str, Any] | None:
        if len(found) > 1:
            ids = ", ".join(str(item.get("id")) for item in found)
            raise Misconfigured(
                f"the org has {len(found)} {kind}s on Leads named {self.name!r} ({ids}): delete the ones"
                f" that are not the converter's in Zoho, or give this one another name with --name"
            )
        return found[0] if found else None

    # --- planning ---------------------------------------------------------------------------------

    def _webhook_change(self, org: _Org, webhook: dict[str, Any], result: Result) -> str | None:
        """The webhook's change, if any, into `result`; its id when it exists already."""
        if org.webhook is None:
            result.changes.append(Change("create", "webhook", self.name, keys=(f"POST {webhook['url']}",)))
            return None
        webhook_id = str(org.webhook["id"])
        differences = webhook_differences(org.webhook, webhook)
        if differences:
            result.changes.append(Change("update", "webhook", self.name, webhook_id, tuple(differences)))
        if secret_masked(org.webhook):
            result.notes.append(
                f"Zoho shows the {WEBHOOK_SECRET_HEADER} header of webhook {self.name!r} masked, so"
                " its value cannot be compared: if the secret was rotated, run connect --apply after"
                " deleting the webhook's rule and webhook with disconnect --apply"
            )
        return webhook_id

    def _rule_changes(self, org: _Org, rule: dict[str, Any], webhook_id: str | None) -> list[Change]:
        if org.rule is None:
            return [Change("create", "workflow rule", self.name, keys=(_describe(rule),))]
        rule_id = str(org.rule["id"])
        differences = rule_differences(org.rule, rule, webhook_id or "")
        if not differences:
            return []
        trigger = (org.rule.get("execute_when") or {}).get("type")
        if trigger not in RECORD_ACTIONS:
            return [
                Change(
                    "delete", "workflow rule", self.name, rule_id, (f"its trigger {trigger!r} cannot change",)
                ),
                Change("create", "workflow rule", self.name, keys=(_describe(rule),)),
            ]
        if differences == ["status.active"]:
            return [Change("activate", "workflow rule", self.name, rule_id)]
        return [Change("update", "workflow rule", self.name, rule_id, tuple(differences))]

    # --- applying ---------------------------------------------------------------------------------

    def _apply_webhook(self, changes: list[Change], webhook: dict[str, Any], webhook_id: str | None) -> str:
        for change in changes:
            if change.action == "create":
                return self.automation.create_webhook(webhook)
            if change.action == "update" and change.id is not None:
                self.automation.update_webhook(change.id, webhook)
        assert webhook_id is not None
        return webhook_id

    def _apply_rule(
        self,
        changes: list[Change],
        org: _Org,
        trigger: desired.Trigger,
        rule: dict[str, Any],
        webhook_id: str,
    ) -> None:
        for change in changes:
            if change.action == "delete" and change.id is not None:
                self.automation.delete_rule(change.id)
            elif change.action == "create":
                self.automation.create_rule(rule)
            elif change.id is not None and org.rule is not None:
                if change.action == "update":
                    self.automation.update_rule(change.id, _update(org.rule, rule, trigger, webhook_id))
                if change.action == "activate" or "status.active" in change.keys:
                    self.automation.update_rule(change.id, {"status": {"active": True}})


def _update(
    found: dict[str, Any], rule: dict[str, Any], trigger: desired.Trigger, webhook_id: str
) -> dict[str, Any]:
    """A partial update: name, trigger, and the one condition (replaced by its id, the others removed)."""
    conditions = [item for item in found.get("conditions") or [] if isinstance(item, dict)]
    first_id = str(conditions[0]["id"]) if conditions and conditions[0].get("id") else None
    removed = [{"id": str(item["id"]), "_delete": None} for item in conditions[1:] if item.get("id")]
    return {
        "name": rule["name"],
        "description": rule["description"],
        "execute_when": rule["execute_when"],
        "conditions": [desired.condition(trigger, webhook_id, first_id), *removed],
    }


def _describe(rule: dict[str, Any]) -> str:
    criteria = rule["conditions"][0]["criteria_details"]["criteria"]
    when = (
        "on every create and edit" if criteria is None else f"Lead_Status in ({', '.join(criteria['value'])})"
    )
    return f"on Leads, {when}, the first time"
