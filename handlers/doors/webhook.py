"""The webhook door: check the request, find the lead id, convert, answer JSON and log one line.

Nothing reaches Zoho before the method, the size, the shared secret and the lead id are checked.
The lead id is the only thing taken from the request; the lead itself is re-read from Zoho.

The body is read only once the secret is checked (handlers.doors.body): a stranger's body costs
nothing, however slowly it comes.
"""

from __future__ import annotations

import hmac
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flask

from handlers.doors import answer, body
from handlers.engine import outcome
from handlers.engine.outcome import Outcome
from handlers.errors import Misconfigured, Rejected
from handlers.platform import deadline
from handlers.platform.settings import WEBHOOK_SECRET_HEADER, parse_flag
from handlers.redaction import redact
from handlers.runtime import Runtime

if TYPE_CHECKING:
    from handlers.zoho.client import CallCounter

MAX_BODY_BYTES = 64 * 1024
LEAD_ID = re.compile(r"[0-9]{1,25}")
LEAD_ID_KEYS = ("lead_id", "id")
_MAX_FORM_FIELDS = 100
LEAD_EXAMPLE = '{"lead_id": "..."}'
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
        body.leave_body_unread(request)
    return answer.respond(
        result,
        {
            "attempts": attempts,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            **answer.trace_fields(request.headers, _project_id(runtime)),
        },
    )


def _outcome(request: flask.Request, runtime: Runtime) -> tuple[Outcome, int]:
    """The outcome and the Zoho API requests it took; any exception becomes an outcome here,
    naming the lead once the request named one, with the calls made before it."""
    authenticated, lead_id = False, None
    calls: CallCounter | None = None
    try:
        check_envelope(request)
        authenticate(request.headers.get(WEBHOOK_SECRET_HEADER), runtime.credentials().webhook_secrets())
        authenticated = True
        event = parse(request)
        lead_id = event.lead_id
        if runtime.settings().paused:  # the emergency stop: nothing is read or sent
            return outcome.paused(event.lead_id), 0
        dry_run = event.dry_run or runtime.settings().dry_run
        converter = runtime.converter()
        with converter.zoho.counting_calls() as calls:
            return converter.convert(event.lead_id, dry_run=dry_run), calls.count
    except Exception as error:  # a failure we know, or a bug: JSON and a log line either way
        made = calls.count if calls is not None else 0
        return outcome.from_error(error, lead_id, for_stranger=not authenticated), made


def check_envelope(request: flask.Request) -> None:
    """What is checked before the secret: the method and the announced size."""
    if request.method != "POST":
        raise Rejected("method_not_allowed", f"{body.cut(request.method)} is not allowed; send POST", 405)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Rejected("payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes", 413)


ARRIVED_KEYS = 20  # of a refused request's body or query string, named in its log line


def parse(request: flask.Request) -> WebhookEvent:
    """The checked event of an authenticated request, or Rejected naming what is wrong and
    carrying what arrived (its content type and the body's keys, for the log line)."""
    fields: dict[str, Any] | None = None
    try:
        fields = _body_fields(request.mimetype, body.read_body(request, MAX_BODY_BYTES))
        query = _single_values(request.args.to_dict(flat=False), "query string")
        sources = [source for source in (fields, query) if source]
        return WebhookEvent(lead_id=_lead_id(sources), dry_run=_dry_run(sources))
    except Rejected as refusal:
        refusal.arrived = {
            "content_type": body.cut(request.mimetype or "none"),
            "body_keys": [body.cut(str(key)) for key in list(fields or {})[:ARRIVED_KEYS]],
            "query_keys": [body.cut(key) for key in list(request.args)[:ARRIVED_KEYS]],
        }
        raise


def authenticate(presented: str | None, secrets: tuple[str, ...]) -> None:
    """Constant-time comparison, as UTF-8 bytes, against every accepted secret (no early exit).

    WSGI hands header values over decoded as Latin-1, so encoding them back as Latin-1 gives the
    bytes Zoho sent: a secret with non-ASCII characters, sent as UTF-8, matches.
    """
    if not presented:
        raise Rejected("unauthorized", f"missing {WEBHOOK_SECRET_HEADER} header", 401)
    given = presented.encode("latin-1", "replace")
    matches = [hmac.compare_digest(given, secret.encode("utf-8")) for secret in secrets]
    if not any(matches):
        raise Rejected("unauthorized", f"wrong {WEBHOOK_SECRET_HEADER} header", 401)


def _body_fields(mimetype: str, raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    if mimetype.startswith("multipart/"):
        raise Rejected(
            "bad_request",
            "a multipart body is not read: in the Zoho webhook choose the body type Raw, JSON,"
            ' {"lead_id": "${!Leads.Id}"} (or Form data sent as application/x-www-form-urlencoded)',
        )
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return body.json_object(raw, LEAD_EXAMPLE)
    if mimetype == "application/x-www-form-urlencoded":
        return _form(raw)
    if raw.lstrip().startswith(b"{"):
        return body.json_object(raw, LEAD_EXAMPLE)
    if b"=" in raw:
        return _form(raw)
    raise Rejected(
        "bad_request",
        f'cannot read a {body.cut(mimetype) or "untyped"} body: send JSON {{"lead_id": "..."}}'
        " or a form body lead_id=...",
    )


def _form(raw: bytes) -> dict[str, Any]:
    try:
        parsed = urllib.parse.parse_qs(
            raw.decode("utf-8"),
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
    if isinstance(value, str) and "${" in value:
        raise Rejected(
            "bad_request",
            f"lead_id: {body.quoted(redact(value))} looks like a Zoho merge field that was not replaced:"
            " insert the lead's id with the webhook's merge-field picker, or write ${!Leads.Id}",
        )
    shown = body.quoted(redact(value)) if isinstance(value, str) else type(value).__name__
    raise Rejected("bad_request", f"the lead id must be 1 to 25 ASCII digits, not {shown}")


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
