"""A request's body, as both doors read it: bounded in size and in time, JSON read strictly.

The body is read only when the door asks (after the webhook's secret is checked), within
BODY_SECONDS and the request's deadline, and at most a door's size limit (past it, 413). What is
not read stays unread (`leave_body_unread`): a stranger's body costs nothing, however slowly it
comes. What the caller sent is echoed in a refusal at most ECHO_CHARS characters long.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
from typing import Any

import flask

from handlers.errors import Rejected
from handlers.platform import deadline

# For the whole body, from when the door asks for it: Zoho's is under 100 bytes and comes with its
# headers; a client still sending after this is cut off (408), so it holds a thread no longer.
BODY_SECONDS = 10.0
ECHO_CHARS = 40  # of the caller's own input quoted back in a refusal (and its log line)
_BODY_READ = "zoho_lead_converter.body_read"  # set in the WSGI environ once the body was read to its end


def read_body(request: flask.Request, max_bytes: int) -> bytes:
    """The body, at most `max_bytes` (413 past it), within BODY_SECONDS (and the deadline)."""
    body = _read_at_most(request, max_bytes + 1)
    if len(body) > max_bytes:
        raise Rejected("payload_too_large", f"the body is larger than {max_bytes} bytes", 413)
    return body


def json_object(body: bytes, example: str) -> dict[str, Any]:
    """The body's JSON object; a repeated key, invalid JSON or another type is refused (400),
    naming `example` (an object the door reads)."""
    try:
        document = json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise Rejected("bad_request", f"the JSON body repeats the key {quoted(duplicate.key)}") from None
    except (ValueError, RecursionError):
        raise Rejected("bad_request", "the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise Rejected("bad_request", f"the JSON body must be an object such as {example}")
    return document


def leave_body_unread(request: flask.Request) -> None:
    """Whatever the function has not read of the body stays unread, and ends the connection.

    After every answer functions-framework reads the rest of the body (`read_request`, an
    after-request hook) with no bound in time or size: a stranger who trickled a body held a
    thread for as long as it trickled, and a large one was read into memory whole. An empty stream
    takes its place. What is left goes to gunicorn, whose drain bounds each read but not a body
    that trickles a byte at a time; so the connection is shut for reading: the server reads what
    has arrived, then the end, and closes the connection once the answer is sent."""
    sock = _socket(request)
    if sock is not None and not _body_finished(request):
        with contextlib.suppress(OSError):  # the client has gone already
            sock.shutdown(socket.SHUT_RD)
    request.stream = io.BytesIO()


def _socket(request: flask.Request) -> socket.socket | None:
    """The client's connection, from the server (gunicorn, or werkzeug's development server);
    None for a request that is already in memory (a test client)."""
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    return sock if isinstance(sock, socket.socket) else None


def _body_finished(request: flask.Request) -> bool:
    """Whether nothing of the body is left to arrive: read to its end, or none announced."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.environ.get(_BODY_READ)) or (not chunked and not request.content_length)


def _read_at_most(request: flask.Request, limit: int) -> bytes:
    """At most `limit` bytes of the body, within BODY_SECONDS (and the deadline)."""
    sock = _socket(request)
    if sock is None:  # a body already in memory (a test client)
        return request.stream.read(limit)
    from handlers.platform.http import reads_cut_after  # loads requests, which the call to Zoho needs next

    seconds = deadline.budget(BODY_SECONDS)
    body: bytes | None = None
    with reads_cut_after(sock, seconds) as slot:
        with contextlib.suppress(Exception):  # the client's end, the cut, a broken chunk: said below
            body = request.stream.read(limit)
        cut = slot.finish()
    if cut:
        raise Rejected("request_timeout", f"the body did not arrive within {seconds:.2g} s", 408)
    if body is None:
        raise Rejected("bad_request", "the body ended early or its chunked framing is broken")
    request.environ[_BODY_READ] = len(body) < limit
    return body


def cut(text: str) -> str:
    """The caller's text as echoed: at most ECHO_CHARS characters, and how long it was if longer."""
    if len(text) <= ECHO_CHARS:
        return text
    return f"{text[:ECHO_CHARS]}… ({len(text):,} characters)"


def quoted(text: str) -> str:
    """The caller's text quoted (control characters escaped), at most ECHO_CHARS of it."""
    if len(text) <= ECHO_CHARS:
        return repr(text)
    return f"{text[:ECHO_CHARS]!r}… ({len(text):,} characters)"


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document
