"""An org described in a file, to try your own rules offline: `python -m tests.zoho_emulator --org FILE`.

The file (YAML, or JSON) describes what `check-rules --org` and `backtest` read of an org; every
section is optional and applied in this order, each item checked as its control endpoint checks it
(README, "Control API"):

    users:      [{full_name, email, id, profile, status, confirm}]   # who can own records
    tags:       [VIP, Hot]                                           # Leads tags
    fields:     [{api_name, data_type, display_label, options, module}]  # a custom field
                [{api_name, options, module}]                        # a picklist's own options
    pipelines:  [{pipeline, add_stages, remove_stages, rename_stages, rename}]
    accounts:   [{Account_Name, ...}]
    contacts:   [{Last_Name, Email, Account_Name, ...}]
    deals:      [{Deal_Name, Stage, Pipeline, Closing_Date, Account_Name, ...}]
    leads:      [{Last_Name, Company, Lead_Status, Owner, Modified_Time, Tag, ...}]

`module` defaults to Leads. A record's `Owner` is a user id; a contact's or deal's `Account_Name`
may name an account of the file by its name instead of its id. A problem names the file, the
section, the item's place and what is wrong, and nothing of the file is applied after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .control import ControlEndpoints

if TYPE_CHECKING:
    from .emulator import ZohoEmulator

SECTIONS = ("users", "tags", "fields", "pipelines", "accounts", "contacts", "deals", "leads")


class OrgFileError(ValueError):
    """The org description cannot be applied; the message names file, section, item and key."""


def load_org(emulator: ZohoEmulator, path: Path) -> dict[str, int]:
    """Apply the org description in `path` to the emulator; how many items of each section."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as problem:
        raise OrgFileError(f"{path}: cannot be read: {problem}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise OrgFileError(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)})")
    unknown = [str(name) for name in document if name not in SECTIONS]
    if unknown:
        raise OrgFileError(f"{path}: {unknown[0]}: unknown section (sections: {', '.join(SECTIONS)})")
    control = ControlEndpoints(emulator)
    accounts: dict[str, str] = {}  # the file's accounts by name, for the records that name one
    counts: dict[str, int] = {}
    for section in SECTIONS:
        items = document.get(section) or []
        if not isinstance(items, list):
            raise OrgFileError(f"{path}: {section}: expected a list")
        for number, item in enumerate(items, start=1):
            try:
                added = control.set_up(section, _by_id(section, item, accounts))
            except (TypeError, ValueError, KeyError) as problem:
                reason = problem.args[0] if problem.args else type(problem).__name__
                raise OrgFileError(f"{path}: {section}[{number}]: {reason}") from None
            if section == "accounts" and added is not None and isinstance(item.get("Account_Name"), str):
                accounts[item["Account_Name"]] = added
        counts[section] = len(items)
    return counts


def _by_id(section: str, item: Any, accounts: dict[str, str]) -> Any:
    """The item with an account named by its name in the file written as its id."""
    if section not in ("contacts", "deals") or not isinstance(item, dict):
        return item
    named = item.get("Account_Name")
    if isinstance(named, str) and named in accounts:
        return {**item, "Account_Name": accounts[named]}
    return item
