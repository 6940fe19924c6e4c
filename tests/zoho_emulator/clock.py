"""Timestamps in the form Zoho writes them: second precision with an explicit offset."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def zoho_time(moment: datetime | str | None = None) -> str:
    """Format a datetime as "2026-11-21T10:00:00+00:00"; naive datetimes are taken as UTC."""
    if isinstance(moment, str):
        moment = parse_time(moment)
    moment = moment or now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 date-time with offset; raises ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"date-time without offset: {text!r}")
    return moment
