"""OAuth scopes: what each endpoint needs and the refusal when the token lacks it
(zoho-crm-api.md §13.7).

A requirement is a set of scope names, any one of which satisfies it; an endpoint can have
several requirements, all of which must be met (COQL needs `ZohoCRM.coql.READ` and a read scope
of the module). Each set holds the granular scope the reference names for the endpoint plus the
`.ALL` and broader forms the reference notes for it, and nothing else.

Names compare exactly, case included. The reference spells the module part both ways
(`ZohoCRM.modules.leads.READ` for records, `ZohoCRM.modules.Leads.READ` for COQL) and whether
the case matters is UNVERIFIED (§13.11 item 3), so the emulator takes the strict reading: an
endpoint accepts the spelling(s) the reference names for it, no other. `ZohoCRM.modules.ALL`
covers both. The minimal scope of Convert Lead is UNVERIFIED too, and whether it also needs
Contacts, Accounts and Deals scopes: the emulator asks for a create scope of all four modules.
"""

from __future__ import annotations

from collections.abc import Iterable

from .coql import COQL_MODULES
from .protocol import ApiError, top_level_error

Requirement = frozenset[str]

MODULES_ALL = "ZohoCRM.modules.ALL"
SETTINGS_ALL = "ZohoCRM.settings.ALL"

# What the product asks for (README's self-client scopes) plus the metadata reads of its
# preflight: every call the function, its sweep and its preflight make is allowed.
DEFAULT_GRANT = frozenset(
    {
        MODULES_ALL,
        "ZohoCRM.mass_convert.leads.CREATE",
        "ZohoCRM.mass_convert.leads.READ",
        "ZohoCRM.coql.READ",
        "ZohoCRM.settings.modules.READ",
        "ZohoCRM.settings.fields.READ",
        "ZohoCRM.settings.layouts.READ",
        "ZohoCRM.settings.pipeline.READ",
        "ZohoCRM.settings.tags.READ",
        "ZohoCRM.users.READ",
        "ZohoCRM.settings.automation_actions.READ",  # the sweep reads the webhook's failures (§15.7)
    }
)


def module_scope(module: str, operation: str, *spellings: str) -> Requirement:
    """`ZohoCRM.modules.{module}.{operation}` (or its `.ALL`) in the given spellings of the
    module (lower case when none is given), or `ZohoCRM.modules.ALL` (§13.7, DOC-v7 records)."""
    names = spellings or (module.lower(),)
    return frozenset(
        {MODULES_ALL}
        | {f"ZohoCRM.modules.{name}.{operation}" for name in names}
        | {f"ZohoCRM.modules.{name}.ALL" for name in names}
    )


def settings_scope(area: str) -> Requirement:
    """`ZohoCRM.settings.{area}.READ`, `.ALL`, or `ZohoCRM.settings.ALL` (§13.1-§13.6)."""
    return frozenset({f"ZohoCRM.settings.{area}.READ", f"ZohoCRM.settings.{area}.ALL", SETTINGS_ALL})


def settings_operation(area: str, operation: str) -> Requirement:
    """`ZohoCRM.settings.{area}.{operation}`, `.ALL`, or `ZohoCRM.settings.ALL` (§15.1, DOC-v8)."""
    return frozenset({f"ZohoCRM.settings.{area}.{operation}", f"ZohoCRM.settings.{area}.ALL", SETTINGS_ALL})


def exactly(name: str) -> Requirement:
    """A scope the reference names with no `.ALL` or broader form (COQL, Mass Convert)."""
    return frozenset({name})


# zoho-crm-api.md §13.7, the table "Scopes the product needs", row by row.
LEAD_READ = (module_scope("Leads", "READ"),)
CONVERT = tuple(
    module_scope(module, "CREATE") | {"ZohoCRM.modules.CREATE"}  # OAS-new names modules.CREATE
    for module in ("Leads", "Contacts", "Accounts", "Deals")
)
MASS_CONVERT = (exactly("ZohoCRM.mass_convert.leads.CREATE"),)
MASS_CONVERT_STATUS = (exactly("ZohoCRM.mass_convert.leads.READ"),)
# COQL needs `ZohoCRM.coql.READ` at the route, and the queried module's read scope, spelt as
# COQL's OAS spells it (`ZohoCRM.modules.Contacts.READ`), once the body names it (`coql_module`).
COQL = (exactly("ZohoCRM.coql.READ"),)
CONVERSION_OPTIONS = (module_scope("Leads", "READ", "leads", "Leads"),)
NOTES_CREATE = (module_scope("Notes", "CREATE"),)
# zoho-crm-api.md §14.10: Get Notes of every module, `ZohoCRM.modules.notes.READ` (OAS-new) or
# `ZohoCRM.modules.ALL` (DOC-v8); no parent module to check.
NOTES_READ = (module_scope("Notes", "READ"),)
# Update Notes (not in the reference): OAS-new v8.0/notes/notes.yaml names
# `ZohoCRM.modules.notes.UPDATE` for PUT /Notes and PUT /Notes/{id}; DOC-v8
# https://www.zoho.com/crm/developer/docs/api/v8/update-notes.html: `ZohoCRM.modules.ALL`, or
# `ZohoCRM.modules.{module}.{operation}` and `ZohoCRM.modules.notes.{operation}`. As Create Notes,
# the notes scope at the route and each parent module's in the handler (`notes_update_under`);
# the DOC's WRITE operation type is not taken (as for create: the strict reading).
NOTES_UPDATE = (module_scope("Notes", "UPDATE"),)


# Activities (Tasks, Events, Calls): Get Records and Update Records, as records of the other
# modules, `ZohoCRM.modules.{tasks|events|calls}.{READ|UPDATE}` (or `.ALL`), or
# `ZohoCRM.modules.ALL` (§13.7's record rows; DOC-v7 records).
def activity_read(url: dict[str, str]) -> tuple[Requirement, ...]:
    return (module_scope(url["module"], "READ"),)


def activity_update(url: dict[str, str]) -> tuple[Requirement, ...]:
    return (module_scope(url["module"], "UPDATE"),)


# GET Contacts/roles: not in the reference. CHOSEN and UNVERIFIED: a settings scope,
# `ZohoCRM.settings.contact_roles.READ` (or `.ALL`, or `ZohoCRM.settings.ALL`), the riskier
# reading (`ZohoCRM.modules.ALL` does not cover it). Not in DEFAULT_GRANT, which is exactly the
# README's self-client scopes (a test holds it to that).
CONTACT_ROLES = (settings_scope("contact_roles"),)
# zoho-crm-api.md §14.1: a record's lock, its own scope only (no broader form is named).
LOCKING_INFORMATION = (exactly("ZohoCRM.modules.lockinginformation.READ"),)
FIELDS = (settings_scope("fields"),)
LAYOUTS = (settings_scope("layouts"),)
PIPELINES = (settings_scope("pipeline"),)
USERS = (frozenset({"ZohoCRM.users.READ", "ZohoCRM.users.ALL"}),)
TAGS = (settings_scope("tags"),)
MODULES = (settings_scope("modules"),)
# zoho-crm-api.md §15.1: webhooks and their failures under `automation_actions`, rules and
# workflow configurations under `workflow_rules`; the `.ALL` forms and `ZohoCRM.settings.ALL`
# also work (DOC-v8, §15.10).
WEBHOOKS_CREATE = (settings_operation("automation_actions", "CREATE"),)
WEBHOOKS_READ = (settings_operation("automation_actions", "READ"),)
WEBHOOKS_UPDATE = (settings_operation("automation_actions", "UPDATE"),)
WEBHOOKS_DELETE = (settings_operation("automation_actions", "DELETE"),)
RULES_CREATE = (settings_operation("workflow_rules", "CREATE"),)
RULES_READ = (settings_operation("workflow_rules", "READ"),)
RULES_UPDATE = (settings_operation("workflow_rules", "UPDATE"),)
RULES_DELETE = (settings_operation("workflow_rules", "DELETE"),)
# What the setup commands (`connect`, `verify`, `disconnect`) need (§15.1, §15.8). DEFAULT_GRANT
# is exactly the README's self-client scopes (a test holds it to that), which read webhooks and
# their failures only: an emulator made with `automation=True` grants both.
AUTOMATION_GRANT = frozenset(
    f"ZohoCRM.settings.{area}.{operation}"
    for area in ("automation_actions", "workflow_rules")
    for operation in ("CREATE", "READ", "UPDATE", "DELETE")
)


def coql_module(module: str | None) -> tuple[Requirement, ...]:
    """COQL's module scope (§13.7: `ZohoCRM.modules.{module}.READ`, e.g. `…Leads.READ`); a
    query naming no module COQL reads needs the Leads one, the module it reads most."""
    name = module if module in COQL_MODULES else "Leads"
    return (module_scope(name, "READ", name),)


def notes_read(parent_module: str) -> tuple[Requirement, ...]:
    """Get Notes of a record: the Notes scope and the parent module's (§13.7, DOC-v7)."""
    return (module_scope("Notes", "READ"), module_scope(parent_module, "READ"))


def notes_create_under(parent_modules: Iterable[str]) -> tuple[Requirement, ...]:
    """Create Notes: the Notes scope and a create scope of each parent module (§13.7, DOC-v7)."""
    return (*NOTES_CREATE, *(module_scope(module, "CREATE") for module in sorted(set(parent_modules))))


def notes_update_under(parent_modules: Iterable[str]) -> tuple[Requirement, ...]:
    """Update Notes: the Notes scope and an update scope of each parent module (DOC-v8)."""
    return (*NOTES_UPDATE, *(module_scope(module, "UPDATE") for module in sorted(set(parent_modules))))


def check(granted: frozenset[str] | None, requirements: Iterable[Requirement]) -> None:
    """Raise OAUTH_SCOPE_MISMATCH unless `granted` meets every requirement (None: unchecked)."""
    if granted is None:
        return
    if any(not requirement & granted for requirement in requirements):
        raise scope_mismatch()


def scope_mismatch() -> ApiError:
    """HTTP 401, the body of OAS-new's response-401-oauthscopemismatch example (§13.7)."""
    return top_level_error(401, "OAUTH_SCOPE_MISMATCH", "Invalid oauth scope to access this URL")
