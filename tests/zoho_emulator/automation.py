"""The org's webhooks and workflow rules (zoho-crm-api.md §15), and running the rules.

The store holds what the automation endpoints create; `lead_saved` is the CRM store's hook,
called under its lock after a lead is created or edited: every active rule on Leads whose
trigger matches the save is evaluated against the lead, and a rule that fires hands one job
per webhook action to the outbox (delivery.py), whose worker sends them outside every lock.

Running (each reading CHOSEN where the reference is silent):
- triggers: `create` (a lead added), `edit` (a lead edited: every edit counts, even one that
  changes no value), `create_or_edit` (both), `field_update` (an edit that changes a field its
  criteria name, every one of them with `match_all`, and leaves the lead matching them);
- the conditions are tried in `sequence_number` order and the first whose criteria match runs
  its actions (an if / else-if chain); criteria null match every lead;
- `repeat: true` fires on every matching save; `repeat: false` (and `create`) fires the first
  time a lead matches, per rule and lead, and never again for that lead, even after it stops
  matching and matches again or the rule is deactivated and activated (UNVERIFIED, §15.4);
- rules fire in the order they were created; deliveries are sent in the order fired; an
  inactive rule never fires, and a rule on another module never fires (only leads are edited).

Deliveries are no API calls: they are in neither the journal nor the credit meter.

Locks: the CRM store's lock is taken before this store's, never after it; so the endpoints
fetch what they need from the CRM store (fields, the token's user) before calling in here.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

from . import criteria
from .automation_errors import AutomationError, not_allowed
from .clock import Clock, zoho_time
from .delivery import DEFAULT_TIMEOUT, Delivery, Job, Outbox, outbound, send
from .ids import IdSequence
from .metadata import FieldDef
from .module_refs import module_json
from .rule_schema import Context, RuleSpec, Trigger, parse_rule, parse_update
from .webhook_schema import MODULE_FIXED

ASSOCIATED = "This webhook is associated with at least one of Approval Process/Workflow Rules/Blueprint"
LOCK_STATUS = {"locked": False, "message": None}  # OAS-new getWebhookById
RULE_LOCK = {"locked_by": None, "message": None, "status": False}  # OAS-new getWorkflowRuleById
SOURCE = "crm"  # what OAS-new's samples show; the value for API-made ones is UNVERIFIED (§15.5)


@dataclass
class _Stamp:
    """Who created and last modified a webhook or rule, and when (the org's clock)."""

    created_time: str
    created_by: dict[str, str]
    modified_time: str
    modified_by: dict[str, str]

    def touched(self, time: str, by: dict[str, str]) -> None:
        self.modified_time, self.modified_by = time, by

    def as_json(self) -> dict[str, Any]:
        return {
            "created_time": self.created_time,
            "created_by": self.created_by,
            "modified_time": self.modified_time,
            "modified_by": self.modified_by,
        }


@dataclass
class _Webhook:
    id: str
    config: dict[str, Any]  # webhook_schema.parse_webhook's
    stamp: _Stamp


@dataclass
class _Rule:
    id: str
    spec: RuleSpec
    active: bool
    stamp: _Stamp
    last_executed_time: str | None = None


class Automation:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._outbox = Outbox(self._deliver)
        self._generation = 0
        self.delivery_timeout = DEFAULT_TIMEOUT  # seconds; a test may shorten it
        self.clear()

    def clear(self) -> None:
        """Forget every webhook, rule, delivery and failure; queued deliveries are dropped, and
        one under way is not recorded."""
        with self._lock:
            self._generation += 1
            self._ids = IdSequence()
            self._webhooks: dict[str, _Webhook] = {}
            self._rules: dict[str, _Rule] = {}
            self._fired: set[tuple[str, str]] = set()  # (rule id, lead id) fired once
            self._deliveries: list[Delivery] = []
            self._failures: list[dict[str, Any]] = []

    def stop(self) -> None:
        """End the delivery worker (a delivery under way may take up to its timeout)."""
        self._outbox.stop(self.delivery_timeout + 1)

    # --- webhooks (zoho-crm-api.md §15.2, §15.3) ------------------------------------------------

    def create_webhook(self, config: dict[str, Any], by: dict[str, str], path: str) -> str:
        with self._lock:
            self._check_webhook_name(config["name"], None, path)
            webhook_id = self._ids.next("webhooks")
            self._webhooks[webhook_id] = _Webhook(webhook_id, config, self._stamp(by))
            return webhook_id

    def replace_webhook(self, webhook_id: str, config: dict[str, Any], by: dict[str, str], path: str) -> None:
        """Full replacement (§15.3); KeyError for an unknown id; NOT_ALLOWED for another module."""
        with self._lock:
            webhook = self._webhooks[webhook_id]
            if config["module"] != webhook.config["module"]:
                raise not_allowed(f"{path}.module", "module", MODULE_FIXED)
            self._check_webhook_name(config["name"], webhook_id, path)
            webhook.config = config
            webhook.stamp.touched(zoho_time(self._clock.now()), by)

    def webhook(self, webhook_id: str) -> dict[str, Any] | None:
        """The webhook as Get Webhook shows it (headers in clear), or None."""
        with self._lock:
            webhook = self._webhooks.get(webhook_id)
            return None if webhook is None else self._webhook_json(webhook)

    def webhooks(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._webhook_json(webhook) for webhook in self._webhooks.values()]

    def delete_webhook(self, webhook_id: str) -> None:
        """KeyError for an unknown id. A webhook a rule uses cannot be deleted (§15.3): an
        inactive rule's use blocks it too (UNVERIFIED, §15.11 item 6: the riskier reading)."""
        with self._lock:
            if webhook_id not in self._webhooks:
                raise KeyError(webhook_id)
            if any(webhook_id in _webhook_ids(rule) for rule in self._rules.values()):
                raise AutomationError("NOT_ALLOWED", ASSOCIATED, {"id": webhook_id})
            del self._webhooks[webhook_id]

    def _check_webhook_name(self, name: str, own_id: str | None, path: str) -> None:
        """Whether Zoho refuses a second webhook of one name is UNVERIFIED (§15.11 item 1):
        refused, DUPLICATE_DATA (CHOSEN code)."""
        if any(w.config["name"] == name and w.id != own_id for w in self._webhooks.values()):
            raise AutomationError(
                "DUPLICATE_DATA", "duplicate data", {"api_name": "name", "json_path": f"{path}.name"}
            )

    def _webhook_json(self, webhook: _Webhook) -> dict[str, Any]:
        associated = any(rule.active and webhook.id in _webhook_ids(rule) for rule in self._rules.values())
        return {
            "id": webhook.id,
            **copy.deepcopy(webhook.config),
            "source": SOURCE,
            "editable": True,
            "deletable": True,
            "lock_status": dict(LOCK_STATUS),
            **copy.deepcopy(webhook.stamp.as_json()),
            "associated": associated,
        }

    # --- workflow rules (zoho-crm-api.md §15.4, §15.5) -------------------------------------------

    def create_rule(
        self, item: Any, path: str, fields: dict[str, tuple[FieldDef, ...]], by: dict[str, str]
    ) -> str:
        """Check and store a rule (active at once, §15.4); AutomationError naming what is wrong."""
        with self._lock:
            spec = parse_rule(item, path, self._context(fields))
            self._check_rule_name(spec.name, None, path)
            rule_id = self._ids.next("workflow_rules")
            self._rules[rule_id] = _Rule(rule_id, spec, True, self._stamp(by))
            return rule_id

    def update_rule(
        self, rule_id: str, item: Any, path: str, fields: dict[str, tuple[FieldDef, ...]], by: dict[str, str]
    ) -> None:
        """A partial update (§15.5); KeyError for an unknown id."""
        with self._lock:
            rule = self._rules[rule_id]
            spec, active = parse_update(item, path, rule.spec, self._context(fields))
            self._check_rule_name(spec.name, rule_id, path)
            rule.spec = spec
            if active is not None:
                rule.active = active
            rule.stamp.touched(zoho_time(self._clock.now()), by)

    def rule(self, rule_id: str, inner_details: bool = True) -> dict[str, Any] | None:
        with self._lock:
            rule = self._rules.get(rule_id)
            return None if rule is None else self._rule_json(rule, inner_details)

    def rules(self, inner_details: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            return [self._rule_json(rule, inner_details) for rule in self._rules.values()]

    def delete_rule(self, rule_id: str) -> None:
        """KeyError for an unknown id. Its record of leads fired for goes with it."""
        with self._lock:
            del self._rules[rule_id]
            self._fired = {key for key in self._fired if key[0] != rule_id}

    def _context(self, fields: dict[str, tuple[FieldDef, ...]]) -> Context:
        def webhook(webhook_id: str) -> dict[str, Any] | None:
            found = self._webhooks.get(webhook_id)
            return None if found is None else found.config

        return Context(fields, webhook, lambda: self._ids.next("automation"))

    def _check_rule_name(self, name: str, own_id: str | None, path: str) -> None:
        """As webhook names (§15.11 item 1): a second rule of one name is DUPLICATE_DATA."""
        if any(r.spec.name == name and r.id != own_id for r in self._rules.values()):
            raise AutomationError(
                "DUPLICATE_DATA", "duplicate data", {"api_name": "name", "json_path": f"{path}.name"}
            )

    def _rule_json(self, rule: _Rule, inner_details: bool) -> dict[str, Any]:
        spec = rule.spec
        shown: dict[str, Any] = {
            "id": rule.id,
            "name": spec.name,
            "description": spec.description,
            "module": module_json(spec.module),
            "execute_when": copy.deepcopy(spec.trigger.json),
            "status": {"active": rule.active},
            "category": "default",
            "deprecated": False,
            "lock": dict(RULE_LOCK),
            "editable": True,
            "deletable": True,
            "source": SOURCE,
            **copy.deepcopy(rule.stamp.as_json()),
            "last_executed_time": rule.last_executed_time,
        }
        if inner_details:
            shown["conditions"] = [self._condition_json(condition.json) for condition in spec.conditions]
        return shown

    def _condition_json(self, condition: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(condition)
        for action in shown["instant_actions"]["actions"]:
            webhook = self._webhooks.get(action["id"])
            action["name"] = webhook.config["name"] if webhook else None
        return shown

    def _stamp(self, by: dict[str, str]) -> _Stamp:
        now = zoho_time(self._clock.now())
        return _Stamp(now, dict(by), now, dict(by))

    # --- running the rules ----------------------------------------------------------------------

    def lead_saved(self, event: str, lead: dict[str, Any], changed: frozenset[str]) -> None:
        """The CRM store's hook, under its lock: `event` "create" or "edit", `lead` the saved
        lead, `changed` the fields the save changed (all of them on create)."""
        with self._lock:
            if not self._rules:
                return
            snapshot: dict[str, Any] | None = None
            for rule in self._rules.values():
                spec = rule.spec
                if (
                    not rule.active
                    or spec.module != "Leads"
                    or not _triggered(spec.trigger, event, lead, changed)
                ):
                    continue
                condition = next(
                    (
                        c
                        for c in spec.conditions
                        if c.criterion is None or criteria.matches(c.criterion, lead)
                    ),
                    None,
                )
                key = (rule.id, lead["id"])
                if condition is None or (key in self._fired and not spec.trigger.repeat):
                    continue
                self._fired.add(key)
                rule.last_executed_time = zoho_time(self._clock.now())
                snapshot = snapshot or copy.deepcopy(lead)
                for webhook_id in condition.webhook_ids:
                    config = copy.deepcopy(self._webhooks[webhook_id].config)
                    job = Job(self._generation, rule.id, spec.name, webhook_id, config, snapshot)
                    self._outbox.submit(job)

    def _deliver(self, job: Job) -> None:
        """The outbox worker's: send, outside every lock, then record."""
        if job.generation != self._generation:
            return
        request = outbound(job.webhook, job.lead)
        sent_at = zoho_time(self._clock.now())
        outcome = send(request, self.delivery_timeout)
        body = None if request.body is None else request.body.decode("utf-8", "replace")
        delivery = Delivery(
            job.rule_id,
            job.webhook_id,
            job.lead["id"],
            request.method,
            request.url,
            dict(request.headers),
            body,
            outcome.status,
            outcome.error,
            outcome.failure_reason,
            sent_at,
        )
        with self._lock:
            if job.generation != self._generation:
                return
            self._deliveries.append(delivery)
            if outcome.failure_reason is not None:
                self._failures.append(self._failure(job, outcome.failure_reason, sent_at))

    def _failure(self, job: Job, reason: str, time: str) -> dict[str, Any]:
        """A webhook failure as Get Webhook Failures lists it (zoho-crm-api.md §15.7)."""
        return {
            "id": self._ids.next("automation"),
            "webhook": {"name": job.webhook["name"], "id": job.webhook_id},
            "workflow_rule": {"name": job.rule_name, "id": job.rule_id},
            "entity_details": {
                "module": module_json("Leads"),
                "name": job.lead.get("Full_Name"),
                "id": job.lead["id"],
            },
            "failure_time": time,
            "failure_reason": reason,
        }

    # --- what tests read -------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook request made since the last reset, in the order sent."""
        with self._lock:
            return list(self._deliveries)

    def failures(self) -> list[dict[str, Any]]:
        """The failed deliveries as Get Webhook Failures shows them, oldest first."""
        with self._lock:
            return copy.deepcopy(self._failures)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery fired so far is sent and recorded; False on timeout."""
        return self._outbox.wait(timeout)


def _webhook_ids(rule: _Rule) -> set[str]:
    return {webhook_id for condition in rule.spec.conditions for webhook_id in condition.webhook_ids}


def _triggered(trigger: Trigger, event: str, lead: dict[str, Any], changed: frozenset[str]) -> bool:
    if trigger.type == "create_or_edit":
        return True
    if trigger.type != "field_update":
        return trigger.type == event
    if event != "edit" or trigger.watch is None:
        return False
    watched = criteria.field_names(trigger.watch)
    moved = watched <= changed if trigger.match_all else bool(watched & changed)
    return moved and criteria.matches(trigger.watch, lead)
