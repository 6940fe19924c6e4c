"""Deterministic 19-digit record ids, one numeric range per kind of record."""

from __future__ import annotations

import threading

ORG_PREFIX = 4876876_000_000_000_000

# Offsets inside the org prefix. The demo seed and README rely on the user and lead ranges.
RANGES: dict[str, int] = {
    "users": 2_000,
    "tags": 3_000,
    "leads": 100_000,
    "contacts": 1_000_000,
    "accounts": 2_000_000,
    "deals": 3_000_000,
    "notes": 4_000_000,
    "jobs": 5_000_000,
    "locks": 6_000_000,
    "webhooks": 7_000_000,  # zoho-crm-api.md §15.2
    "workflow_rules": 8_000_000,  # §15.4
    "automation": 9_000_000,  # a rule's conditions and the webhook failures (§15.5, §15.7)
    # (10_000_000-10_999_999: metadata.stable_id)
    "tasks": 11_000_000,  # activities (zoho-crm-api.md §3.1 related_modules)
    "events": 12_000_000,
    "calls": 13_000_000,
    "contact_roles": 14_000_000,  # an org's own contact roles (the defaults: stable ids)
    "portal_user_types": 15_000_000,  # §3.1 portal_user_type
}

# Fixed ids of the org's metadata (modules, fields, profiles...).
MODULE_IDS: dict[str, str] = {
    "Leads": "4876876000000002175",
    "Accounts": "4876876000000002177",
    "Contacts": "4876876000000002179",
    "Deals": "4876876000000002181",
    "Notes": "4876876000000002187",
    # zoho-crm-api.md §13.6, §13.10: the activity modules Mass Convert's related_modules names
    # (Events' module_name is Meetings).
    "Tasks": "4876876000000002191",
    "Events": "4876876000000002193",
    "Calls": "4876876000000002195",
}
ORG_ID = "4876876000000000001"
ORG_ZGID = "7840000001"

# Layouts (zoho-crm-api.md §13.2). Leads convert into the Deals "Standard" layout, which holds
# the pipelines; the Deals "Renewals" layout has none (Get Pipelines answers 204 for it).
LAYOUT_IDS: dict[tuple[str, str], str] = {
    ("Leads", "Standard"): "4876876000000091055",
    ("Contacts", "Standard"): "4876876000000091059",
    ("Accounts", "Standard"): "4876876000000091047",
    ("Deals", "Standard"): "4876876000000091023",
    ("Deals", "Renewals"): "4876876000000091031",
}
# Pipelines of the Deals "Standard" layout (zoho-crm-api.md §13.3).
PIPELINE_IDS: dict[str, str] = {
    "Standard (Standard)": "4876876000000092001",
    "Partner Pipeline": "4876876000000092007",
}


class IdSequence:
    """Hands out ids per kind: `next("leads")` is 4876876000000100001, then ...100002."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, int] = {}

    def next(self, kind: str) -> str:
        with self._lock:
            self._last[kind] = self._last.get(kind, 0) + 1
            return str(ORG_PREFIX + RANGES[kind] + self._last[kind])

    def skip_past(self, kind: str, record_id: str) -> None:
        """Make later ids of `kind` larger than an id the caller chose itself."""
        with self._lock:
            used = int(record_id) - ORG_PREFIX - RANGES[kind]
            self._last[kind] = max(self._last.get(kind, 0), used)
