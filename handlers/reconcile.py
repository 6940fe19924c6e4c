"""The sweep's door: Cloud Scheduler POSTs here (a private function, authenticated by IAM).

Options come from a JSON body or the query string: `dry_run`, `limit` (most leads to convert in
this run), `since` (only leads modified at or after an ISO 8601 time; defaults to
RECONCILE_SINCE). The answer is the sweep summary, also written as one log line; a run that
stopped early (an error, the time budget) still answers its summary, with `stopped` saying why.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import flask

from handlers import logs
from handlers.conversion import outcome_for_error
from handlers.errors import ZohoError
from handlers.outcome import Kind, Outcome, misconfigured, rejected
from handlers.responses import json_response
from handlers.runtime import Runtime
from handlers.secret_manager import SecretUnavailable
from handlers.settings import MisconfiguredError, Settings, parse_flag
from handlers.sweep import Progress, Sweeper, SweepOptions, SweepSummary

MAX_BODY_BYTES = 4096
MAX_LIMIT = 10_000_000
OPTIONS = ("dry_run", "limit", "since")


class BadOptions(ValueError):
    """An option the caller gave cannot be used; the message says which and why."""


def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
    started = time.perf_counter()
    try:
        if request.method != "POST":
            return _answer(rejected("method_not_allowed", f"{request.method} is not allowed; send POST", 405))
        given = _given(request)
        summary = sweep(runtime, sweep_options(runtime.settings(), **given))
    except BadOptions as error:
        return _answer(rejected("bad_request", str(error), 400))
    except MisconfiguredError as error:
        return _answer(misconfigured(str(error)))
    except (ZohoError, SecretUnavailable) as error:
        outcome = outcome_for_error(error, None)
        outcome.reason = f"the sweep could not start: {outcome.reason}"
        return _answer(outcome, time.perf_counter() - started)
    except Exception as error:  # a bug must still answer JSON and leave an ERROR line
        return _answer(Outcome(Kind.ERROR, reason=f"internal error ({error.__class__.__name__})"))
    fields = summary.as_dict()
    logs.write(summary.severity, summary.message(), {"outcome": "reconciled", **fields})
    return json_response({"outcome": "reconciled", **fields})


def sweep(runtime: Runtime, options: SweepOptions, progress: Progress | None = None) -> SweepSummary:
    return Sweeper(runtime.converter()).run(options, progress)


def sweep_options(
    settings: Settings, *, dry_run: Any = None, limit: Any = None, since: Any = None
) -> SweepOptions:
    """The run's options: the caller's, checked, over the deployed settings.

    An explicit `since` replaces RECONCILE_SINCE for this run, so an older one converts a backlog
    on purpose; without either, the sweep converts nothing.
    """
    return SweepOptions(
        since=parse_since(since) or settings.reconcile_since,
        dry_run=_dry_run(dry_run) or settings.dry_run,
        limit=parse_limit(limit),
        grace_minutes=settings.reconcile_grace_minutes,
        max_seconds=settings.reconcile_max_seconds,
        concurrency=settings.reconcile_concurrency,
    )


def parse_since(value: Any) -> dt.datetime | None:
    """An ISO 8601 time; without an offset it is taken as UTC."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadOptions(f"since must be an ISO 8601 time such as 2026-11-01T00:00:00Z, not {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_limit(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise BadOptions(f"limit must be a whole number of leads from 1 to {MAX_LIMIT:,}, not {value!r}")
    return value


def _dry_run(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    flag = parse_flag(str(value), False)
    if flag is None:
        raise BadOptions(f"dry_run must be true or false, not {value!r}")
    return flag


def _given(request: flask.Request) -> dict[str, Any]:
    """The options from the query string and the body; naming one twice, differently, is refused."""
    query = request.args.to_dict(flat=False)
    unknown = set(query) - set(OPTIONS)
    if unknown:
        raise BadOptions(f"unknown option {sorted(unknown)[0]!r} (options: {', '.join(OPTIONS)})")
    repeated = [name for name, values in query.items() if len(values) > 1]
    if repeated:
        raise BadOptions(f"the query string gives {repeated[0]} more than once")
    given: dict[str, Any] = {name: values[0] for name, values in query.items()}
    for name, value in _json_body(request).items():
        if name in given and str(given[name]).lower() != str(value).lower():
            raise BadOptions(f"{name} is given differently in the query string and in the body")
        given[name] = value
    return given


def _json_body(request: flask.Request) -> dict[str, Any]:
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if not body.strip():
        return {}
    if len(body) > MAX_BODY_BYTES:
        raise BadOptions(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        options = json.loads(body)
    except (ValueError, RecursionError):
        raise BadOptions("the body is not valid JSON") from None
    if not isinstance(options, dict):
        raise BadOptions('the body must be a JSON object such as {"dry_run": true}')
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise BadOptions(f"unknown option {sorted(unknown)[0]!r} (options: {', '.join(OPTIONS)})")
    return options


def _answer(outcome: Outcome, seconds: float = 0.0) -> flask.Response:
    fields = {**outcome.log_fields(), "duration_ms": round(seconds * 1000, 1)}
    logs.write(outcome.severity, outcome.message(), fields)
    return json_response(outcome.response(), outcome.status)
