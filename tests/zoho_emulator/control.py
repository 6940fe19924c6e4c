"""The /__emulator/ control endpoints: set up state and faults from another process (no auth)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import fault_settings, permissions
from .pipelines import PipelineBook
from .protocol import Request, Response

if TYPE_CHECKING:
    from .emulator import ZohoEmulator

RECORD_MODULES = {"contacts": "Contacts", "accounts": "Accounts", "deals": "Deals"}
ACTIVITY_MODULES = {"tasks": "Tasks", "events": "Events", "calls": "Calls"}
USER_KEYS = frozenset({"full_name", "email", "profile", "id", "status", "confirm", "type"})
PIPELINE_EDITS = frozenset({"pipeline", "remove_stages", "add_stages", "rename_stages", "rename"})
PERMISSION_EDITS = ("grant", "revoke")
FIELD_KEYS = frozenset({"module", "api_name", "length", "data_type", "display_label", "options"})
MAX_WAIT_SECONDS = 30.0  # GET deliveries?wait=


class ControlEndpoints:
    def __init__(self, emulator: ZohoEmulator) -> None:
        self._emulator = emulator

    def __call__(self, request: Request) -> Response:
        route = (request.method, request.path.removeprefix("/__emulator/").rstrip("/"))
        try:
            return self._dispatch(route, request)
        except (TypeError, ValueError) as problem:
            return Response.json(400, {"error": str(problem)})
        except KeyError as problem:  # a pipeline or stage edit naming what is not there
            return Response.json(400, {"error": str(problem.args[0])})

    def set_up(self, section: str, item: Any) -> str | None:
        """One item of an org description (org_file.py), checked as its control endpoint checks
        it; the id of a record or user added. TypeError, ValueError or KeyError naming the key."""
        if section == "tags":
            self._add_tags({"names": [item]} if isinstance(item, str) else _object(item))
            return None
        body = _object(item)
        if section == "users":
            return self._add_user(body)
        if section == "fields":
            self._edit_field({"module": "Leads", **body})
            return None
        if section == "pipelines":
            self._edit_pipeline(body)
            return None
        return self._adders()[section](**body)

    def _dispatch(self, route: tuple[str, str], request: Request) -> Response:
        emulator = self._emulator
        match route:
            case ("POST", path) if path == "leads" or path in RECORD_MODULES or path in ACTIVITY_MODULES:
                return self._add_records(path, request)
            case ("GET", path) if path in ACTIVITY_MODULES:
                return Response.json(200, emulator.crm.activities(ACTIVITY_MODULES[path]))
            case ("GET", path) if record := re.fullmatch(r"(tasks|events|calls)/(\d+)", path):
                activity = emulator.crm.activity(ACTIVITY_MODULES[record[1]], record[2])
                if activity is None:
                    return Response.json(404, {"error": f"no such {record[1].removesuffix('s')}"})
                return Response.json(200, activity)
            case ("POST", "contact_roles"):
                body = _json_object(request)
                _only_keys(body, ("name",))
                return Response.json(201, {"id": emulator.crm.add_contact_role(body.get("name", ""))})
            case ("GET", "contact_roles"):
                return Response.json(200, emulator.crm.contact_roles())
            case ("POST", "portal_user_types"):
                body = _json_object(request)
                _only_keys(body, ("name", "api_name"))
                kind = emulator.crm.add_portal_user_type(body.get("name", ""), body.get("api_name", ""))
                return Response.json(201, {"id": kind})
            case ("GET", "portal_user_types"):
                return Response.json(200, emulator.crm.portal_user_types())
            case ("GET", path) if lead := re.fullmatch(r"leads/(\d+)", path):
                try:
                    return Response.json(200, emulator.crm.lead(lead[1]))
                except KeyError:
                    return Response.json(404, {"error": "no such lead"})
            case ("PATCH", path) if lead := re.fullmatch(r"leads/(\d+)", path):
                return self._edit_lead(lead[1], request)
            case ("DELETE", path) if lead := re.fullmatch(r"leads/(\d+)", path):
                try:
                    emulator.crm.delete_lead(lead[1])
                except KeyError:
                    return Response.json(404, {"error": "no such lead"})
                return Response.json(200, {"deleted": lead[1]})
            case (method, path) if lead := re.fullmatch(r"leads/(\d+)/state", path):
                return self._lead_state(method, lead[1], request)
            case ("GET", path) if notes := re.fullmatch(r"leads/(\d+)/notes", path):
                return Response.json(200, emulator.crm.notes_of("Leads", notes[1]))
            case ("GET", path) if path in RECORD_MODULES:
                records = getattr(emulator.crm, path)
                return Response.json(200, sorted(records.values(), key=lambda record: int(record["id"])))
            case ("GET", path) if record := re.fullmatch(r"(contacts|accounts|deals)/(\d+)", path):
                found = getattr(emulator.crm, record[1]).get(record[2])
                if found is None:
                    return Response.json(404, {"error": f"no such {record[1].removesuffix('s')}"})
                return Response.json(200, found)
            case ("POST", "users"):
                return Response.json(201, {"id": self._add_user(_json_object(request))})
            case ("GET", "users"):
                return Response.json(200, [user.as_json() for user in emulator.crm.users])
            case ("POST", path) if user := re.fullmatch(r"users/(current|\d+)", path):
                user_id = emulator.crm.current_user_id if user[1] == "current" else user[1]
                if emulator.crm.user(user_id) is None:
                    return Response.json(404, {"error": "no such user"})
                changed = emulator.crm.update_user(user_id, **_json_object(request))
                return Response.json(200, changed.as_json())
            case ("POST", "fields"):
                return Response.json(200, self._edit_field(_json_object(request)))
            case ("POST", "tags"):
                return Response.json(201, {"tags": self._add_tags(_json_object(request))})
            case ("POST", "pipelines"):
                return Response.json(200, {"pipeline": self._edit_pipeline(_json_object(request))})
            case ("POST", "scopes"):
                return Response.json(200, {"scopes": self._grant_scopes(_json_object(request))})
            case ("GET", "scopes"):
                granted = emulator.granted_scopes(request.param("refresh_token"))
                return Response.json(200, {"scopes": sorted(granted)})
            case ("POST", "permissions"):
                self._edit_permissions(_json_object(request))
                return Response.json(200, {"permissions": sorted(emulator.permissions)})
            case ("GET", "permissions"):
                return Response.json(200, {"permissions": sorted(emulator.permissions)})
            case ("GET", "state"):
                state = {**emulator.crm.counts(), "token_requests": emulator.token_requests}
                return Response.json(200, state)
            case ("GET", "journal"):
                return Response.json(200, [entry.as_json() for entry in emulator.journal])
            case ("GET", "credits"):
                return Response.json(200, emulator.credits())
            case ("GET", "deliveries"):
                return self._deliveries(request)
            case ("POST", "faults"):
                self._set_faults(_json_object(request))
                return Response.json(200, {"ok": True})
            case ("POST", "reset"):
                emulator.reset()
                return Response.json(200, {"ok": True})
        return Response.json(404, {"error": f"no control endpoint {route[0]} {request.path}"})

    def _add_records(self, kind: str, request: Request) -> Response:
        """POST `leads`, `contacts`, `accounts`, `deals`, `tasks`, `events` or `calls`: one
        record (a JSON object), 201 `{"id"}`, or many (an array), 201 `{"ids"}` in the order
        given. The store's `add_lead`, `add_contact`, `add_account`, `add_deal`, `add_activity`
        take the fields and say what is wrong (400)."""
        adders = self._adders()
        body = request.json()
        if isinstance(body, list):
            return _add_many(kind, adders[kind], body)
        return Response.json(201, {"id": adders[kind](**_json_object(request))})

    def _adders(self) -> dict[str, Callable[..., str]]:
        crm = self._emulator.crm
        return {
            "leads": crm.add_lead,
            "contacts": crm.add_contact,
            "accounts": crm.add_account,
            "deals": crm.add_deal,
            **{
                kind: functools.partial(crm.add_activity, module) for kind, module in ACTIVITY_MODULES.items()
            },
        }

    def _edit_lead(self, lead_id: str, request: Request) -> Response:
        """PATCH `leads/{id}`: a salesperson editing the lead in Zoho's UI (`CrmStore.update_lead`):
        the fields of the JSON object change and the workflow rules on edits run. All or
        nothing: a field that is wrong is 400 naming it; an unknown lead 404."""
        crm = self._emulator.crm
        changes = _json_object(request)
        if not crm.has_record("Leads", lead_id):
            return Response.json(404, {"error": "no such lead"})
        try:
            return Response.json(200, crm.update_lead(lead_id, **changes))
        except KeyError:  # deleted meanwhile
            return Response.json(404, {"error": "no such lead"})

    def _deliveries(self, request: Request) -> Response:
        """GET `deliveries[?wait=SECONDS]`: the webhook requests the workflow rules made
        (zoho-crm-api.md §15), oldest first; `wait` (at most 30) first waits until none is
        queued or under way."""
        automation = self._emulator.automation
        wait = request.param("wait")
        if wait is not None:
            try:
                seconds = float(wait)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= MAX_WAIT_SECONDS:
                raise ValueError(f"wait: expected seconds from 0 to {MAX_WAIT_SECONDS:g}, not {wait!r}")
            automation.wait_for_deliveries(seconds)
        return Response.json(200, [delivery.as_json() for delivery in automation.deliveries])

    def _lead_state(self, method: str, lead_id: str, request: Request) -> Response:
        """GET or POST `leads/{id}/state`: a lead's wait states (zoho-crm-api.md §14.1). A POST
        sets the keys it names, all or nothing (400 naming the first wrong key)."""
        crm = self._emulator.crm
        try:
            if method == "GET":
                return Response.json(200, crm.lead_state(lead_id))
            if method == "POST":
                return Response.json(200, crm.set_lead_state(lead_id, **_json_object(request)))
        except KeyError:
            return Response.json(404, {"error": "no such lead"})
        return Response.json(405, {"error": f"{method} is not allowed on {request.path}"})

    def _edit_field(self, body: dict[str, Any]) -> dict[str, Any]:
        """One of: `{"module", "api_name", "length"}`, the org's own maximum length of a field
        (zoho-crm-api.md §13.1, §14.4); `{"module", "api_name", "data_type", "display_label",
        "options"}`, a custom field (`display_label` optional, `options` for a picklist); or
        `{"module", "api_name", "options"}`, the org's own options of a picklist field."""
        unknown = set(body) - FIELD_KEYS
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: unknown key; keys: {', '.join(sorted(FIELD_KEYS))}")
        for key in ("module", "api_name"):
            if key not in body:
                raise ValueError(f"{key}: missing")
        crm, module, api_name = self._emulator.crm, body["module"], body["api_name"]
        picklist = _strings(body.get("options", []), "options")
        if "data_type" in body:
            crm.add_field(module, api_name, body["data_type"], body.get("display_label"), picklist)
        elif "options" in body:
            crm.set_options(module, api_name, picklist)
        elif "length" in body:
            crm.set_field_length(module, api_name, body["length"])
        else:
            raise ValueError("length: missing (or options, or data_type for a custom field)")
        return body

    def _add_user(self, body: dict[str, Any]) -> str:
        """`{"full_name", "email", "profile", "id", "status", "confirm", "type"}` (zoho-crm-api.md
        §13.4); full_name and email are mandatory, the rest as `CrmStore.add_user` defaults them."""
        unknown = set(body) - USER_KEYS
        if unknown:
            raise ValueError(f"unknown user keys: {sorted(unknown)}; known: {sorted(USER_KEYS)}")
        if not isinstance(body.get("full_name"), str) or not isinstance(body.get("email"), str):
            raise ValueError("a user needs full_name and email (strings)")
        options = {key: body[key] for key in ("status", "confirm", "type") if key in body}
        return self._emulator.crm.add_user(
            body["full_name"], body["email"], body.get("profile", "Standard"), body.get("id"), **options
        )

    def _add_tags(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """`{"module": "Leads", "names": ["A", "B"], "color_code": "#57B1FD"}` (or `"name"`)."""
        names = body.get("names", [body["name"]] if "name" in body else None)
        if not isinstance(names, list) or not names:
            raise ValueError('a tag needs "name", or "names" as a list')
        module = body.get("module", "Leads")
        return [self._emulator.crm.add_tag(module, name, body.get("color_code")) for name in names]

    def _edit_pipeline(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Edit one pipeline of the Deals layout: `remove_stages` (unmap), `add_stages` (map,
        creating a stage that does not exist; a name, or {display_value, actual_value,
        reference_value} with the values set apart, zoho-crm-api.md §14.5), `rename_stages`
        ({old: new} or {old: {display_value, actual_value, reference_value}}, org-wide: stages
        are Stage picklist options), `rename` (the pipeline, the same two forms). All or
        nothing; answers the pipelines as Get Pipelines would."""
        unknown = set(body) - PIPELINE_EDITS
        if unknown or not isinstance(body.get("pipeline"), str):
            raise ValueError(
                f'a pipeline edit names "pipeline" and some of {sorted(PIPELINE_EDITS - {"pipeline"})}'
            )
        name = body["pipeline"]

        def edit(book: PipelineBook) -> list[dict[str, Any]]:
            for stage in _names(body, "remove_stages"):
                book.remove_stage(name, stage)
            for display, actual, reference in _new_stages(body.get("add_stages", [])):
                book.add_stage(name, display, actual, reference)
            for old, new in _renames(body.get("rename_stages", {})).items():
                book.rename_stage(old, *new)
            if "rename" in body:
                book.rename_pipeline(name, *_renames({name: body["rename"]})[name])
            return book.pipelines_json()

        return self._emulator.crm.edit_pipelines(edit)

    def _grant_scopes(self, body: dict[str, Any]) -> list[str]:
        """`{"scopes": [...], "refresh_token": "..."}` (zoho-crm-api.md §13.7); the refresh
        token is the emulator's own unless named (another is added)."""
        scopes = body.get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise ValueError('"scopes" must be a list of scope names')
        refresh_token = body.get("refresh_token")
        if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
            raise ValueError('"refresh_token" must be a non-empty string')
        self._emulator.grant_scopes(scopes, refresh_token)
        return sorted(self._emulator.granted_scopes(refresh_token))

    def _set_faults(self, settings: dict[str, Any]) -> None:
        """Settings, scripted faults (their arguments as an object), `revoke_tokens`, `clear`
        (applied first). Every key is checked before any is applied: a wrong one is 400
        `{"error": "<key>: <what is wrong>"}` and nothing changes."""
        faults = self._emulator.faults
        for change in fault_settings.parse(settings):
            change(faults)

    def _edit_permissions(self, body: dict[str, Any]) -> None:
        """`{"revoke": [...], "grant": [...]}`: the token's user's profile permissions
        (zoho-crm-api.md §14.8). All or nothing; a wrong key is 400 naming it."""
        for key in body:
            if key not in PERMISSION_EDITS:
                raise ValueError(f"{key}: unknown key; known: {', '.join(PERMISSION_EDITS)}")
        edits = {}
        for key in PERMISSION_EDITS:
            names = body.get(key, [])
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise ValueError(f"{key}: expected a list of permission names")
            unknown = [name for name in names if name not in permissions.KNOWN]
            if unknown:
                known = ", ".join(permissions.KNOWN)
                raise ValueError(f"{key}: unknown permissions {unknown}; known: {known}")
            edits[key] = names
        both = sorted(set(edits["grant"]) & set(edits["revoke"]))
        if both:
            raise ValueError(f"grant: {both} also revoked")
        self._emulator.update_permissions(grant=edits["grant"], revoke=edits["revoke"])


def _add_many(kind: str, add: Callable[..., str], records: list[Any]) -> Response:
    """A JSON array of records: ids in the order given.

    The store has no bulk add, so this is a loop of `add` (each takes the store's lock once).
    Every element is checked to be an object before any record is created; a record the store
    refuses stops the loop, and the answer (400) names its index (`leads[1]: …`) and lists the
    ids of the records created before it.
    """
    for index, fields in enumerate(records):
        if not isinstance(fields, dict):
            raise ValueError(f"{kind}[{index}]: expected a JSON object")
    ids: list[str] = []
    for index, fields in enumerate(records):
        try:
            ids.append(add(**fields))
        except (TypeError, ValueError) as problem:
            return Response.json(400, {"error": f"{kind}[{index}]: {problem}", "ids": ids})
    return Response.json(201, {"ids": ids})


def _only_keys(body: dict[str, Any], keys: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key; keys: {', '.join(keys)}")


def _object(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not all(isinstance(key, str) for key in item):
        raise TypeError(f"expected a mapping of names to values, not {type(item).__name__}")
    return item


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{key}: expected a list of texts")
    return tuple(value)


def _names(body: dict[str, Any], key: str) -> list[str]:
    names = body.get(key, [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{key} must be a list of stage names")
    return names


def _renames(renames: Any) -> dict[str, tuple[str, str, str | None]]:
    """{old: "new"} renames display and actual value; {old: {"display_value", "actual_value",
    "reference_value"}} sets them apart (the reference value is the actual one when absent)."""
    if not isinstance(renames, dict):
        raise ValueError("renames must be an object of old name to new name")
    return {old: _option_values(new, f"rename of {old!r}") for old, new in renames.items()}


def _new_stages(stages: Any) -> list[tuple[str, str, str | None]]:
    if not isinstance(stages, list):
        raise ValueError("add_stages must be a list of stage names or option values")
    return [_option_values(stage, f"add_stages[{n}]") for n, stage in enumerate(stages)]


def _option_values(value: Any, where: str) -> tuple[str, str, str | None]:
    """A picklist option's display, actual and reference value (None: the actual one)."""
    if isinstance(value, str):
        return value, value, None
    keys = ("display_value", "actual_value", "reference_value")
    if (
        isinstance(value, dict)
        and set(value) <= set(keys)
        and all(isinstance(value.get(key), str) for key in keys[:2])
        and isinstance(value.get("reference_value", ""), str)
    ):
        return value["display_value"], value["actual_value"], value.get("reference_value")
    raise ValueError(f"{where}: a name, or display_value and actual_value (and reference_value)")


def _json_object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body
