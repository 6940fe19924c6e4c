"""A sweep's options: what the caller asked (the sweep door's body and query string, the command
line's flags), checked, over the deployed settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from handlers.errors import Rejected
from handlers.platform.settings import Settings, parse_flag, since_problem

MAX_LIMIT = 10_000_000
OPTIONS = ("dry_run", "limit", "since", "retry_failed")


@dataclass(frozen=True)
class SweepOptions:
    since: dt.datetime | None  # leads modified at or after this moment; None converts nothing
    dry_run: bool = False
    retry_failed: bool = False  # try leads that failed before now, whatever their backoff
    limit: int | None = None  # at most this many leads converted in this run
    grace_minutes: float = 10.0  # leads modified more recently are left to their webhook
    max_seconds: float = 480.0  # no new work is started after this long
    concurrency: int = 4  # single Convert calls in flight
    paused: bool = False  # CONVERSION_MODE=paused: the run reads and converts nothing


def bad_option(reason: str) -> Rejected:
    """An option the caller gave cannot be used; the reason says which and why."""
    return Rejected("bad_request", reason)


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
        paused=settings.paused,
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
