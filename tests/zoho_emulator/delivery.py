"""Webhook deliveries: the HTTP request a fired webhook makes (zoho-crm-api.md §7.2, §15.2), sent
by a background worker so that saving a lead never waits on a receiver.

The request (§7.2: for webhooks made through the API, the key decides the placement):
- `http_method` to `url`, its merge fields filled in and URL-quoted;
- `url_parameters` (GET, DELETE) appended to the query string;
- `headers.custom_parameters` and `headers.module_parameters` as HTTP headers, names as given
  (their case kept: whether Zoho keeps it is UNVERIFIED, §15.11 item 3), merge fields filled in
  (CHOSEN: in every value; a CR or LF a field brings into a header value becomes a space);
- `body` (POST, PUT): `raw` as its text with the merge fields filled in, `Content-Type:
  text/plain;charset=UTF-8` whatever its `format` (CHOSEN, the riskier reading: what Zoho sends
  is UNVERIFIED, §15.11 item 3, so a receiver must not rely on `application/json`);
  `form_data` URL-encoded (`application/x-www-form-urlencoded;charset=UTF-8`, CHOSEN: urlencoded
  or multipart is UNVERIFIED, §7.2); `none` no body. A header the webhook names replaces the
  emulator's own of that name (`User-Agent`, `Content-Type`).

Each delivery is one attempt (§7.2: no retries are documented) with a timeout of
`DEFAULT_TIMEOUT` seconds per socket operation (CHOSEN: Zoho's is UNVERIFIED); redirects are not
followed. An answer other than 2xx, or none, is a failure with a `failure_reason`: `page_notfound`
for 404 (§15.7, the one value documented); CHOSEN names for the rest (§15.11 item 10):
`client_error` (another 4xx), `internal_server_error` (5xx), `redirection` (3xx), `timeout`,
`connection_failure` (refused, reset, unknown host), `invalid_response` (not HTTP).
"""

from __future__ import annotations

import http.client
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from . import merge_fields

DEFAULT_TIMEOUT = 10.0
RAW_CONTENT_TYPE = "text/plain;charset=UTF-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"
USER_AGENT = "ZohoCRM-Emulator-Webhook/1.0"


@dataclass(frozen=True)
class Job:
    """A webhook fired for a lead: the webhook and the lead as they were when the rule fired."""

    generation: int  # the automation state it belongs to (a reset starts a new one)
    rule_id: str
    rule_name: str
    webhook_id: str
    webhook: dict[str, Any]
    lead: dict[str, Any]


@dataclass(frozen=True)
class Outbound:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the receiver's HTTP status; None when it gave none
    error: str | None  # what went wrong when there is no status
    failure_reason: str | None  # None when delivered (2xx)


@dataclass(frozen=True)
class Delivery:
    """One webhook request the emulator made, and what came of it."""

    rule_id: str
    webhook_id: str
    lead_id: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int | None
    error: str | None
    failure_reason: str | None
    time: str  # the emulator's clock when it was sent

    @property
    def delivered(self) -> bool:
        return self.failure_reason is None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "webhook_id": self.webhook_id,
            "lead_id": self.lead_id,
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "error": self.error,
            "failure_reason": self.failure_reason,
            "delivered": self.delivered,
            "time": self.time,
        }


def outbound(webhook: dict[str, Any], record: dict[str, Any]) -> Outbound:
    """The request a webhook makes for a record (the module doc says how)."""
    url = merge_fields.render(webhook["url"], record, lambda value: quote(value, safe=""))
    query = _pairs(webhook.get("url_parameters"), record)
    if query:
        url += ("&" if urlsplit(url).query else "?") + urlencode(query)
    headers: dict[str, tuple[str, str]] = {"user-agent": ("User-Agent", USER_AGENT)}
    body: bytes | None = None
    content = webhook.get("body")
    if content is not None and content["type"] == "raw":
        body = merge_fields.render(content["raw_data_content"], record).encode()
        headers["content-type"] = ("Content-Type", RAW_CONTENT_TYPE)
    elif content is not None and content["type"] == "form_data":
        body = urlencode(_pairs(content["form_data_content"], record)).encode()
        headers["content-type"] = ("Content-Type", FORM_CONTENT_TYPE)
    for name, value in _pairs(webhook.get("headers"), record):
        headers[name.lower()] = (name, " ".join(value.splitlines()))
    return Outbound(webhook["http_method"], url, tuple(headers.values()), body)


def _pairs(collections: dict[str, Any] | None, record: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of every parameter of every collection, merge fields filled in."""
    if not collections:
        return []
    return [
        (parameter["name"], merge_fields.render(parameter["value"], record))
        for parameters in collections.values()
        for parameter in parameters or ()
    ]


def send(request: Outbound, timeout: float) -> Outcome:
    """One attempt; never raises."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        connection = kind(parts.hostname or "", parts.port, timeout=timeout)
        try:
            headers = {name: value.encode() for name, value in request.headers}
            connection.request(request.method, target, body=request.body, headers=headers)
            answer = connection.getresponse()
            answer.read()
        finally:
            connection.close()
    except TimeoutError as problem:
        return Outcome(None, f"timed out: {problem}", "timeout")
    except http.client.HTTPException as problem:
        return Outcome(None, f"{type(problem).__name__}: {problem}", "invalid_response")
    except (OSError, ValueError) as problem:
        return Outcome(None, f"{type(problem).__name__}: {problem}", "connection_failure")
    return Outcome(answer.status, None, failure_reason(answer.status))


def failure_reason(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if status == 404:
        return "page_notfound"  # zoho-crm-api.md §15.7
    if 500 <= status < 600:
        return "internal_server_error"
    if 300 <= status < 400:
        return "redirection"
    return "client_error"


@dataclass
class _Worker:
    jobs: queue.Queue[Job | None] = field(default_factory=queue.Queue)
    stopping: bool = False
    thread: threading.Thread | None = None


class Outbox:
    """A queue of jobs and one worker thread that hands them, in order, to `handle` (which
    sends and records; it must not raise). Started on the first job; `wait` returns once every
    job submitted has been handled; `stop` drops the jobs not started and ends the thread."""

    def __init__(self, handle: Callable[[Job], None]) -> None:
        self._handle = handle
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._worker: _Worker | None = None

    def submit(self, job: Job) -> None:
        with self._lock:
            self._pending += 1
            if self._worker is None:
                self._worker = _Worker()
                self._worker.thread = threading.Thread(
                    target=self._run, args=(self._worker,), name="zoho-emulator-webhooks", daemon=True
                )
                self._worker.thread.start()
            self._worker.jobs.put(job)  # under the lock: never behind a stop's sentinel

    def wait(self, timeout: float) -> bool:
        """True once nothing is queued or being sent; False when `timeout` seconds pass first."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self, timeout: float) -> None:
        """Drop the queued jobs and end the worker (waiting up to `timeout` seconds for the
        delivery under way, if any)."""
        with self._lock:
            worker, self._worker = self._worker, None
            if worker is None:
                return
            worker.stopping = True
            worker.jobs.put(None)
        if worker.thread is not None:
            worker.thread.join(timeout)

    def _run(self, worker: _Worker) -> None:
        while True:
            job = worker.jobs.get()
            if job is None:
                return
            try:
                if not worker.stopping:
                    self._handle(job)
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()
