"""Org setup endpoints: users, org, fields, layouts, pipelines, tags, modules and related lists
(zoho-crm-api.md §13). The official SDK reads users, org, fields and related lists before its
first record call; the product's preflight reads fields, layouts, pipelines, users and tags."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import scopes
from .crm import TAG_MODULES, TOP_ROLE, CrmStore, User
from .faults import Faults
from .ids import MODULE_IDS
from .layouts import (
    LAYOUT_MODES,
    LAYOUT_MODULES,
    Layout,
    layout_associations,
    layout_by_id,
    layout_json,
    layouts_of,
)
from .metadata import field_json, module_json, org_json, stable_id
from .protocol import (
    ApiError,
    Response,
    invalid_param,
    limit_exceeded,
    positive_int_param,
    required_param_missing,
    top_level_error,
)
from .router import VERSIONS, Call, Route

FIELD_TYPES = ("all", "used", "unused")  # zoho-crm-api.md §13.1 `type`; the default is used
FIELD_TYPE_SINCE = 2.1  # §13.1: "type=unused|all appears by v2.1"; v2 ignores it
LAYOUT_ASSOCIATIONS_SINCE = 7  # §13.1: layout_associations is new in v7
USERS_MAX_PER_PAGE = 200  # §13.4 "The default and the maximum possible value is 200"
USERS_MAX_IDS = 100  # §13.4 `ids`, at most 100
TAGS_ALLOWED = 200  # §13.5 info.allowed_count in DOC-v7's sample
LAYOUT_ID = re.compile(r"[0-9]{1,19}")  # §13.3 layout_id `^[0-9]{1,19}$`
TAGS_NOT_SUPPORTED = "the given module is not supported for this api"

UserFilter = Callable[[User, User], bool]  # (user, the token's user) -> listed?


def _active(user: User) -> bool:
    return user.status == "active"


def _deactivated(user: User) -> bool:
    return user.status in ("inactive", "disabled")


def _below(user: User, current: User) -> bool:
    """In a role under the current user's, in the emulated hierarchy (CEO, then Manager)."""
    return current.role == TOP_ROLE and user.role != TOP_ROLE


# zoho-crm-api.md §13.4: the 18 `type` values of v8. The role-based ones follow the emulated
# two-level hierarchy; the emulator has no lite users, so ActiveLiteUser lists nobody.
USER_FILTERS: dict[str, UserFilter] = {
    "AllUsers": lambda user, current: True,
    "CurrentUser": lambda user, current: user.id == current.id,
    "ActiveUsers": lambda user, current: _active(user),
    "AllActiveUsers": lambda user, current: _active(user),
    "DeactiveUsers": lambda user, current: _deactivated(user),
    "ActiveAndDeactive": lambda user, current: _active(user) or _deactivated(user),
    "DeletedUsers": lambda user, current: user.status == "deleted",
    "ConfirmedUsers": lambda user, current: user.confirm,
    "NotConfirmedUsers": lambda user, current: not user.confirm,
    "ActiveConfirmedUsers": lambda user, current: _active(user) and user.confirm,
    "AdminUsers": lambda user, current: user.profile == "Administrator",
    "ActiveConfirmedAdmins": lambda user, current: (
        user.profile == "Administrator" and _active(user) and user.confirm
    ),
    "DeveloperUsers": lambda user, current: user.type == "Sandbox Developer User",
    "ActiveLiteUser": lambda user, current: False,
    "ChildRoleUsers": _below,
    "SubordinateRoleUsers": _below,
    "ParentRoleUsers": lambda user, current: user.role == TOP_ROLE and current.role != TOP_ROLE,
    "ConfirmedReportingUsers": lambda user, current: user.confirm and _below(user, current),
}


class MetadataEndpoints:
    def __init__(self, crm: CrmStore, faults: Faults) -> None:
        self._crm = crm
        self._faults = faults

    def routes(self) -> list[Route]:
        # zoho-crm-api.md §13.7: the scope of each; the reference names none for org and
        # related lists, so those are not checked.
        return [
            Route("GET", r"users", self.users, scopes=scopes.USERS),
            Route("GET", r"org", self.org),
            Route("GET", r"settings/fields", self.fields, scopes=scopes.FIELDS),
            Route("GET", r"settings/layouts", self.layouts, scopes=scopes.LAYOUTS),
            Route("GET", r"settings/layouts/(?P<id>[^/]+)", self.layout, scopes=scopes.LAYOUTS),
            Route("GET", r"settings/pipeline", self.pipelines, scopes=scopes.PIPELINES),
            Route("GET", r"settings/pipeline/(?P<id>[^/]+)", self.pipeline, scopes=scopes.PIPELINES),
            Route("GET", r"settings/tags", self.tags, scopes=scopes.TAGS),
            Route("GET", r"settings/modules", self.modules, scopes=scopes.MODULES),
            Route("GET", r"settings/related_lists", self.related_lists),
        ]

    # --- users (zoho-crm-api.md §13.4) ------------------------------------------------------

    def users(self, call: Call) -> Response:
        """`type` (AllUsers when absent: the default is UNVERIFIED, §13.11 item 12), `ids`,
        `page` and `per_page`; 204 when nobody matches."""
        kind = call.request.param("type") or "AllUsers"
        if kind not in USER_FILTERS:
            raise invalid_param("type")
        page = positive_int_param(call.request, "page", default=1)
        per_page = positive_int_param(
            call.request, "per_page", default=USERS_MAX_PER_PAGE, maximum=USERS_MAX_PER_PAGE
        )
        current = self._crm.user(self._crm.current_user_id)  # zoho-crm-api.md §14.8
        assert current is not None
        users = [user for user in self._crm.users if USER_FILTERS[kind](user, current)]
        if (listed := call.request.param("ids")) is not None:
            wanted = _user_ids(listed)
            users = [user for user in users if user.id in wanted]
        chosen = users[(page - 1) * per_page : page * per_page]
        if not chosen:
            return Response.no_content()
        more = page * per_page < len(users)
        info = {"per_page": per_page, "count": len(chosen), "page": page, "more_records": more}
        return Response.json(200, {"users": [user.as_json() for user in chosen], "info": info})

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

    # --- fields (zoho-crm-api.md §13.1) -----------------------------------------------------

    def fields(self, call: Call) -> Response:
        """Used fields by default; `type=all|used|unused` from v2.1. 204 when none match."""
        module = _module(call)
        kind = call.request.param("type") or "used"
        if VERSIONS[call.version] < FIELD_TYPE_SINCE:
            kind = "used"
        elif kind not in FIELD_TYPES:
            raise invalid_param("type")
        book = self._crm.pipeline_book()
        with_associations = VERSIONS[call.version] >= LAYOUT_ASSOCIATIONS_SINCE
        hidden = self._faults.hidden_fields if module == "Leads" else set()
        fields = [
            field_json(
                module,
                definition,
                hidden=definition.api_name in hidden,
                book=book,
                layout_associations=(
                    layout_associations(module, definition.api_name) if with_associations else None
                ),
                length=self._crm.field_length(module, definition.api_name),
            )
            for definition in self._crm.field_definitions(module)
            if kind == "all" or definition.used == (kind == "used")
        ]
        if not fields:
            return Response.no_content()
        return Response.json(200, {"fields": fields})

    # --- layouts (zoho-crm-api.md §13.2) ----------------------------------------------------

    def layouts(self, call: Call) -> Response:
        """Every layout of the module in one answer (no paging)."""
        module = _layout_module(call)
        return Response.json(200, {"layouts": [self._layout_json(layout) for layout in layouts_of(module)]})

    def layout(self, call: Call) -> Response:
        """One layout. A well-formed id that is not a layout of `module` is refused with
        INVALID_DATA (204 or INVALID_DATA is UNVERIFIED, §13.9, §13.11 item 11: the refusal is
        the riskier reading)."""
        module = _layout_module(call)
        layout_id = call.params["id"]
        if not LAYOUT_ID.fullmatch(layout_id):
            raise top_level_error(
                400,
                "INVALID_DATA",
                "The id given seems to be invalid",
                {"param_name": "id", "expected_data_type": "int64"},
            )
        layout = layout_by_id(layout_id)
        if layout is None or layout.module != module:
            raise top_level_error(
                400, "INVALID_DATA", "The id given seems to be invalid", {"param_name": "id"}
            )
        return Response.json(200, {"layouts": [self._layout_json(layout)]})

    def _layout_json(self, layout: Layout) -> dict[str, object]:
        admin = self._crm.user(self._crm.default_user_id)
        assert admin is not None
        hidden = frozenset(self._faults.hidden_fields) if layout.module == "Leads" else frozenset()
        return layout_json(
            layout, self._crm.pipeline_book(), {"name": admin.full_name, "id": admin.id}, hidden
        )

    # --- pipelines (zoho-crm-api.md §13.3) --------------------------------------------------

    def pipelines(self, call: Call) -> Response:
        """The pipelines of a Deals layout; 204 when it has none."""
        layout = _deals_layout(call)
        pipelines = self._crm.pipeline_book().pipelines_json() if layout.has_pipelines else []
        if not pipelines:
            return Response.no_content()
        return Response.json(200, {"pipeline": pipelines})

    def pipeline(self, call: Call) -> Response:
        """One pipeline of a Deals layout; 204 for an id that is none of its pipelines (DOC-v7)."""
        layout = _deals_layout(call)
        pipelines = self._crm.pipeline_book().pipelines_json() if layout.has_pipelines else []
        chosen = [pipeline for pipeline in pipelines if pipeline["id"] == call.params["id"]]
        if not chosen:
            return Response.no_content()
        return Response.json(200, {"pipeline": chosen})

    # --- tags (zoho-crm-api.md §13.5) -------------------------------------------------------

    def tags(self, call: Call) -> Response:
        """The module's tags with `info {count, allowed_count}`; `my_tags=true` keeps those the
        token's user created. No paging is documented."""
        module = call.request.param("module")
        if not module:
            # §13.5: Get Tags names the parameter in details.param, not details.param_name.
            raise top_level_error(
                400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "module"}
            )
        if module not in MODULE_IDS:
            raise _invalid_module()
        if module not in TAG_MODULES:
            raise top_level_error(400, "INVALID_MODULE", TAGS_NOT_SUPPORTED)
        tags = self._crm.tags(module)
        if call.request.param("my_tags") == "true":
            tags = [tag for tag in tags if tag["created_by"]["id"] == self._crm.default_user_id]
        info = {"count": len(tags), "allowed_count": TAGS_ALLOWED}
        return Response.json(200, {"tags": tags, "info": info})


def _user_ids(listed: str) -> set[str]:
    """The `ids` parameter: record ids, at most 100 (zoho-crm-api.md §13.4)."""
    ids = [value.strip() for value in listed.split(",")]
    if not all(value.isdigit() and len(value) <= 19 for value in ids):
        raise invalid_param("ids")
    if len(ids) > USERS_MAX_IDS:
        raise limit_exceeded("ids", USERS_MAX_IDS)
    return set(ids)


def _module(call: Call) -> str:
    """The mandatory `module` parameter, naming a module the org has (zoho-crm-api.md §13.9)."""
    module = call.request.param("module")
    if not module:
        raise required_param_missing("module")
    if module not in MODULE_IDS:
        raise _invalid_module()
    return module


def _layout_module(call: Call) -> str:
    """`module` of Get Layouts, and its `mode` (zoho-crm-api.md §13.2, §13.9)."""
    module = _module(call)
    if module not in LAYOUT_MODULES:
        raise top_level_error(400, "INVALID_MODULE", "The given module is not supported in API")
    mode = call.request.param("mode")
    if mode is not None and mode not in LAYOUT_MODES:
        raise top_level_error(
            400,
            "PATTERN_NOT_MATCHED",
            "Please check whether the input values are correct",
            {"param_name": "mode"},
        )
    return module


def _deals_layout(call: Call) -> Layout:
    """The mandatory `layout_id` of Get Pipelines: the id of a Deals layout (zoho-crm-api.md §13.3)."""
    layout_id = call.request.param("layout_id")
    if not layout_id:
        raise required_param_missing("layout_id")
    layout = layout_by_id(layout_id) if LAYOUT_ID.fullmatch(layout_id) else None
    if layout is None or layout.module != "Deals":
        raise top_level_error(400, "INVALID_DATA", "Invalid layoutid", {"param_name": "layout_id"})
    return layout


def _invalid_module() -> ApiError:
    """zoho-crm-api.md §13.9: the Fields and Tags examples carry empty details."""
    return top_level_error(400, "INVALID_MODULE", "the module name given seems to be invalid")
