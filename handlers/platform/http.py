"""HTTP through one `requests.Session` per instance: pooled, no retries of its own, bounded in time.

`requests` timeouts bound each socket operation, not the whole answer: a server that trickles a
byte a second never times out. So every call also gets a total budget (what is left of the retry
window and of the request's deadline); a watchdog shuts the connection down when the budget is
spent (one watchdog thread serves every call), and the call fails at once. A call the watchdog cut
is a failure whatever was read before the cut (a status line without the rest of its headers
reads as a whole answer to http.client). The callers (handlers.zoho.client) retry with backoff. The same
watchdog bounds the read of a webhook's body (reads_cut_after).

An answer is read as it streams in, up to MAX_ANSWER_BYTES (decoded), and refused past it, so a
runaway answer costs at most the cap in memory, never its own size.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
import urllib3
from requests.adapters import HTTPAdapter

from handlers.errors import ZohoBadResponse

# The largest answer read from Zoho, decoded. The largest the product legitimately gets is a COQL
# page: 2,000 records of up to 50 fields; with every field a single-line text at its 255-character
# limit that is 26 MiB of JSON (docs/architecture.md, "Secrets and hostile input"). The Leads and
# Deals fields metadata with type=all is far smaller (about 4 KB a field with its picklist and
# profiles: a few MB for the largest module). Past the cap the call is refused; reading and parsing
# an answer at the cap takes about 100 MB, within the webhook's 256 MB.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
_CHUNK_BYTES = 256 * 1024


class HttpFailure(Exception):
    """No answer: the connection failed or timed out, or the budget ran out (`cut`)."""

    def __init__(self, reason: str, kind: str, cut: bool = False):
        super().__init__(reason)
        self.kind, self.cut = kind, cut  # kind: the exception's name, e.g. ReadTimeout


class AnswerTooLarge(ZohoBadResponse):
    """The answer is larger than the cap: refused, not retried (it would be as large again)."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Http:
    def __init__(self, pool_size: int, max_answer_bytes: int = MAX_ANSWER_BYTES):
        self._max_answer_bytes = max_answer_bytes
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or netrc lookups per call; Zoho is reached directly
        # Requests are prepared here and handed to the adapter, not to Session.request: no cookies,
        # auth, params, proxies, hooks or redirects to merge or follow, so none of the session's
        # per-call work (a third of the function's own time per webhook); the session's default
        # headers (User-Agent, Accept-Encoding, ...) are sent as before, and answers are not
        # followed (Zoho's API answers, never redirects, are what the client reads).
        self._adapter = _CuttableAdapter(pool_connections=4, pool_maxsize=max(1, pool_size), max_retries=0)
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)

    def send(
        self,
        method: str,
        url: str,
        *,
        budget: float,
        connect_timeout: float,
        read_timeout: float,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """One attempt, done within `budget` seconds whatever the server does: its answer, read
        whole; HttpFailure when there is none (a cut answer is none); AnswerTooLarge past the cap."""
        slot = _Slot()
        _current.slot = slot
        _WATCHDOG.watch(slot, budget)
        failure: requests.RequestException | AnswerTooLarge | None = None
        try:
            # The parts of PreparedRequest.prepare a call to Zoho uses: no cookies (an empty jar
            # still parses the URL twice a call), no auth, no hooks.
            request = requests.PreparedRequest()
            request.prepare_method(method)
            request.prepare_url(url, urllib.parse.urlencode(params) if params else "")
            request.prepare_headers({**self._session.headers, **(headers or {})})
            request.prepare_body(data=form, files=None, json=json)
            response = self._adapter.send(
                request,
                stream=True,
                timeout=(min(connect_timeout, budget), min(read_timeout, budget)),
                verify=True,
                proxies={},
            )
            try:
                body = self._read(response, method, url)
            finally:
                response.close()
        except (requests.RequestException, AnswerTooLarge) as exc:
            failure = exc
        finally:
            _current.slot = None
            cut = slot.finish()
        if cut:  # whatever was read: a status line alone reads as an answer with no body
            kind = failure.__class__.__name__ if failure is not None else "Cut"
            raise HttpFailure("took longer than its time budget", kind, cut=True) from None
        if isinstance(failure, AnswerTooLarge):
            raise failure
        if failure is not None:
            kind = failure.__class__.__name__
            if isinstance(failure, requests.Timeout):
                reason = f"timed out ({kind})"
            else:
                reason = f"connection failed ({kind})"
            raise HttpFailure(reason, kind) from None
        return HttpAnswer(response.status_code, response.headers, body)

    def _read(self, response: requests.Response, method: str, url: str) -> bytes:
        """The answer's body, decoded, as it streams in; AnswerTooLarge past the cap, before more
        than the cap and one chunk is held."""
        cap = self._max_answer_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _too_large(method, url, cap, f"{int(declared):,} bytes announced")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise _too_large(method, url, cap, "read up to the cap")
        return b"".join(chunks)


def _too_large(method: str, url: str, cap: int, what: str) -> AnswerTooLarge:
    path = urllib.parse.urlsplit(url).path
    return AnswerTooLarge(
        f"{method} {path} answered more than {cap / (1024 * 1024):g} MiB, the cap on a Zoho"
        f" answer ({what}): refused"
    )


def reads_cut_after(sock: socket.socket, seconds: float) -> contextlib.AbstractContextManager[_Slot]:
    """Inside the block, `sock` is shut down for reading once `seconds` have passed: a read that
    waits for more then ends as if the peer had finished. The slot tells whether it happened. For
    a request body its client trickles (handlers.doors.webhook); the answer can still be written."""
    return _cut_after(_Socket(sock), seconds, socket.SHUT_RD)


@contextlib.contextmanager
def _cut_after(connection: _Connection, seconds: float, how: int) -> Iterator[_Slot]:
    slot = _Slot(how)
    slot.use(connection)
    _WATCHDOG.watch(slot, seconds)
    try:
        yield slot
    finally:
        slot.finish()


class _Connection(Protocol):
    @property
    def sock(self) -> socket.socket | None: ...


@dataclass(frozen=True)
class _Socket:
    sock: socket.socket


class _Slot:
    """The connection one call is using, so the watchdog (another thread) can cut it."""

    def __init__(self, how: int = socket.SHUT_RDWR) -> None:
        self.connection: _Connection | None = None
        self.was_cut = False
        self.done = False
        self._how = how  # what a cut shuts down: both ways for a call to Zoho
        self._lock = threading.Lock()

    def use(self, connection: _Connection) -> None:
        with self._lock:
            self.connection = connection
            if self.was_cut:
                _shut(connection, self._how)

    def cut(self) -> None:
        with self._lock:
            if self.done:
                return
            self.was_cut = True
            if self.connection is not None:
                _shut(self.connection, self._how)

    def finish(self) -> bool:
        """The call is over: no cut from now on. Whether the watchdog cut it before."""
        with self._lock:
            self.done = True
            return self.was_cut


class _Watchdog:
    """One thread for every call of the instance: it cuts each call whose budget is spent.

    (A timer thread per call would cost more than the rest of the call's overhead together.)
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Slot]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._count = 0

    def watch(self, slot: _Slot, seconds: float) -> None:
        with self._wake:
            self._count += 1
            heapq.heappush(self._due, (time.monotonic() + seconds, self._count, slot))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
                self._thread.start()
            if self._due[0][2] is slot:  # only a new earliest budget changes when to wake
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][2].done:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                due, _, slot = self._due[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._due)
            slot.cut()


_WATCHDOG = _Watchdog()


def _shut(connection: _Connection, how: int) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(how)


_current = threading.local()


class _Announcing:
    """A urllib3 connection that tells the calling thread's slot it is the one in use."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        slot: _Slot | None = getattr(_current, "slot", None)
        if slot is not None:
            slot.use(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Announcing, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Announcing, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CuttableAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
