"""HTTP through one `requests.Session` per instance: pooled, no retries of its own, bounded in time.

`requests` timeouts bound each socket operation, not the whole answer: a server that trickles a
byte a second never times out. So every call also gets a total budget (what is left of the retry
window and of the request's deadline); a watchdog shuts the connection down when the budget is
spent (one watchdog thread serves every call), and the call fails at once. The callers
(handlers.zoho) retry with backoff.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter


class HttpFailure(Exception):
    """No answer: the connection failed or timed out, or the budget ran out (`cut`)."""

    def __init__(self, reason: str, kind: str, cut: bool = False):
        super().__init__(reason)
        self.kind, self.cut = kind, cut  # kind: the exception's name, e.g. ReadTimeout


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Http:
    def __init__(self, pool_size: int):
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or netrc lookups per call; Zoho is reached directly
        adapter = _CuttableAdapter(pool_connections=4, pool_maxsize=max(1, pool_size), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

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
        """One attempt, done within `budget` seconds whatever the server does."""
        slot = _Slot()
        _current.slot = slot
        _WATCHDOG.watch(slot, budget)
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=json,
                data=form,
                headers=headers,
                timeout=(min(connect_timeout, budget), min(read_timeout, budget)),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            kind = exc.__class__.__name__
            if slot.was_cut:
                reason = "took longer than its time budget"
            elif isinstance(exc, requests.Timeout):
                reason = f"timed out ({kind})"
            else:
                reason = f"connection failed ({kind})"
            raise HttpFailure(reason, kind, cut=slot.was_cut) from None
        finally:
            slot.done = True
            _current.slot = None
        return HttpAnswer(response.status_code, response.headers, response.content)


class _Slot:
    """The connection one call is using, so the watchdog (another thread) can cut it."""

    def __init__(self) -> None:
        self.connection: urllib3.connection.HTTPConnection | None = None
        self.was_cut = False
        self.done = False
        self._lock = threading.Lock()

    def use(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self.connection = connection
            if self.was_cut:
                _shut(connection)

    def cut(self) -> None:
        with self._lock:
            if self.done:
                return
            self.was_cut = True
            if self.connection is not None:
                _shut(self.connection)


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


def _shut(connection: urllib3.connection.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


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
