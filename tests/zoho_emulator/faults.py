"""Fault injection: latency, a concurrency limit, and scripted failures of chosen calls; also the
settings a test lowers to reach Zoho's limits cheaply (the COQL offset ceiling).

A fault without `path` applies to CRM API calls (/crm/...) only; with `path` (a regex searched in
the request path) it applies to any emulated call, the token endpoint included.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from .clock import Clock
from .page_tokens import PageTokens
from .protocol import JSON_TYPE, Response, error_body
from .tokens import TokenAuthority

ERROR_MESSAGES = {
    "INTERNAL_ERROR": "Internal Server Error",
    "TOO_MANY_REQUESTS": "too many requests. please try again after some time",
}


@dataclass
class _Rule:
    remaining: int
    path: re.Pattern[str] | None
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0 or (self.method and self.method.upper() != method):
            return False
        if self.path is None:
            return path.startswith("/crm/")
        return self.path.search(path) is not None


@dataclass
class _Failure(_Rule):
    status: int = 500
    code: str = "INTERNAL_ERROR"
    after: int = 0  # matching calls let through before the failures start

    def response(self) -> Response:
        return error_response(self.status, self.code)


@dataclass
class _Hang(_Rule):
    seconds: float = 0.0
    after_processing: bool = False


@dataclass
class _Trickle(_Rule):
    seconds_per_byte: float = 0.0


@dataclass
class _Malformed(_Rule):
    body: bytes = b""
    status: int = 200
    content_type: str = JSON_TYPE


@dataclass
class _Deletion(_Rule):
    lead_ids: tuple[str, ...] = ()


@dataclass
class _FractionFailure:
    fraction: float
    failure: _Failure
    rng: random.Random


@dataclass(frozen=True)
class FaultPlan:
    """What the server must do to one request, decided when it arrives."""

    reset: bool = False
    hang_seconds: float = 0.0
    hang_after_processing: bool = False
    replacement: Response | None = None  # answer this instead of processing the request
    trickle_seconds: float = 0.0  # write the answer a byte at a time, this long apart
    delete_leads: tuple[str, ...] = ()  # delete these leads before anything else happens


def error_response(status: int, code: str) -> Response:
    message = ERROR_MESSAGES.get(code, code.lower().replace("_", " "))
    return Response.json(status, error_body(code, message))


@dataclass
class Faults:
    tokens: TokenAuthority
    latency: float = 0.0
    concurrency_limit: int | None = None
    token_throttle: bool = False
    token_throttle_status: int = 200  # Zoho documents 200; some clients have seen 400
    token_down: bool = False
    mass_convert_seconds: float = 0.2
    mass_convert_fail_ids: set[str] = field(default_factory=set)
    # COQL's LIMIT/OFFSET ceiling (zoho-crm-api.md §10 ceiling); None is the documented value of
    # the called version. A small value lets a test reach the ceiling without 100,000 leads.
    coql_offset_ceiling: int | None = None
    # zoho-crm-api.md §10: whether an `in (...)` counts as one of the 25 criteria or one per value
    # is unsettled; by default each value counts (the reading that refuses more).
    coql_in_counts_once: bool = False
    # Lead fields the token's user may not see (field-level security): left out of record reads.
    hidden_fields: set[str] = field(default_factory=set)
    # zoho-crm-api.md §14.1, §14.11 item 1: where Convert puts a wait state's refusal, "wrapped"
    # in data[] or "root" (unverified; both are HTTP 400).
    wait_state_placement: str = "wrapped"
    # zoho-crm-api.md §14.5: the form of a picklist option Convert's Deals picklists take,
    # "actual", "display" or "reference" (unverified which Zoho takes).
    picklist_reading: str = "actual"
    page_tokens: PageTokens = field(default_factory=PageTokens)
    # The org's clock (shared with the store): `clock_offset_seconds` moves it.
    clock: Clock = field(default_factory=Clock)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: int = 0
    _failures: list[_Failure] = field(default_factory=list)
    _fraction: _FractionFailure | None = None
    _resets: list[_Rule] = field(default_factory=list)
    _hangs: list[_Hang] = field(default_factory=list)
    _malformed: list[_Malformed] = field(default_factory=list)
    _trickles: list[_Trickle] = field(default_factory=list)
    _deletions: list[_Deletion] = field(default_factory=list)
    _scheduled_converts: int = 0

    def fail_next(
        self,
        n: int,
        status: int = 500,
        code: str = "INTERNAL_ERROR",
        path: str | None = None,
        method: str | None = None,
        after: int = 0,
    ) -> None:
        """The next n matching calls answer `status` with a Zoho error body of `code`; with
        `after`, that many matching calls succeed first (to fail, say, a sweep's second page)."""
        with self._lock:
            self._failures.append(_Failure(n, _compile(path), method, status, code, after))

    def fail_fraction(
        self,
        fraction: float,
        status: int = 500,
        code: str = "INTERNAL_ERROR",
        path: str | None = None,
        seed: int | None = None,
    ) -> None:
        """A random share of matching calls fails, until cleared (reproducible with `seed`)."""
        with self._lock:
            failure = _Failure(1, _compile(path), None, status, code)
            self._fraction = _FractionFailure(fraction, failure, random.Random(seed))

    def reset_next(self, n: int, path: str | None = None, method: str | None = None) -> None:
        """The next n matching calls get their connection reset (TCP RST) and no answer."""
        with self._lock:
            self._resets.append(_Rule(n, _compile(path), method))

    def hang_next(
        self,
        n: int,
        seconds: float,
        path: str | None = None,
        method: str | None = None,
        after_processing: bool = False,
    ) -> None:
        """Delay the next n matching answers; with after_processing the operation happens first."""
        with self._lock:
            self._hangs.append(_Hang(n, _compile(path), method, seconds, after_processing))

    def trickle_next(
        self, n: int, seconds_per_byte: float, path: str | None = None, method: str | None = None
    ) -> None:
        """The next n matching answers are written a byte at a time, `seconds_per_byte` apart:
        each read gets a byte before any read timeout, so only a total deadline stops the client."""
        with self._lock:
            self._trickles.append(_Trickle(n, _compile(path), method, seconds_per_byte))

    def malformed_next(
        self,
        n: int,
        body: bytes = b"<html>oops",
        status: int = 200,
        path: str | None = None,
        content_type: str = JSON_TYPE,
    ) -> None:
        """The next n matching calls answer `body` as is (not processed)."""
        with self._lock:
            self._malformed.append(_Malformed(n, _compile(path), None, body, status, content_type))

    def delete_leads_before_next(
        self,
        lead_ids: Iterable[str],
        path: str | None = None,
        method: str | None = None,
        n: int = 1,
    ) -> None:
        """When the next matching call arrives, delete these leads before it is processed: the
        moment between a client's COQL page and its next call when someone deletes a lead it
        read. Ids that are no lead (any more) are passed over. With n > 1 the next n matching
        calls each delete those of the leads still there."""
        if isinstance(lead_ids, str):
            raise TypeError("lead_ids is a list of lead ids, not one string")
        with self._lock:
            self._deletions.append(_Deletion(n, _compile(path), method, tuple(lead_ids)))

    def schedule_next_convert(self, n: int) -> None:
        """The next n successful converts answer 202 SCHEDULED with a job id.

        The conversion itself still happens at once, so a later read shows the lead converted.
        """
        with self._lock:
            self._scheduled_converts += n

    def take_scheduled_convert(self) -> bool:
        with self._lock:
            if self._scheduled_converts <= 0:
                return False
            self._scheduled_converts -= 1
            return True

    @property
    def clock_offset_seconds(self) -> float:
        """How far the org's clock is from the real time (seconds; negative is behind)."""
        return self.clock.offset_seconds

    @clock_offset_seconds.setter
    def clock_offset_seconds(self, seconds: float) -> None:
        self.clock.offset_seconds = seconds

    def revoke_tokens(self) -> None:
        """Every access token issued so far now answers INVALID_TOKEN."""
        self.tokens.revoke_all()

    def expire_page_tokens(self) -> None:
        """Every page token issued so far now answers EXPIRED_VALUE (zoho-crm-api.md §14.10)."""
        self.page_tokens.expire_all()

    def clear(self) -> None:
        with self._lock:
            self.latency = 0.0
            self.concurrency_limit = None
            self.token_throttle = False
            self.token_throttle_status = 200
            self.token_down = False
            self.mass_convert_seconds = 0.2
            self.mass_convert_fail_ids = set()
            self.coql_offset_ceiling = None
            self.coql_in_counts_once = False
            self.hidden_fields = set()
            self.wait_state_placement = "wrapped"
            self.picklist_reading = "actual"
            self.clock.reset()
            self._failures.clear()
            self._fraction = None
            self._resets.clear()
            self._hangs.clear()
            self._malformed.clear()
            self._trickles.clear()
            self._deletions.clear()
            self._scheduled_converts = 0

    def plan(self, method: str, path: str) -> FaultPlan:
        """Consume the faults that apply to this request."""
        with self._lock:
            deletion = _take(self._deletions, method, path)
            delete_leads = deletion.lead_ids if deletion else ()
            if _take(self._resets, method, path):
                return FaultPlan(reset=True, delete_leads=delete_leads)
            hang = _take(self._hangs, method, path)
            trickle = _take(self._trickles, method, path)
            replacement = None
            failure = _take(self._failures, method, path)
            fraction = self._fraction
            if (
                failure is None
                and fraction is not None
                and fraction.failure.matches(method, path)
                and fraction.rng.random() < fraction.fraction
            ):
                failure = fraction.failure
            if failure is not None:
                replacement = failure.response()
            elif malformed := _take(self._malformed, method, path):
                replacement = Response(malformed.status, malformed.body, malformed.content_type)
        return FaultPlan(
            hang_seconds=hang.seconds if hang else 0.0,
            hang_after_processing=bool(hang and hang.after_processing),
            replacement=replacement,
            trickle_seconds=trickle.seconds_per_byte if trickle else 0.0,
            delete_leads=delete_leads,
        )

    @contextmanager
    def admitted(self) -> Iterator[bool]:
        """Count one API call in flight; yields False (not counted) when over the limit."""
        with self._lock:
            limit = self.concurrency_limit
            admitted = limit is None or self._in_flight < limit
            if admitted:
                self._in_flight += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._in_flight -= 1


RuleT = TypeVar("RuleT", bound=_Rule)


def _compile(path: str | None) -> re.Pattern[str] | None:
    return re.compile(path) if path is not None else None


def _take(rules: list[RuleT], method: str, path: str) -> RuleT | None:
    for rule in rules:
        if rule.matches(method, path):
            if isinstance(rule, _Failure) and rule.after > 0:
                rule.after -= 1
                continue
            rule.remaining -= 1
            if rule.remaining == 0:
                rules.remove(rule)
            return rule
    return None
