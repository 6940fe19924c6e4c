"""The Notes module's own endpoints: Get Notes across records and Update Notes.

Get Notes, `GET /crm/{version}/Notes`, lists the notes of every module (zoho-crm-api.md
§14.10), the documented way to read recent notes across leads in a bounded number of calls.
`fields` is mandatory (DOC-v8; OAS-new says optional: the riskier reading); `page` and
`per_page` (at most 200) reach the first 2,000 notes, `page_token` (from `info.next_page_token`)
reaches past them; `sort_by` Modified_Time, Created_Time or id, `sort_order` asc or desc, oldest
first by default; `ids` picks notes. No filter by parent, module or time is documented, so none
is taken.

Update Notes, `PUT /crm/{version}/Notes` (up to 100 notes, each naming its `id`) and
`PUT /crm/{version}/Notes/{id}` (one note), is not in the reference: DOC-v8
https://www.zoho.com/crm/developer/docs/api/v8/update-notes.html (and update-specific-note.html),
OAS-new `v8.0/notes/notes.yaml` (operations updateNotesModule, updateNoteById) and the SDK
(`notes_operations.py` update_notes, update_note). A note takes `Note_Title` and/or
`Note_Content` (at least one: EXPECTED_FIELD_MISSING), at most 120 and 65,535 characters; the
answer is per note, `record updated`, HTTP 200 when all succeed, 207 when some do, 400 when none
(OAS-new's 200, 207 and 400 examples). Where those sources are silent the emulator refuses more;
each such choice is marked CHOSEN below and listed in the README.
"""

from __future__ import annotations

from typing import Any

from . import credits, scopes
from .conversion import checked_id, is_record_id
from .crm import CrmStore
from .faults import Faults
from .listing import Order, listed_ids, page_of
from .protocol import (
    FieldError,
    Response,
    invalid_body,
    invalid_field,
    invalid_id,
    missing_field,
    record_updated,
    requested_fields,
    required_param_missing,
    top_level_error,
)
from .router import Call, Route

NOTES_ORDER = Order(("Modified_Time", "Created_Time", "id"), "Created_Time", "asc")  # §14.10
# Update Notes, OAS-new v8.0/notes/notes.yaml: `data` maxItems 100 (PUT /Notes) and 1
# (PUT /Notes/{id}); Note_Title maxLength 120 (also zoho-crm-api.md §14.10), Note_Content 65535.
MAX_UPDATE = credits.NOTES_UPDATE_MAX
MAX_LENGTHS = {"Note_Title": 120, "Note_Content": 65535}


class NotesEndpoints:
    def __init__(self, crm: CrmStore, faults: Faults) -> None:
        self._crm = crm
        self._faults = faults

    def routes(self) -> list[Route]:
        # Every version: the v2 docs already document both Update Notes URLs.
        return [
            Route("GET", r"Notes", self.list_notes, scopes=scopes.NOTES_READ),
            Route(
                "PUT",
                r"Notes",
                self.update_notes,
                scopes=scopes.NOTES_UPDATE,  # and each parent module's, in _update
                credits=lambda request: credits.notes_update(request.json()),  # credits.py
            ),
            Route("PUT", r"Notes/(?P<id>[^/]+)", self.update_note, scopes=scopes.NOTES_UPDATE),
        ]

    def list_notes(self, call: Call) -> Response:
        request = call.request
        fields = requested_fields(request)
        if fields is None:
            raise required_param_missing("fields")
        notes = self._crm.all_notes()
        if (ids := listed_ids(request)) is not None:
            chosen = set(ids)
            notes = [note for note in notes if note["id"] in chosen]
        page = page_of(request, notes, self._faults.page_tokens, NOTES_ORDER)
        if page is None:
            return Response.no_content()
        shown, info = page
        rows = [{key: value for key, value in note.items() if key in fields} for note in shown]
        return Response.json(200, {"data": rows, "info": info})

    def update_notes(self, call: Call) -> Response:
        """PUT /Notes: `{"data": [{"id", "Note_Title", "Note_Content"}, ...]}`, at most 100."""
        return self._update(call, _update_items(call.request.json(), MAX_UPDATE), url_id=None)

    def update_note(self, call: Call) -> Response:
        """PUT /Notes/{id}: `{"data": [{"Note_Title", "Note_Content"}]}`. An id that is no note
        (malformed, never was, or its lead deleted) is OAS-new's InvalidIdError, HTTP 400
        `INVALID_DATA` `{"resource_path_index": 1}`, before the body is looked at (the OAS
        gives no 404 but INVALID_URL_PATTERN)."""
        note_id = call.params["id"]
        if not is_record_id(note_id) or self._crm.note(note_id) is None:
            raise invalid_id()
        return self._update(call, _update_items(call.request.json(), 1), url_id=note_id)

    def _update(self, call: Call, items: list[Any], url_id: str | None) -> Response:
        # DOC-v8: the parent module's update scope too, checked before any note changes (as
        # Create Notes checks the parents' create scope).
        parents = {_parent(note)[0] for note in self._notes_named(items, url_id)}
        scopes.check(call.granted, scopes.notes_update_under(parents))
        seen: set[str] = set()
        results = []
        for index, item in enumerate(items):
            try:
                results.append(self._update_one(item, f"$.data[{index}]", url_id, seen, call.legacy))
            except FieldError as problem:
                results.append(problem.wrapped().payload["data"][0])
        succeeded = sum(1 for result in results if result["status"] == "success")
        status = 200 if succeeded == len(results) else 400 if succeeded == 0 else 207
        return Response.json(status, {"data": results})

    def _notes_named(self, items: list[Any], url_id: str | None) -> list[dict[str, Any]]:
        """The existing notes the body names (the others fail on their own)."""
        ids = [url_id] if url_id else [item.get("id") for item in items if isinstance(item, dict)]
        named = (_as_id(value) for value in ids)
        notes = (self._crm.note(note_id) for note_id in named if note_id)
        return [note for note in notes if note is not None]

    def _update_one(
        self, item: Any, path: str, url_id: str | None, seen: set[str], legacy: bool
    ) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise invalid_field(path, "data", expected_data_type="jsonobject")
        note_id = _note_id(item, path, url_id)
        if note_id in seen:
            # CHOSEN: the same note twice in one call is undocumented; the repeat is refused.
            raise FieldError(
                "INVALID_DATA",
                "the id is repeated in the request",
                {"api_name": "id", "json_path": f"{path}.id"},
            )
        seen.add(note_id)
        note = self._crm.note(note_id)
        if note is None:
            raise _unknown_note(path)
        _check_parent(item, note, path, legacy)
        changes = _changes(item, path)
        try:
            updated = self._crm.update_note(note_id, **changes)
        except KeyError:  # its lead was deleted meanwhile
            raise _unknown_note(path) from None
        return record_updated(updated)


def _update_items(body: Any, maximum: int) -> list[Any]:
    """The `data` of an Update Notes body: a non-empty list of at most `maximum` items.
    Refusals are root objects: the body is not a JSON object (INVALID_DATA, as Create Notes),
    `data` missing or empty (MANDATORY_NOT_FOUND `$.data`, as Create Notes), past the maximum
    (OAS-new InvalidDataLimitExceededError: INVALID_DATA `{maximum_length, api_name,
    json_path}`; the message is CHOSEN). PUT /Notes/{id}'s `data` holds one note (OAS-new
    maxItems 1): a second is refused the same way (CHOSEN: the OAS lists no error for it)."""
    if not isinstance(body, dict):
        raise invalid_body()
    items = body.get("data")
    if not isinstance(items, list) or not items:
        raise missing_field("$.data", "data").top_level()
    if len(items) > maximum:
        raise top_level_error(
            400,
            "INVALID_DATA",
            "invalid data",
            {"maximum_length": maximum, "api_name": "data", "json_path": "$.data"},
        )
    return items


def _as_id(value: Any) -> str | None:
    """A note id as a body gives it (a string of digits, or a number as the SDK sends a Long)."""
    try:
        return checked_id(value, "", "id")
    except FieldError:
        return None


def _note_id(item: dict[str, Any], path: str, url_id: str | None) -> str:
    """The note an item updates. PUT /Notes: `id` is mandatory (OAS-new; MANDATORY_NOT_FOUND),
    a long (INVALID_DATA otherwise). PUT /Notes/{id}: the URL's; an `id` in the body naming
    another note is refused (CHOSEN: the OAS body has no id)."""
    value = item.get("id")
    if url_id is not None:
        if value is not None and _as_id(value) != url_id:
            raise invalid_field(f"{path}.id", "id")
        return url_id
    if value is None:
        raise missing_field(f"{path}.id", "id")
    return checked_id(value, f"{path}.id", "id")


def _unknown_note(path: str) -> FieldError:
    """An id that is no note: never was, or its lead was deleted (with its notes)."""
    return FieldError(
        "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id", "json_path": f"{path}.id"}
    )


def _parent(note: dict[str, Any]) -> tuple[str, str]:
    return note["Parent_Id"]["module"]["api_name"], note["Parent_Id"]["id"]


def _check_parent(item: dict[str, Any], note: dict[str, Any], path: str, legacy: bool) -> None:
    """A note keeps its parent. An update may repeat it (the v2 docs' sample body sends
    `Parent_Id` and `se_module`) in its version's form: v3+ `{"module": {"api_name"}, "id"}`,
    v2/v2.1 the plain id (§11). Anything else, another record, null or the other version's
    form, is OAS-new's NOT_ALLOWED `{api_name, json_path}`, and so is a `se_module` naming
    another module (which error Zoho gives is undocumented: CHOSEN, with the message)."""
    module, parent_id = _parent(note)
    if "Parent_Id" in item:
        given = item["Parent_Id"]
        if legacy:
            same = _as_id(given) == parent_id
        else:
            reference = given.get("module") if isinstance(given, dict) else None
            same = (
                isinstance(reference, dict)
                and reference.get("api_name") == module
                and _as_id(given.get("id")) == parent_id
            )
        if not same:
            raise _not_allowed(f"{path}.Parent_Id", "Parent_Id")
    if "se_module" in item and item["se_module"] != module:
        raise _not_allowed(f"{path}.se_module", "se_module")


def _not_allowed(json_path: str, api_name: str) -> FieldError:
    return FieldError(
        "NOT_ALLOWED",
        "the parent of a note cannot be changed",
        {"api_name": api_name, "json_path": json_path},
    )


def _changes(item: dict[str, Any], path: str) -> dict[str, Any]:
    """`Note_Title` and `Note_Content` as given (other keys are ignored: OAS-new's items take
    additional properties). Each is a string or null (INVALID_DATA `expected_data_type`
    otherwise); at least one must be given and not null (OAS-new: EXPECTED_FIELD_MISSING, its
    example's details and message); the content cannot be emptied (CHOSEN: the emulator's notes
    always have content, as Create Notes requires it: MANDATORY_NOT_FOUND, its refusal); at most
    120 and 65,535 characters (INVALID_DATA `maximum_length`, as §14.4's lengths)."""
    changes = {key: item[key] for key in MAX_LENGTHS if key in item}
    for key, value in changes.items():
        if value is not None and not isinstance(value, str):
            raise invalid_field(f"{path}.{key}", key, expected_data_type="string")
    if all(value is None for value in changes.values()):
        raise FieldError(
            "EXPECTED_FIELD_MISSING",
            "should contain either content or title",
            {
                "expected_fields": [
                    {"api_name": key, "json_path": f"{path}.{key}"} for key in ("Note_Content", "Note_Title")
                ]
            },
        )
    if "Note_Content" in changes and not changes["Note_Content"]:
        raise missing_field(f"{path}.Note_Content", "Note_Content")
    for key, value in changes.items():
        if value is not None and len(value) > MAX_LENGTHS[key]:
            raise invalid_field(f"{path}.{key}", key, maximum_length=MAX_LENGTHS[key])
    return changes
