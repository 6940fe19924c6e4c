"""The path of one request: journal, faults, latency, then the token endpoint, API or control.

Every answer carries X-Emulator-Time-Ms, the time spent here (added latency included), so a
benchmark can subtract the emulator's share from what it measured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from urllib.parse import parse_qsl

from . import credits
from .faults import Faults, error_response
from .journal import Journal, JournalEntry
from .protocol import Request, Response
from .router import Router, invalid_url
from .tokens import TokenAuthority

TOKEN_PATH = "/oauth/v2/token"
CONTROL_PREFIX = "/__emulator/"
TIME_HEADER = "X-Emulator-Time-Ms"
TOKEN_DOWN_PAGE = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


class Gateway:
    def __init__(
        self,
        router: Router,
        tokens: TokenAuthority,
        faults: Faults,
        journal: Journal,
        control: Callable[[Request], Response],
        base_url: Callable[[], str],
        stopping: threading.Event,
        delete_leads: Callable[[Iterable[str]], object],
    ) -> None:
        self._router = router
        self._tokens = tokens
        self._faults = faults
        self._journal = journal
        self._control = control
        self._base_url = base_url
        self._stopping = stopping
        self._delete_leads = delete_leads

    def __call__(self, request: Request) -> Response | None:
        """Answer a request, or return None to have its connection reset."""
        started = time.perf_counter()
        if request.path.startswith(CONTROL_PREFIX):
            # The harness's own calls are not part of what the client under test sent.
            control = self._control(request)
            self._stamp(control, started)
            return control
        endpoint, cost = self._classify(request)
        entry = JournalEntry.of(request, time.time(), endpoint, cost)
        self._journal.record(entry)
        response = self._answer(request)
        elapsed_ms = self._stamp(response, started)
        self._journal.finish(entry, response.status if response else 0, elapsed_ms)
        if response is not None and request.received is not None:
            received = request.received

            def written(at: float) -> None:
                # The journal's duration: from the request line read to the answer written, so
                # the emulator's own HTTP parsing and writing count as the emulator's time.
                self._journal.finish(entry, response.status, (at - received) * 1000)

            response.written = written
        return response

    def _classify(self, request: Request) -> tuple[str, int]:
        """The endpoint and its credits (zoho-crm-api.md §14.7): an API call's whatever it is
        answered; the token endpoint and anything else outside /crm/ cost none."""
        if request.path.startswith("/crm/"):
            return self._router.classify(request)
        if request.path == TOKEN_PATH:
            return f"{request.method} {TOKEN_PATH}", credits.TOKEN
        return f"{request.method} other", 0

    def _answer(self, request: Request) -> Response | None:
        is_api = request.path.startswith("/crm/")
        with self._faults.admitted() if is_api else nullcontext(True) as admitted:
            if not admitted:
                return error_response(429, "TOO_MANY_REQUESTS")
            plan = self._faults.plan(request.method, request.path)
            if plan.delete_leads:
                # faults.delete_leads_before_next: the leads go as the request arrives, before it
                # is processed (as if someone deleted them between a client's two calls).
                self._delete_leads(plan.delete_leads)
            if plan.reset:
                return None
            if is_api:
                self._sleep(self._faults.latency)
            if not plan.hang_after_processing:
                self._sleep(plan.hang_seconds)
            response = plan.replacement or self._route(request)
            if plan.hang_after_processing:
                self._sleep(plan.hang_seconds)
            response.trickle_seconds = plan.trickle_seconds
            return response

    def _route(self, request: Request) -> Response:
        if request.path.startswith("/crm/"):
            return self._router.handle(request)
        if request.path == TOKEN_PATH:
            return self._token(request)
        return invalid_url().response()

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return Response.json(405, {"error": "invalid_request_method"})
        if self._faults.token_down:
            return Response(503, TOKEN_DOWN_PAGE, "text/html")
        params = {key: values[0] for key, values in request.query.items()}
        params.update(parse_qsl(request.body.decode("utf-8", "replace")))
        body = self._tokens.grant(params, self._base_url(), self._faults.token_throttle)
        throttled = body.get("error") == "Access Denied"
        return Response.json(self._faults.token_throttle_status if throttled else 200, body)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    @staticmethod
    def _stamp(response: Response | None, started: float) -> float:
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response is not None:
            response.headers[TIME_HEADER] = f"{elapsed_ms:.3f}"
        return elapsed_ms
