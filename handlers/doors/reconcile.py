"""The sweep's door: Cloud Scheduler POSTs here (a private function, authenticated by IAM).

Options come from a JSON body or the query string: `dry_run`, `limit` (most leads to convert in
this run), `since` (only leads modified at or after an ISO 8601 time; defaults to
RECONCILE_SINCE), `retry_failed` (try the leads that failed before now, whatever their backoff).
The answer is the sweep summary, also written as one log line; a run that stopped early (an
error, the time budget) still answers its summary, with `stopped` saying why.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import flask

from handlers.doors import answer, body
from handlers.engine import outcome
from handlers.errors import Rejected
from handlers.platform import log
from handlers.runtime import Runtime
from handlers.sweep.options import OPTIONS, bad_option, sweep_options

MAX_BODY_BYTES = 4096


def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
    started = time.perf_counter()
    try:
        if request.method != "POST":
            raise Rejected("method_not_allowed", f"{request.method} is not allowed; send POST", 405)
        summary = runtime.sweep(sweep_options(runtime.settings(), **_given(request)))
    except Exception as error:  # the sweep could not start: a bad option, a setting, or a bug
        return answer.respond(
            outcome.from_error(error), {"duration_ms": round((time.perf_counter() - started) * 1000, 1)}
        )
    fields = {"outcome": "reconciled", **summary.as_dict()}
    log.write(summary.severity, summary.message(), fields)
    return answer.json_response(fields)


def _given(request: flask.Request) -> dict[str, Any]:
    """The options from the query string and the body; naming one twice, differently, is refused."""
    query = request.args.to_dict(flat=False)
    _refuse_unknown(query)
    repeated = [name for name, values in query.items() if len(values) > 1]
    if repeated:
        raise bad_option(f"the query string gives {repeated[0]} more than once")
    given: dict[str, Any] = {name: values[0] for name, values in query.items()}
    for name, value in _json_body(request).items():
        if name in given and str(given[name]).lower() != str(value).lower():
            raise bad_option(f"{name} is given differently in the query string and in the body")
        given[name] = value
    return given


def _json_body(request: flask.Request) -> dict[str, Any]:
    raw = body.read_body(request, MAX_BODY_BYTES)
    if not raw.strip():
        return {}
    options = body.json_object(raw, '{"dry_run": true}')
    _refuse_unknown(options)
    return options


def _refuse_unknown(names: Iterable[str]) -> None:
    unknown = set(names) - set(OPTIONS)
    if unknown:
        raise bad_option(f"unknown option {sorted(unknown)[0]!r} (options: {', '.join(OPTIONS)})")
