"""Record endpoints: list and read leads, convert one, its conversion options, and notes."""

from __future__ import annotations

from typing import Any

from . import credits, permissions, scopes
from .conversion import CONTACT_ROLE_SINCE, checked_id, is_record_id, parse_convert_body
from .crm import APPROVED_VALUES, Conversion, CrmStore
from .faults import Faults
from .ids import MODULE_IDS
from .listing import MAX_PER_PAGE, Order, page_of, record_list
from .metadata import LEAD_LAYOUT_FIELDS, stable_id
from .protocol import (
    FieldError,
    Response,
    invalid_body,
    invalid_field,
    invalid_id,
    invalid_param,
    missing_field,
    only,
    positive_int_param,
    requested_fields,
    required_param_missing,
    top_level_error,
)
from .router import VERSIONS, Call, Route

PARENT_MODULES = "Leads|Contacts|Accounts|Deals"
CONVERTED_VALUES = ("false", "true", "both")
# zoho-crm-api.md §4: Get Records sorts by id, Created_Time or Modified_Time. CHOSEN: with no
# sort_by the emulator lists by id, oldest first (Zoho's default order is not in the reference).
LEADS_ORDER = Order(("id", "Created_Time", "Modified_Time"), "id", "asc")


class LeadEndpoints:
    def __init__(self, crm: CrmStore, faults: Faults) -> None:
        self._crm = crm
        self._faults = faults

    def routes(self) -> list[Route]:
        # zoho-crm-api.md §12: conversion options from v5; before it the URL is unknown.
        # zoho-crm-api.md §13.7: the scope of each (Create Notes also checks the parents' below).
        notes_of = rf"(?P<module>{PARENT_MODULES})/(?P<id>[^/]+)/Notes"
        return [
            Route("GET", r"Leads", self.list_leads, scopes=scopes.LEAD_READ),
            Route("GET", r"Leads/(?P<id>[^/]+)", self.get_lead, scopes=scopes.LEAD_READ),
            Route(
                "POST",
                r"Leads/(?P<id>[^/]+)/actions/convert",
                self.convert,
                scopes=scopes.CONVERT,
                permissions=(permissions.CONVERT_LEADS,),  # zoho-crm-api.md §14.1, §14.8
                credits=credits.CONVERT,  # zoho-crm-api.md §14.7
            ),
            Route(
                "GET",
                r"Leads/(?P<id>[^/]+)/__conversion_options",
                self.options,
                since=5,
                scopes=scopes.CONVERSION_OPTIONS,
            ),
            # zoho-crm-api.md §14.1: record locking is v7+, the lock read its own scope.
            Route(
                "GET",
                r"Leads/(?P<id>[^/]+)/Locking_Information__s",
                self.locking_information,
                since=7,
                scopes=scopes.LOCKING_INFORMATION,
            ),
            Route("GET", notes_of, self.list_notes, scopes=lambda url: scopes.notes_read(url["module"])),
            Route("POST", notes_of, self.add_notes, scopes=scopes.NOTES_CREATE),
            Route("POST", r"Notes", self.add_notes, scopes=scopes.NOTES_CREATE),
        ]

    def get_lead(self, call: Call) -> Response:
        lead_id = _record_id(call)
        lead = self._crm.read_lead(lead_id, _converted(call), _approved(call))
        if lead is None:
            return Response.no_content()
        wanted = requested_fields(call.request)
        return Response.json(200, {"data": [only(self._as_read(lead), wanted)]})

    def list_leads(self, call: Call) -> Response:
        """Get Records: `fields` is mandatory from v3 on; `ids` picks up to 100 leads; paged and
        sorted as every record list is (listing.py)."""
        wanted, ids = record_list(call.request, call.legacy)
        leads = self._crm.listed_leads(_converted(call), ids, _approved(call))
        page = page_of(call.request, leads, self._faults.page_tokens, LEADS_ORDER)
        if page is None:
            return Response.no_content()
        shown, info = page
        return Response.json(
            200, {"data": [only(self._as_read(lead), wanted) for lead in shown], "info": info}
        )

    def _as_read(self, lead: dict[str, Any]) -> dict[str, Any]:
        """A lead as a record read shows it: every field of the layout, null when empty, except
        the fields field-level security hides from the token's user (`faults.hidden_fields`)."""
        layout = dict.fromkeys(LEAD_LAYOUT_FIELDS)
        record = {**layout, **lead}
        for hidden in self._faults.hidden_fields:
            record.pop(hidden, None)
        return record

    def convert(self, call: Call) -> Response:
        lead_id = _record_id(call)
        request = parse_convert_body(
            call.request.json(),
            legacy=call.legacy,
            contact_role=VERSIONS[call.version] >= CONTACT_ROLE_SINCE,  # zoho-crm-api.md §1.2
        )
        conversion = self._crm.convert(
            lead_id,
            request,
            picklists=self._faults.picklist_reading,
            wait_placement=self._faults.wait_state_placement,
        )
        if self._faults.take_scheduled_convert():
            return Response.json(202, {"data": [_scheduled(self._crm.new_id("jobs"))]})
        if call.legacy:
            return Response.json(200, {"data": [_legacy_details(conversion)]})
        return Response.json(
            200,
            {
                "data": [
                    {
                        "code": "SUCCESS",
                        "details": {
                            "Contacts": conversion.contact,
                            "Deals": conversion.deal,
                            "Accounts": conversion.account,
                        },
                        "message": "The record has been converted successfully",
                        "status": "success",
                    }
                ]
            },
        )

    def options(self, call: Call) -> Response:
        lead_id = _record_id(call)
        if self._crm.read_lead(lead_id, "true") is not None:
            raise top_level_error(
                400, "ID_ALREADY_CONVERTED", "id already converted", {"resource_path_index": 1}
            )
        # zoho-crm-api.md §2, §14.6: the matches in Kaizen #137's order (CrmStore.matches).
        found = self._crm.matches(lead_id, self._faults.wait_state_placement)
        if found.preferred is None:
            return Response.no_content()
        contacts, accounts = found.contacts, found.accounts
        options = {
            "module_preference": {"api_name": found.preferred, "id": MODULE_IDS[found.preferred]},
            "Contacts": [_contact_option(match.record) for match in contacts.records] or None,
            "Accounts": [_account_option(match.record) for match in accounts.records] or None,
            "Deals": None,
            "preference_field_matched_value": {
                "Contacts": _matched_values("Contacts", contacts.matched_values),
                "Accounts": _matched_values("Accounts", accounts.matched_values),
                "Deals": None,
            },
            "modules_with_multiple_layouts": None,
        }
        return Response.json(200, {"__conversion_options": options})

    def locking_information(self, call: Call) -> Response:
        """OAS-new getRecordLockingInformationOfTheRecord: the lead's lock, 204 when it has
        none; an id that is no lead is INVALID_DATA "the related id given seems to be invalid"."""
        lead_id = _record_id(call)
        try:
            lock = self._crm.locking_information(lead_id)
        except KeyError:
            raise top_level_error(
                400, "INVALID_DATA", "the related id given seems to be invalid", {"resource_path_index": 1}
            ) from None
        if lock is None:
            return Response.no_content()
        wanted = requested_fields(call.request)
        info = {"per_page": 200, "count": 1, "page": 1, "more_records": False}
        return Response.json(200, {"data": [only(lock, wanted)], "info": info})

    def list_notes(self, call: Call) -> Response:
        """Get Notes, zoho-crm-api.md §11: `fields` mandatory on every version (the SDK marks it
        required; older versions are not known to differ), per_page up to 200, oldest first."""
        parent_id = _record_id(call)
        module = call.params["module"]
        wanted = requested_fields(call.request)
        if wanted is None:
            raise required_param_missing("fields")
        if not self._crm.has_record(module, parent_id):
            raise invalid_id()
        page = positive_int_param(call.request, "page", default=1, maximum=None)
        per_page = positive_int_param(call.request, "per_page", default=MAX_PER_PAGE, maximum=MAX_PER_PAGE)
        notes = self._crm.notes_of(module, parent_id)
        start = (page - 1) * per_page
        shown = notes[start : start + per_page]
        if not shown:
            return Response.no_content()
        more = start + len(shown) < len(notes)
        info = {"per_page": per_page, "count": len(shown), "page": page, "more_records": more}
        return Response.json(200, {"data": [only(note, wanted) for note in shown], "info": info})

    def add_notes(self, call: Call) -> Response:
        """Both paths, POST {module}/{id}/Notes and POST Notes; each note names its Parent_Id."""
        parent = None
        if "id" in call.params:
            parent = (call.params["module"], _record_id(call))
            if not self._crm.has_record(*parent):
                raise invalid_id()
        body = call.request.json()
        if not isinstance(body, dict):
            raise invalid_body()
        items = body.get("data")
        if not isinstance(items, list) or not items:
            raise missing_field("$.data", "data").top_level()
        # zoho-crm-api.md §13.7: each note's parent module's create scope too, checked before
        # any note is added.
        scopes.check(call.granted, scopes.notes_create_under(_parent_modules(items, call.legacy)))
        results = []
        for index, item in enumerate(items):
            try:
                results.append(self._add_note(item, f"$.data[{index}]", parent, call.legacy))
            except FieldError as problem:
                results.append(problem.wrapped().payload["data"][0])
        succeeded = sum(1 for result in results if result["status"] == "success")
        status = 201 if succeeded == len(results) else 400 if succeeded == 0 else 207
        return Response.json(status, {"data": results})

    def _add_note(
        self, item: Any, path: str, url_parent: tuple[str, str] | None, legacy: bool
    ) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise invalid_field(path, "data", expected_data_type="jsonobject")
        content = item.get("Note_Content")
        if not isinstance(content, str) or not content:
            raise FieldError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "Note_Content", "json_path": f"{path}.Note_Content"},
            )
        title = item.get("Note_Title")
        if title is not None and not isinstance(title, str):
            raise invalid_field(f"{path}.Note_Title", "Note_Title", expected_data_type="string")
        module, parent_id = _note_parent(item, path, legacy)
        if url_parent is not None and (module, parent_id) != url_parent:
            # zoho-crm-api.md §11: on {module}/{id}/Notes the body names the same parent as the URL.
            raise invalid_field(f"{path}.Parent_Id", "Parent_Id")
        if not self._crm.has_record(module, parent_id):
            raise invalid_field(f"{path}.Parent_Id", "Parent_Id")
        note = self._crm.add_note(module, parent_id, title, content)
        creator = {key: note["Created_By"][key] for key in ("name", "id")}
        return {
            "code": "SUCCESS",
            "details": {
                "Modified_Time": note["Modified_Time"],
                "Modified_By": creator,
                "Created_Time": note["Created_Time"],
                "id": note["id"],
                "Created_By": creator,
            },
            "message": "record added",
            "status": "success",
        }


def _converted(call: Call) -> str:
    converted = call.request.param("converted") or "false"
    if converted not in CONVERTED_VALUES:
        raise invalid_param("converted")
    return converted


def _approved(call: Call) -> str:
    """zoho-crm-api.md §14.3: `approved` true (the default), false or both."""
    approved = call.request.param("approved") or "true"
    if approved not in APPROVED_VALUES:
        raise invalid_param("approved")
    return approved


def _record_id(call: Call) -> str:
    record_id = call.params["id"]
    if not is_record_id(record_id):
        raise invalid_id()
    return record_id


def _note_parent(item: dict[str, Any], path: str, legacy: bool) -> tuple[str, str]:
    """The note's parent as (module, id). zoho-crm-api.md §11: Parent_Id is mandatory on both
    paths. v3+ takes {"module": {"api_name": ...}, "id": ...}; v2/v2.1 a plain id beside
    se_module. Whether a version also takes the other form is unverified, so it is refused."""
    parent = item.get("Parent_Id")
    if parent is None:
        raise missing_field(f"{path}.Parent_Id", "Parent_Id")
    if legacy:
        return _legacy_parent(parent, item.get("se_module"), path)
    return _object_parent(parent, path)


def _object_parent(parent: Any, path: str) -> tuple[str, str]:
    if not isinstance(parent, dict):
        raise invalid_field(f"{path}.Parent_Id", "Parent_Id", expected_data_type="jsonobject")
    reference = parent.get("module")
    module = reference.get("api_name") if isinstance(reference, dict) else None
    if module is None:
        raise missing_field(f"{path}.Parent_Id.module", "Parent_Id")
    if parent.get("id") is None:
        raise missing_field(f"{path}.Parent_Id.id", "Parent_Id")
    if module not in PARENT_MODULES.split("|"):
        raise invalid_field(f"{path}.Parent_Id.module", "Parent_Id")
    return module, checked_id(parent["id"], f"{path}.Parent_Id.id", "Parent_Id")


def _parent_modules(items: list[Any], legacy: bool) -> set[str]:
    """The modules of the notes' parents that parse (the others fail on their own)."""
    modules = set()
    for index, item in enumerate(items):
        if isinstance(item, dict):
            try:
                modules.add(_note_parent(item, f"$.data[{index}]", legacy)[0])
            except FieldError:
                continue
    return modules


def _legacy_parent(parent: Any, module: Any, path: str) -> tuple[str, str]:
    parent = checked_id(parent, f"{path}.Parent_Id", "Parent_Id")
    if module is None:
        raise missing_field(f"{path}.se_module", "se_module")
    if module not in PARENT_MODULES.split("|"):
        raise invalid_field(f"{path}.se_module", "se_module")
    return module, parent


def _scheduled(job_id: str) -> dict[str, Any]:
    return {
        "code": "SCHEDULED",
        "details": {"job_id": job_id},
        "message": "Convert lead scheduled successfully",
        "status": "success",
    }


def _legacy_details(conversion: Conversion) -> dict[str, str | None]:
    def record_id(reference: dict[str, str] | None) -> str | None:
        return reference["id"] if reference else None

    return {
        "Contacts": record_id(conversion.contact),
        "Deals": record_id(conversion.deal),
        "Accounts": record_id(conversion.account),
    }


def _contact_option(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": contact["id"],
        "Full_Name": contact["Full_Name"],
        "Email": contact.get("Email"),
        "Phone": contact.get("Phone"),
        "Account_Name": contact.get("Account_Name"),
        "$editable": True,
        "$approval_state": "approved",
    }


def _account_option(account: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": account["id"],
        "Account_Name": account["Account_Name"],
        "$editable": True,
        "$approval_state": "approved",
    }


def _matched_values(module: str, matched: list[tuple[str, Any]]) -> list[dict[str, Any]] | None:
    """One entry per (field, lead value) that matched at least one record, in the order of the
    criteria; a match on the lead's name names the field Full_Name."""
    return [
        {
            "field": {"api_name": api_name, "id": stable_id(module, api_name)},
            "matched_lead_value": str(value),
        }
        for api_name, value in matched
    ] or None
