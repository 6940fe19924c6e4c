"""Activities (Tasks, Events, Calls): Get Record(s) and Update Records, the owners Mass
Convert's `related_modules` changes (zoho-crm-api.md §3.1), and Get Contact Roles (§1.2).

The reference documents activities only through Mass Convert (§3.1: "the owner of the lead's
related Tasks, Meetings and Calls changes to `assign_to`") and their module ids (§13.6,
§13.10); the record APIs follow Get Records (§4) and Update Notes (notes_endpoints.py), the
emulator's other record reads and updates. Where that leaves a reading open the emulator refuses
more; each such choice is marked CHOSEN and listed in the README.

- `GET {module}/{id}`: 204 for an unknown id; `fields` optional.
- `GET {module}`: as Get Records of Leads: `fields` mandatory from v3 (at most 50), `ids` at
  most 100, paged and sorted as every record list is (listing.py).
- `PUT {module}`: `{"data": [{"id", ...}]}`, at most 100 records (CHOSEN: LIMIT_EXCEEDED
  `{api_name, json_path, limit}`, a root object; OAS-new's Update Notes says INVALID_DATA
  maximum_length for its own limit), answered per record (`record updated`), HTTP 200 when all
  succeed, 207 when some, 400 when none. CHOSEN: only Owner, Subject / Event_Title and Status
  (Tasks) change (`crm.ACTIVITY_EDITS`); any other key is INVALID_DATA naming it, and so are an
  unknown id and an Owner who cannot own records.
- `GET Contacts/roles` (v2.1+; CHOSEN): `{"contact_roles": [{id, name, sequence_number}]}`, the
  SDK's `contact_roles` package (`GET /crm/v8/Contacts/roles`).
"""

from __future__ import annotations

from typing import Any

from . import credits, scopes
from .conversion import ACTIVITY_MODULES, checked_id, is_record_id
from .crm import CrmStore
from .faults import Faults
from .listing import Order, page_of, record_list
from .protocol import (
    FieldError,
    Response,
    invalid_body,
    invalid_id,
    missing_field,
    only,
    record_updated,
    requested_fields,
    top_level_error,
)
from .router import Call, Route

MODULE = rf"(?P<module>{'|'.join(ACTIVITY_MODULES)})"
MAX_UPDATE = credits.NOTES_UPDATE_MAX  # records per update call (as Update Notes: 100)
ORDER = Order(("id", "Created_Time", "Modified_Time"), "id", "asc")  # as Get Records of Leads
CONTACT_ROLES_SINCE = 2.1  # CHOSEN: the SDK's v8 package; the reference does not date it


class ActivityEndpoints:
    def __init__(self, crm: CrmStore, faults: Faults) -> None:
        self._crm = crm
        self._faults = faults

    def routes(self) -> list[Route]:
        return [
            Route("GET", MODULE, self.list_activities, scopes=scopes.activity_read),
            Route("GET", rf"{MODULE}/(?P<id>[^/]+)", self.get_activity, scopes=scopes.activity_read),
            Route(
                "PUT",
                MODULE,
                self.update_activities,
                scopes=scopes.activity_update,
                # zoho-crm-api.md §6, §14.7: insert/update 1 credit per 10 records (credits.py).
                credits=lambda request: credits.records_update(request.json()),
            ),
            Route(
                "GET",
                r"Contacts/roles",
                self.contact_roles,
                since=CONTACT_ROLES_SINCE,
                scopes=scopes.CONTACT_ROLES,
            ),
        ]

    def get_activity(self, call: Call) -> Response:
        record_id = call.params["id"]
        if not is_record_id(record_id):
            raise invalid_id()
        found = self._crm.activity(call.params["module"], record_id)
        if found is None:
            return Response.no_content()
        return Response.json(200, {"data": [only(found, requested_fields(call.request))]})

    def list_activities(self, call: Call) -> Response:
        wanted, ids = record_list(call.request, call.legacy)
        records = self._crm.listed_activities(call.params["module"], ids)
        page = page_of(call.request, records, self._faults.page_tokens, ORDER)
        if page is None:
            return Response.no_content()
        shown, info = page
        return Response.json(200, {"data": [only(record, wanted) for record in shown], "info": info})

    def update_activities(self, call: Call) -> Response:
        module = call.params["module"]
        body = call.request.json()
        if not isinstance(body, dict):
            raise invalid_body()
        items = body.get("data")
        if not isinstance(items, list) or not items:
            raise missing_field("$.data", "data").top_level()
        if len(items) > MAX_UPDATE:
            raise top_level_error(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                {"api_name": "data", "json_path": "$.data", "limit": MAX_UPDATE},
            )
        results = []
        for index, item in enumerate(items):
            try:
                results.append(self._update_one(module, item, f"$.data[{index}]"))
            except FieldError as problem:
                results.append(problem.wrapped().payload["data"][0])
        succeeded = sum(1 for result in results if result["status"] == "success")
        status = 200 if succeeded == len(results) else 400 if succeeded == 0 else 207
        return Response.json(status, {"data": results})

    def _update_one(self, module: str, item: Any, path: str) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise FieldError(
                "INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject", "json_path": path}
            )
        if item.get("id") is None:
            raise missing_field(f"{path}.id", "id")
        record_id = checked_id(item["id"], f"{path}.id", "id")
        updated = self._crm.update_activity(module, record_id, item, path)
        return record_updated(updated)

    def contact_roles(self, call: Call) -> Response:
        return Response.json(200, {"contact_roles": self._crm.contact_roles()})
