"""Org setup endpoints the SDK reads before its first record call: users, org and fields."""

from __future__ import annotations

from .crm import CrmStore
from .ids import MODULE_IDS
from .metadata import field_json, module_fields, module_json, org_json
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

    def fields(self, call: Call) -> Response:
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
        definitions = module_fields(module, self._crm.pipelines)
        return Response.json(200, {"fields": [field_json(module, d) for d in definitions]})
