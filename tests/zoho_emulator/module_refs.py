"""Module references in automation bodies, `{"api_name": "Leads", "id": "…"}` (zoho-crm-api.md
§15.2, §15.4), and the other small checks webhooks and rules share: names, record ids.

The emulated org has Leads, Contacts, Accounts and Deals for automation (Notes is refused with
NOT_ALLOWED, as §7.1 says webhooks cannot be set up for Notes or Call Logs); their ids are
ids.MODULE_IDS. Only Leads are ever edited, so only rules on Leads ever fire.
"""

from __future__ import annotations

import re
from typing import Any

from .automation_errors import (
    ambiguous,
    expected_one_of,
    invalid,
    mandatory,
    not_allowed,
    too_long,
    wrong_type,
)
from .ids import MODULE_IDS

AUTOMATION_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
REFUSED_MODULES = ("Notes", "Call_Logs")  # §7.1: no webhooks (nor, here, rules) for them
MODULE_BY_ID = {module_id: name for name, module_id in MODULE_IDS.items()}
# CHOSEN (§15.2, §15.4: "special characters" are refused, which ones is UNVERIFIED): letters,
# digits, space and underscore only, the set the reference says to keep to.
NAME = re.compile(r"[A-Za-z0-9 _]+")
RECORD_ID = re.compile(r"[0-9]{1,19}")


def module_json(api_name: str) -> dict[str, str]:
    return {"api_name": api_name, "id": MODULE_IDS[api_name]}


def module_ref(value: Any, path: str, both: bool) -> str:
    """The module a body names. Webhooks take `api_name` or `id` or both (§15.2: neither is
    EXPECTED_FIELD_MISSING); rules need both (§15.4: MANDATORY_NOT_FOUND). Wrong types come as
    single objects (OAS-new Error400Response6/8); an unknown module is INVALID_DATA, a module
    automation is not allowed on NOT_ALLOWED, and an id and a name of different modules
    AMBIGUITY_DURING_PROCESSING."""
    if value is None:
        raise mandatory(path, "module")
    if not isinstance(value, dict):
        raise wrong_type(path, "module", "jsonobject")
    name, given_id = value.get("api_name"), value.get("id")
    if name is not None and not isinstance(name, str):
        raise wrong_type(f"{path}.api_name", "api_name", "text", single=True)
    if given_id is not None and not _is_id(given_id):
        raise wrong_type(f"{path}.id", "id", "bigint", single=True)
    if both:
        for key, given in (("api_name", name), ("id", given_id)):
            if given is None:
                raise mandatory(f"{path}.{key}", key)
    elif name is None and given_id is None:
        raise expected_one_of((f"{path}.api_name", "api_name"), (f"{path}.id", "id"))
    if name in REFUSED_MODULES:
        raise not_allowed(f"{path}.api_name", "api_name", "the module is not supported for this feature")
    if name is not None and name not in AUTOMATION_MODULES:
        raise invalid(f"{path}.api_name", "api_name", "the module name given seems to be invalid")
    by_id = MODULE_BY_ID.get(str(given_id)) if given_id is not None else None
    if given_id is not None and by_id not in AUTOMATION_MODULES:
        raise invalid(f"{path}.id", "id", "the module id given seems to be invalid")
    if name is not None and by_id is not None and name != by_id:
        raise ambiguous((f"{path}.id", "id"), (f"{path}.api_name", "api_name"))
    chosen = name or by_id
    assert chosen is not None
    return chosen


def checked_name(value: Any, path: str, maximum: int, long_message: str, special_message: str) -> str:
    """A webhook's or rule's `name`: mandatory, text, at most `maximum` characters and only
    `NAME`'s characters (CHOSEN, above)."""
    if value is None:
        raise mandatory(path, "name")
    if not isinstance(value, str):
        raise wrong_type(path, "name", "text")
    if len(value) > maximum:
        raise too_long(path, "name", maximum, long_message)
    if not NAME.fullmatch(value) or not value.strip():
        raise invalid(path, "name", special_message)
    return value


def checked_description(value: Any, path: str, maximum: int) -> str | None:
    """An optional `description`: text or null, at most `maximum` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise wrong_type(path, "description", "text")
    if len(value) > maximum:
        raise too_long(path, "description", maximum)
    return value


def record_id(value: Any) -> str | None:
    """An id as a body gives it (a string of digits, or a JSON number), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        value = str(value)
    return value if isinstance(value, str) and RECORD_ID.fullmatch(value) else None


def _is_id(value: Any) -> bool:
    return record_id(value) is not None
