"""All HTTP to Zoho: the OAuth token endpoint and the CRM API, through handlers.platform.http.

Importing this module imports requests, so the rest of the function imports it only where a Zoho
client is built: the import is paid by the first request that needs Zoho, not by every cold start.

Transient failures (429, 5xx, connection errors, timeouts) are retried with exponential backoff
and full jitter until a per-call deadline (ZOHO_RETRY_SECONDS), never past the request's own
deadline (handlers.platform.deadline); a 401 INVALID_TOKEN refreshes the token once and retries once.
Everything else becomes one of the exceptions in handlers.errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from handlers.errors import ZohoBadResponse, ZohoRefused, ZohoUnavailable
from handlers.platform import deadline
from handlers.platform.api_version import ApiVersion
from handlers.platform.credentials import OAuthCredentials
from handlers.platform.http import Http, HttpAnswer, HttpFailure
from handlers.zoho.access_token import (
    AccessToken,
    TokenCache,
    TokenPolicy,
    TokenStore,
    grant_fingerprint,
    parse_token_response,
)
from handlers.zoho.lead import Records, zoho_time
from handlers.zoho.scopes import scope_for

_TOKEN_PATH = "/oauth/v2/token"  # noqa: S105 - a URL path
# Containers inside containers that an answer may nest. Zoho's deepest answers (layouts: sections,
# fields, picklist values, their maps) nest about ten; far below where the JSON parser recurses.
MAX_JSON_DEPTH = 64
RECORDS_PER_PAGE = 200  # a record list's largest page (docs/zoho-api.md, "Record reads")
PAGE_NUMBERS_REACH = 2000  # the records `page` reaches; past them only a page token reads on


class CallCounter:
    """CRM API requests (attempts included); thread-safe, so a sweep's worker threads can share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


_counters: ContextVar[tuple[CallCounter, ...]] = ContextVar("zoho_call_counters", default=())


@contextmanager
def _counting_calls() -> Iterator[CallCounter]:
    """Count the CRM API requests made inside the block (blocks nest; threads started with
    `contextvars.copy_context()` count towards the blocks that were open when they started)."""
    counter = CallCounter()
    token = _counters.set((*_counters.get(), counter))
    try:
        yield counter
    finally:
        _counters.reset(token)


def _count_one() -> None:
    """One request was sent: every counting block open in this context counts it."""
    for counter in _counters.get():
        counter.add()


@dataclass(frozen=True)
class ZohoConfig:
    accounts_url: str
    api_version: str = "v8"
    api_domain: str | None = None  # overrides the token response's api_domain
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retry_seconds: float = 20.0
    backoff_seconds: float = 0.1  # first backoff ceiling; doubles per attempt (full jitter)
    backoff_max_seconds: float = 4.0
    token_cooldown_seconds: float = 120.0
    pool_size: int = 10  # connections kept alive: the request threads that may call at once
    # Where a token's api_domain may point; empty: the origin of accounts_url (a local emulator).
    trusted_api_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # parsed JSON, or None for an empty body

    def error(self) -> ZohoRefused | None:
        """Zoho's error, top-level or the first per-record one inside `data[]`."""
        for item in _error_candidates(self.body):
            if item.get("status") == "error" or (self.status >= 400 and "code" in item):
                return ZohoRefused(
                    str(item.get("code") or "UNKNOWN"),
                    str(item.get("message") or ""),
                    item.get("details") or None,
                    self.status,
                )
        return None


@dataclass(frozen=True)
class ConvertResult:
    records: Records
    job_id: str | None = None  # set when Zoho scheduled the conversion (HTTP 202)


@dataclass(frozen=True)
class MassConvertStatus:
    state: str  # lower case: scheduled, in progress, completed, failed
    total: int
    converted: int
    not_converted: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "failed")


class _Transient(Exception):
    """A failure worth retrying; `cause` names what happened (ReadTimeout, HTTP 503, ...)."""

    def __init__(self, reason: str, retry_after: float | None = None, cause: str | None = None):
        super().__init__(reason)
        self.retry_after = retry_after
        self.cause = cause or reason


class ZohoClient:
    def __init__(
        self,
        config: ZohoConfig,
        credentials: Callable[[], OAuthCredentials],
        token_store: TokenStore | None = None,
        http: Http | None = None,
    ):
        self.config = config
        self.version = ApiVersion(config.api_version)
        self._credentials = credentials
        self._http = http or Http(config.pool_size)
        self._module_ids: dict[str, str] | None = None
        trusted = config.trusted_api_domains or frozenset({_origin(config.accounts_url)})
        policy = TokenPolicy(frozenset() if config.api_domain else trusted)
        self.tokens = TokenCache(
            self._request_token,
            config.token_cooldown_seconds,
            token_store,
            policy=policy,
            token_request_seconds=config.connect_timeout + config.read_timeout,
        )

    @property
    def legacy(self) -> bool:
        return self.version.legacy_shapes

    def counting_calls(self) -> contextlib.AbstractContextManager[CallCounter]:
        """Count the CRM API requests made inside the block, retries included (blocks nest;
        threads started with `contextvars.copy_context()` count towards the blocks open then)."""
        return _counting_calls()

    # --- CRM operations -------------------------------------------------------------------

    def get_lead(self, lead_id: str) -> dict[str, Any] | None:
        """The lead, converted or not; None when Zoho has no such lead."""
        path = f"/Leads/{lead_id}"
        # approved=both: a lead awaiting approval is read too (the default may hide it).
        reply = self._call("GET", path, params={"converted": "both", "approved": "both"})
        if reply.status == 204:
            # Some Zoho versions ignore `converted` on a single record and hide converted leads.
            reply = self._call("GET", path, params={"converted": "true", "approved": "both"})
        if reply.status == 204:
            return None
        error = reply.error()
        if error is not None:
            if error.code == "INVALID_DATA" and error.names_url_id:
                return None
            raise error
        return _first_record(reply, "the lead read")

    def convert_lead(self, lead_id: str, body: dict[str, Any]) -> ConvertResult:
        reply = self._checked("POST", f"/Leads/{lead_id}/actions/convert", json=body)
        item = _first_record(reply, "Convert Lead")
        if reply.status == 202 or item.get("code") == "SCHEDULED":
            details = item.get("details") or {}
            return ConvertResult(Records(), job_id=_text(details.get("job_id")))
        details = item if self.legacy else item.get("details")
        if not isinstance(details, dict) or "Contacts" not in details:
            raise ZohoBadResponse("Convert Lead answered success without the created records")
        return ConvertResult(
            Records(
                contact_id=_record_id(details.get("Contacts")),
                account_id=_record_id(details.get("Accounts")),
                deal_id=_record_id(details.get("Deals")),
            )
        )

    def conversion_options(self, lead_id: str) -> dict[str, Any] | None:
        """Existing contacts and accounts Zoho matches the lead with; None when there are none."""
        reply = self._checked("GET", f"/Leads/{lead_id}/__conversion_options")
        if reply.status == 204:
            return None
        options = reply.body.get("__conversion_options") if isinstance(reply.body, dict) else None
        if not isinstance(options, dict):
            raise ZohoBadResponse("conversion options answered without __conversion_options")
        return options

    def lead_notes(self, lead_id: str) -> Iterator[dict[str, Any]]:
        """Every note of the lead, oldest first, read 200 per page as the caller goes."""
        page = 1
        while True:
            params = {"fields": "Note_Title,Note_Content", "per_page": "200", "page": str(page)}
            reply = self._checked("GET", f"/Leads/{lead_id}/Notes", params=params)
            if reply.status == 204:
                return
            yield from _records(reply) or []
            if not _more_records(reply):
                return
            page += 1

    def add_note(self, lead_id: str, title: str, content: str) -> None:
        """A note on the lead, its parent named as the version expects (docs/zoho-api.md, "Notes")."""
        note: dict[str, Any] = {"Note_Title": title, "Note_Content": content}
        if self.legacy:
            note.update(Parent_Id=lead_id, se_module="Leads")
        else:
            note["Parent_Id"] = {"module": {"api_name": "Leads"}, "id": lead_id}
        self._checked("POST", "/Notes", json={"data": [note]}, once=True)

    def update_note(self, note_id: str, title: str, content: str) -> None:
        """Rewrite a note's text (its parent stays; docs/zoho-api.md, "Notes")."""
        body = {"data": [{"id": note_id, "Note_Title": title, "Note_Content": content}]}
        self._checked("PUT", "/Notes", json=body)

    def recent_notes(self, since: dt.datetime, max_pages: int) -> Iterator[dict[str, Any]]:
        """The notes of every record modified at or after `since`, newest first, 200 a page, for
        at most `max_pages` pages (one call each, however many leads they cover)."""
        for page in range(1, max_pages + 1):
            params = {
                "fields": "Note_Title,Note_Content,Parent_Id,Modified_Time",
                "sort_by": "Modified_Time",
                "sort_order": "desc",
                "per_page": "200",
                "page": str(page),
            }
            reply = self._checked("GET", "/Notes", params=params)
            if reply.status == 204:
                return
            for note in _records(reply) or []:
                modified = zoho_time(note.get("Modified_Time"))
                if modified is not None and modified < since:
                    return
                yield note
            if not _more_records(reply):
                return

    def converted_leads(self, fields: list[str], since: dt.datetime) -> Iterator[dict[str, Any]]:
        """The converted leads modified at or after `since`, newest first: Get Records sorted by
        Modified_Time, 200 a page, by page number up to Zoho's reach of 2,000 records and by page
        token past it (docs/zoho-api.md, "Record reads"). COQL is not used: whether it reads
        converted leads at all is not settled."""
        params = {
            "fields": ",".join(dict.fromkeys(["Modified_Time", *fields])),
            "converted": "true",
            "sort_by": "Modified_Time",
            "sort_order": "desc",
            "per_page": str(RECORDS_PER_PAGE),
        }
        page, token = 1, None
        while True:
            reply = self._checked("GET", "/Leads", params={**params, **_page_or_token(page, token)})
            if reply.status == 204:
                return
            for lead in _records(reply) or []:
                modified = zoho_time(lead.get("Modified_Time"))
                if modified is not None and modified < since:
                    return
                yield lead
            if not _more_records(reply):
                return
            page += 1
            if page * RECORDS_PER_PAGE > PAGE_NUMBERS_REACH:
                token = _next_page_token(reply)
                if token is None:
                    raise ZohoBadResponse(
                        f"Zoho listed more than {PAGE_NUMBERS_REACH:,} converted leads without a page"
                        " token to read on"
                    )

    def query(self, select_query: str) -> tuple[list[dict[str, Any]], bool]:
        """One page of a COQL query: the records and whether more records follow."""
        reply = self._checked("POST", "/coql", json={"select_query": select_query})
        if reply.status == 204:
            return [], False
        records = _records(reply)
        if records is None:
            raise ZohoBadResponse("COQL answered without a list of records in data[]")
        return records, _more_records(reply)

    def get_leads(self, lead_ids: list[str], fields: list[str]) -> list[dict[str, Any]]:
        """Up to 100 leads by id, converted or not, with the given fields."""
        params = {"ids": ",".join(lead_ids), "fields": ",".join(fields), "converted": "both"}
        reply = self._checked("GET", "/Leads", params=params)
        if reply.status == 204:
            return []
        records = _records(reply)
        if records is None:
            raise ZohoBadResponse("the leads read answered without a list of records in data[]")
        return records

    def update_records(self, module: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update Records (at most 100): each record's answer, in order, success or error (Zoho
        answers 207 when some fail). A refusal of the whole call (a scope, a permission) raises."""
        reply = self._call("PUT", f"/{module}", json={"data": records})
        items = _records(reply)
        if items is None or len(items) != len(records):
            error = reply.error()
            if error is not None:
                error.call = scope_for("PUT", f"/{module}")
                raise error
            raise ZohoBadResponse(f"the update of {module} answered without one result per record")
        return items

    def module_ids(self) -> dict[str, str]:
        """API name to module id (Mass Convert names modules by id); read once per instance."""
        if self._module_ids is None:
            body = self.read_metadata("/settings/modules")
            modules = body.get("modules") if body is not None else None
            if not isinstance(modules, list):
                raise ZohoBadResponse("the modules read answered without modules[]")
            self._module_ids = {
                str(module["api_name"]): str(module["id"])
                for module in modules
                if isinstance(module, dict) and module.get("api_name") and module.get("id")
            }
        return self._module_ids

    def mass_convert(self, body: dict[str, Any]) -> str:
        """Schedule a Mass Convert job (at most 50 leads) and return its job id."""
        reply = self._checked("POST", "/Leads/actions/mass_convert", json=body)
        for item in _error_candidates(reply.body):
            job_id = (item.get("details") or {}).get("job_id") if isinstance(item, dict) else None
            if job_id:
                return str(job_id)
        raise ZohoBadResponse("Mass Convert answered without a job id")

    def mass_convert_status(self, job_id: str) -> MassConvertStatus:
        reply = self._checked("GET", "/Leads/actions/mass_convert", params={"job_id": job_id})
        item = _first_record(reply, "Mass Convert status")
        return MassConvertStatus(
            state=str(item.get("Status") or "").strip().lower(),
            total=_count(item.get("Total_Count")),
            converted=_count(item.get("Converted_Count")),
            not_converted=_count(item.get("Not_Converted_Count")),
            failed=_count(item.get("Failed_Count")),
        )

    def read_metadata(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        """A metadata GET (`/settings/...`, `/users`): its JSON object; None when Zoho answers 204
        (nothing there: no pipeline in a layout, no tag in a module)."""
        reply = self._checked("GET", path, params=params)
        if reply.status == 204:
            return None
        if not isinstance(reply.body, dict):
            raise ZohoBadResponse(f"GET {path} answered HTTP {reply.status} without a JSON object")
        return reply.body

    def settings(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> Any:
        """A call to the org's settings (`/settings/...`) that the setup commands make: the parsed
        answer, None for 204; Zoho's error raised as ZohoRefused."""
        reply = self._checked(method, path, params=params, json=json)
        return None if reply.status == 204 else reply.body

    def probe(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> ZohoRefused | None:
        """A call made only to learn whether Zoho lets this token make it: Zoho's refusal, if any."""
        return self._call(method, path, params=params, json=json).error()

    def api_domain(self) -> str | None:
        """Where the calls go: ZOHO_API_DOMAIN, or the current token's api_domain."""
        return self.config.api_domain or self.tokens.current().api_domain

    # --- HTTP -------------------------------------------------------------------------------

    def _checked(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        once: bool = False,
    ) -> Reply:
        """A call whose Zoho error, if any, is raised as ZohoRefused."""
        reply = self._call(method, path, params=params, json=json, once=once)
        error = reply.error()
        if error is not None:
            error.call = scope_for(method, path)
            raise error
        return reply

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        once: bool = False,
    ) -> Reply:
        """One API call: retried while transient, within its window and the request's deadline;
        a rejected token once. `once`: no retry, for a call the caller must check first (a
        note whose answer was lost may have been created)."""
        started = time.monotonic()
        window = deadline.budget(self.config.retry_seconds)
        retrying = Retrying(
            stop=stop_after_attempt(1) if once else stop_before_delay(window),
            wait=self._backoff,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            return retrying(self._authorised, method, path, params, json, started + window)
        except _Transient as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise ZohoUnavailable(
                f"Zoho API still failing after {attempts} attempts in"
                f" {time.monotonic() - started:.1f} s: {exc}"
            ) from None

    def _authorised(
        self, method: str, path: str, params: dict[str, str] | None, json: Any, ends: float
    ) -> Reply:
        token = self.tokens.current()
        reply = self._send(method, path, params, json, token, ends)
        if reply.status == 401 and _code(reply.body) == "INVALID_TOKEN":
            self.tokens.invalidate(token.value)
            reply = self._send(method, path, params, json, self.tokens.current(), ends)
        return reply

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        json: Any,
        token: AccessToken,
        ends: float,
    ) -> Reply:
        domain = self.config.api_domain or token.api_domain
        if not domain:
            raise ZohoBadResponse("the token response named no api_domain; set ZOHO_API_DOMAIN")
        url = f"{domain}/crm/{self.config.api_version}{path}"
        _count_one()
        answer = self._attempt(
            method,
            url,
            f"{method} {path}",
            ends,
            params=params,
            json=json,
            headers={"Authorization": f"Zoho-oauthtoken {token.value}"},
        )
        if answer.status == 429 or answer.status >= 500:
            raise _Transient(
                f"{method} {path} answered HTTP {answer.status} {_code_from(answer)}".rstrip(),
                _retry_after(answer),
            )
        return Reply(answer.status, _json(answer, f"{method} {path}"))

    def _attempt(self, method: str, url: str, what: str, ends: float, **request: Any) -> HttpAnswer:
        """One HTTP attempt within what is left of the call's window and the request's deadline."""
        left = ends - time.monotonic()
        if left <= 0:
            raise _Transient(f"{what} had no time left in its retry window")
        budget = deadline.budget(left)
        try:
            return self._http.send(
                method,
                url,
                budget=budget,
                connect_timeout=self.config.connect_timeout,
                read_timeout=self.config.read_timeout,
                **request,
            )
        except HttpFailure as failure:
            remaining = deadline.remaining()
            if remaining is not None and remaining <= 0:
                raise deadline.exceeded() from None
            raise _Transient(f"{what} {failure}", cause=failure.kind) from None

    def _backoff(self, state: RetryCallState) -> float:
        jitter = wait_random_exponential(
            multiplier=self.config.backoff_seconds, max=self.config.backoff_max_seconds
        )(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Transient) and error.retry_after is not None:
            return min(max(jitter, error.retry_after), self.config.backoff_max_seconds)
        return jitter

    def _request_token(self) -> AccessToken:
        """Exchange the refresh token for an access token: one attempt, never a retry loop."""
        credentials = self._credentials()
        window = deadline.budget(self.config.connect_timeout + self.config.read_timeout)
        try:
            answer = self._attempt(
                "POST",
                self.config.accounts_url + _TOKEN_PATH,
                "the token request",
                time.monotonic() + window,
                form={
                    "grant_type": "refresh_token",
                    "client_id": credentials.client_id,
                    "client_secret": credentials.client_secret,
                    "refresh_token": credentials.refresh_token,
                },
            )
        except _Transient as failure:
            raise ZohoUnavailable(f"Zoho accounts server unreachable for a token ({failure.cause})") from None
        try:
            body = _parse_json(answer.body, big_integers=False)
        except _Unrepresentable as problem:
            raise ZohoBadResponse(
                f"Zoho token endpoint answered HTTP {answer.status} with {problem}"
            ) from None
        except ValueError:
            raise ZohoUnavailable(f"Zoho token endpoint answered HTTP {answer.status} without JSON") from None
        if not isinstance(body, dict):
            raise ZohoUnavailable("Zoho token endpoint answered an unexpected JSON shape")
        return parse_token_response(body, answer.status, grant_fingerprint(credentials.refresh_token))


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _json(answer: HttpAnswer, what: str) -> Any:
    """The answer's JSON; None for an empty body; ZohoBadResponse saying why it cannot be read."""
    if not answer.body:
        return None
    try:
        return _parse_json(answer.body)
    except _Unrepresentable as problem:
        raise ZohoBadResponse(f"{what} answered HTTP {answer.status} with {problem}") from None
    except ValueError:
        raise ZohoBadResponse(f"{what} answered HTTP {answer.status} with a body that is not JSON") from None


class _Unrepresentable(Exception):
    """JSON that is valid text but that this process cannot hold as Zoho meant it."""


# A JSON string, escapes included: its brackets are text, not nesting.
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_OPENING_AND_CLOSING = bytes.maketrans(b"[{]}", b"(())")
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


def _parse_json(body: bytes, *, big_integers: bool = True) -> Any:
    """`body` parsed; _Unrepresentable for what valid-looking JSON this process cannot hold,
    ValueError when it is not JSON at all.

    Refused: nesting deeper than MAX_JSON_DEPTH (measured before parsing, so no answer can make
    the parser recurse until it fails), NaN and Infinity (JSON has no such numbers), a float
    beyond the float range (it would be read as infinity), and an integer longer than Python
    converts (sys.get_int_max_str_digits(), 4300 digits by default). Any shorter integer is kept
    exactly, however large: one lead with a 400-digit number must not make a whole COQL page
    unreadable. With `big_integers=False` (the token answer, whose numbers are used as floats)
    an integer beyond the float range is refused too.
    """
    if _nested_deeper_than(body, MAX_JSON_DEPTH):
        raise _Unrepresentable(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(
            body,
            parse_float=_finite_float,
            parse_int=_whole_number if big_integers else _float_sized_whole_number,
            parse_constant=_no_constant,
        )
    except RecursionError:  # unbalanced brackets the depth count leaves to the parser
        raise _Unrepresentable(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


def _nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether containers nest more than `limit` deep, counted without recursion.

    The strings are dropped and only the brackets kept, as ( and ); each pass then removes every
    innermost pair, one level of nesting. Unbalanced brackets are left to the parser to refuse.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(_OPENING_AND_CLOSING, _NOT_A_BRACKET)
    for _ in range(limit):
        inner_removed = brackets.replace(b"()", b"")
        if inner_removed == brackets:
            return False  # empty, or unbalanced
        brackets = inner_removed
    return b"()" in brackets


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Unrepresentable("a number that cannot be represented (a float of magnitude beyond 1.8e308)")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        raise _Unrepresentable(
            "a number that cannot be represented"
            f" (an integer of more than {sys.get_int_max_str_digits()} digits)"
        ) from None


def _float_sized_whole_number(text: str) -> int:
    value = _whole_number(text)
    if abs(value) > sys.float_info.max:
        raise _Unrepresentable("a number that cannot be represented (an integer of magnitude beyond 1.8e308)")
    return value


def _no_constant(text: str) -> Any:
    raise _Unrepresentable(f"a number that cannot be represented ({text})")


# Where an answer carries its items: records in `data`; the automation settings in their own key,
# as an array or, for some errors, a single object (docs/zoho-api.md, "Webhooks and workflow rules").
ITEM_KEYS = ("data", "webhooks", "workflow_rules")


def _error_candidates(body: Any) -> Iterator[dict[str, Any]]:
    if isinstance(body, dict):
        yield body
        for key in ITEM_KEYS:
            items = body.get(key)
            if isinstance(items, list) and items and isinstance(items[0], dict):
                yield items[0]
            elif isinstance(items, dict):
                yield items


def _records(reply: Reply) -> list[dict[str, Any]] | None:
    """The records in `data[]`; None when the answer has no such list of objects."""
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    if not isinstance(data, list) or not all(isinstance(record, dict) for record in data):
        return None
    return data


def _more_records(reply: Reply) -> bool:
    info = reply.body.get("info") if isinstance(reply.body, dict) else None
    return bool(isinstance(info, dict) and info.get("more_records"))


def _next_page_token(reply: Reply) -> str | None:
    info = reply.body.get("info") if isinstance(reply.body, dict) else None
    token = info.get("next_page_token") if isinstance(info, dict) else None
    return token if isinstance(token, str) and token else None


def _page_or_token(page: int, token: str | None) -> dict[str, str]:
    """Past the reach of page numbers, the token Zoho gave with the last page decides the next."""
    return {"page_token": token} if token else {"page": str(page)}


def _first_record(reply: Reply, what: str) -> dict[str, Any]:
    records = _records(reply)
    if not records:
        raise ZohoBadResponse(f"{what} answered HTTP {reply.status} without a record in data[]")
    return records[0]


def _code(body: Any) -> str | None:
    return body.get("code") if isinstance(body, dict) else None


def _code_from(answer: HttpAnswer) -> str:
    """The error code of a failed answer, for the retry's message; empty when it has none."""
    try:
        return str(_code(_parse_json(answer.body)) or "")
    except (ValueError, _Unrepresentable):
        return ""


def _retry_after(answer: HttpAnswer) -> float | None:
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _record_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
