"""What Create and Update Workflow Rule take (zoho-crm-api.md §15.4, §15.5, §15.6): one rule of
`{"workflow_rules": [ … ]}`, checked as `RuleSpec`, the rule the emulator runs.

Create: `name` (at most 100 characters of `[A-Za-z0-9 _]`, CHOSEN as for webhooks), `module`
with both `api_name` and `id`, `execute_when` (an object) and `conditions` (1-10) are mandatory;
`description` at most 255; `status` is refused whatever it says (§15.4: "do not send"; a rule is
active once created). Update is partial (§15.5): `name`, `description`, `execute_when`,
`conditions` (an existing `id` replaces that condition, no `id` adds one, `"_delete": null`
removes one) and `status: {"active"}`; `module` and `trigger_module` cannot change (NOT_ALLOWED).

Emulated (the rest is refused as not emulated, so a client passing here uses only what runs):
- triggers `create`, `edit`, `create_or_edit` and `field_update`; `details.repeat` is required
  for `edit` and `create_or_edit` (DEPENDENT_FIELD_MISSING; not for `create`, which OAS-new's
  sample sends without it), optional for `field_update` (false when absent, CHOSEN). A change
  between `field_update` and the others is refused (whether they share a trigger category is
  UNVERIFIED, §15.11 item 5), create/edit/create_or_edit among themselves is taken (Kaizen #215);
- conditions with `criteria_details.criteria` (criteria.py; null: every record; an absent
  `criteria` key is MANDATORY_NOT_FOUND, CHOSEN) and `instant_actions.actions` of
  `{"type": "webhooks", "id"}`, an existing webhook of the rule's module with `feature_type`
  `workflow` (another feature type is UNVERIFIED, §15.4: refused); at most 5 actions per
  condition and 1 webhook per rule (§15.6's sample limit, LIMIT_EXCEEDED); no scheduled actions,
  relational criteria or action types other than webhooks (NOT_ALLOWED / INVALID_DATA).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import criteria
from .automation_errors import (
    AutomationError,
    dependent,
    invalid,
    limit_exceeded,
    mandatory,
    not_allowed,
    required_object,
    required_text,
    wrong_type,
)
from .metadata import FieldDef
from .module_refs import checked_description, checked_name, module_json, module_ref, record_id

NAME_MAX = 100
DESCRIPTION_MAX = 255  # §15.4: input 1,000, GET 255: the safe value
CONDITIONS_MAX = 10  # §15.4 on POST (§15.10: an edition may allow fewer; not emulated)
ACTIONS_MAX = 5  # §15.6: 5 instant actions per condition
WEBHOOKS_PER_RULE = 1  # §15.6: the sample's `webhooks` limit
TRIGGERS = ("create", "edit", "create_or_edit", "field_update")
REPEAT_REQUIRED = ("edit", "create_or_edit")
NOT_EMULATED = "not supported by the emulator"
NO_RELATIONAL_CRITERIA = {"module_selection": None, "criteria": None, "module": None}


@dataclass(frozen=True)
class Trigger:
    type: str
    repeat: bool  # fire on every matching save (True) or only the first time per lead (False)
    watch: criteria.Criterion | None = None  # field_update: the field(s) and the new value
    match_all: bool = False  # field_update: every watched field must change
    json: dict[str, Any] | None = None  # execute_when as a read shows it


@dataclass(frozen=True)
class Condition:
    id: str
    sequence_number: int
    criterion: criteria.Criterion | None  # None: every record
    webhook_ids: tuple[str, ...]
    json: dict[str, Any]  # as a read shows it, without the actions' names


@dataclass(frozen=True)
class RuleSpec:
    name: str
    description: str | None
    module: str
    trigger: Trigger
    conditions: tuple[Condition, ...]  # by sequence_number


@dataclass(frozen=True)
class Context:
    """What checking a rule needs: each module's fields, the stored webhooks, new ids."""

    fields: dict[str, tuple[FieldDef, ...]]
    webhook: Callable[[str], dict[str, Any] | None]
    new_id: Callable[[], str]


def parse_rule(item: Any, path: str, context: Context) -> RuleSpec:
    """A rule to create; AutomationError naming the key that is wrong."""
    if not isinstance(item, dict):
        raise wrong_type(path, "workflow_rules", "jsonobject")
    name = checked_name(
        item.get("name"), f"{path}.name", NAME_MAX, "value too long", "Special characters found"
    )
    module = module_ref(item.get("module"), f"{path}.module", both=True)
    trigger = _trigger(item.get("execute_when"), f"{path}.execute_when", module, context)
    conditions = _conditions(item.get("conditions"), f"{path}.conditions", module, context, {})
    description = checked_description(item.get("description"), f"{path}.description", DESCRIPTION_MAX)
    if "status" in item:
        raise invalid(f"{path}.status.active", "active")  # OAS-new CannotCreateInactiveResponse
    return RuleSpec(name, description, module, trigger, conditions)


def parse_update(item: Any, path: str, rule: RuleSpec, context: Context) -> tuple[RuleSpec, bool | None]:
    """The rule after a partial update, and `status.active` when the body sets it."""
    if not isinstance(item, dict):
        raise wrong_type(path, "workflow_rules", "jsonobject")
    changed = rule
    if "name" in item:
        name = checked_name(
            item["name"], f"{path}.name", NAME_MAX, "value too long", "Special characters found"
        )
        changed = replace(changed, name=name)
    if "module" in item and module_ref(item["module"], f"{path}.module", both=False) != rule.module:
        raise not_allowed(f"{path}.module", "module", "the module of a rule cannot be changed")
    if "execute_when" in item:
        trigger = _trigger(item["execute_when"], f"{path}.execute_when", rule.module, context)
        if (trigger.type == "field_update") != (rule.trigger.type == "field_update"):
            raise not_allowed(
                f"{path}.execute_when.type", "type", "the trigger cannot move to another category"
            )
        changed = replace(changed, trigger=trigger)
    if "conditions" in item:
        existing = {condition.id: condition for condition in rule.conditions}
        conditions = _conditions(item["conditions"], f"{path}.conditions", rule.module, context, existing)
        changed = replace(changed, conditions=conditions)
    if "description" in item:
        description = checked_description(item["description"], f"{path}.description", DESCRIPTION_MAX)
        changed = replace(changed, description=description)
    return changed, _status(item, path)


def _status(item: dict[str, Any], path: str) -> bool | None:
    if "status" not in item:
        return None
    status = item["status"]
    if not isinstance(status, dict):
        raise wrong_type(f"{path}.status", "status", "jsonobject")
    if "active" not in status:
        raise mandatory(f"{path}.status.active", "active")
    if not isinstance(status["active"], bool):
        raise wrong_type(f"{path}.status.active", "active", "boolean")
    return bool(status["active"])


def _trigger(value: Any, path: str, module: str, context: Context) -> Trigger:
    value = required_object(value, path, "execute_when")
    kind = required_text(value.get("type"), f"{path}.type", "type")
    if kind not in TRIGGERS:
        raise invalid(f"{path}.type", "type", NOT_EMULATED, supported_values=list(TRIGGERS))
    details = value.get("details")
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise wrong_type(f"{path}.details", "details", "jsonobject")
    given = details.get("trigger_module")
    if given is not None and module_ref(given, f"{path}.details.trigger_module", both=False) != module:
        raise invalid(f"{path}.details.trigger_module", "trigger_module")
    shown: dict[str, Any] = {"trigger_module": module_json(module)}
    repeat = details.get("repeat")
    if repeat is None and kind in REPEAT_REQUIRED:
        raise dependent(
            "DEPENDENT_FIELD_MISSING",
            f"{path}.details.repeat",
            "repeat",
            (f"{path}.type", "type"),
            "Dependent Field missing",
        )
    if repeat is not None:
        if not isinstance(repeat, bool):
            raise wrong_type(f"{path}.details.repeat", "repeat", "boolean")
        shown["repeat"] = repeat
    watch, match_all = None, False
    if kind == "field_update":
        raw = details.get("criteria")
        if raw is None:
            raise dependent(
                "DEPENDENT_FIELD_MISSING",
                f"{path}.details.criteria",
                "criteria",
                (f"{path}.type", "type"),
                "Dependent Field missing",
            )
        parsed = criteria.parse(
            raw, f"{path}.details.criteria", module, context.fields[module], any_value=True
        )
        match_all = details.get("match_all", False)
        if not isinstance(match_all, bool):
            raise wrong_type(f"{path}.details.match_all", "match_all", "boolean")
        watch = parsed.criterion
        shown.update(criteria=parsed.json, match_all=match_all)
    execute_when = {"type": kind, "details": shown}
    return Trigger(kind, bool(repeat), watch, match_all, execute_when)


def _conditions(
    value: Any, path: str, module: str, context: Context, existing: dict[str, Condition]
) -> tuple[Condition, ...]:
    """Create: the conditions given. Update: `existing` with those given replaced (an `id`),
    removed (`"_delete": null`) or added (no `id`); the others stay (§15.5)."""
    if value is None:
        raise mandatory(path, "conditions")
    if not isinstance(value, list):
        raise wrong_type(path, "conditions", "jsonarray")
    if not value and not existing:
        raise mandatory(path, "conditions")
    kept = dict(existing)
    added: list[Condition] = []
    for index, raw in enumerate(value):
        where = f"{path}[{index}]"
        given_id = raw.get("id") if existing and isinstance(raw, dict) else None
        if given_id is not None:
            condition_id = record_id(given_id)
            if condition_id not in kept:
                raise invalid(f"{where}.id", "id", "the id given seems to be invalid")
            if "_delete" in raw:
                del kept[condition_id]
                continue
            kept[condition_id] = _condition(raw, where, module, context, condition_id)
        else:
            added.append(_condition(raw, where, module, context, context.new_id()))
    conditions = sorted([*kept.values(), *added], key=lambda condition: condition.sequence_number)
    if not conditions:
        raise AutomationError(
            "CANNOT_REMOVE",
            "a rule needs at least one condition",
            {"api_name": "conditions", "json_path": path},
        )
    if len(conditions) > CONDITIONS_MAX:
        raise limit_exceeded(path, "conditions", CONDITIONS_MAX, "conditions limit exceeded")
    numbers = [condition.sequence_number for condition in conditions]
    if len(set(numbers)) != len(numbers):
        details = {"api_name": "sequence_number", "json_path": f"{path}[*].sequence_number"}
        raise AutomationError("DUPLICATE_DATA", "duplicate data", details)
    webhooks = 0
    for condition in conditions:
        webhooks += len(condition.webhook_ids)
        if webhooks > WEBHOOKS_PER_RULE:
            where = f"{path}[{numbers.index(condition.sequence_number)}].instant_actions.actions"
            raise limit_exceeded(where, "actions", WEBHOOKS_PER_RULE, "actions limit exceeded")
    return tuple(conditions)


def _condition(raw: Any, path: str, module: str, context: Context, condition_id: str) -> Condition:
    if not isinstance(raw, dict):
        raise wrong_type(path, "conditions", "jsonobject")
    number = raw.get("sequence_number")
    if number is None:
        raise mandatory(f"{path}.sequence_number", "sequence_number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise wrong_type(f"{path}.sequence_number", "sequence_number", "integer")
    if number < 1:
        raise invalid(f"{path}.sequence_number", "sequence_number")
    criterion, criteria_json = _criteria_details(
        raw.get("criteria_details"), f"{path}.criteria_details", module, context
    )
    if raw.get("scheduled_actions"):
        raise not_allowed(f"{path}.scheduled_actions", "scheduled_actions", NOT_EMULATED)
    webhook_ids = _actions(raw.get("instant_actions"), f"{path}.instant_actions", module, context)
    shown = {
        "id": condition_id,
        "sequence_number": number,
        "criteria_details": {"criteria": criteria_json, "relational_criteria": dict(NO_RELATIONAL_CRITERIA)},
        "instant_actions": {
            "actions": [{"id": webhook_id, "type": "webhooks"} for webhook_id in webhook_ids]
        },
        "scheduled_actions": None,
    }
    return Condition(condition_id, number, criterion, webhook_ids, shown)


def _criteria_details(
    value: Any, path: str, module: str, context: Context
) -> tuple[criteria.Criterion | None, dict[str, Any] | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise wrong_type(path, "criteria_details", "jsonobject")
    relational = value.get("relational_criteria")
    if relational is not None and (not isinstance(relational, dict) or any(relational.values())):
        raise invalid(f"{path}.relational_criteria", "relational_criteria", NOT_EMULATED)
    if "criteria" not in value:
        raise mandatory(f"{path}.criteria", "criteria")
    if value["criteria"] is None:
        return None, None
    parsed = criteria.parse(value["criteria"], f"{path}.criteria", module, context.fields[module])
    return parsed.criterion, parsed.json


def _actions(value: Any, path: str, module: str, context: Context) -> tuple[str, ...]:
    if value is None:
        raise mandatory(path, "instant_actions")  # §15.4: no instant or scheduled actions
    if not isinstance(value, dict):
        raise wrong_type(path, "instant_actions", "jsonobject")
    actions = value.get("actions")
    if actions is None or actions == []:
        raise mandatory(f"{path}.actions", "actions")
    if not isinstance(actions, list):
        raise wrong_type(f"{path}.actions", "actions", "jsonarray")
    if len(actions) > ACTIONS_MAX:
        raise limit_exceeded(f"{path}.actions", "actions", ACTIONS_MAX, "actions limit exceeded")
    return tuple(
        _webhook_action(action, f"{path}.actions[{n}]", module, context) for n, action in enumerate(actions)
    )


def _webhook_action(action: Any, path: str, module: str, context: Context) -> str:
    if not isinstance(action, dict):
        raise wrong_type(path, "actions", "jsonobject")
    kind = action.get("type")
    if not isinstance(kind, str):
        raise invalid(f"{path}.type", "type")  # OAS-new ActionTypeMissingResponse
    if kind != "webhooks":
        raise not_allowed(f"{path}.type", "type", "The unsupported action is given")
    if action.get("id") is None:
        raise dependent(
            "DEPENDENT_FIELD_MISSING", f"{path}.id", "id", (f"{path}.type", "type"), "Dependent Field missing"
        )
    webhook_id = record_id(action["id"])
    webhook = context.webhook(webhook_id) if webhook_id else None
    if webhook_id is None or webhook is None:
        raise invalid(f"{path}.id", "id", "the id given seems to be invalid")
    if webhook["module"]["api_name"] != module or webhook["feature_type"] != "workflow":
        raise invalid(f"{path}.id", "id", "the webhook cannot be used in this workflow rule")
    return webhook_id
