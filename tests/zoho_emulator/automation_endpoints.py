"""The automation endpoints, v8 only (zoho-crm-api.md §15.0; earlier versions answer as an
unknown URL does): webhooks (§15.2, §15.3), webhook failures (§15.7), workflow rules (§15.4,
§15.5) and workflow configurations (§15.6).

Every one needs its scope (§15.1, scopes.py) and the Manage Workflow permission (§15.0,
permissions.MANAGE_WORKFLOW: 403 NO_PERMISSION "permission denied"), both checked by the router
before the request is looked at. Body problems come in the resource's envelope
(automation_errors.py); path, parameter and body-shape problems as root objects. Path ids are
the 4th segment after the version: `resource_path_index` 3.

Not emulated (an unknown URL: 404 INVALID_URL_PATTERN): webhook usage reports and associated
modules, rule counts, action counts, rule usage, rule reordering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, timedelta
from typing import Any

from . import permissions, scopes
from .automation import Automation
from .automation_errors import AutomationError, enveloped, invalid, item_error, mandatory
from .clock import parse_time
from .crm import CrmStore
from .listing import MAX_PER_PAGE
from .metadata import FieldDef
from .module_refs import AUTOMATION_MODULES, record_id
from .protocol import (
    ApiError,
    FieldError,
    Request,
    Response,
    invalid_body,
    invalid_id,
    invalid_param,
    positive_int_param,
    required_param_missing,
    top_level_error,
)
from .router import Call, Route
from .rule_schema import TRIGGERS
from .webhook_schema import FEATURE_TYPES, parse_webhook

AUTOMATION_SINCE = 8  # §15.0: v8 only
PATH_INDEX = 3  # settings/automation/{webhooks|workflow_rules}/{id}
BULK_MAX = 10  # §15.3, §15.5: ids= of a bulk delete
FAILURE_DAYS = 30  # §15.7: only the last 30 days are readable (CHOSEN over the 90-day span)
WEBHOOK_SUMMARY = (
    "id",
    "name",
    "description",
    "module",
    "related_module",
    "url",
    "http_method",
    "feature_type",
    "source",
    "editable",
    "deletable",
    "lock_status",
    "created_time",
    "created_by",
    "modified_time",
    "modified_by",
    "associated",
)
RULE_SORTS = ("modified_time",)
WEBHOOK_SORTS = ("Modified_Time",)
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# §15.6, OAS-new getWorkflowConfigurations: the triggers the emulator runs, each allowing the
# one action it runs. Scheduled actions are not emulated, so none is said to be supported.
TRIGGER_NAMES = {
    "create": "Create",
    "create_or_edit": "CreateorEdit",
    "edit": "Edit",
    "field_update": "FieldUpdate",
}
WEBHOOK_ACTION = {
    "is_clickable": True,
    "associate_action": True,
    "limit_per_action": None,
    "api_name": "webhooks",
    "supported_in_scheduled_action": False,
    "name": "Webhook",
    "limit": 1,
}


class AutomationEndpoints:
    def __init__(self, crm: CrmStore, automation: Automation) -> None:
        self._crm = crm
        self._automation = automation

    def routes(self) -> list[Route]:
        manage = (permissions.MANAGE_WORKFLOW,)
        webhooks, rules = r"settings/automation/webhooks", r"settings/automation/workflow_rules"
        one = r"/(?P<id>[^/]+)"

        def route(
            method: str,
            pattern: str,
            handler: Callable[[Call], Response],
            needs: tuple[scopes.Requirement, ...],
        ) -> Route:
            return Route(method, pattern, handler, since=AUTOMATION_SINCE, scopes=needs, permissions=manage)

        return [
            route("POST", webhooks, self.create_webhook, scopes.WEBHOOKS_CREATE),
            route("GET", webhooks, self.list_webhooks, scopes.WEBHOOKS_READ),
            route("PUT", webhooks, self.update_webhook, scopes.WEBHOOKS_UPDATE),
            route("DELETE", webhooks, self.delete_webhooks, scopes.WEBHOOKS_DELETE),
            route("GET", webhooks + one, self.get_webhook, scopes.WEBHOOKS_READ),
            route("PUT", webhooks + one, self.update_webhook, scopes.WEBHOOKS_UPDATE),
            route("DELETE", webhooks + one, self.delete_webhook, scopes.WEBHOOKS_DELETE),
            route(
                "GET", r"settings/automation/webhook_failures", self.webhook_failures, scopes.WEBHOOKS_READ
            ),
            route("POST", rules, self.create_rule, scopes.RULES_CREATE),
            route("GET", rules, self.list_rules, scopes.RULES_READ),
            route("PUT", rules, self.update_rule, scopes.RULES_UPDATE),
            route("DELETE", rules, self.delete_rules, scopes.RULES_DELETE),
            route("GET", rules + one, self.get_rule, scopes.RULES_READ),
            route("PUT", rules + one, self.update_rule, scopes.RULES_UPDATE),
            route("DELETE", rules + one, self.delete_rule, scopes.RULES_DELETE),
            route("GET", r"workflow_configurations", self.configurations, scopes.RULES_READ),
        ]

    # --- webhooks (§15.2, §15.3) --------------------------------------------------------------

    def create_webhook(self, call: Call) -> Response:
        """201 `{"webhooks": [{"code": "SUCCESS", "details": {"id"}, …}]}`."""
        item, path = _one_item(call.request, "webhooks"), "$.webhooks[0]"
        with _envelope("webhooks"):
            config = parse_webhook(item, path, self._field_names)
            webhook_id = self._automation.create_webhook(config, self._actor(), path)
        return Response.json(201, {"webhooks": [_success(webhook_id, "webhook created successfully")]})

    def list_webhooks(self, call: Call) -> Response:
        """`module`, `feature_type`, `related_module`, `filters` (name `contains`,
        case-insensitive), `sort_by` (Modified_Time; creation order without it, CHOSEN),
        `sort_order`, `page`, `per_page` (at most 200). Summaries: no headers, body or
        authentication; `associated` when an active rule uses the webhook. 204 when none."""
        request = call.request
        module = _module_param(request, "module")
        related = _module_param(request, "related_module")
        feature_type = request.param("feature_type")
        if feature_type is not None and feature_type not in FEATURE_TYPES:
            raise invalid_param("feature_type")
        contains = _name_contains(request, "filters")
        ordered = _ordered(request, self._automation.webhooks(), WEBHOOK_SORTS, "modified_time")
        chosen = [
            webhook
            for webhook in ordered
            if (module is None or webhook["module"]["api_name"] == module)
            and (related is None or (webhook["related_module"] or {}).get("api_name") == related)
            and (feature_type is None or webhook["feature_type"] == feature_type)
            and (contains is None or contains in webhook["name"].casefold())
        ]
        summaries = [{key: webhook[key] for key in WEBHOOK_SUMMARY} for webhook in chosen]
        return _page(request, "webhooks", summaries, max_limit=True)

    def get_webhook(self, call: Call) -> Response:
        """The full webhook, custom header values in clear (OAS-new's example; whether Zoho masks
        them is UNVERIFIED, §15.11 item 12); a well-formed unknown id is 204 (§15.3)."""
        webhook = self._automation.webhook(_path_id(call))
        if webhook is None:
            return Response.no_content()
        return Response.json(200, {"webhooks": [webhook]})

    def update_webhook(self, call: Call) -> Response:
        """PUT by id (a path id wins over a body id) or with `id` in the body: a full replacement
        (§15.3). An unknown path id is root INVALID_DATA `{resource_path_index: 3}`, an unknown
        body id INVALID_DATA at `$.webhooks[0].id`; the module cannot change (NOT_ALLOWED)."""
        item, path = _one_item(call.request, "webhooks"), "$.webhooks[0]"
        with _envelope("webhooks"):
            webhook_id = self._target_id(
                call, item, path, lambda found: self._automation.webhook(found) is not None
            )
            stored = self._automation.webhook(webhook_id)
            module = None if stored is None else stored["module"]["api_name"]
            config = parse_webhook(item, path, self._field_names, module)
            try:
                self._automation.replace_webhook(webhook_id, config, self._actor(), path)
            except KeyError:  # deleted meanwhile
                raise invalid_id(PATH_INDEX) from None
        return Response.json(200, {"webhooks": [_success(webhook_id, "webhook updated successfully")]})

    def delete_webhook(self, call: Call) -> Response:
        """200 "Webhook is deleted"; an unknown id root INVALID_DATA, a webhook a rule uses root
        NOT_ALLOWED, both `{resource_path_index: 3}` (OAS-new deleteWebhooksById)."""
        webhook_id = _path_id(call)
        try:
            self._automation.delete_webhook(webhook_id)
        except KeyError:
            raise invalid_id(PATH_INDEX) from None
        except AutomationError as problem:
            raise top_level_error(
                400, problem.code, problem.message, {"resource_path_index": PATH_INDEX}
            ) from None
        return Response.json(200, {"webhooks": [_success(webhook_id, "Webhook is deleted")]})

    def delete_webhooks(self, call: Call) -> Response:
        """`?ids=a,b` (at most 10): per id, 200 when all go, 207 when some do, 400 when none."""
        results = [
            self._delete_one(self._automation.delete_webhook, webhook_id, "Webhook is deleted")
            for webhook_id in _bulk_ids(call.request, "Bulk deletion of records limit reached")
        ]
        return _bulk_answer("webhooks", results)

    def webhook_failures(self, call: Call) -> Response:
        """§15.7: `webhook_id` (a webhook of the org, else INVALID_DATA: CHOSEN), `module`, `from`
        and `to` (YYYY-MM-DD in the org's time zone, UTC here, inclusive; a date in the future
        or not a date is INVALID_DATA `{param_name, expected_data_type}`), `page`, `per_page`.
        Only the last 30 days (today and the 29 before) are read, earlier dates clamped to
        them (CHOSEN of §15.7's two readings); newest first (CHOSEN). 204 when none."""
        request = call.request
        webhook_id = request.param("webhook_id")
        if webhook_id is not None and (
            record_id(webhook_id) is None or self._automation.webhook(webhook_id) is None
        ):
            raise invalid_param("webhook_id")
        module = _module_param(request, "module")
        today = self._crm.clock.now().date()
        earliest = today - timedelta(days=FAILURE_DAYS - 1)
        given_start, given_end = _day(request, "from", today), _day(request, "to", today)
        if given_start is not None and given_end is not None and given_start > given_end:
            raise _bad_day("from")
        start, end = max(given_start or earliest, earliest), given_end or today
        failures = [
            failure
            for failure in reversed(self._automation.failures())
            if (webhook_id is None or failure["webhook"]["id"] == webhook_id)
            and (module is None or failure["entity_details"]["module"]["api_name"] == module)
            and start <= parse_time(failure["failure_time"]).astimezone(UTC).date() <= end
        ]
        return _page(request, "webhook_failures", failures)

    # --- workflow rules (§15.4, §15.5) ------------------------------------------------------------

    def create_rule(self, call: Call) -> Response:
        item, path = _one_item(call.request, "workflow_rules"), "$.workflow_rules[0]"
        with _envelope("workflow_rules"):
            rule_id = self._automation.create_rule(item, path, self._fields(), self._actor())
        return Response.json(201, {"workflow_rules": [_success(rule_id, "workflow created")]})

    def list_rules(self, call: Call) -> Response:
        """`module`, `status_active`, `execute_on` (needs `module`), `include_inner_details`,
        `filter` (name `contains`), `sort_by` (modified_time; creation order without it),
        `sort_order`, `page`, `per_page`. 204 when none."""
        request = call.request
        module = _module_param(request, "module")
        active = _boolean_param(request, "status_active")
        inner = _boolean_param(request, "include_inner_details") or False
        execute_on = request.param("execute_on")
        if execute_on is not None and module is None:
            raise required_param_missing("module")
        if execute_on is not None and execute_on not in TRIGGERS:
            raise invalid_param("execute_on")
        contains = _name_contains(request, "filter")
        ordered = _ordered(request, self._automation.rules(inner), RULE_SORTS, "modified_time")
        chosen = [
            rule
            for rule in ordered
            if (module is None or rule["module"]["api_name"] == module)
            and (active is None or rule["status"]["active"] == active)
            and (execute_on is None or rule["execute_when"]["type"] == execute_on)
            and (contains is None or contains in rule["name"].casefold())
        ]
        return _page(request, "workflow_rules", chosen)

    def get_rule(self, call: Call) -> Response:
        """The full rule: `status`, ids on conditions, webhook names on actions (§15.5). An
        unknown id: 204 or 400 is UNVERIFIED (§15.11 item 7): root INVALID_DATA
        `{resource_path_index: 3}`, the refusal (as for layouts)."""
        rule = self._automation.rule(_path_id(call))
        if rule is None:
            raise invalid_id(PATH_INDEX)
        return Response.json(200, {"workflow_rules": [rule]})

    def update_rule(self, call: Call) -> Response:
        """PUT by id or with `id` in the body: partial (§15.5); `{"status": {"active": false}}`
        deactivates, `true` activates."""
        item, path = _one_item(call.request, "workflow_rules"), "$.workflow_rules[0]"
        with _envelope("workflow_rules"):
            rule_id = self._target_id(
                call, item, path, lambda found: self._automation.rule(found) is not None
            )
            try:
                self._automation.update_rule(rule_id, item, path, self._fields(), self._actor())
            except KeyError:  # deleted meanwhile
                raise invalid_id(PATH_INDEX) from None
        return Response.json(200, {"workflow_rules": [_success(rule_id, "workflow updated")]})

    def delete_rule(self, call: Call) -> Response:
        rule_id = _path_id(call)
        try:
            self._automation.delete_rule(rule_id)
        except KeyError:
            raise invalid_id(PATH_INDEX) from None
        return Response.json(200, {"workflow_rules": [_success(rule_id, "workflow deleted")]})

    def delete_rules(self, call: Call) -> Response:
        results = [
            self._delete_one(self._automation.delete_rule, rule_id, "workflow deleted")
            for rule_id in _bulk_ids(call.request, "Ids maximum length exceeded")
        ]
        return _bulk_answer("workflow_rules", results)

    def configurations(self, call: Call) -> Response:
        """§15.6: the triggers the emulator runs for the module, each allowing `webhooks`."""
        if call.request.param("module") is None:
            raise required_param_missing("module")
        _module_param(call.request, "module")
        triggers = [
            {
                "api_name": api_name,
                "deprecated": False,
                "name": name,
                "scheduled_actions_supported": False,
                "actions": ["webhooks"],
            }
            for api_name, name in TRIGGER_NAMES.items()
        ]
        configuration = {
            "related_triggers_details": [],
            "triggers": triggers,
            "actions": [dict(WEBHOOK_ACTION)],
        }
        return Response.json(200, {"workflow_configurations": configuration})

    # --- helpers ------------------------------------------------------------------------------

    def _fields(self) -> dict[str, tuple[FieldDef, ...]]:
        """Every automation module's fields, read before the automation store's lock is taken
        (automation.py: the CRM store's lock comes first)."""
        return {module: self._crm.field_definitions(module) for module in AUTOMATION_MODULES}

    def _field_names(self, module: str) -> set[str]:
        return {definition.api_name for definition in self._crm.field_definitions(module)}

    def _actor(self) -> dict[str, str]:
        """The token's user (§14.8), as created_by and modified_by show it."""
        user = self._crm.user(self._crm.current_user_id)
        assert user is not None
        return {"name": user.full_name, "id": user.id}

    @staticmethod
    def _target_id(call: Call, item: Any, path: str, exists: Callable[[str], bool]) -> str:
        """The id a PUT updates: the path's (unknown: root INVALID_DATA), else the body's
        (missing: MANDATORY_NOT_FOUND, unknown: INVALID_DATA at `{path}.id`)."""
        if "id" in call.params:
            found = _path_id(call)
            if not exists(found):
                raise invalid_id(PATH_INDEX)
            return found
        given = item.get("id") if isinstance(item, dict) else None
        if given is None:
            raise mandatory(f"{path}.id", "id")
        found_id = record_id(given)
        if found_id is None or not exists(found_id):
            raise invalid(f"{path}.id", "id", "The ID given is invalid")
        return found_id

    @staticmethod
    def _delete_one(delete: Callable[[str], None], record: str, message: str) -> dict[str, Any]:
        try:
            delete(record)
        except KeyError:
            return item_error(
                AutomationError("INVALID_DATA", "the id given seems to be invalid", {"id": record})
            )
        except AutomationError as problem:
            return item_error(problem)
        return _success(record, message)


@contextmanager
def _envelope(resource: str) -> Iterator[None]:
    """Body problems raised inside answer in the resource's envelope (automation_errors.py)."""
    try:
        yield
    except FieldError as problem:
        raise enveloped(resource, problem) from None


def _one_item(request: Request, resource: str) -> Any:
    """`{resource: [one item]}`: not an object is INVALID_DATA (as elsewhere); the array missing
    or empty MANDATORY_NOT_FOUND, not an array INVALID_DATA (OAS-new postWorkflowRule
    InvalidDataResponse1), more than one LIMIT_EXCEEDED (§15.2 maxItems 1; the code is CHOSEN),
    all root objects."""
    body = request.json()
    if not isinstance(body, dict):
        raise invalid_body()
    items = body.get(resource)
    if items is None or items == []:
        raise mandatory(f"$.{resource}", resource).top_level()
    if not isinstance(items, list):
        raise top_level_error(
            400, "INVALID_DATA", "invalid data", {"api_name": resource, "json_path": f"$.{resource}"}
        )
    if len(items) > 1:
        details = {"api_name": resource, "limit": 1, "json_path": f"$.{resource}"}
        raise top_level_error(400, "LIMIT_EXCEEDED", "limit exceeded", details)
    return items[0]


def _path_id(call: Call) -> str:
    found = record_id(call.params["id"])
    if found is None:
        raise invalid_id(PATH_INDEX)
    return found


def _success(record: str, message: str) -> dict[str, Any]:
    return {"code": "SUCCESS", "details": {"id": record}, "message": message, "status": "success"}


def _bulk_ids(request: Request, too_many: str) -> list[str]:
    listed = request.param("ids")
    if not listed:
        raise required_param_missing("ids")
    ids = [value.strip() for value in listed.split(",")]
    if any(record_id(value) is None for value in ids):
        raise invalid_param("ids")
    if len(ids) > BULK_MAX:
        raise top_level_error(400, "INVALID_DATA", too_many, {"param_name": "ids", "limit": BULK_MAX})
    return ids


def _bulk_answer(resource: str, results: list[dict[str, Any]]) -> Response:
    succeeded = sum(1 for result in results if result["status"] == "success")
    status = 200 if succeeded == len(results) else 400 if succeeded == 0 else 207
    return Response.json(status, {resource: results})


def _module_param(request: Request, name: str) -> str | None:
    module = request.param(name)
    if module is not None and module not in AUTOMATION_MODULES:
        raise top_level_error(
            400, "INVALID_MODULE", "The value provided to the param is Invalid", {"param_name": name}
        )
    return module


def _boolean_param(request: Request, name: str) -> bool | None:
    value = request.param(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise invalid_param(name)
    return value == "true"


def _name_contains(request: Request, name: str) -> str | None:
    """`{"field": {"api_name": "name"}, "comparator": "contains", "value": "…"}` (§15.3, §15.5:
    the only filter), the value case-folded; anything else is INVALID_DATA naming the param."""
    text = request.param(name)
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        raise invalid_param(name) from None
    field = parsed.get("field") if isinstance(parsed, dict) else None
    value = parsed.get("value") if isinstance(parsed, dict) else None
    if (
        not isinstance(field, dict)
        or field.get("api_name") != "name"
        or parsed.get("comparator") != "contains"
        or not isinstance(value, str)
        or not value
    ):
        raise invalid_param(name)
    return value.casefold()


def _ordered(
    request: Request, items: list[dict[str, Any]], sorts: tuple[str, ...], key: str
) -> list[dict[str, Any]]:
    sort_by, sort_order = request.param("sort_by"), request.param("sort_order") or "asc"
    if sort_by is not None and sort_by not in sorts:
        raise invalid_param("sort_by")
    if sort_order not in ("asc", "desc"):
        raise invalid_param("sort_order")
    if sort_by is not None:
        items = sorted(items, key=lambda item: (item[key], int(item["id"])))
    return list(reversed(items)) if sort_order == "desc" else items


def _page(request: Request, resource: str, items: list[dict[str, Any]], max_limit: bool = False) -> Response:
    """`page` and `per_page` (at most 200); 204 when the page is empty."""
    page = positive_int_param(request, "page", default=1)
    per_page = positive_int_param(request, "per_page", default=MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    shown = items[(page - 1) * per_page : page * per_page]
    if not shown:
        return Response.no_content()
    info: dict[str, Any] = {
        "per_page": per_page,
        "count": len(shown),
        "page": page,
        "more_records": page * per_page < len(items),
    }
    if max_limit:
        info["max_limit"] = MAX_PER_PAGE  # OAS-new getWebhooks: 200 beside per_page 200
    return Response.json(200, {resource: shown, "info": info})


def _day(request: Request, name: str, today: date) -> date | None:
    value = request.param(name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if ISO_DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or day > today:
        raise _bad_day(name)
    return day


def _bad_day(name: str) -> ApiError:
    """§15.7: INVALID_DATA `{param_name, expected_data_type: "datetime"}`."""
    details = {"param_name": name, "expected_data_type": "datetime"}
    return top_level_error(400, "INVALID_DATA", "the given parameter value seems to be invalid", details)
