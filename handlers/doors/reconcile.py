"""The sweep's door: Cloud Scheduler POSTs here (a private function, authenticated by IAM).

Options come from a JSON body or the query string: `dry_run`, `limit` (most leads to convert in
this run), `since` (only leads modified at or after an ISO 8601 time; defaults to
RECONCILE_SINCE), `retry_failed` (try the leads that failed before now, whatever their backoff).
The answer is the sweep summary, also written as one log line; a run that stopped early (an
error, the time budget) still answers its summary, with `stopped` saying why.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import flask

from handlers.doors import answer, body
from handlers.engine import outcome
from handlers.errors import Rejected
from handlers.platform import log
from handlers.platform.settings import Settings, parse_flag, since_problem
from handlers.runtime import Runtime
from handlers.sweep.run import Progress, Sweeper, SweepOptions, SweepSummary

MAX_BODY_BYTES = 4096
MAX_LIMIT = 10_000_000
OPTIONS = ("dry_run", "limit", "since", "retry_failed")


def bad_option(reason: str) -> Rejected:
    """An option the caller gave cannot be used; the reason says which and why."""
    return Rejected("bad_request", reason)


def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
    started = time.perf_counter()
    try:
        if request.method != "POST":
            raise Rejected("method_not_allowed", f"{request.method} is not allowed; send POST", 405)
        summary = sweep(runtime, sweep_options(runtime.settings(), **_given(request)))
    except Exception as error:  # the sweep could not start: a bad option, a setting, or a bug
        return answer.respond(
            outcome.from_error(error), {"duration_ms": round((time.perf_counter() - started) * 1000, 1)}
        )
    fields = {"outcome": "reconciled", **summary.as_dict()}
    log.write(summary.severity, summary.message(), fields)
    return answer.json_response(fields)


def sweep(runtime: Runtime, options: SweepOptions, progress: Progress | None = None) -> SweepSummary:
    """The sweep, with the rules held against the org first (cached for an hour per instance),
    on the converter's clock (the runtime's)."""
    converter = runtime.converter()
    return Sweeper(converter, org_check=runtime.org_check(), clock=converter.clock).run(options, progress)


def sweep_options(
    settings: Settings,
    *,
    dry_run: Any = None,
    limit: Any = None,
    since: Any = None,
    retry_failed: Any = None,
) -> SweepOptions:
    """The run's options: the caller's, checked, over the deployed settings.

    An explicit `since` replaces RECONCILE_SINCE for this run, so an older one converts a backlog
    on purpose; without either, the sweep converts nothing.
    """
    return SweepOptions(
        since=parse_since(since) or settings.reconcile_since,
        dry_run=_flag("dry_run", dry_run) or settings.dry_run,
        retry_failed=_flag("retry_failed", retry_failed),
        limit=parse_limit(limit),
        grace_minutes=settings.reconcile_grace_minutes,
        max_seconds=settings.reconcile_max_seconds,
        concurrency=settings.reconcile_concurrency,
    )


def parse_since(value: Any) -> dt.datetime | None:
    """An ISO 8601 time within the bounds of settings.since_problem; without an offset it is
    taken as UTC."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise bad_option(f"since must be an ISO 8601 time such as 2026-11-01T00:00:00Z, not {value!r}")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    problem = since_problem(moment)
    if problem is not None:
        raise bad_option(f"since {problem}, not {value!r}")
    return moment


def parse_limit(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise bad_option(f"limit must be a whole number of leads from 1 to {MAX_LIMIT:,}, not {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    flag = parse_flag(str(value), False)
    if flag is None:
        raise bad_option(f"{name} must be true or false, not {str(value)[:40]!r}")
    return flag


def _given(request: flask.Request) -> dict[str, Any]:
    """The options from the query string and the body; naming one twice, differently, is refused."""
    query = request.args.to_dict(flat=False)
    unknown = set(query) - set(OPTIONS)
    if unknown:
        raise bad_option(f"unknown option {sorted(unknown)[0]!r} (options: {', '.join(OPTIONS)})")
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
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise bad_option(f"unknown option {sorted(unknown)[0]!r} (options: {', '.join(OPTIONS)})")
    return options
