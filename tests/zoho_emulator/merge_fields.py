"""Merge fields of webhooks, `${!<Module>.<Field_API_Name>}` (zoho-crm-api.md §7.1, §15.2):
which ones a webhook may name, and their values for one record when it is delivered.

Only the `${!…}` form is a merge field here; any other `${…}` text is sent as written. A merge
field must name the webhook's own module and one of its fields by API name, or `Id` (the OAS's
spelling: whether `${!Leads.id}` works is UNVERIFIED, §15.11 item 4, so it is refused, as is a
field of another module); anything else fails the create or update with INVALID_DATA
"Unsupported fields are present".

Values (CHOSEN: the reference does not say how Zoho writes them): the text as stored; numbers
as Python writes them; true/false; a lookup or owner as its name; a multi-select picklist or the
tags joined by ";"; an empty field as "". `date_time_format` is stored but not applied: dates
and times are sent as the store holds them (ISO 8601). No escaping: a value with a quote breaks
a raw JSON body, as a text substitution would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

TOKEN = re.compile(r"\$\{!([^}]*)\}")
ID = "Id"


def unknown(text: str, module: str, field_names: Iterable[str]) -> list[str]:
    """The merge fields of `text` that are not `{module}.{field}` of a known field (or Id)."""
    known = {ID, *field_names}
    wrong = []
    for token in TOKEN.findall(text):
        token_module, _, name = token.partition(".")
        if token_module != module or name not in known:
            wrong.append(token)
    return wrong


def render(text: str, record: dict[str, Any], quote: Callable[[str], str] = str) -> str:
    """`text` with each merge field replaced by the record's value (through `quote`, e.g. URL
    quoting for a URL). The tokens were checked when the webhook was saved."""
    return TOKEN.sub(lambda token: quote(value(record, token[1].partition(".")[2])), text)


def value(record: dict[str, Any], name: str) -> str:
    """One field of the record as a merge field writes it (CHOSEN forms, see the module doc)."""
    found = record.get("id") if name == ID else record.get(name)
    return _text(found)


def _text(found: Any) -> str:
    if found is None:
        return ""
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, dict):
        return str(found.get("name", found.get("id", "")))
    if isinstance(found, list | tuple):
        return ";".join(_text(item) for item in found)
    return str(found)
