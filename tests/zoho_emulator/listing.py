"""One page of a record list, as Get Records and Get Notes share it.

Get Records (`GET /Leads`, zoho-crm-api.md §4) and Get Notes (§14.10) page the same way: `page`
and `per_page` (at most 200) reach the first 2,000 records; past them only `page_token` (from
`info.next_page_token`) reads on, and a `page` beyond is `DISCRETE_PAGINATION_LIMIT_EXCEEDED`
naming the limit. `sort_by` (among the fields the list allows) and `sort_order` (`asc`, `desc`)
order the records, a tie broken by id; anything else is INVALID_DATA naming the parameter. A
token decides the order and the page itself: `page`, `sort_by` and `sort_order` give way to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .conversion import is_record_id
from .page_tokens import PageTokens
from .protocol import (
    Request,
    invalid_param,
    limit_exceeded,
    positive_int_param,
    requested_fields,
    required_param_missing,
    top_level_error,
)

MAX_PER_PAGE = 200  # §4 and §14.10: per_page, default and maximum
MAX_FIELDS = 50  # fields per Get Records call (§4)
MAX_IDS = 100  # ids per Get Records call (§4)
DISCRETE_LIMIT = 2000  # §14.10: the records `page` reaches without a page token
SORT_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class Cursor:
    """Where a page token's page starts: after the record at `after`, in that order."""

    sort_by: str
    sort_order: str
    after: tuple[Any, int]  # the last record's sort key
    page: int  # the number of the page the token reads


@dataclass(frozen=True)
class Order:
    """The fields a list sorts by, and its order when the request names none."""

    fields: tuple[str, ...]
    default_by: str
    default_order: str


def record_list(request: Request, legacy: bool) -> tuple[set[str] | None, list[str] | None]:
    """A Get Records call's `fields` (mandatory from v3, at most 50; id always answered) and
    `ids` (at most 100), checked (§4)."""
    wanted = requested_fields(request)
    if wanted is None and not legacy:
        raise required_param_missing("fields")
    if wanted is not None and len(wanted) > MAX_FIELDS + 1:
        raise limit_exceeded("fields", MAX_FIELDS)
    return wanted, listed_ids(request)


def listed_ids(request: Request) -> list[str] | None:
    """The `ids` a list call picks (at most 100, each a record id, §4; Get Notes is held to the same,
    the reference giving no other limit), or None when it picks none."""
    listed = request.param("ids")
    if not listed:
        return None
    ids = [value.strip() for value in listed.split(",")]
    if not all(is_record_id(value) for value in ids):
        raise invalid_param("ids")
    if len(ids) > MAX_IDS:
        raise limit_exceeded("ids", MAX_IDS)
    return ids


def page_of(
    request: Request, records: Sequence[dict[str, Any]], tokens: PageTokens, order: Order
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """The page the request asks for and its `info`; None when the page is empty (Zoho's 204)."""
    per_page = positive_int_param(request, "per_page", default=MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    token = request.param("page_token")
    cursor: Cursor | None = None
    if token:
        cursor = tokens.cursor(token)
        sort_by, sort_order, page = cursor.sort_by, cursor.sort_order, cursor.page
    else:
        sort_by = _choice(request.param("sort_by"), order.fields, "sort_by", order.default_by)
        sort_order = _choice(request.param("sort_order"), SORT_ORDERS, "sort_order", order.default_order)
        page = positive_int_param(request, "page", default=1)
        if page * per_page > DISCRETE_LIMIT:  # the whole page must fit within the reach
            raise top_level_error(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                "you can fetch only the first 2000 records without a page_token",
                {"limit": DISCRETE_LIMIT},
            )
    ordered = sorted(records, key=lambda record: sort_key(record, sort_by), reverse=sort_order == "desc")
    if cursor is not None:
        start = next((n for n, record in enumerate(ordered) if _past(record, cursor)), len(ordered))
    else:
        start = (page - 1) * per_page
    shown = ordered[start : start + per_page]
    if not shown:
        return None
    more = start + len(shown) < len(ordered)
    next_token, expiry = None, None
    if more:
        last = sort_key(shown[-1], sort_by)
        next_token, expiry = tokens.issue(Cursor(sort_by, sort_order, last, page + 1))
    info = {
        "per_page": per_page,
        "count": len(shown),
        "page": page,
        "more_records": more,
        "next_page_token": next_token,
        "previous_page_token": None,  # not emulated: a client reads forward
        "page_token_expiry": expiry,
        "sort_by": sort_by,
        "sort_order": sort_order,
    }
    return shown, info


def sort_key(record: dict[str, Any], sort_by: str) -> tuple[Any, int]:
    """The field (times as Zoho writes them, all in UTC here), then the id."""
    number = int(record["id"])
    return (number if sort_by == "id" else record.get(sort_by) or "", number)


def _past(record: dict[str, Any], cursor: Cursor) -> bool:
    key = sort_key(record, cursor.sort_by)
    return key > cursor.after if cursor.sort_order == "asc" else key < cursor.after


def _choice(value: str | None, choices: tuple[str, ...], name: str, default: str) -> str:
    if value is None:
        return default
    if value not in choices:
        raise invalid_param(name)
    return value
