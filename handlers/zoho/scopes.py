"""Which OAuth scope each call the product makes needs (docs/zoho-api.md, "Scopes").

Zoho's refusal (401 OAUTH_SCOPE_MISMATCH) does not say which scope was missing, and some calls
need more than one; this table says it, for the refusal's reason and for `check-rules --org`'s
probes, so the two always name the same scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CallScope:
    method: str
    path: re.Pattern[str]  # the path after /crm/{version}
    scope: str  # what allows the call, in words an admin types into the self-client
    needed_for: str

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self.path.fullmatch(path) is not None


def _call(method: str, path: str, scope: str, needed_for: str) -> CallScope:
    return CallScope(method, re.compile(path), scope, needed_for)


LEAD_READ = _call(
    "GET", r"/Leads/\d+", "ZohoCRM.modules.ALL (or ZohoCRM.modules.leads.READ)", "reading the lead"
)
LEADS_READ = _call("GET", r"/Leads", "ZohoCRM.modules.ALL (or ZohoCRM.modules.leads.READ)", "reading leads")
CONVERT = _call(
    "POST",
    r"/Leads/\d+/actions/convert",
    "ZohoCRM.modules.ALL (or the CREATE scopes of Leads, Contacts, Accounts and Deals)",
    "Convert Lead",
)
CONVERSION_OPTIONS = _call(
    "GET",
    r"/Leads/\d+/__conversion_options",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.leads.READ)",
    "the conversion options",
)
NOTE_WRITE = _call(
    "POST",
    r"/Notes",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.notes.CREATE with ZohoCRM.modules.leads.CREATE)",
    "the failure note",
)
NOTES_READ = _call(
    "GET",
    r"/Leads/\d+/Notes",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.notes.READ with ZohoCRM.modules.leads.READ)",
    "the failure note's duplicate check",
)
NOTE_UPDATE = _call(
    "PUT",
    r"/Notes",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.notes.UPDATE)",
    "the failure note's attempt count",
)
RECENT_NOTES = _call(
    "GET",
    r"/Notes",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.notes.READ)",
    "the sweep's read of recent failure notes",
)
COQL = _call(
    "POST",
    r"/coql",
    "ZohoCRM.coql.READ with ZohoCRM.modules.ALL (or the READ scopes of Leads, Contacts, Accounts and Deals)",
    "the sweep's COQL queries and its lookup of existing records",
)
MASS_CONVERT = _call(
    "POST", r"/Leads/actions/mass_convert", "ZohoCRM.mass_convert.leads.CREATE", "the sweep's Mass Convert"
)
MASS_CONVERT_STATUS = _call(
    "GET",
    r"/Leads/actions/mass_convert",
    "ZohoCRM.mass_convert.leads.READ",
    "the sweep's Mass Convert status",
)
ACTIVITIES_UPDATE = _call(
    "PUT",
    r"/(Tasks|Events|Calls)",
    "ZohoCRM.modules.ALL (or ZohoCRM.modules.tasks.UPDATE, .events.UPDATE, .calls.UPDATE)",
    "handing the lead's activities to the new owner (reassign_activities)",
)
CONTACT_ROLES = _call(
    "GET",
    r"/Contacts/roles",
    "ZohoCRM.settings.contact_roles.READ",
    "reading the org's contact roles (deal.Contact_Role)",
)
MODULES = _call(
    "GET", r"/settings/modules", "ZohoCRM.settings.modules.READ", "the module ids Mass Convert names"
)
CALLS = (
    LEAD_READ,
    LEADS_READ,
    CONVERT,
    CONVERSION_OPTIONS,
    NOTE_WRITE,
    NOTES_READ,
    NOTE_UPDATE,
    RECENT_NOTES,
    COQL,
    MASS_CONVERT,
    MASS_CONVERT_STATUS,
    ACTIVITIES_UPDATE,
    CONTACT_ROLES,
    MODULES,
)

# The setup commands' calls (connect, verify, disconnect): never the running function's, so never
# probed by check-rules --org; the sweep reads the webhook failures with WEBHOOK_FAILURES.
_WEBHOOKS = r"/settings/automation/webhooks(?:/\d+)?"
_RULES = r"/settings/automation/workflow_rules(?:/\d+)?"
SETUP_OPERATIONS = (
    ("POST", "CREATE", "creating"),
    ("PUT", "UPDATE", "updating"),
    ("DELETE", "DELETE", "deleting"),
)
WEBHOOK_FAILURES = _call(
    "GET",
    r"/settings/automation/webhook_failures",
    "ZohoCRM.settings.automation_actions.READ",
    "reading the webhook's delivery failures",
)
SETUP_CALLS = (
    _call("GET", _WEBHOOKS, "ZohoCRM.settings.automation_actions.READ", "reading the webhooks"),
    *(
        _call(method, _WEBHOOKS, f"ZohoCRM.settings.automation_actions.{operation}", f"{verb} the webhook")
        for method, operation, verb in SETUP_OPERATIONS
    ),
    _call("GET", _RULES, "ZohoCRM.settings.workflow_rules.READ", "reading the workflow rules"),
    *(
        _call(method, _RULES, f"ZohoCRM.settings.workflow_rules.{operation}", f"{verb} the workflow rule")
        for method, operation, verb in SETUP_OPERATIONS
    ),
    WEBHOOK_FAILURES,
)


def scope_for(method: str, path: str) -> CallScope | None:
    """The scope the call needs, when it is one the table knows."""
    return next((call for call in (*CALLS, *SETUP_CALLS) if call.matches(method, path)), None)
