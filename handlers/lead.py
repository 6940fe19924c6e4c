"""What a Zoho CRM lead record looks like to this function: field access and conversion state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Lead = Mapping[str, Any]


def field_value(lead: Lead, path: str) -> Any:
    """The value at a field API name, dotted for lookups (`Owner.id`); None when absent."""
    value: Any = lead
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def owner_id(lead: Lead) -> str | None:
    owner = lead.get("Owner")
    if isinstance(owner, Mapping) and owner.get("id"):
        return str(owner["id"])
    return None


def tag_names(lead: Lead) -> tuple[str, ...]:
    """The names of the tags on the lead (Zoho returns `Tag` as a list of {name, id} objects)."""
    tags = lead.get("Tag") or []
    if not isinstance(tags, list):
        return ()
    names = (tag.get("name") if isinstance(tag, Mapping) else tag for tag in tags)
    return tuple(name for name in names if isinstance(name, str) and name)


@dataclass(frozen=True)
class Records:
    """The contact, account and deal a lead was converted into (or linked to)."""

    contact_id: str | None = None
    account_id: str | None = None
    deal_id: str | None = None


def is_converted(lead: Lead) -> bool:
    if lead.get("Converted__s") is True or lead.get("$converted") is True:
        return True
    return any(lead.get(key) for key in ("Converted_Contact", "Converted_Account", "Converted_Deal"))


def converted_records(lead: Lead) -> Records:
    return Records(
        contact_id=_lookup_id(lead.get("Converted_Contact")),
        account_id=_lookup_id(lead.get("Converted_Account")),
        deal_id=_lookup_id(lead.get("Converted_Deal")),
    )


def _lookup_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None
