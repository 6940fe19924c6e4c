"""Timestamps in the form Zoho writes them: second precision with an explicit offset; and the
emulated org's clock, which a test or a benchmark can move (`Clock.advance`, the fault setting
`clock_offset_seconds`) to run a day of sweeps in minutes."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

# How far the emulated clock may be moved from the real one, either way: ten years.
MAX_OFFSET_SECONDS = 10 * 365.25 * 24 * 3600


def now() -> datetime:
    """The real time, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class Clock:
    """The emulated org's clock: the real time plus an offset (0 until moved).

    Every timestamp the store writes comes from it: records' and notes' Created_Time and
    Modified_Time, conversions, record locks, tags; so COQL's comparisons and the notes' order
    follow it too. Access tokens, page tokens and the token throttle keep the real time (a
    simulated day in a few real minutes keeps one token valid)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset

    @offset_seconds.setter
    def offset_seconds(self, seconds: float) -> None:
        with self._lock:
            self._offset = _checked_offset(seconds)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (backward when negative) by `seconds`; returns the new now."""
        with self._lock:
            self._offset = _checked_offset(self._offset + _finite(seconds))
        return self.now()

    def reset(self) -> None:
        """Back to the real time."""
        self.offset_seconds = 0.0

    def now(self) -> datetime:
        """The emulated time, to the second."""
        return (datetime.now(UTC) + timedelta(seconds=self.offset_seconds)).replace(microsecond=0)


def _finite(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise ValueError(f"expected a finite number of seconds, not {seconds!r}")
    return float(seconds)


def _checked_offset(seconds: float) -> float:
    offset = _finite(seconds)
    if abs(offset) > MAX_OFFSET_SECONDS:
        raise ValueError(
            f"a clock offset is at most {MAX_OFFSET_SECONDS:.0f} seconds either way, not {seconds!r}"
        )
    return offset


def zoho_time(moment: datetime | str | None = None) -> str:
    """Format a datetime as "2026-11-21T10:00:00+00:00"; naive datetimes are taken as UTC; None
    is the real time (the store passes its clock's time)."""
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
