"""The CRM API credits each call costs (zoho-crm-api.md §6, §13.8, §14.7), for the credit meter:
every journal entry carries its call's cost, `ZohoEmulator.credits()` and
`GET /__emulator/credits` add them up.

- Convert Lead: 5 (§6, §14.7, documented).
- Get Record(s), Notes read and create, conversion options, metadata, users, org: 1 (§14.7,
  the documented default).
- Mass Convert submission: 5. UNVERIFIED (§14.7: "1 is the default"); counted like one Convert,
  the riskier reading.
- Mass Convert status: 1. UNVERIFIED; the default.
- Update Notes (`PUT Notes`): 1 per 10 notes of `data` as sent (at least 1, at most 10: the
  100-note maximum), §6 and §14.7's "insert/update/upsert: 1 per 10 records" (Kaizen #158) read
  as covering Notes, the riskier reading; `PUT Notes/{id}` updates one note: 1.
- Update Records of Tasks, Events, Calls (`PUT {module}`): 1 per 10 records of `data` as sent
  (at least 1, at most 10: 100 records), §6 and §14.7's "insert/update/upsert: 1 per 10
  records" (Kaizen #158), documented.
- COQL: 1 per 200 rows of the LIMIT (200 when absent; LIMIT 2,000 is 10). UNVERIFIED in CRM;
  more than the sibling product's 1/2/3 bands, the riskier reading.
- Any other call to /crm/... (an unknown URL, a wrong method): 1.
- The token endpoint (the accounts server) and anything else outside /crm/: 0.

Whether a refused call costs credits is UNVERIFIED (§14.7, §14.11 item 7): every call is charged
whatever its answer (4xx, 5xx, 429, a fault's, a reset connection), the riskier reading.
"""

from __future__ import annotations

import math
import re
from typing import Any

CONVERT = 5
MASS_CONVERT = 5
DEFAULT = 1
TOKEN = 0
RECORDS_PER_CREDIT = 10  # insert/update/upsert (zoho-crm-api.md §6, §14.7)
NOTES_UPDATE_MAX = 100  # notes per Update Notes call (OAS-new v8.0/notes/notes.yaml maxItems)
COQL_ROWS_PER_CREDIT = 200
COQL_MAX_CREDITS = 10  # LIMIT 2,000, the largest page (zoho-crm-api.md §10)
COQL_DEFAULT_LIMIT = 200  # §10: LIMIT's default
_STRING = re.compile(r"'(?:[^']|'')*'")
_LIMIT = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?", re.IGNORECASE)


def coql(body: Any) -> int:
    """A COQL call's credits from its LIMIT (the row count of `limit n`, `limit offset, n` or
    `limit n offset m`; 200 when absent), at least 1 and at most 10. A body that is no query
    costs 1."""
    query = body.get("select_query") if isinstance(body, dict) else None
    if not isinstance(query, str):
        return DEFAULT
    found = _LIMIT.search(_STRING.sub("''", query))
    rows = COQL_DEFAULT_LIMIT
    if found:
        rows = int(found[2] if found[2] is not None else found[1])
    return max(1, min(COQL_MAX_CREDITS, math.ceil(rows / COQL_ROWS_PER_CREDIT)))


def notes_update(body: Any) -> int:
    """An Update Notes call's credits: 1 per 10 notes of `data` as sent, at least 1, at most 10
    (a body past the 100-note maximum, refused, costs what the largest call does)."""
    return records_update(body)


def records_update(body: Any) -> int:
    """An update of records (Notes, activities): 1 per 10 records of `data` as sent, at least
    1, at most 10 (a body past the 100-record maximum, refused, costs what the largest does)."""
    data = body.get("data") if isinstance(body, dict) else None
    records = min(len(data), NOTES_UPDATE_MAX) if isinstance(data, list) else 0
    return max(1, math.ceil(records / RECORDS_PER_CREDIT))


def summary(entries: list[tuple[str, int]]) -> dict[str, Any]:
    """`{"total", "calls", "endpoints": {endpoint: {"calls", "credits"}}}` of (endpoint,
    credits) pairs, endpoints in the order first called."""
    endpoints: dict[str, dict[str, int]] = {}
    for endpoint, credits in entries:
        tally = endpoints.setdefault(endpoint, {"calls": 0, "credits": 0})
        tally["calls"] += 1
        tally["credits"] += credits
    total = sum(credits for _, credits in entries)
    return {"total": total, "calls": len(entries), "endpoints": endpoints}
