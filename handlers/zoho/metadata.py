"""The org's metadata that the preflight holds the rules against, read in a few calls.

Fields of Leads and Deals (types, picklists, writability), the Leads layouts' conversion mapping
and the Deals layouts it converts into (required fields), each such layout's pipelines and their
stages, the users, the Leads tags (docs/zoho-api.md, "Metadata"), and whether the token may make
every call the product makes ("Scopes" there: a refused scope answers 401 OAUTH_SCOPE_MISMATCH;
there is no introspection endpoint, so each call is probed once). A read the token may not make is
recorded as a missing scope and that part of the check is skipped, never guessed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.errors import ZohoBadResponse, ZohoRefused
from handlers.zoho import scopes
from handlers.zoho.scopes import CallScope

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

SCOPE_REFUSED = "OAUTH_SCOPE_MISMATCH"
# A lead id no org has: the probes of Convert, Notes and Mass Convert name it, so Zoho answers
# with the scope refusal or with "no such record", and nothing can change.
ABSENT_ID = "1"
USERS_PER_PAGE = 200  # the maximum (docs/zoho-api.md, "Metadata")
# Pages of users read at most: 10,000 users, far beyond the orgs this is for, so the hourly check
# spends at most 50 calls (and credits) on them. Past it the paging is taken as not ending (a
# broken `more_records`) rather than followed: each page costs a call of the org's daily credits.
MAX_USER_PAGES = 50
NUMERIC_TYPES = frozenset({"integer", "bigint", "double", "currency", "percent", "decimal"})
DATE_TYPES = frozenset({"date", "datetime"})
COMPUTED_TYPES = frozenset({"formula", "rollup_summary", "autonumber"})
# Credits per call (docs/zoho-api.md, "Credits and limits"): 1 is the documented default; Convert Lead 5.
CONVERT_CREDITS = 5


@dataclass(frozen=True)
class Choice:
    """A picklist option: what the UI shows and what the API stores (they can differ: docs/zoho-api.md,
    "Metadata")."""

    display: str
    actual: str
    used: bool = True
    reference: str | None = None  # the untranslated value, where Zoho gives one

    @property
    def forms(self) -> tuple[str, ...]:
        """Every value that names this option: actual, display and reference, each once."""
        return tuple(dict.fromkeys(form for form in (self.actual, self.display, self.reference) if form))

    @property
    def ambiguous(self) -> bool:
        """Whether the option's forms differ (renamed or translated): which one the API takes is
        unsettled (docs/zoho-api.md, "Metadata")."""
        return len(self.forms) > 1


@dataclass(frozen=True)
class FieldInfo:
    api_name: str
    data_type: str
    choices: tuple[Choice, ...] = ()
    writable: bool = True  # may be set through the API on create (docs/zoho-api.md, "Metadata")
    return_type: str | None = None  # of a formula or rollup summary

    @property
    def is_picklist(self) -> bool:
        return self.data_type in ("picklist", "multiselectpicklist")

    @property
    def is_numeric(self) -> bool:
        return self._value_type in NUMERIC_TYPES

    @property
    def is_date(self) -> bool:
        return self._value_type in DATE_TYPES

    @property
    def _value_type(self) -> str:
        if self.data_type in ("formula", "rollup_summary") and self.return_type:
            return self.return_type
        return self.data_type


@dataclass(frozen=True)
class Pipeline:
    display: str
    actual: str
    stages: tuple[Choice, ...]


@dataclass(frozen=True)
class DealLayout:
    """A Deals layout leads convert into: its required fields and its pipelines (None: none)."""

    id: str
    name: str
    required: frozenset[str]
    pipelines: tuple[Pipeline, ...] | None


@dataclass(frozen=True)
class OrgUser:
    id: str
    name: str
    status: str
    confirmed: bool
    profile: str | None = None
    role: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active" and self.confirmed

    def describe(self) -> str:
        """`Ava Admin (4876876000000002001), profile Administrator, role CEO, active`."""
        parts = [f"{self.name} ({self.id})"]
        parts += [
            f"{what} {value}" for what, value in (("profile", self.profile), ("role", self.role)) if value
        ]
        parts.append(self.status + ("" if self.confirmed else ", invitation not accepted"))
        return ", ".join(parts)


@dataclass(frozen=True)
class Probe:
    """One call the function makes, sent once, naming nothing that exists, to see whether the
    token's scopes allow it (handlers.zoho.scopes says which scope that is)."""

    call: CallScope
    path: str
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    credits: int = 1


PROBES = (
    Probe(scopes.LEAD_READ, f"/Leads/{ABSENT_ID}"),
    Probe(
        scopes.CONVERT,
        f"/Leads/{ABSENT_ID}/actions/convert",
        body={"data": [{"overwrite": False}]},
        credits=CONVERT_CREDITS,
    ),
    Probe(scopes.NOTE_WRITE, "/Notes", body={"data": []}),
    Probe(scopes.NOTES_READ, f"/Leads/{ABSENT_ID}/Notes", params={"fields": "Note_Title"}),
    Probe(
        scopes.COQL,
        "/coql",
        body={"select_query": "select id from Leads where id = '1' limit 1"},  # ABSENT_ID
    ),
    # An id that is no lead: the submission is refused whole and nothing is scheduled.
    Probe(scopes.MASS_CONVERT, "/Leads/actions/mass_convert", body={"ids": [ABSENT_ID]}),
    Probe(scopes.MASS_CONVERT_STATUS, "/Leads/actions/mass_convert", params={"job_id": ABSENT_ID}),
)


@dataclass(frozen=True)
class MissingScope:
    scope: str
    needed_for: str


@dataclass
class OrgMetadata:
    """What was read; a part is None when the token may not read it (see `missing_scopes`) or it
    could not be read completely (see `incomplete`)."""

    lead_fields: dict[str, FieldInfo] | None = None
    deal_fields: dict[str, FieldInfo] | None = None
    deal_layouts: tuple[DealLayout, ...] | None = None
    # Deals fields that a Leads field's conversion mapping fills (Lead field -> Deals field).
    mapped_deal_fields: frozenset[str] = frozenset()
    users: dict[str, OrgUser] | None = None
    token_user: OrgUser | None = None  # who the refresh token acts as (read by check-rules --org)
    lead_tags: tuple[str, ...] | None = None
    contact_roles: dict[str, str] | None = None  # name to id, read when a rule names a role
    missing_scopes: list[MissingScope] = field(default_factory=list)
    # Parts that could be read but not completely, each a sentence saying which and why (that
    # part is None, so its check is skipped rather than guessed from what was read).
    incomplete: list[str] = field(default_factory=list)
    api_domain: str | None = None
    calls: int = 0
    credits: int = 0


def read_org(zoho: ZohoClient, *, probe_scopes: bool = True, contact_roles: bool = False) -> OrgMetadata:
    """Read the metadata and, with `probe_scopes`, probe the scopes of the product's own calls; a
    Zoho failure other than a scope refusal raises.

    The unattended check (the sweep, dry runs included) reads the metadata only: it sends no
    create call at all, and a scope the sweep or a conversion lacks shows in their own outcome."""
    org = OrgMetadata()
    with zoho.counting_calls() as calls:
        reader = _Reader(zoho, org)
        org.lead_fields = reader.fields("Leads")
        org.deal_fields = reader.fields("Deals")
        org.mapped_deal_fields = reader.mapped_deal_fields
        org.deal_layouts = reader.deal_layouts()
        org.users = reader.users()
        org.lead_tags = reader.lead_tags()
        if contact_roles:
            org.contact_roles = reader.contact_roles()
        if probe_scopes:
            org.token_user = reader.token_user()
            reader.probe_product_calls()
        org.api_domain = zoho.api_domain()
    org.calls = calls.count
    org.credits = calls.count + reader.extra_credits
    return org


CONTACT_ROLES_SCOPE = scopes.CONTACT_ROLES.scope


def read_contact_roles(zoho: ZohoClient) -> dict[str, str]:
    """The org's contact roles, name to id (docs/zoho-api.md, "Contact roles"); Zoho's refusal
    raises (a token without CONTACT_ROLES_SCOPE)."""
    body = zoho.read_metadata("/Contacts/roles")
    roles = body.get("contact_roles") if body is not None else []
    if not isinstance(roles, list):
        raise ZohoBadResponse("the contact roles read answered without contact_roles[]")
    return {
        str(role["name"]): str(role["id"])
        for role in roles
        if isinstance(role, dict) and role.get("name") and role.get("id")
    }


def read_lead_fields(zoho: ZohoClient) -> dict[str, FieldInfo] | None:
    """The org's Leads fields by API name, with one call; None when the token may not read them."""
    return _Reader(zoho, OrgMetadata()).fields("Leads")


class _Reader:
    def __init__(self, zoho: ZohoClient, org: OrgMetadata):
        self.zoho = zoho
        self.org = org
        self.mapped_deal_fields: frozenset[str] = frozenset()
        self.extra_credits = 0

    def fields(self, module: str) -> dict[str, FieldInfo] | None:
        body = self._read(
            "/settings/fields", {"module": module, "type": "all"}, "ZohoCRM.settings.fields.READ"
        )
        if body is None:
            return None
        fields = {}
        mapped = set(self.mapped_deal_fields)
        for item in _objects(body, "fields", f"{module} fields"):
            info = _field(item)
            fields[info.api_name] = info
            mapping = item.get("convert_mapping")
            if module == "Leads" and isinstance(mapping, dict) and isinstance(mapping.get("Deals"), str):
                mapped.add(mapping["Deals"])
        self.mapped_deal_fields = frozenset(mapped)
        return fields

    def deal_layouts(self) -> tuple[DealLayout, ...] | None:
        """The Deals layouts named by the active Leads layouts' conversion mapping (docs/zoho-api.md,
        "Metadata")."""
        leads = self._read("/settings/layouts", {"module": "Leads"}, "ZohoCRM.settings.layouts.READ")
        deals = self._read("/settings/layouts", {"module": "Deals"}, "ZohoCRM.settings.layouts.READ")
        if leads is None or deals is None:
            return None
        targets: dict[str, set[str]] = {}
        for layout in _objects(leads, "layouts", "Leads layouts"):
            mapping = (layout.get("convert_mapping") or {}).get("Deals")
            if layout.get("status", "active") == "active" and isinstance(mapping, dict) and mapping.get("id"):
                required = targets.setdefault(str(mapping["id"]), set())
                required.update(
                    str(item["api_name"])
                    for item in mapping.get("fields") or []
                    if isinstance(item, dict) and item.get("required") and item.get("api_name")
                )
        layouts = []
        for layout in _objects(deals, "layouts", "Deals layouts"):
            layout_id = str(layout.get("id"))
            active = layout.get("status", "active") == "active"
            if layout_id in targets or (not targets and active):
                required = targets.get(layout_id, set()) | _layout_required(layout)
                layouts.append(
                    DealLayout(
                        layout_id,
                        str(layout.get("name") or layout_id),
                        frozenset(required),
                        self.pipelines(layout_id),
                    )
                )
        return tuple(layouts)

    def pipelines(self, layout_id: str) -> tuple[Pipeline, ...] | None:
        with self._scope("ZohoCRM.settings.pipeline.READ", "the Stage and Pipeline check"):
            body = self.zoho.read_metadata("/settings/pipeline", {"layout_id": layout_id})
            if body is None:
                return None  # 204: no pipeline in this layout (docs/zoho-api.md, "Metadata")
            return tuple(
                Pipeline(
                    str(item.get("display_value")),
                    str(item.get("actual_value") or item.get("display_value")),
                    tuple(_choice(stage) for stage in item.get("maps") or [] if isinstance(stage, dict)),
                )
                for item in _objects(body, "pipeline", "the pipelines")
            )
        return None

    def users(self) -> dict[str, OrgUser] | None:
        """Every user, page by page; None when the token may not read them (a missing scope) or
        the pages do not end: a page that repeats the one before (paging that does not advance)
        or more than MAX_USER_PAGES (recorded in `incomplete`)."""
        users: dict[str, OrgUser] = {}
        previous: frozenset[str] | None = None
        with self._scope("ZohoCRM.users.READ", "the user check"):
            for page in range(1, MAX_USER_PAGES + 1):
                params = {"type": "AllUsers", "page": str(page), "per_page": str(USERS_PER_PAGE)}
                body = self.zoho.read_metadata("/users", params)
                if body is None:
                    return users
                listed = [_user(item) for item in _objects(body, "users", "the users")]
                ids = frozenset(user.id for user in listed)
                if ids == previous:
                    self._users_incomplete(
                        f"page {page} repeats the users of page {page - 1} (Zoho's paging does not advance)"
                    )
                    return None
                previous = ids
                users.update((user.id, user) for user in listed)
                info = body.get("info")
                if not (isinstance(info, dict) and info.get("more_records")):
                    return users
            self._users_incomplete(
                f"Zoho still had more after {MAX_USER_PAGES} pages of {USERS_PER_PAGE}"
                f" ({MAX_USER_PAGES * USERS_PER_PAGE:,} users), the most this check reads"
            )
        return None

    def token_user(self) -> OrgUser | None:
        """The user whose refresh token the function uses: every call runs with their profile,
        role and sharing (docs/zoho-api.md, "The token's user and permissions")."""
        with self._scope("ZohoCRM.users.READ", "the token's user"):
            body = self.zoho.read_metadata("/users", {"type": "CurrentUser"})
            listed = _objects(body, "users", "the current user") if body is not None else []
            return _user(listed[0]) if listed else None
        return None

    def _users_incomplete(self, why: str) -> None:
        self.org.incomplete.append(
            f"the users list could not be read completely: {why}; the owners (assign_to) were not checked"
        )

    def lead_tags(self) -> tuple[str, ...] | None:
        with self._scope("ZohoCRM.settings.tags.READ", "the tag check"):
            body = self.zoho.read_metadata("/settings/tags", {"module": "Leads"})
            if body is None:
                return ()  # 204: the org has no Leads tag
            tags = _objects(body, "tags", "the Leads tags")
            return tuple(str(tag["name"]) for tag in tags if tag.get("name"))
        return None

    def probe_product_calls(self) -> None:
        """Each call the function makes, once, naming nothing that exists (docs/zoho-api.md, "Scopes")."""
        for probe in PROBES:
            if "mass_convert" in probe.path and not self.zoho.version.mass_convert:
                continue
            refusal = self.zoho.probe(probe.call.method, probe.path, params=probe.params, json=probe.body)
            self.extra_credits += probe.credits - 1
            if refusal is not None and refusal.code == SCOPE_REFUSED:
                self.org.missing_scopes.append(MissingScope(probe.call.scope, probe.call.needed_for))

    def contact_roles(self) -> dict[str, str] | None:
        with self._scope(CONTACT_ROLES_SCOPE, "GET /Contacts/roles"):
            return read_contact_roles(self.zoho)
        return None

    def _read(self, path: str, params: dict[str, str], scope: str) -> dict[str, Any] | None:
        """A metadata read that answers a JSON object; None when the token lacks `scope` (recorded)."""
        with self._scope(scope, f"GET {path}?module={params.get('module')}"):
            body = self.zoho.read_metadata(path, params)
            if body is None:
                raise ZohoBadResponse(f"GET {path}?module={params.get('module')} answered no content")
            return body
        return None

    @contextlib.contextmanager
    def _scope(self, scope: str, needed_for: str) -> Iterator[None]:
        try:
            yield
        except ZohoRefused as refusal:
            if refusal.code != SCOPE_REFUSED:
                raise
            if not self._missing(scope):
                self.org.missing_scopes.append(MissingScope(scope, needed_for))

    def _missing(self, scope: str) -> bool:
        return any(missing.scope == scope for missing in self.org.missing_scopes)


def _user(item: dict[str, Any]) -> OrgUser:
    return OrgUser(
        str(item.get("id")),
        str(item.get("full_name") or item.get("email") or item.get("id")),
        str(item.get("status") or "").lower(),
        item.get("confirm") is not False,
        _name_of(item.get("profile")),
        _name_of(item.get("role")),
    )


def _name_of(reference: Any) -> str | None:
    """A `{"name", "id"}` reference's name (a user's profile or role)."""
    return str(reference["name"]) if isinstance(reference, dict) and reference.get("name") else None


def _field(item: dict[str, Any]) -> FieldInfo:
    api_name = item.get("api_name")
    if not isinstance(api_name, str):
        raise ZohoBadResponse("the fields metadata named a field without api_name")
    data_type = str(item.get("data_type") or "")
    operations = item.get("operation_type")
    creatable = operations.get("api_create", True) if isinstance(operations, dict) else True
    writable = (
        creatable is not False
        and not item.get("read_only")
        and not item.get("field_read_only")
        and data_type not in COMPUTED_TYPES
    )
    computed = item.get("formula") or item.get("rollup_summary") or {}
    return_type = computed.get("return_type") if isinstance(computed, dict) else None
    return FieldInfo(
        api_name,
        data_type,
        tuple(_choice(value) for value in item.get("pick_list_values") or [] if isinstance(value, dict)),
        writable,
        str(return_type) if return_type else None,
    )


def _choice(item: dict[str, Any]) -> Choice:
    display = str(item.get("display_value") or item.get("actual_value") or "")
    reference = item.get("reference_value")
    return Choice(
        display,
        str(item.get("actual_value") or display),
        item.get("type", "used") != "unused",
        str(reference) if reference else None,
    )


def _layout_required(layout: dict[str, Any]) -> set[str]:
    """Fields the layout requires that have no default value (`required`, `default_value`:
    docs/zoho-api.md, "Metadata")."""
    return {
        str(item["api_name"])
        for section in layout.get("sections") or []
        if isinstance(section, dict)
        for item in section.get("fields") or []
        if isinstance(item, dict)
        and item.get("required")
        and item.get("api_name")
        and item.get("default_value") in (None, "")
    }


def _objects(body: dict[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        raise ZohoBadResponse(f"{what} answered without {key}[]")
    return [item for item in items if isinstance(item, dict)]
