"""Endpoints that work on many records: Mass Convert with its job status, and COQL queries."""

from __future__ import annotations

from . import credits, permissions, scopes
from .conversion import invalid_mass_convert_id, parse_mass_convert_body
from .coql import limits_for, module_named, parse, run
from .crm import CrmStore
from .faults import Faults
from .mass_convert import MassConvertJobs
from .metadata import FieldDef
from .protocol import (
    FieldError,
    Response,
    invalid_body,
    invalid_field,
    invalid_param,
    missing_field,
    required_param_missing,
)
from .router import Call, Route


class BulkEndpoints:
    def __init__(self, crm: CrmStore, jobs: MassConvertJobs, faults: Faults) -> None:
        self._crm = crm
        self._jobs = jobs
        self._faults = faults

    def routes(self) -> list[Route]:
        # zoho-crm-api.md §12: Mass Convert and its status from v4, COQL from v2.
        # zoho-crm-api.md §13.7: their scopes. §14.2, §14.8: the submission and the status poll
        # need the Mass Convert permission (which needs Convert Leads).
        return [
            Route(
                "POST",
                r"Leads/actions/mass_convert",
                self.mass_convert,
                since=4,
                scopes=scopes.MASS_CONVERT,
                permissions=(permissions.MASS_CONVERT_LEADS,),
                credits=credits.MASS_CONVERT,  # zoho-crm-api.md §14.7 (credits.py)
            ),
            Route(
                "GET",
                r"Leads/actions/mass_convert",
                self.mass_convert_status,
                since=4,
                scopes=scopes.MASS_CONVERT_STATUS,
                permissions=(permissions.MASS_CONVERT_LEADS,),
            ),
            Route(
                "POST",
                r"coql",
                self.coql,
                scopes=scopes.COQL,  # and the queried module's, checked in `coql`
                credits=lambda request: credits.coql(request.json()),
            ),
        ]

    def mass_convert(self, call: Call) -> Response:
        """Schedule a job. Answers the bare SuccessResponse object, without a data[] envelope,
        as the v7 documentation's sample and the v8 SDK's MassConvertOperations parse it.

        zoho-crm-api.md §14.2: every refusal is a root object and nothing is scheduled."""
        request = parse_mass_convert_body(call.request.json())
        conversion = request.conversion
        try:
            # zoho-crm-api.md §14.2: an id that is no lead (never was, or deleted) refuses the
            # whole submission; an already converted lead only fails inside the job (which ids
            # do which is unverified: only ids the API could never convert refuse here).
            missing = self._crm.first_missing_lead(request.listed)
            if missing is not None:
                raise invalid_mass_convert_id(missing)
            if conversion.deal is not None:
                self._crm.check_deal(conversion.deal, "$.Deals", self._faults.picklist_reading)
            assignee = self._crm.user(conversion.assign_to or "")
            if assignee is None or not assignee.can_own_records:
                raise invalid_field("$.assign_to", "assign_to")
            if conversion.portal_user_type is not None:  # zoho-crm-api.md §3.1, §14.2
                self._crm.check_portal_user_type(conversion.portal_user_type)
        except FieldError as problem:
            raise problem.top_level() from None
        job_id = self._jobs.submit(request.ids, conversion)
        return Response.json(
            202,
            {
                "code": "SCHEDULED",
                "details": {"job_id": job_id},
                "message": "Mass Convert scheduled successfully",
                "status": "success",
            },
        )

    def mass_convert_status(self, call: Call) -> Response:
        job_id = call.request.param("job_id")
        if not job_id:
            raise required_param_missing("job_id")
        status = self._jobs.status(job_id)
        if status is None:
            raise invalid_param("job_id")
        return Response.json(200, {"data": [status]})

    def coql(self, call: Call) -> Response:
        """A query over Leads, Contacts, Accounts or Deals. Converted leads are never returned,
        as in Zoho's COQL; the page size and the offset ceiling depend on the called version
        (zoho-crm-api.md §10 page and ceiling)."""
        body = call.request.json()
        query = body.get("select_query") if isinstance(body, dict) else None
        # zoho-crm-api.md §13.7: the queried module's read scope too, before the query is read.
        module = module_named(query) if isinstance(query, str) else None
        scopes.check(call.granted, scopes.coql_module(module))
        if not isinstance(body, dict):
            raise invalid_body()
        if not isinstance(query, str) or not query.strip():
            raise missing_field("$.select_query", "select_query").top_level()
        limits = limits_for(call.version, self._faults.coql_offset_ceiling, self._faults.coql_in_counts_once)
        parsed = parse(query, self._fields_of, limits)
        page = self._crm.query_records(parsed.module, lambda records: run(parsed, records))
        if not page.rows:
            return Response.no_content()
        info = {"count": len(page.rows), "more_records": page.more_records}
        return Response.json(200, {"data": page.rows, "info": info})

    def _fields_of(self, module: str) -> dict[str, FieldDef]:
        return {field.api_name: field for field in self._crm.field_definitions(module)}
