"""Get Notes across records: `GET /crm/{version}/Notes` lists the notes of every module
(zoho-crm-api.md §14.10), the documented way to read recent notes across leads in a bounded
number of calls.

`fields` is mandatory (DOC-v8; OAS-new says optional: the riskier reading); `page` and
`per_page` (at most 200) reach the first 2,000 notes, `page_token` (from `info.next_page_token`)
reaches past them; `sort_by` Modified_Time, Created_Time or id, `sort_order` asc or desc, oldest
first by default; `ids` picks notes. No filter by parent, module or time is documented, so none
is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import scopes
from .conversion import is_record_id
from .crm import CrmStore
from .faults import Faults
from .protocol import (
    Response,
    invalid_param,
    limit_exceeded,
    positive_int_param,
    required_param_missing,
    top_level_error,
)
from .router import Call, Route

MAX_PER_PAGE = 200  # zoho-crm-api.md §14.10 per_page, default and maximum
DISCRETE_LIMIT = 2000  # §14.10: records `page` reaches without a page token
MAX_IDS = 100  # as Get Records (§4): the reference gives no other limit for Notes
SORT_FIELDS = ("Modified_Time", "Created_Time", "id")
SORT_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class Cursor:
    """Where a page token's page starts: after the note at `after`, in that order."""

    sort_by: str
    sort_order: str
    after: tuple[Any, int]  # the last note's sort key
    page: int  # the number of the page the token reads


class NotesEndpoints:
    def __init__(self, crm: CrmStore, faults: Faults) -> None:
        self._crm = crm
        self._faults = faults

    def routes(self) -> list[Route]:
        return [Route("GET", r"Notes", self.list_notes, scopes=scopes.NOTES_READ)]

    def list_notes(self, call: Call) -> Response:
        request = call.request
        wanted = request.param("fields")
        if not wanted:
            raise required_param_missing("fields")
        fields = {"id", *(name.strip() for name in wanted.split(",") if name.strip())}
        per_page = positive_int_param(request, "per_page", default=MAX_PER_PAGE, maximum=MAX_PER_PAGE)
        token = request.param("page_token")
        if token:
            # A token decides the order and the page; `page`, `sort_by`, `sort_order` give way.
            cursor: Cursor = self._faults.page_tokens.cursor(token)
            sort_by, sort_order, page = cursor.sort_by, cursor.sort_order, cursor.page
        else:
            sort_by = _choice(request.param("sort_by"), SORT_FIELDS, "sort_by", "Created_Time")
            sort_order = _choice(request.param("sort_order"), SORT_ORDERS, "sort_order", "asc")
            page = positive_int_param(request, "page", default=1)
            if page * per_page > DISCRETE_LIMIT:
                # §14.10: past 2,000 records only a page token reads on (the whole page must fit).
                raise top_level_error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "you can fetch only the first 2000 records without a page_token",
                    {"limit": DISCRETE_LIMIT},
                )
        notes = sorted(self._crm.all_notes(), key=lambda note: _key(note, sort_by))
        if sort_order == "desc":
            notes.reverse()
        if listed := request.param("ids"):
            notes = _chosen(notes, listed)
        if token:
            start = next((n for n, note in enumerate(notes) if _past(note, cursor)), len(notes))
        else:
            start = (page - 1) * per_page
        shown = notes[start : start + per_page]
        if not shown:
            return Response.no_content()
        more = start + len(shown) < len(notes)
        next_token, expiry = None, None
        if more:
            last = _key(shown[-1], sort_by)
            next_token, expiry = self._faults.page_tokens.issue(Cursor(sort_by, sort_order, last, page + 1))
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
        rows = [{key: value for key, value in note.items() if key in fields} for note in shown]
        return Response.json(200, {"data": rows, "info": info})


def _choice(value: str | None, choices: tuple[str, ...], name: str, default: str) -> str:
    if value is None:
        return default
    if value not in choices:
        raise invalid_param(name)
    return value


def _key(note: dict[str, Any], sort_by: str) -> tuple[Any, int]:
    """The sort key: the field (times as Zoho writes them, all in UTC here), then the id."""
    number = int(note["id"])
    return (number if sort_by == "id" else note[sort_by], number)


def _past(note: dict[str, Any], cursor: Cursor) -> bool:
    key = _key(note, cursor.sort_by)
    return key > cursor.after if cursor.sort_order == "asc" else key < cursor.after


def _chosen(notes: list[dict[str, Any]], listed: str) -> list[dict[str, Any]]:
    ids = [value.strip() for value in listed.split(",")]
    if not all(is_record_id(value) for value in ids):
        raise invalid_param("ids")
    if len(ids) > MAX_IDS:
        raise limit_exceeded("ids", MAX_IDS)
    wanted = set(ids)
    return [note for note in notes if note["id"] in wanted]
