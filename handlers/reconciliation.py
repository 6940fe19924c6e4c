"""The sweep's door: Cloud Scheduler POSTs here (a private function, authenticated by IAM).

Options come from a JSON body or the query string: `dry_run`, `limit` (most leads to convert in
this run), `since` (only leads modified after an ISO 8601 time). The answer is the sweep summary,
also written as one log line.
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
from handlers.outcome import Outcome, misconfigured, rejected
from handlers.responses import json_response
from handlers.runtime import Runtime
from handlers.secret_manager import SecretUnavailable
from handlers.settings import MisconfiguredError, parse_flag
from handlers.sweep import Sweeper, SweepOptions, SweepSummary

MAX_BODY_BYTES = 4096


class BadOptions(ValueError):
    """An option the caller gave cannot be used; the message says which and why."""


def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
    started = time.perf_counter()
    try:
        if request.method != "POST":
            return _answer(rejected("method_not_allowed", f"{request.method} is not allowed; send POST", 405))
        summary = sweep(runtime, options_from(request, runtime))
    except BadOptions as error:
        return _answer(rejected("bad_request", str(error), 400))
    except MisconfiguredError as error:
        return _answer(misconfigured(str(error)))
    except (ZohoError, SecretUnavailable) as error:
        outcome = outcome_for_error(error, None)
        outcome.reason = f"the sweep stopped: {outcome.reason}"
        return _answer(outcome, time.perf_counter() - started)
    fields = summary.as_dict()
    severity = "ERROR" if summary.failed else "INFO"
    logs.write(severity, _message(summary), {"outcome": "reconciled", **fields})
    return json_response({"outcome": "reconciled", **fields})


def sweep(runtime: Runtime, options: SweepOptions, progress: Any = None) -> SweepSummary:
    return Sweeper(runtime.converter()).run(options, progress)


def options_from(request: flask.Request, runtime: Runtime) -> SweepOptions:
    settings = runtime.settings()
    given = {**request.args.to_dict(), **_json_body(request)}
    dry_run = (
        parse_flag(str(given.get("dry_run", "")), False)
        if not isinstance(given.get("dry_run"), bool)
        else given["dry_run"]
    )
    if dry_run is None:
        raise BadOptions("dry_run must be true or false")
    return SweepOptions(
        dry_run=dry_run or settings.dry_run,
        limit=_limit(given.get("limit")),
        since=parse_since(given.get("since")),
        grace_minutes=settings.reconcile_grace_minutes,
        max_seconds=settings.reconcile_max_seconds,
        concurrency=settings.reconcile_concurrency,
    )


def parse_since(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise BadOptions(
            f"since must be an ISO 8601 time such as 2026-11-01T00:00:00Z, not {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _limit(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if isinstance(value, bool) or limit < 1:
        raise BadOptions(f"limit must be a whole number of leads, 1 or more, not {value!r}")
    return limit


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
    unknown = set(options) - {"dry_run", "limit", "since"}
    if unknown:
        raise BadOptions(f"unknown option {sorted(unknown)[0]!r} (options: dry_run, limit, since)")
    return options


def _message(summary: SweepSummary) -> str:
    text = (
        f"reconcile summary: {summary.matched} qualifying of {summary.scanned} scanned,"
        f" {summary.converted} converted, {len(summary.failed)} failed"
    )
    if summary.remaining:
        text += f", {summary.remaining} left for the next run"
    return text


def _answer(outcome: Outcome, seconds: float = 0.0) -> flask.Response:
    fields = {**outcome.log_fields(), "duration_ms": round(seconds * 1000, 1)}
    logs.write(outcome.severity, outcome.message(), fields)
    return json_response(outcome.response(), outcome.status)
