"""Org setup endpoints the SDK reads before its first record call: users, org, fields, modules
and related lists."""

from __future__ import annotations

from .crm import CrmStore
from .ids import MODULE_IDS
from .metadata import field_json, module_fields, module_json, org_json, stable_id
from .protocol import Response, invalid_param, required_param_missing, top_level_error
from .router import Call, Route

USER_TYPES = ("AllUsers", "ActiveUsers", "ConfirmedUsers", "ActiveConfirmedUsers")
ADMIN_TYPES = ("AdminUsers", "ActiveConfirmedAdmins")


class MetadataEndpoints:
    def __init__(self, crm: CrmStore) -> None:
        self._crm = crm

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"users", self.users),
            Route("GET", r"org", self.org),
            Route("GET", r"settings/fields", self.fields),
            Route("GET", r"settings/modules", self.modules),
            Route("GET", r"settings/related_lists", self.related_lists),
        ]

    def users(self, call: Call) -> Response:
        kind = call.request.param("type") or "AllUsers"
        users = self._crm.users
        if kind == "CurrentUser":
            users = [user for user in users if user.id == self._crm.default_user_id]
        elif kind in ADMIN_TYPES:
            users = [user for user in users if user.profile == "Administrator"]
        elif kind not in USER_TYPES:
            raise invalid_param("type")
        info = {"per_page": 200, "count": len(users), "page": 1, "more_records": False}
        return Response.json(200, {"users": [user.as_json() for user in users], "info": info})

    def org(self, call: Call) -> Response:
        return Response.json(200, {"org": [org_json()]})

    def modules(self, call: Call) -> Response:
        return Response.json(200, {"modules": [module_json(name) for name in MODULE_IDS]})

    def related_lists(self, call: Call) -> Response:
        """The related lists of a module; the SDK reads them before Get Related Records.

        Only Notes is emulated, on every module that has records.
        """
        module = _module(call)
        notes = {
            "id": stable_id("related_list", f"{module}.Notes"),
            "api_name": "Notes",
            "name": "Notes",
            "display_label": "Notes",
            "module": {"api_name": "Notes", "id": MODULE_IDS["Notes"]},
            "href": f"{module}/{{ENTITYID}}/Notes",
            "type": "default",
            "sequence_number": "1",
            "visible": True,
            "action": None,
            "connectedmodule": None,
            "linkingmodule": None,
        }
        return Response.json(200, {"related_lists": [notes] if module != "Notes" else []})

    def fields(self, call: Call) -> Response:
        module = _module(call)
        definitions = module_fields(module, self._crm.pipelines)
        return Response.json(200, {"fields": [field_json(module, d) for d in definitions]})


def _module(call: Call) -> str:
    """The mandatory `module` parameter, naming a module the org has."""
    module = call.request.param("module")
    if not module:
        raise required_param_missing("module")
    if module not in MODULE_IDS:
        raise top_level_error(
            400,
            "INVALID_MODULE",
            "the module name given seems to be invalid",
            {"param_name": "module"},
        )
    return module
