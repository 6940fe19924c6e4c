"""HTTP/1.1 to Zoho over the standard library's http.client, with kept-alive connections.

This replaces requests, which the function used for nothing but keep-alive, JSON and timeouts:
importing requests (urllib3, charset_normalizer, idna, http.cookiejar) added about 33 ms to every
cold start, and each call spent about 0.5 ms in requests' own code (proxy lookups in the
environment, hooks, cookie merging) before a byte was sent. http.client is already loaded by
functions-framework's Flask stack, so this module costs almost nothing to import.

What it keeps from requests: one pool of idle connections per origin, shared by threads;
a connect timeout and a per-read timeout; a kept-alive connection the server has closed is
noticed before it is reused; CA certificates from certifi when it is installed. What it drops:
redirects, proxies from the environment, cookies and compression, none of which the Zoho API uses.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import select
import ssl
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

_MAX_IDLE_PER_ORIGIN = 16


class TransportError(Exception):
    """No answer was read: the request may or may not have reached the server."""


class Timeout(TransportError):
    pass


class ConnectTimeout(Timeout):
    pass


class ReadTimeout(Timeout):
    pass


class ConnectionFailed(TransportError):
    pass


class Response:
    def __init__(self, status_code: int, headers: http.client.HTTPMessage, content: bytes):
        self.status_code = status_code
        self.headers = headers  # case-insensitive .get()
        self.content = content

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return jsonlib.loads(self.content)


class Session:
    """Thread-safe: a request takes an idle connection to its origin (or opens one) and gives it
    back once the answer has been read completely."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float],
    ) -> Response:
        """One request; `timeout` is (connect seconds, seconds per read), as in requests."""
        parts = urllib.parse.urlsplit(url)
        target = parts.path or "/"
        query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params or {})]))
        if query:
            target += "?" + query
        sent_headers = {"Connection": "keep-alive"}
        body = None
        if json is not None:
            body = jsonlib.dumps(json, allow_nan=False).encode("utf-8")
            sent_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode("ascii")
            sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
        sent_headers.update(headers or {})
        origin = (parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        connection = self._checkout(origin, timeout[0])
        try:
            assert connection.sock is not None
            connection.sock.settimeout(timeout[1])
            connection.request(method, target, body=body, headers=sent_headers)
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError:
            connection.close()
            raise ReadTimeout(f"no answer within {timeout[1]} s") from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise ConnectionFailed(error.__class__.__name__) from None
        if answer.will_close:
            connection.close()
        else:
            self._checkin(origin, connection)
        return Response(answer.status, answer.headers, content)

    def post(self, url: str, **options: Any) -> Response:
        return self.request("POST", url, **options)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _checkout(self, origin: tuple[str, str, int], connect_timeout: float) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                connection = idle.pop() if idle else None
            if connection is None:
                return self._connect(origin, connect_timeout)
            if not _closed_by_peer(connection):
                return connection
            connection.close()

    def _checkin(self, origin: tuple[str, str, int], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < _MAX_IDLE_PER_ORIGIN:
                idle.append(connection)
                return
        connection.close()

    def _connect(self, origin: tuple[str, str, int], timeout: float) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context())
        elif scheme == "http":
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        else:
            raise ConnectionFailed(f"unsupported URL scheme {scheme!r}")
        try:
            connection.connect()  # sets TCP_NODELAY
        except TimeoutError:
            connection.close()
            raise ConnectTimeout(f"no connection within {timeout} s") from None
        except OSError as error:
            connection.close()
            raise ConnectionFailed(error.__class__.__name__) from None
        return connection

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=_certifi_bundle())
            return self._tls


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed (or sent garbage): drop it."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _certifi_bundle() -> str | None:
    """Mozilla's CA bundle as requests used it; the system store when certifi is absent."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())
