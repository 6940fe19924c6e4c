"""What a Zoho CRM lead record looks like to this function: field access and conversion state."""

from __future__ import annotations

import datetime as dt
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


def zoho_time(value: Any) -> dt.datetime | None:
    """A date-time as Zoho writes it (`2026-12-05T09:30:00+01:00`), offset-aware (UTC when it
    names no offset); None when the value is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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


# What a record read shows of a state that passes (docs/zoho-api.md, "Record reads"); the values
# are not all documented, so any `$approval_state` but "approved" counts as waiting.
_WAITING_FOR = {
    "approval_process_pending": "an approval process",
    "review_process_pending": "a review process",
    "merge_pending": "a merge of duplicates",
}


def waiting_for(lead: Lead) -> str | None:
    """What the lead waits for before Zoho will convert it (an approval or review process, a merge
    in progress), as its read shows it; None when it shows nothing (a lock shows only in Convert's
    refusal, since a lock need not stop a conversion)."""
    if lead.get("$in_merge") is True:
        return _WAITING_FOR["merge_pending"]
    state = lead.get("$approval_state")
    if isinstance(state, str) and state and state.lower() != "approved":
        return _WAITING_FOR.get(state.lower(), f"its approval state {state[:40]!r} to end")
    if lead.get("$approved") is False:
        return _WAITING_FOR["approval_process_pending"]
    return None
