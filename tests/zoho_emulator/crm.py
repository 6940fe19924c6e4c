"""The emulated CRM: records, users, tags and the business rules of lead conversion.

One re-entrant lock guards all state, so each operation (a whole conversion included) is atomic:
twenty concurrent converts of one lead convert it once.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from .clock import Clock, zoho_time
from .conversion import (
    ACTIVITY_MODULES,
    CONVERT_MAX_LENGTHS,
    DEAL_MANDATORY,
    MASS_CONVERT_MAX_LENGTHS,
    ConvertRequest,
    check_lengths,
    check_pipeline,
    is_iso_date,
)
from .ids import MODULE_IDS, IdSequence
from .indexes import FieldIndex, IdOrder, same_value
from .metadata import (
    DEFAULT_CONTACT_ROLES,
    MULTI_SELECT,
    PICKLIST_FORMS,
    FieldDef,
    Option,
    module_fields,
    options,
    stable_id,
)
from .pipelines import PipelineBook
from .protocol import FieldError, invalid_field, invalid_id, top_level_error
from .wait_states import NO_WAIT, PLACEMENTS, WaitState

MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Notes", *ACTIVITY_MODULES)
CUSTOMISABLE_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
# The custom field types an org description may add (zoho-crm-api.md §13.1's data types whose
# values the emulator stores as given).
CUSTOM_FIELD_TYPES = frozenset(
    {"text", "textarea", "email", "phone", "website", "picklist", MULTI_SELECT, "integer", "bigint"}
    | {"double", "currency", "percent", "boolean", "date", "datetime"}
)
# The modules COQL reads, kept in id order.
ID_ORDERED = ("Leads", "Contacts", "Accounts", "Deals", *ACTIVITY_MODULES)
NAME_FIELDS = {
    "Leads": "Full_Name",
    "Contacts": "Full_Name",
    "Accounts": "Account_Name",
    "Deals": "Deal_Name",
    "Tasks": "Subject",
    "Events": "Event_Title",
    "Calls": "Subject",
}
MANDATORY = {
    "Leads": "Last_Name",
    "Contacts": "Last_Name",
    "Accounts": "Account_Name",
    "Tasks": "Subject",
    "Events": "Event_Title",
    "Calls": "Subject",
}
# An activity's What_Id names a record of one of these ($se_module says which).
ACTIVITY_PARENTS = ("Leads", "Contacts", "Accounts", "Deals")
# CHOSEN: what Update Records may change on an activity (anything else is INVALID_DATA).
ACTIVITY_EDITS = {
    "Tasks": ("Owner", "Subject", "Status"),
    "Events": ("Owner", "Event_Title"),
    "Calls": ("Owner", "Subject"),
}
# zoho-crm-api.md §1.2, §14.6 (Kaizen #137): after the unique fields, a contact matches a lead by
# Email, then by name (Full_Name); an account by Account_Name (against the lead's Company).
MATCH_CRITERIA = {"Contacts": ("Email", "Full_Name"), "Accounts": ("Account_Name",)}
# Fields the store sets itself; a Deals object in a Convert body cannot override them.
SYSTEM_FIELDS = frozenset(
    {"id", "Owner", "Created_By", "Modified_By", "Created_Time", "Modified_Time", "Tag"}
)
T = TypeVar("T")
# on_lead_saved's listener: (event "create" or "edit", the live lead, the fields changed).
LeadSaved = Callable[[str, dict[str, Any], frozenset[str]], None]
TAG_COLOURS = ("#57B1FD", "#F17574", "#63C57E", "#F48435", "#A8A8A8", "#E7A826")
TAG_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
# zoho-crm-api.md §13.4: a user's `status` and `type__s`.
USER_STATUSES = ("active", "inactive", "deleted", "disabled", "closed", "disabled dormant")
USER_TYPES = (
    "Regular User",
    "Client Portal User",
    "Sandbox Developer User",
    "Team User",
    "Support User",
    "Digital Employee",
    "System User",
)
TOP_ROLE = "CEO"  # the emulated role hierarchy: CEO (administrators), Manager below it
APPROVED_VALUES = ("true", "false", "both")  # zoho-crm-api.md §14.3 `approved`
USER_EDITS = ("full_name", "email", "profile", "role", "status", "confirm", "type")
NOTE_EDITS = ("Note_Title", "Note_Content")  # what Update Notes changes


@dataclass(frozen=True)
class User:
    id: str
    full_name: str
    email: str
    profile: str
    status: str = "active"
    confirm: bool = True  # the invitation was accepted
    type: str = "Regular User"  # type__s
    created_time: str = "2025-01-06T09:00:00+00:00"
    role_name: str | None = None  # None: CEO for administrators, Manager for everyone else

    @property
    def role(self) -> str:
        if self.role_name is not None:
            return self.role_name
        return TOP_ROLE if self.profile == "Administrator" else "Manager"

    @property
    def can_own_records(self) -> bool:
        """Active and confirmed. Whether Zoho lets an unconfirmed user own a record is
        UNVERIFIED (zoho-crm-api.md §13.11 item 9): the emulator refuses it (riskier reading)."""
        return self.status == "active" and self.confirm

    def reference(self) -> dict[str, str]:
        """The user as a record's Owner field shows it."""
        return {"name": self.full_name, "id": self.id, "email": self.email}

    def as_json(self) -> dict[str, Any]:
        """The user as Get Users answers it."""
        first_name, _, last_name = self.full_name.rpartition(" ")
        return {
            "id": self.id,
            "full_name": self.full_name,
            "first_name": first_name or None,
            "last_name": last_name,
            "email": self.email,
            "status": self.status,
            "confirm": self.confirm,
            "type__s": self.type,
            "role": {"name": self.role, "id": stable_id("role", self.role)},
            "profile": {"name": self.profile, "id": stable_id("profile", self.profile)},
            "created_time": self.created_time,
            "Modified_Time": self.created_time,
            "time_zone": "Etc/UTC",
            "locale": "en_US",
            "country_locale": "en_US",
            "zuid": str(int(self.id) % 100_000_000),
        }


class UnconvertedLeads:
    """The `coql.RecordSource` of Leads: the store's unconverted leads in numeric id order,
    without those awaiting approval (whether COQL returns unapproved records is UNVERIFIED,
    zoho-crm-api.md §14.3: they are left out, the riskier reading)."""

    def __init__(self, order: IdOrder, unapproved: frozenset[str]) -> None:
        self._order = order
        self._unapproved = unapproved

    def in_id_order(self, after: int | None = None, inclusive: bool = False) -> Iterator[dict[str, Any]]:
        leads = self._order.unconverted(after, inclusive)
        if not self._unapproved:
            return leads
        return (lead for lead in leads if lead["id"] not in self._unapproved)

    def having(self, field: str, values: tuple[Any, ...]) -> list[dict[str, Any]] | None:
        return None  # the sweep reads leads by key: a page costs what it holds already


class ModuleRecords:
    """The `coql.RecordSource` of Contacts, Accounts or Deals: every record of the module in
    numeric id order (the converted-leads rule is Leads' alone)."""

    def __init__(self, order: IdOrder, index: Callable[[str], FieldIndex]) -> None:
        self._order = order
        self._index = index

    def in_id_order(self, after: int | None = None, inclusive: bool = False) -> Iterator[dict[str, Any]]:
        return self._order.records(after, inclusive)

    def having(self, field: str, values: tuple[Any, ...]) -> list[dict[str, Any]] | None:
        """Through the store's index of the field (the one conversion matches use)."""
        index = self._index(field)
        unique = {id(record): record for value in values for record in index.find(value)}
        return list(unique.values())


@dataclass(frozen=True)
class Conversion:
    contact: dict[str, str]
    account: dict[str, str] | None
    deal: dict[str, str] | None


@dataclass(frozen=True)
class Criterion:
    """One way a record matches a lead: its field `api_name` equals `value`, the lead's value
    it is compared with (text case-insensitively); `unique` for a unique field of the module."""

    api_name: str
    value: Any
    unique: bool = False


@dataclass(frozen=True)
class Match:
    """A record that matches a lead, and the (field, lead value) pairs it matched on, in the
    order of the criteria."""

    record: dict[str, Any]
    fields: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ModuleMatches:
    """One module's matches as conversion options list them (zoho-crm-api.md §2, §14.6)."""

    records: list[Match] = field(default_factory=list)  # each once, at its best criterion
    matched_values: list[tuple[str, Any]] = field(default_factory=list)  # (field, lead value)
    on_unique_field: bool = False  # some record matched on a unique field


@dataclass(frozen=True)
class LeadMatches:
    contacts: ModuleMatches
    accounts: ModuleMatches
    preferred: str | None  # module_preference; None when nothing matched


class CrmStore:
    def __init__(self, clock: Clock | None = None) -> None:
        """`clock`: the emulated org's clock, which every timestamp written comes from (the
        real time unless moved)."""
        self._lock = threading.RLock()
        self.clock = clock or Clock()
        self._lead_saved: LeadSaved | None = None
        self.clear()

    def on_lead_saved(self, listener: LeadSaved | None) -> None:
        """Call `listener(event, lead, changed)` under the store's lock after a lead is added
        (`add_lead`, event "create", `changed` every field given) or edited (`update_lead`,
        "edit", the fields whose value changed): how workflow rules run (automation.py). It
        gets the live lead and must neither change it nor call back into the store."""
        with self._lock:
            self._lead_saved = listener

    def clear(self) -> None:
        """Back to an empty org with only the default admin user."""
        with self._lock:
            self._ids = IdSequence()
            self._users: dict[str, User] = {}
            self._records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in MODULES}
            self._tags: dict[tuple[str, str], dict[str, Any]] = {}
            self._conversions: Counter[str] = Counter()
            self._id_orders = {module: IdOrder() for module in ID_ORDERED}
            self._field_indexes: dict[tuple[str, str], FieldIndex] = {}
            self._notes_by_parent: dict[tuple[str, str], list[dict[str, Any]]] = {}
            self._book = PipelineBook()
            self._wait_states: dict[str, WaitState] = {}
            self._field_lengths: dict[tuple[str, str], int] = {}
            self._custom_fields: dict[str, list[FieldDef]] = {}  # added by the org (add_field)
            self._options: dict[tuple[str, str], tuple[Option, ...]] = {}  # an org's own picklists
            self.unique_fields: dict[str, list[str]] = {}
            # Zoho's default contact roles, in every org; id -> {id, name, sequence_number}.
            self._contact_roles: dict[str, dict[str, Any]] = {}
            for name in DEFAULT_CONTACT_ROLES:
                role_id = stable_id("contact_role", name)
                self._contact_roles[role_id] = self._role(role_id, name)
            self._portal_user_types: dict[str, dict[str, str]] = {}  # none by default
            self.default_user_id = self.add_user(
                "Ava Admin", "ava.admin@emulated-org.example", role="Administrator"
            )

    # --- users -----------------------------------------------------------------------------

    def add_user(
        self,
        full_name: str,
        email: str,
        role: str = "Standard",
        id: str | None = None,
        *,
        status: str = "active",
        confirm: bool = True,
        type: str = "Regular User",
    ) -> str:
        """Add a user; `role` is the profile name ("Administrator" or "Standard"), `status`,
        `confirm` and `type` (type__s) as Get Users shows them (zoho-crm-api.md §13.4)."""
        if role not in ("Administrator", "Standard"):
            raise ValueError(f"unknown profile {role!r}; profiles: Administrator, Standard")
        if status not in USER_STATUSES:
            raise ValueError(f"unknown user status {status!r}; statuses: {', '.join(USER_STATUSES)}")
        if type not in USER_TYPES:
            raise ValueError(f"unknown user type {type!r}; types: {', '.join(USER_TYPES)}")
        if not isinstance(confirm, bool):
            raise ValueError("confirm must be true or false")
        if id is not None and not (isinstance(id, str) and id.isdigit() and len(id) == 19):
            raise ValueError(f"a user id is a 19-digit string, not {id!r}")
        with self._lock:
            if id is None:
                id = self._ids.next("users")
            elif id in self._users:
                raise ValueError(f"there is already a user {id}")
            else:
                self._ids.skip_past("users", id)
            self._users[id] = User(id, full_name, email, role, status, confirm, type)
            return id

    @property
    def users(self) -> list[User]:
        with self._lock:
            return list(self._users.values())

    @property
    def current_user_id(self) -> str:
        """The user who authorised the refresh token (zoho-crm-api.md §14.8): every call runs
        as this user, Get Users' `type=CurrentUser` answers it. The default admin, Ava Admin."""
        return self.default_user_id

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change a user as an admin would in the UI: `full_name`, `email`, `profile` (any
        profile name: custom profiles exist), `role` (any role name), `status`, `confirm`,
        `type` (type__s). All or nothing: ValueError naming the first key that is wrong,
        KeyError for an unknown user. Returns the user as changed."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in USER_EDITS:
                raise ValueError(f"{key}: not a user key; keys: {', '.join(USER_EDITS)}")
            if key in ("full_name", "email", "profile", "role"):
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"{key}: expected a non-empty string, not {value!r}")
            elif key == "status" and value not in USER_STATUSES:
                raise ValueError(f"status: expected one of {', '.join(USER_STATUSES)}, not {value!r}")
            elif key == "type" and value not in USER_TYPES:
                raise ValueError(f"type: expected one of {', '.join(USER_TYPES)}, not {value!r}")
            elif key == "confirm" and not isinstance(value, bool):
                raise ValueError(f"confirm: expected true or false, not {value!r}")
            checked["role_name" if key == "role" else key] = value
        with self._lock:
            user = dataclasses.replace(self._users[user_id], **checked)
            self._users[user_id] = user
            return user

    def user(self, user_id: str) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    # --- pipelines (zoho-crm-api.md §13.3) -------------------------------------------------

    @property
    def pipelines(self) -> dict[str, list[str]]:
        """Pipeline -> its stages, actual values (what a convert body must name)."""
        with self._lock:
            return self._book.mapping()

    def pipeline_book(self) -> PipelineBook:
        """A copy of the stages and pipelines, for rendering metadata."""
        with self._lock:
            return self._book.copy()

    def edit_pipelines(self, edit: Callable[[PipelineBook], T]) -> T:
        """Change the stages and pipelines under the lock (see `PipelineBook`'s edits); all or
        nothing: `edit` works on a copy, kept only when it returns."""
        with self._lock:
            book = self._book.copy()
            result = edit(book)
            self._book = book
            return result

    # --- tags (zoho-crm-api.md §13.5) ------------------------------------------------------

    def add_tag(self, module: str, name: str, color_code: str | None = None) -> dict[str, Any]:
        """Register a tag in a module's tag list (a no-op for a name it has); returns the tag."""
        if module not in TAG_MODULES:
            raise ValueError(f"tags belong to one of {', '.join(TAG_MODULES)}, not {module!r}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a tag needs a name")
        with self._lock:
            return dict(self._tag(module, name, color_code))

    def tags(self, module: str) -> list[dict[str, Any]]:
        """A module's tags, oldest first, as Get Tags lists them."""
        with self._lock:
            return [dict(tag) for (tag_module, _), tag in self._tags.items() if tag_module == module]

    # --- records ---------------------------------------------------------------------------

    def add_lead(self, **fields: Any) -> str:
        """Add a lead with any fields; a multi-select field (`Product_Interest`) takes a list of
        strings (kept as a list), and numbers of any size are kept as given."""
        for name in MULTI_SELECT_LEAD_FIELDS & fields.keys():
            fields[name] = _multi_select(name, fields[name])
        with self._lock:
            record = self._new_record("Leads", fields)
            record.update(
                Converted__s=False,
                Converted_Date_Time=None,
                Converted_Contact=None,
                Converted_Account=None,
                Converted_Deal=None,
            )
            if self._lead_saved is not None:
                self._lead_saved("create", record, frozenset(record))
            return str(record["id"])

    def add_contact(self, **fields: Any) -> str:
        """Add a contact (`Last_Name` mandatory) with any fields; `Account_Name` is an account
        id (or null). ValueError naming the field that is wrong."""
        with self._lock:
            if "Account_Name" in fields:
                fields["Account_Name"] = self._lookup("Accounts", "Account_Name", fields["Account_Name"])
            return str(self._new_record("Contacts", fields)["id"])

    def add_account(self, **fields: Any) -> str:
        """Add an account (`Account_Name` mandatory) with any fields."""
        with self._lock:
            return str(self._new_record("Accounts", fields)["id"])

    def add_deal(self, **fields: Any) -> str:
        """Add a deal with any fields. `Deal_Name`, `Stage`, `Pipeline` and `Closing_Date` (an
        ISO date) are mandatory; Pipeline and Stage are named by display or actual value and
        kept as the actual value (zoho-crm-api.md §13.3, §14.5), so the stage's `forecast_type`
        in the pipeline book tells whether the deal is open or closed. `Account_Name` and
        `Contact_Name` are record ids (or null), `Amount` a number. ValueError naming the field
        that is wrong."""
        for name in DEAL_MANDATORY:
            if fields.get(name) in (None, ""):
                raise ValueError(f"Deals need {name}")
        for name in ("Deal_Name", "Stage", "Pipeline"):
            if not isinstance(fields[name], str):
                raise ValueError(f"{name}: expected a string, not {fields[name]!r}")
        if not is_iso_date(fields["Closing_Date"]):
            raise ValueError(
                f"Closing_Date: expected an ISO date (2026-12-31), not {fields['Closing_Date']!r}"
            )
        amount = fields.get("Amount")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
            raise ValueError(f"Amount: expected a number, not {amount!r}")
        with self._lock:
            pipeline, stage = self._book.stage_in(fields["Pipeline"], fields["Stage"])
            fields.update(Pipeline=pipeline.actual, Stage=stage.actual)
            for name, module in (("Account_Name", "Accounts"), ("Contact_Name", "Contacts")):
                if name in fields:
                    fields[name] = self._lookup(module, name, fields[name])
            return str(self._new_record("Deals", fields)["id"])

    def delete_lead(self, lead_id: str) -> None:
        """Delete a lead (to the recycle bin, as far as the API can tell: gone), with its notes.
        Afterwards the lead is what an id that never existed is to every endpoint: Get Record,
        Get Records, COQL, Convert and Mass Convert. KeyError when there is no such lead."""
        with self._lock:
            lead = self._records["Leads"].pop(lead_id)
            self._id_orders["Leads"].remove(lead)
            for (module, _), index in self._field_indexes.items():
                if module == "Leads":
                    index.remove(lead)
            for note in self._notes_by_parent.pop(("Leads", lead_id), []):
                self._records["Notes"].pop(note["id"], None)
            self._wait_states.pop(lead_id, None)

    def delete_leads(self, lead_ids: Iterable[str]) -> list[str]:
        """Delete those of the leads that exist (the others are passed over); returns their ids."""
        with self._lock:
            leads = self._records["Leads"]
            deleted = [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id in leads]
            for lead_id in deleted:
                self.delete_lead(lead_id)
            return deleted

    def update_lead(self, lead_id: str, **fields: Any) -> dict[str, Any]:
        """Edit a lead as a salesperson would in the CRM's UI: the fields change, Full_Name
        follows First_Name and Last_Name, Modified_Time becomes now, and the workflow rules on
        edits run (`on_lead_saved`). Every field must be one of the lead's that a user can set
        (not read-only: not `id`, `Full_Name`, `Tag`, times, conversion fields); `Owner` takes a
        user id (or `{"id"}`), a multi-select picklist a list of strings; `Last_Name` cannot be
        emptied. All or nothing: ValueError naming the first field that is wrong (a converted
        lead cannot be edited), KeyError when there is no such lead. Returns a copy."""
        with self._lock:
            lead = self._records["Leads"][lead_id]
            if lead["Converted__s"]:
                raise ValueError(f"lead {lead_id} is converted: it cannot be edited")
            editable = {
                definition.api_name
                for definition in self.field_definitions("Leads")
                if not definition.read_only and definition.data_type != "formula"
            }
            changes: dict[str, Any] = {}
            for name, value in fields.items():
                if name not in editable:
                    raise ValueError(f"{name}: not a field of Leads a user can edit")
                if name == "Owner":
                    value = self._owner(value).reference()
                elif name in MULTI_SELECT_LEAD_FIELDS:
                    value = _multi_select(name, value)
                elif name == "Last_Name" and not value:
                    raise ValueError("Last_Name: Leads need Last_Name")
                changes[name] = value
            if "First_Name" in changes or "Last_Name" in changes:
                changes["Full_Name"] = _full_name({**lead, **changes})
            changed = frozenset(name for name, value in changes.items() if lead.get(name) != value)
            for name, value in {**changes, "Modified_Time": zoho_time(self.clock.now())}.items():
                self._set_field("Leads", lead, name, value)
            if self._lead_saved is not None:
                self._lead_saved("edit", lead, changed)
            return copy.deepcopy(lead)

    def first_missing_lead(self, lead_ids: list[str]) -> int | None:
        """The index of the first id that is no lead (never was, or deleted), or None."""
        with self._lock:
            leads = self._records["Leads"]
            return next((index for index, lead_id in enumerate(lead_ids) if lead_id not in leads), None)

    def lead(self, lead_id: str) -> dict[str, Any]:
        """A copy of the lead, converted or not; KeyError when there is none."""
        with self._lock:
            return copy.deepcopy(self._records["Leads"][lead_id])

    def read_lead(self, lead_id: str, converted: str, approved: str = "true") -> dict[str, Any] | None:
        """The lead as Get Record shows it for `converted` and `approved` = "false" | "true" |
        "both" (zoho-crm-api.md §4, §14.3), with its wait-state keys (§14.1)."""
        with self._lock:
            lead = self._records["Leads"].get(lead_id)
            if lead is None or not self._shown(lead, converted, approved):
                return None
            return self._as_read(lead)

    def listed_leads(
        self, converted: str, ids: list[str] | None, approved: str = "true"
    ) -> list[dict[str, Any]]:
        """Copies of the leads Get Records lists (only those of `ids`, when given)."""
        with self._lock:
            leads = self._records["Leads"]
            chosen = [leads[i] for i in dict.fromkeys(ids) if i in leads] if ids else leads.values()
            if converted != "both" or approved != "true" or self._wait_states:
                chosen = [lead for lead in chosen if self._shown(lead, converted, approved)]
            return [self._as_read(lead) for lead in chosen]

    def _shown(self, lead: dict[str, Any], converted: str, approved: str) -> bool:
        """zoho-crm-api.md §4 `converted`, §14.3 `approved`: true (the default) shows approved
        leads only, false only those awaiting approval, both all of them."""
        if converted != "both" and lead["Converted__s"] != (converted == "true"):
            return False
        is_approved = not self._wait_states.get(lead["id"], NO_WAIT).awaiting_approval
        return approved == "both" or is_approved == (approved == "true")

    def _as_read(self, lead: dict[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(lead), **self._wait_states.get(lead["id"], NO_WAIT).record_keys()}

    def query_records(self, module: str, query: Callable[[UnconvertedLeads | ModuleRecords], T]) -> T:
        """Run `query` over the live records COQL reads from `module` (Leads: the unconverted
        ones; Contacts, Accounts, Deals: all) under the lock, without copying them.

        `query` reads them through `in_id_order`, so a keyset page reads only the records past
        its cursor. It must neither change the records nor keep references into them. KeyError
        for a module COQL does not read.
        """
        with self._lock:
            order = self._id_orders[module]
            if module != "Leads":
                return query(ModuleRecords(order, functools.partial(self._index, module)))
            unapproved = frozenset(
                lead_id for lead_id, state in self._wait_states.items() if state.awaiting_approval
            )
            return query(UnconvertedLeads(order, unapproved))

    def field_definitions(self, module: str) -> tuple[FieldDef, ...]:
        """The module's fields (`metadata.module_fields`), Deals' Stage and Pipeline options
        from the org's pipeline book, the org's own picklist options, then its custom fields."""
        with self._lock:
            standard = tuple(
                dataclasses.replace(definition, picklist=self._options[(module, definition.api_name)])
                if (module, definition.api_name) in self._options
                else definition
                for definition in module_fields(module, self._book)
            )
            return (*standard, *self._custom_fields.get(module, ()))

    def add_field(
        self,
        module: str,
        api_name: str,
        data_type: str,
        label: str | None = None,
        picklist: tuple[str, ...] = (),
    ) -> FieldDef:
        """A custom field, in no layout but answered by Get Fields and readable by COQL; a
        picklist's options are display and actual value alike. ValueError naming what is wrong."""
        if module not in CUSTOMISABLE_MODULES:
            raise ValueError(f"module: expected one of {', '.join(CUSTOMISABLE_MODULES)}, not {module!r}")
        if not isinstance(api_name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,99}", api_name):
            raise ValueError(f"api_name: letters, digits and _ starting with a letter, not {api_name!r}")
        if data_type not in CUSTOM_FIELD_TYPES:
            raise ValueError(f"data_type: one of {', '.join(sorted(CUSTOM_FIELD_TYPES))}, not {data_type!r}")
        if bool(picklist) != (data_type in ("picklist", MULTI_SELECT)):
            raise ValueError("options: a picklist or multiselectpicklist has options, and only they do")
        definition = FieldDef(
            api_name, data_type, label or api_name.replace("_", " "), picklist=options(*picklist), custom=True
        )
        with self._lock:
            if any(known.api_name == api_name for known in self.field_definitions(module)):
                raise ValueError(f"api_name: {module} already has a field {api_name!r}")
            self._custom_fields.setdefault(module, []).append(definition)
        return definition

    def set_options(self, module: str, api_name: str, picklist: tuple[str, ...]) -> None:
        """The org's own options of a picklist field (renamed, added or removed); ValueError for a
        field that is no picklist or an empty list."""
        with self._lock:
            found = next((d for d in self.field_definitions(module) if d.api_name == api_name), None)
            if found is None or found.data_type not in ("picklist", MULTI_SELECT):
                raise ValueError(f"api_name: {module} has no picklist field {api_name!r}")
            if module == "Deals" and api_name in ("Stage", "Pipeline"):
                raise ValueError("api_name: the Deals pipelines and stages are edited as pipelines")
            if not picklist:
                raise ValueError("options: at least one")
            if found.custom:
                custom = self._custom_fields[module]
                custom[custom.index(found)] = dataclasses.replace(found, picklist=options(*picklist))
            else:
                self._options[(module, api_name)] = options(*picklist)

    # --- wait states (zoho-crm-api.md §14.1) -------------------------------------------------

    def lead_state(self, lead_id: str) -> dict[str, Any]:
        """The lead's wait states (see wait_states.py); KeyError when there is no such lead."""
        with self._lock:
            if lead_id not in self._records["Leads"]:
                raise KeyError(lead_id)
            return self._wait_states.get(lead_id, NO_WAIT).as_json()

    def set_lead_state(self, lead_id: str, **changes: Any) -> dict[str, Any]:
        """Put a lead in (or take it out of) wait states: `awaiting_approval`, `awaiting_review`,
        `locked`, `in_merge` (true or false), `lock_source` ("Manual" or "Automatic"),
        `lock_reason` (text or None). Keys not given keep their value. All or nothing:
        ValueError naming the first key that is wrong, KeyError for an unknown lead. Returns
        the lead's states as `lead_state` does."""
        with self._lock:
            if lead_id not in self._records["Leads"]:
                raise KeyError(lead_id)
            before = self._wait_states.get(lead_id, NO_WAIT)
            state = before.changed(changes)
            if state.locked and not before.locked:
                locked_time = zoho_time(self.clock.now())
                state = dataclasses.replace(state, lock_id=self._ids.next("locks"), locked_time=locked_time)
            elif not state.locked:
                state = dataclasses.replace(state, lock_id=None, locked_time=None)
            if state == NO_WAIT:
                self._wait_states.pop(lead_id, None)
            else:
                self._wait_states[lead_id] = state
            return state.as_json()

    def locking_information(self, lead_id: str) -> dict[str, Any] | None:
        """The lead's lock as `GET Leads/{id}/Locking_Information__s` answers it (OAS-new
        getRecordLockingInformationOfTheRecord), None when it is not locked; KeyError for an
        unknown lead."""
        with self._lock:
            lead = self._records["Leads"][lead_id]
            state = self._wait_states.get(lead_id, NO_WAIT)
            if not state.locked:
                return None
            manual = state.lock_source == "Manual"
            locker = self._users[self.current_user_id]
            return {
                "id": state.lock_id,
                "Locked_By__s": {"name": locker.full_name, "id": locker.id} if manual else None,
                "Locked_For__s": {
                    "module": {"api_name": "Leads", "id": MODULE_IDS["Leads"]},
                    "name": lead["Full_Name"],
                    "id": lead_id,
                },
                "Locked_Reason__s": state.lock_reason if manual else None,
                "Lock_Source__s": state.lock_source,
                "Locked_Time__s": state.locked_time,
                "Record_Locking_Configuration_Id__s": stable_id("record_locking", "Leads"),
                "Record_Locking_Rule_Id__s": None if manual else stable_id("record_locking", "Leads", "rule"),
                "$editable": False,
                "$field_states": None,
                "$zia_visions": None,
            }

    # --- field lengths (zoho-crm-api.md §13.1, §14.4) ----------------------------------------

    def set_field_length(self, module: str, api_name: str, length: int) -> None:
        """The org's own maximum length of a field, as Get Fields shows it; a Deals field's
        also holds single Convert to it (below the convert body's own maximum, §14.4).
        ValueError for a field the module lacks or a length that is not a whole number >= 1."""
        if module not in ("Leads", "Contacts", "Accounts", "Deals"):
            raise ValueError(f"module: expected Leads, Contacts, Accounts or Deals, not {module!r}")
        with self._lock:
            names = {definition.api_name for definition in self.field_definitions(module)}
        if api_name not in names:
            raise ValueError(f"api_name: {module} has no field {api_name!r}")
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"length: expected a whole number >= 1, not {length!r}")
        with self._lock:
            self._field_lengths[(module, api_name)] = length

    def field_length(self, module: str, api_name: str) -> int | None:
        """The org's own maximum length of a field when it was set, else None (the default)."""
        with self._lock:
            return self._field_lengths.get((module, api_name))

    @property
    def contacts(self) -> dict[str, dict[str, Any]]:
        return self._snapshot("Contacts")

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        return self._snapshot("Accounts")

    @property
    def deals(self) -> dict[str, dict[str, Any]]:
        return self._snapshot("Deals")

    @property
    def notes(self) -> dict[str, dict[str, Any]]:
        return self._snapshot("Notes")

    def conversions(self, lead_id: str) -> int:
        with self._lock:
            return self._conversions[lead_id]

    def counts(self) -> dict[str, int]:
        with self._lock:
            leads = self._records["Leads"].values()
            return {
                "leads": len(leads),
                "converted_leads": sum(1 for lead in leads if lead["Converted__s"]),
                "contacts": len(self._records["Contacts"]),
                "accounts": len(self._records["Accounts"]),
                "deals": len(self._records["Deals"]),
                "notes": len(self._records["Notes"]),
            }

    def new_id(self, kind: str) -> str:
        return self._ids.next(kind)

    # --- notes -----------------------------------------------------------------------------

    def add_note(
        self,
        module: str,
        parent_id: str,
        title: str | None,
        content: str,
        created_time: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Attach a note; the parent record is not modified (its Modified_Time stays).
        `created_time` (a datetime, or ISO 8601 text; naive is UTC) dates it in the past, as
        `add_lead`'s Modified_Time does: its Created_Time and Modified_Time."""
        with self._lock:
            parent = self._records[module].get(parent_id)
            if parent is None:
                raise KeyError(parent_id)
            fields: dict[str, Any] = {"Note_Title": title, "Note_Content": content}
            if created_time is not None:
                fields["Created_Time"] = created_time
            note = self._new_record("Notes", fields)
            note["Parent_Id"] = {
                "module": {"api_name": module, "id": MODULE_IDS[module]},
                "name": parent[NAME_FIELDS[module]],
                "id": parent_id,
            }
            note["$se_module"] = module
            note["$editable"] = True
            self._notes_by_parent.setdefault((module, parent_id), []).append(note)
            return copy.deepcopy(note)

    def notes_of(self, module: str, parent_id: str) -> list[dict[str, Any]]:
        """Copies of a record's notes, oldest first (the order they were added in)."""
        with self._lock:
            return copy.deepcopy(self._notes_by_parent.get((module, parent_id), []))

    def all_notes(self) -> list[dict[str, Any]]:
        """Copies of the notes of every record, oldest first (zoho-crm-api.md §14.10)."""
        with self._lock:
            return copy.deepcopy(list(self._records["Notes"].values()))

    def note(self, note_id: str) -> dict[str, Any] | None:
        """A copy of the note, or None when there is none (never was, or its lead was deleted)."""
        with self._lock:
            note = self._records["Notes"].get(note_id)
            return None if note is None else copy.deepcopy(note)

    def update_note(self, note_id: str, **fields: Any) -> dict[str, Any]:
        """Change a note's `Note_Title` and/or `Note_Content` as Update Notes does: its
        Modified_Time becomes now (the emulator's clock) and Modified_By the token's user;
        Created_Time, Created_By, the owner and the parent stay, and the parent record is not
        modified. KeyError for an unknown note, ValueError for another key. Returns a copy."""
        unknown = fields.keys() - NOTE_EDITS
        if unknown:
            raise ValueError(f"a note update changes only {', '.join(NOTE_EDITS)}, not {sorted(unknown)}")
        with self._lock:
            note = self._records["Notes"][note_id]
            note.update(fields)
            note["Modified_Time"] = zoho_time(self.clock.now())
            note["Modified_By"] = self._users[self.current_user_id].reference()
            return copy.deepcopy(note)

    def has_record(self, module: str, record_id: str) -> bool:
        with self._lock:
            return record_id in self._records[module]

    # --- activities: Tasks, Events, Calls (zoho-crm-api.md §3.1 related_modules) -------------

    def add_activity(self, module: str, **fields: Any) -> str:
        """Add a task, event or call: `Subject` (Events: `Event_Title`) mandatory; `Owner` a
        user id; `What_Id` the id of a lead, contact, account or deal (stored as `{"id",
        "name"}` with `$se_module` naming its module; a `$se_module` given must agree);
        `Who_Id` a contact id; `Status` (Tasks), `Modified_Time` and any other fields as given.
        ValueError naming the field that is wrong. Returns the id."""
        if module not in ACTIVITY_MODULES:
            raise ValueError(f"module: expected one of {', '.join(ACTIVITY_MODULES)}, not {module!r}")
        with self._lock:
            given_module = fields.pop("$se_module", None)
            what = fields.pop("What_Id", None)
            se_module = None
            if isinstance(what, dict):
                what = what.get("id")
            if what is not None:
                se_module = next(
                    (parent for parent in ACTIVITY_PARENTS if what in self._records[parent]), None
                )
                if se_module is None:
                    raise ValueError(f"What_Id: no lead, contact, account or deal with id {what!r}")
                if given_module is not None and given_module != se_module:
                    raise ValueError(f"$se_module: What_Id {what} is a record of {se_module}")
            elif given_module is not None:
                raise ValueError("$se_module: only with What_Id")
            if "Who_Id" in fields:
                who = fields["Who_Id"]
                fields["Who_Id"] = self._lookup(
                    "Contacts", "Who_Id", who.get("id") if isinstance(who, dict) else who
                )
            fields["What_Id"] = (
                None if se_module is None else self._reference(se_module, self._records[se_module][what])
            )
            fields["$se_module"] = se_module
            fields.setdefault("Who_Id", None)
            return str(self._new_record(module, fields)["id"])

    def activities(self, module: str) -> list[dict[str, Any]]:
        """Copies of a module's activities, oldest first. KeyError for a module that is none."""
        if module not in ACTIVITY_MODULES:
            raise KeyError(module)
        with self._lock:
            return copy.deepcopy(list(self._records[module].values()))

    def activity(self, module: str, record_id: str) -> dict[str, Any] | None:
        """A copy of the activity, or None."""
        with self._lock:
            found = self._records[module].get(record_id)
            return None if found is None else copy.deepcopy(found)

    def listed_activities(self, module: str, ids: list[str] | None) -> list[dict[str, Any]]:
        """Copies of the activities Get Records lists (only those of `ids`, when given)."""
        with self._lock:
            records = self._records[module]
            chosen = [records[i] for i in dict.fromkeys(ids) if i in records] if ids else records.values()
            return copy.deepcopy(list(chosen))

    def update_activity(self, module: str, record_id: Any, item: dict[str, Any], path: str) -> dict[str, Any]:
        """One record of Update Records on an activity module: `id` an existing activity,
        only `ACTIVITY_EDITS` changed (CHOSEN: another key is INVALID_DATA naming it), an
        `Owner` `{"id"}` of a user who can own records (else INVALID_DATA on `.Owner`).
        Modified_Time becomes now and Modified_By the token's user. FieldError, nothing
        changed, when Zoho would refuse it. Returns a copy."""
        with self._lock:
            record = self._records[module].get(record_id) if isinstance(record_id, str) else None
            if record is None:
                raise invalid_field(f"{path}.id", "id")
            changes: dict[str, Any] = {}
            for key, value in item.items():
                if key == "id":
                    continue
                if key not in ACTIVITY_EDITS[module]:
                    raise invalid_field(f"{path}.{key}", key)
                if key == "Owner":
                    user_id = value.get("id") if isinstance(value, dict) else None
                    user = self._users.get(user_id) if isinstance(user_id, str) else None
                    if user is None or not user.can_own_records:
                        raise invalid_field(f"{path}.Owner", "Owner")
                    value = user.reference()
                elif not isinstance(value, str) or (key != "Status" and not value):
                    raise invalid_field(f"{path}.{key}", key, expected_data_type="string")
                elif key == "Status" and not any(o.actual == value for o in _task_statuses()):
                    raise invalid_field(f"{path}.Status", "Status")
                changes[key] = value
            for key, value in changes.items():
                self._set_field(module, record, key, value)
            record["Modified_Time"] = zoho_time(self.clock.now())
            record["Modified_By"] = self._users[self.current_user_id].reference()
            return copy.deepcopy(record)

    def _move_activities(
        self,
        lead_id: str,
        contact: dict[str, Any],
        account: dict[str, str] | None,
        owner: User,
        owner_modules: tuple[str, ...],
    ) -> None:
        """What a conversion does to the lead's activities (What_Id the lead): Who_Id becomes
        the contact, What_Id the account (CHOSEN: the account, not the deal, `$se_module`
        Accounts; both null when there is no account), ids unchanged (CHOSEN). The owner becomes
        `owner` only in `owner_modules` (Mass Convert's related_modules, §3.1); single Convert
        never changes it."""
        for module in ACTIVITY_MODULES:
            for record in self._records[module].values():
                what = record.get("What_Id")
                if record.get("$se_module") != "Leads" or not what or what.get("id") != lead_id:
                    continue
                self._set_field(module, record, "Who_Id", self._reference("Contacts", contact))
                self._set_field(module, record, "What_Id", dict(account) if account else None)
                record["$se_module"] = "Accounts" if account else None
                if module in owner_modules:
                    self._set_field(module, record, "Owner", owner.reference())

    # --- contact roles and portal user types (zoho-crm-api.md §1.2, §3.1) --------------------

    @staticmethod
    def _role(role_id: str, name: str, sequence: int | None = None) -> dict[str, Any]:
        position = DEFAULT_CONTACT_ROLES.index(name) + 1 if sequence is None else sequence
        return {"id": role_id, "name": name, "sequence_number": position}

    def contact_roles(self) -> list[dict[str, Any]]:
        """The org's contact roles, `{id, name, sequence_number}`, in sequence."""
        with self._lock:
            roles = [dict(role) for role in self._contact_roles.values()]
        return sorted(roles, key=lambda role: int(role["sequence_number"]))

    def add_contact_role(self, name: str) -> str:
        """An org's own contact role, last in sequence; ValueError for an empty name or one the
        org has. Returns its id."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name: a contact role needs a name")
        with self._lock:
            if any(role["name"] == name for role in self._contact_roles.values()):
                raise ValueError(f"name: there is already a contact role {name!r}")
            role_id = self._ids.next("contact_roles")
            self._contact_roles[role_id] = self._role(role_id, name, len(self._contact_roles) + 1)
            return role_id

    def portal_user_types(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(kind) for kind in self._portal_user_types.values()]

    def add_portal_user_type(self, name: str, api_name: str) -> str:
        """A portal user type (the org has none by default); ValueError for a missing name or
        an api_name the org has. Returns its id."""
        for key, value in (("name", name), ("api_name", api_name)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{key}: a portal user type needs a {key}")
        with self._lock:
            if any(kind["api_name"] == api_name for kind in self._portal_user_types.values()):
                raise ValueError(f"api_name: there is already a portal user type {api_name!r}")
            type_id = self._ids.next("portal_user_types")
            self._portal_user_types[type_id] = {"id": type_id, "name": name, "api_name": api_name}
            return type_id

    def check_portal_user_type(self, given: dict[str, str | None]) -> None:
        """zoho-crm-api.md §14.2: a `portal_user_type` naming no type of the org (its id, or an
        api_name that is not that type's, CHOSEN) is INVALID_DATA on `$.portal_user_type.id`."""
        with self._lock:
            kind = self._portal_user_types.get(str(given["id"]))
            if kind is None or given.get("api_name") not in (None, kind["api_name"]):
                raise invalid_field("$.portal_user_type.id", "id")

    # --- conversion ------------------------------------------------------------------------

    def check_deal(self, deal: dict[str, Any], json_path: str, picklists: str = "actual") -> dict[str, Any]:
        """A Mass Convert's Deals object checked (lengths, pipeline, stage, picklist options in
        the form `picklists` names); FieldError when Zoho would refuse it. Returns the deal as
        it would be stored (picklists as actual values)."""
        with self._lock:
            return self._checked_deal(deal, json_path, MASS_CONVERT_MAX_LENGTHS, picklists)

    def _checked_deal(
        self, deal: dict[str, Any], path: str, maximum_lengths: dict[str, int], form: str
    ) -> dict[str, Any]:
        """zoho-crm-api.md §14.4 lengths, then §14.5 picklists: Pipeline and Stage (INVALID_DATA
        and MAPPING_MISMATCH, §1.5) and the other Deals picklists (INVALID_DATA; an option no
        layout offers, type unused, included) take the option's value in `form` only. The
        answer holds each picklist's actual value, what Zoho stores."""
        if form not in PICKLIST_FORMS:
            raise ValueError(f"picklist form {form!r}; forms: {', '.join(PICKLIST_FORMS)}")
        check_lengths(deal, path, maximum_lengths)
        check_pipeline(deal, path, self._book.mapping(form))
        resolved = self._book.resolve(deal["Pipeline"], deal["Stage"], form)
        assert resolved is not None  # check_pipeline passed
        stored = {**deal, "Pipeline": resolved[0].actual, "Stage": resolved[1].actual}
        for definition in module_fields("Deals", self._book):
            name = definition.api_name
            if name in ("Pipeline", "Stage") or not definition.picklist or name not in deal:
                continue
            value = deal[name]
            option = next(
                (
                    o
                    for o in definition.picklist
                    if o.used and isinstance(value, str) and o.value(form) == value
                ),
                None,
            )
            if option is None:
                raise invalid_field(f"{path}.{name}", name)
            stored[name] = option.actual
        return stored

    def _convert_lengths(self, request: ConvertRequest) -> dict[str, int]:
        """A Mass Convert job's maximum lengths, or single Convert's held to the org's own
        lengths of the Deals fields where set (`set_field_length`, zoho-crm-api.md §14.4)."""
        if request.mass:
            return MASS_CONVERT_MAX_LENGTHS
        lengths = dict(CONVERT_MAX_LENGTHS)
        for (module, api_name), length in self._field_lengths.items():
            if module == "Deals":
                lengths[api_name] = min(length, lengths.get(api_name, length))
        return lengths

    def convert(
        self,
        lead_id: str,
        request: ConvertRequest | None = None,
        *,
        picklists: str = "actual",
        wait_placement: str = "wrapped",
    ) -> Conversion:
        """Convert a lead as Zoho does, or raise ApiError / FieldError and change nothing.

        Without a request it converts as the minimal body `{"data":[{}]}` does. `picklists` is
        the form of a picklist option the deal's picklists take (§14.5), `wait_placement` where
        a wait state's refusal goes ("wrapped" in data[] or "root", §14.1).

        zoho-crm-api.md §14.6: without a Contacts id a new contact is created, and without an
        Accounts id a new account from the lead's Company, even when the org has a contact with
        the lead's email or an account of that name (Mass Convert too). Only
        `add_to_existing_record` links to those (the oldest of each, `_email_match` and
        `_company_match`). A new contact that collides on a unique field is DUPLICATE_DATA.
        """
        request = request or ConvertRequest()
        if wait_placement not in PLACEMENTS:
            raise ValueError(f"placement {wait_placement!r}; placements: {', '.join(PLACEMENTS)}")
        with self._lock:
            lead = self._records["Leads"].get(lead_id)
            if lead is None:
                raise invalid_id()
            if lead["Converted__s"]:
                raise top_level_error(
                    400, "ID_ALREADY_CONVERTED", "id already converted", {"resource_path_index": 1}
                )
            # zoho-crm-api.md §14.1: a lead in a wait state is refused until the state passes.
            refusal = self._wait_states.get(lead_id, NO_WAIT).convert_refusal(lead_id, wait_placement)
            if refusal is not None:
                raise refusal
            path = request.json_path
            owner = self._assignee(request.assign_to, lead, path)
            contact = self._given(request.contact_id, "Contacts", path)
            account = self._given(request.account_id, "Accounts", path)
            if request.add_to_existing_record:
                contact = contact or self._email_match(lead)
                account = account or self._company_match(lead)
            deal_fields = None
            role = None
            if request.deal is not None:
                lengths = self._convert_lengths(request)
                deal_fields = self._checked_deal(request.deal, f"{path}.Deals", lengths, picklists)
                if "Contact_Role" in deal_fields:
                    role = self._contact_role(deal_fields.pop("Contact_Role"), f"{path}.Deals.Contact_Role")
            portal_type = None
            if request.portal_user_type is not None:
                portal_type = self._portal_user_types.get(str(request.portal_user_type["id"]))
                if portal_type is None:  # removed since the submission: the lead fails
                    raise invalid_field("$.portal_user_type.id", "id")
            tags = self._tags_to_carry(lead, request)
            new_contact = None if contact else self._contact_fields(lead)
            new_account = None
            if account is None and lead.get("Company"):
                # zoho-crm-api.md §14.6: no Accounts id, so a new account, even beside a given
                # contact that has an account: whether Zoho would use the contact's own account
                # is UNVERIFIED, and a duplicate account is the riskier reading.
                new_account = {"Account_Name": lead["Company"]}
            self._check_unique("Contacts", new_contact, path)
            self._check_unique("Accounts", new_account, path)
            # Every check passed: from here on the conversion cannot fail half-way.
            if new_account is not None:
                account = self._new_record("Accounts", {**new_account, "Owner": owner.id})
            account_lookup = self._maybe_reference("Accounts", account)
            if contact is None:
                new_contact = {**(new_contact or {}), "Account_Name": account_lookup, "Owner": owner.id}
                contact = self._new_record("Contacts", new_contact)
            elif account_lookup and (not contact.get("Account_Name") or request.overwrite):
                self._set_field("Contacts", contact, "Account_Name", account_lookup)
            if portal_type is not None:
                # CHOSEN: the new contact shows the type it was given, {"id", "api_name"}.
                self._set_field(
                    "Contacts", contact, "Portal_User_Type", {k: portal_type[k] for k in ("id", "api_name")}
                )
            deal = None
            if deal_fields is not None:
                deal = self._create_deal(deal_fields, owner, account_lookup, contact)
                if role is not None:
                    # CHOSEN shape: the deal's contact roles, the converted contact's first.
                    deal["Contact_Roles"] = [
                        {
                            "contact": self._reference("Contacts", contact),
                            "role": {"id": role["id"], "name": role["name"]},
                        }
                    ]
            self._move_activities(lead_id, contact, account_lookup, owner, request.related_modules)
            targets = {"Contacts": contact, "Accounts": account, "Deals": deal}
            for module, names in tags.items():
                if (target := targets[module]) is not None:
                    self._add_tags(target, module, names)
            conversion = Conversion(
                contact=self._reference("Contacts", contact),
                account=account_lookup,
                deal=self._maybe_reference("Deals", deal),
            )
            lead.update(
                Converted__s=True,
                Converted_Date_Time=zoho_time(self.clock.now()),
                Converted_Contact=conversion.contact,
                Converted_Account=conversion.account,
                Converted_Deal=conversion.deal,
                Modified_Time=zoho_time(self.clock.now()),
            )
            self._conversions[lead_id] += 1
            return conversion

    def _contact_role(self, value: Any, path: str) -> dict[str, Any]:
        """zoho-crm-api.md §1.2: `Deals.Contact_Role` is a contact-role id (the reference's
        sample: a string; a JSON integer is taken as the SDK sends Longs). CHOSEN: an object
        `{"id"}` is refused, as is an id that is no role of the org: INVALID_DATA."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        role = self._contact_roles.get(value) if isinstance(value, str) else None
        if role is None:
            raise invalid_field(path, "Contact_Role")
        return role

    def matches(self, lead_id: str, wait_placement: str = "wrapped") -> LeadMatches:
        """Contacts and accounts that match the lead, in Kaizen #137's order, as conversion
        options list them (zoho-crm-api.md §2, §14.6; `_criteria`). A lead awaiting approval or
        in a merge is refused (§2, §14.1).
        """
        with self._lock:
            lead = self._records["Leads"].get(lead_id)
            if lead is None:
                raise invalid_id()
            refusal = self._wait_states.get(lead_id, NO_WAIT).options_refusal(lead_id, wait_placement)
            if refusal is not None:
                raise refusal
            contacts = self._module_matches("Contacts", self._criteria("Contacts", lead))
            accounts = self._module_matches("Accounts", self._criteria("Accounts", lead))
            return LeadMatches(contacts, accounts, self._preference(contacts, accounts))

    # --- internals -------------------------------------------------------------------------

    def _index(self, module: str, api_name: str) -> FieldIndex:
        """The index of one field, built on first use: `unique_fields` can change at any time."""
        index = self._field_indexes.get((module, api_name))
        if index is None:
            index = FieldIndex(api_name)
            for record in self._records[module].values():
                index.add(record)
            self._field_indexes[(module, api_name)] = index
        return index

    def _set_field(self, module: str, record: dict[str, Any], api_name: str, value: Any) -> None:
        """Change a field of a stored record, keeping that field's index (if any) current."""
        index = self._field_indexes.get((module, api_name))
        if index is not None:
            index.remove(record)
        record[api_name] = value
        if index is not None:
            index.add(record)

    def _snapshot(self, module: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._records[module])

    def _new_record(self, module: str, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        if "id" in fields:
            raise ValueError("id: the emulated org gives each record its id")
        mandatory = MANDATORY.get(module)
        if mandatory and not fields.get(mandatory):
            raise ValueError(f"{module} need {mandatory}")
        owner = self._owner(fields.pop("Owner", self.default_user_id))
        creator = self._users[self.default_user_id].reference()
        modified = _as_datetime("Modified_Time", fields.pop("Modified_Time", None))
        now = self.clock.now()
        created = _as_datetime("Created_Time", fields.pop("Created_Time", None)) or min(now, modified or now)
        tags = fields.pop("Tag", None) or []
        record: dict[str, Any] = {
            "id": self._ids.next(module.lower()),
            **fields,
            "Owner": owner.reference(),
            "Created_By": creator,
            "Modified_By": creator,
            "Created_Time": zoho_time(created),
            "Modified_Time": zoho_time(modified or created),
            "Tag": [],
        }
        if NAME_FIELDS.get(module) == "Full_Name":
            record["Full_Name"] = _full_name(fields)
        self._add_tags(record, module, [_tag_name(tag) for tag in tags])
        self._records[module][record["id"]] = record
        if module in self._id_orders:
            self._id_orders[module].add(record)
        for (indexed_module, _), index in self._field_indexes.items():
            if indexed_module == module:
                index.add(record)
        return record

    def _owner(self, value: Any) -> User:
        """A user id, or `{"id": ...}`."""
        user_id = value.get("id") if isinstance(value, dict) else value
        if not isinstance(user_id, str) or user_id not in self._users:
            raise ValueError(f"Owner: no user with id {user_id!r}")
        return self._users[user_id]

    def _lookup(self, module: str, api_name: str, record_id: Any) -> dict[str, str] | None:
        """A lookup field given as the id of a record of `module` (or null), as stored."""
        if record_id is None:
            return None
        if not isinstance(record_id, str):
            raise ValueError(f"{api_name}: expected an id of {module}, not {record_id!r}")
        if record_id not in self._records[module]:
            raise ValueError(f"{api_name}: no {module} record with id {record_id!r}")
        return self._reference(module, self._records[module][record_id])

    @staticmethod
    def _reference(module: str, record: dict[str, Any]) -> dict[str, str]:
        """A lookup to the record, as another record's field shows it."""
        return {"name": record[NAME_FIELDS[module]], "id": record["id"]}

    @classmethod
    def _maybe_reference(cls, module: str, record: dict[str, Any] | None) -> dict[str, str] | None:
        return None if record is None else cls._reference(module, record)

    def _add_tags(self, record: dict[str, Any], module: str, names: list[str]) -> None:
        """Tag a record; a name the module's tag list lacks is added to it, as Zoho does for
        tags added through the API. The record shows `{name, id, color_code}`."""
        present = {tag["name"] for tag in record["Tag"]}
        for name in names:
            if name not in present:
                tag = self._tag(module, name)
                record["Tag"].append({key: tag[key] for key in ("name", "id", "color_code")})
                present.add(name)

    def _tag(self, module: str, name: str, color_code: str | None = None) -> dict[str, Any]:
        """Tags belong to a module; the same name in another module is another tag. Names
        compare exactly (whether Zoho ignores case is UNVERIFIED, zoho-crm-api.md §13.5)."""
        key = (module, name)
        if key not in self._tags:
            creator = self._users[self.default_user_id].reference()
            created = zoho_time(self.clock.now())
            self._tags[key] = {
                "id": self._ids.next("tags"),
                "name": name,
                "color_code": color_code or TAG_COLOURS[len(self._tags) % len(TAG_COLOURS)],
                "created_time": created,
                "modified_time": created,
                "created_by": {"name": creator["name"], "id": creator["id"]},
                "modified_by": {"name": creator["name"], "id": creator["id"]},
            }
        return self._tags[key]

    def _assignee(self, user_id: str | None, lead: dict[str, Any], path: str) -> User:
        """The new records' owner: the lead's, or `assign_to`, which must name a user who can
        own records (active and confirmed, `User.can_own_records`)."""
        if user_id is None:
            return self._users[lead["Owner"]["id"]]
        user = self._users.get(user_id)
        if user is None or not user.can_own_records:
            raise invalid_field(f"{path}.assign_to", "assign_to")
        return user

    def _given(self, record_id: str | None, module: str, path: str) -> dict[str, Any] | None:
        if record_id is None:
            return None
        if record_id not in self._records[module]:
            raise invalid_field(f"{path}.{module}", module)
        return self._records[module][record_id]

    def _email_match(self, lead: dict[str, Any]) -> dict[str, Any] | None:
        """`add_to_existing_record`'s contact: the oldest with the lead's email, found through
        the index (which of several Zoho picks is UNVERIFIED, zoho-crm-api.md §14.6)."""
        email = lead.get("Email")
        if not email:
            return None
        return next(iter(self._index("Contacts", "Email").find(email)), None)

    def _company_match(self, lead: dict[str, Any]) -> dict[str, Any] | None:
        """`add_to_existing_record`'s account: the oldest named like the lead's company, found
        through the index (which of several Zoho picks is UNVERIFIED, §14.6)."""
        company = lead.get("Company")
        if not company:
            return None
        return next(iter(self._index("Accounts", "Account_Name").find(company)), None)

    def _tags_to_carry(self, lead: dict[str, Any], request: ConvertRequest) -> dict[str, list[str]]:
        lead_tags = [tag["name"] for tag in lead["Tag"]]
        path = f"{request.json_path}.carry_over_tags"
        for module, names in request.carry_over_tags.items():
            for index, name in enumerate(names):
                if name not in lead_tags:
                    raise invalid_field(f"{path}.{module}[{index}]", "carry_over_tags")
        carried = {module: list(names) for module, names in request.carry_over_tags.items()}
        for module in request.carry_all_tags_to:
            carried[module] = lead_tags
        return carried

    @staticmethod
    def _contact_fields(lead: dict[str, Any]) -> dict[str, Any]:
        keys = ("First_Name", "Last_Name", "Email", "Phone")
        return {key: lead[key] for key in keys if lead.get(key) is not None}

    def _check_unique(self, module: str, new_record: dict[str, Any] | None, path: str) -> None:
        if new_record is None:
            return
        for api_name in self.unique_fields.get(module, []):
            value = new_record.get(api_name)
            if value in (None, ""):
                continue
            duplicates = self._index(module, api_name).find(value)
            if duplicates:
                raise FieldError(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {
                        "api_name": api_name,
                        "json_path": f"{path}.{module}.{api_name}",
                        "duplicate_record": {
                            "id": duplicates[0]["id"],
                            "module": {"api_name": module, "id": MODULE_IDS[module]},
                        },
                    },
                )

    def _create_deal(
        self,
        fields: dict[str, Any],
        owner: User,
        account: dict[str, str] | None,
        contact: dict[str, Any],
    ) -> dict[str, Any]:
        deal_fields = {key: value for key, value in fields.items() if key not in SYSTEM_FIELDS}
        deal_fields.update(
            Owner=owner.id,
            Account_Name=account,
            Contact_Name=self._reference("Contacts", contact),
        )
        return self._new_record("Deals", deal_fields)

    def _criteria(self, module: str, lead: dict[str, Any]) -> list[Criterion]:
        """zoho-crm-api.md §1.2, §14.6 (Kaizen #137): the module's unique fields first, each
        against the lead's field of the same API name, then `MATCH_CRITERIA`: a contact's Email,
        then its Full_Name against the lead's name; an account's Account_Name against the lead's
        Company. A field that is both counts once, as a unique field. Criteria whose lead value
        is empty are left out."""
        unique = self.unique_fields.get(module, [])
        standard = [name for name in MATCH_CRITERIA[module] if name not in unique]
        criteria = [Criterion(name, _lead_value(module, name, lead), unique=True) for name in unique]
        criteria += [Criterion(name, _lead_value(module, name, lead)) for name in standard]
        return [criterion for criterion in criteria if criterion.value not in (None, "")]

    def _module_matches(self, module: str, criteria: list[Criterion]) -> ModuleMatches:
        """The records that meet a criterion, each once at the first it meets, oldest first
        within a criterion; candidates come from the field indexes, not from a scan."""
        placed: dict[str, tuple[int, dict[str, Any]]] = {}
        matched_values: list[tuple[str, Any]] = []
        for rank, criterion in enumerate(criteria):
            found = self._index(module, criterion.api_name).find(criterion.value)
            if found:
                matched_values.append((criterion.api_name, criterion.value))
            for record in found:
                placed.setdefault(record["id"], (rank, record))
        ordered = sorted(placed.values(), key=lambda entry: (entry[0], int(entry[1]["id"])))
        records = [
            Match(
                copy.deepcopy(record),
                [(c.api_name, c.value) for c in criteria if same_value(record.get(c.api_name), c.value)],
            )
            for _, record in ordered
        ]
        on_unique_field = any(criteria[rank].unique for rank, _ in ordered)
        return ModuleMatches(records, matched_values, on_unique_field)

    def _preference(self, contacts: ModuleMatches, accounts: ModuleMatches) -> str | None:
        """module_preference (zoho-crm-api.md §1.2, §14.6): Contacts when a contact matched,
        else Accounts; the order flips when only Accounts has unique fields, so then an account
        that matched on one is preferred."""
        only_accounts_unique = bool(self.unique_fields.get("Accounts")) and not self.unique_fields.get(
            "Contacts"
        )
        if only_accounts_unique and accounts.on_unique_field:
            return "Accounts"
        if contacts.records:
            return "Contacts"
        return "Accounts" if accounts.records else None


def _task_statuses() -> tuple[Option, ...]:
    status = next(d for d in module_fields("Tasks") if d.api_name == "Status")
    return status.picklist


MULTI_SELECT_LEAD_FIELDS = frozenset(
    definition.api_name for definition in module_fields("Leads") if definition.data_type == MULTI_SELECT
)


def _multi_select(name: str, value: Any) -> list[str] | None:
    """A multi-select picklist's value: a list of strings (or null)."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} is a multi-select picklist: a list of strings, not {value!r}")
    return list(value)


def _tag_name(tag: str | dict[str, Any]) -> str:
    return tag["name"] if isinstance(tag, dict) else tag


def _full_name(fields: dict[str, Any]) -> str:
    """First_Name and Last_Name, or Last_Name alone, as Full_Name shows a person's name."""
    names = (fields.get("First_Name"), fields.get("Last_Name"))
    return " ".join(name for name in names if name)


def _lead_value(module: str, api_name: str, lead: dict[str, Any]) -> Any:
    """The lead's value a record's field is matched against (`CrmStore._criteria`)."""
    if api_name == "Full_Name":
        return _full_name(lead)
    if module == "Accounts" and api_name == "Account_Name":
        return lead.get("Company")
    return lead.get(api_name)


def _as_datetime(api_name: str, value: Any) -> datetime | None:
    """A datetime or ISO 8601 text (naive is taken as UTC); ValueError naming the field."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None:
        raise ValueError(f"{api_name}: expected an ISO 8601 date-time, not {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
