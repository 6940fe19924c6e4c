"""The webhook door: check the request, find the lead id, convert, answer JSON and log one line.

Nothing reaches Zoho before the method, the size, the shared secret and the lead id are checked.
The lead id is the only thing taken from the request; the lead itself is re-read from Zoho.

The body is read only once the secret is checked, within BODY_SECONDS, and what is not read stays
unread (leave_body_unread): a stranger's body costs nothing, however slowly it comes.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import flask

from handlers.doors import answer
from handlers.engine import outcome
from handlers.engine.outcome import Outcome
from handlers.errors import Misconfigured, Rejected
from handlers.platform import deadline
from handlers.platform.settings import parse_flag
from handlers.runtime import Runtime

MAX_BODY_BYTES = 64 * 1024
# For the whole body, from when the secret is checked: Zoho's is under 100 bytes and comes with its
# headers; a client still sending after this is cut off (408), so it holds a thread no longer.
BODY_SECONDS = 10.0
SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 - a header name
LEAD_ID = re.compile(r"[0-9]{1,25}")
LEAD_ID_KEYS = ("lead_id", "id")
_MAX_FORM_FIELDS = 100
ECHO_CHARS = 40  # of the caller's own input quoted back in a refusal (and its log line)
DEFAULT_DEADLINE_SECONDS = 50.0


@dataclass(frozen=True)
class WebhookEvent:
    lead_id: str
    dry_run: bool


def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
    """The answer, within WEBHOOK_DEADLINE_SECONDS whatever Zoho does."""
    started = time.perf_counter()
    try:
        with deadline.within(_deadline_seconds(runtime)):
            result, attempts = _outcome(request, runtime)
    finally:
        leave_body_unread(request)
    return answer.respond(
        result,
        {
            "attempts": attempts,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            **answer.trace_fields(request.headers, _project_id(runtime)),
        },
    )


def _outcome(request: flask.Request, runtime: Runtime) -> tuple[Outcome, int]:
    """The outcome and the Zoho API requests it took; any exception becomes an outcome here."""
    authenticated = False
    try:
        check_envelope(request)
        authenticate(request.headers.get(SECRET_HEADER), runtime.credentials().webhook_secrets())
        authenticated = True
        event = parse(request)
        converter = runtime.converter()
        return converter.convert(event.lead_id, dry_run=event.dry_run or runtime.settings().dry_run)
    except Exception as error:  # a failure we know, or a bug: JSON and a log line either way
        return outcome.from_error(error, for_stranger=not authenticated), 0


def check_envelope(request: flask.Request) -> None:
    """What is checked before the secret: the method and the announced size."""
    if request.method != "POST":
        raise Rejected("method_not_allowed", f"{_cut(request.method)} is not allowed; send POST", 405)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Rejected("payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes", 413)


def parse(request: flask.Request) -> WebhookEvent:
    """The checked event of an authenticated request, or Rejected naming what is wrong."""
    body = _read_body(request)
    if len(body) > MAX_BODY_BYTES:
        raise Rejected("payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes", 413)
    fields = _body_fields(request.mimetype, body)
    query = _single_values(request.args.to_dict(flat=False), "query string")
    sources = [source for source in (fields, query) if source]
    return WebhookEvent(lead_id=_lead_id(sources), dry_run=_dry_run(sources))


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


_BODY_READ = "zoho_lead_converter.body_read"  # set in the WSGI environ once the body was read to its end


def _body_finished(request: flask.Request) -> bool:
    """Whether nothing of the body is left to arrive: read to its end, or none announced."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.environ.get(_BODY_READ)) or (not chunked and not request.content_length)


def _read_body(request: flask.Request) -> bytes:
    """At most MAX_BODY_BYTES + 1 bytes of the body, within BODY_SECONDS (and the deadline)."""
    sock = _socket(request)
    if sock is None:  # a body already in memory (a test client)
        return request.stream.read(MAX_BODY_BYTES + 1)
    from handlers.platform.http import reads_cut_after  # loads requests, which the call to Zoho needs next

    seconds = deadline.budget(BODY_SECONDS)
    body: bytes | None = None
    with reads_cut_after(sock, seconds) as slot:
        with contextlib.suppress(Exception):  # the client's end, the cut, a broken chunk: said below
            body = request.stream.read(MAX_BODY_BYTES + 1)
        cut = slot.finish()
    if cut:
        raise Rejected("request_timeout", f"the body did not arrive within {seconds:.2g} s", 408)
    if body is None:
        raise Rejected("bad_request", "the body ended early or its chunked framing is broken")
    request.environ[_BODY_READ] = len(body) <= MAX_BODY_BYTES
    return body


def authenticate(presented: str | None, secrets: tuple[str, ...]) -> None:
    """Constant-time comparison, as UTF-8 bytes, against every accepted secret (no early exit).

    WSGI hands header values over decoded as Latin-1, so encoding them back as Latin-1 gives the
    bytes Zoho sent: a secret with non-ASCII characters, sent as UTF-8, matches.
    """
    if not presented:
        raise Rejected("unauthorized", f"missing {SECRET_HEADER} header", 401)
    given = presented.encode("latin-1", "replace")
    matches = [hmac.compare_digest(given, secret.encode("utf-8")) for secret in secrets]
    if not any(matches):
        raise Rejected("unauthorized", f"wrong {SECRET_HEADER} header", 401)


def _body_fields(mimetype: str, body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _json_object(body)
    if mimetype == "application/x-www-form-urlencoded":
        return _form(body)
    if body.lstrip().startswith(b"{"):
        return _json_object(body)
    if b"=" in body:
        return _form(body)
    raise Rejected(
        "bad_request",
        f'cannot read a {_cut(mimetype) or "untyped"} body: send JSON {{"lead_id": "..."}}'
        " or a form body lead_id=...",
    )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise Rejected("bad_request", f"the JSON body repeats the key {_quoted(duplicate.key)}") from None
    except (ValueError, RecursionError):
        raise Rejected("bad_request", "the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise Rejected("bad_request", 'the JSON body must be an object such as {"lead_id": "..."}')
    return document


def _cut(text: str) -> str:
    """The caller's text as echoed: at most ECHO_CHARS characters, and how long it was if longer."""
    if len(text) <= ECHO_CHARS:
        return text
    return f"{text[:ECHO_CHARS]}… ({len(text):,} characters)"


def _quoted(text: str) -> str:
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


def _form(body: bytes) -> dict[str, Any]:
    try:
        parsed = urllib.parse.parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise Rejected("bad_request", "the form body is not valid UTF-8 key=value pairs") from None
    return _single_values(parsed, "form body")


def _single_values(parsed: dict[str, list[str]], where: str) -> dict[str, Any]:
    for key in (*LEAD_ID_KEYS, "dry_run"):
        if len(parsed.get(key, ())) > 1:
            raise Rejected("bad_request", f"the {where} gives {key} more than once")
    return {key: values[0] for key, values in parsed.items() if values}


def _lead_id(sources: list[dict[str, Any]]) -> str:
    """The lead the body and the query string name; they (and lead_id and id) must agree."""
    ids = {_valid_lead_id(source[key]) for source in sources for key in LEAD_ID_KEYS if key in source}
    if len(ids) > 1:
        raise Rejected(
            "bad_request", "the request names different leads (lead_id, id, body and query string)"
        )
    if not ids:
        raise Rejected("bad_request", 'no lead id: send {"lead_id": "..."}, lead_id=... or ?lead_id=...')
    return ids.pop()


def _valid_lead_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and LEAD_ID.fullmatch(value):
        return value
    raise Rejected("bad_request", "the lead id must be 1 to 25 ASCII digits")


def _dry_run(sources: list[dict[str, Any]]) -> bool:
    for source in sources:
        if "dry_run" not in source:
            continue
        value = source["dry_run"]
        flag = value if isinstance(value, bool) else parse_flag(str(value), False)
        if flag is None:
            raise Rejected("bad_request", "dry_run must be true or false")
        if flag:
            return True
    return False


def _deadline_seconds(runtime: Runtime) -> float:
    try:
        return runtime.settings().webhook_deadline_seconds
    except Misconfigured:
        return DEFAULT_DEADLINE_SECONDS  # the misconfiguration itself is answered by _outcome


def _project_id(runtime: Runtime) -> str | None:
    try:
        return runtime.settings().project_id
    except Misconfigured:
        return None
