"""One deadline per request: the moment by which a webhook must answer, or a sweep must stop.

A door opens a deadline with `within(seconds)`; every Zoho call and Secret Manager read made
inside it takes its timeouts from what is left (`budget`), and handlers.platform.http (Zoho) and
handlers.platform.secret_manager cut a connection still open when the time is up. So no answer from Zoho
or Secret Manager, however slow or trickling, holds a request past its deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from handlers.errors import DeadlineExceeded

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("request_deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Everything inside must be done `seconds` from now (or sooner, if an outer deadline says so)."""
    now = time.monotonic()
    outer = _deadline.get()
    ends = now + seconds
    token = _deadline.set((ends, seconds) if outer is None or ends < outer[0] else outer)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left; None outside any deadline."""
    current = _deadline.get()
    return None if current is None else current[0] - time.monotonic()


def length() -> float | None:
    """The whole deadline's length in seconds (not what is left of it); None outside any deadline."""
    current = _deadline.get()
    return None if current is None else current[1]


@contextmanager
def leaving(seconds: float) -> Iterator[None]:
    """Everything inside must be done `seconds` before the deadline (at most half of what is left
    is kept back), so that what follows the block still has that time."""
    left = remaining()
    if left is None:
        yield
        return
    with within(max(left - min(seconds, left / 2), 0.0)):
        yield


def budget(limit: float) -> float:
    """`limit`, or less when the deadline is nearer; DeadlineExceeded once it has passed."""
    left = remaining()
    if left is None:
        return limit
    if left <= 0:
        raise exceeded()
    return min(limit, left)


@contextmanager
def holding(lock: threading.Lock) -> Iterator[None]:
    """Hold `lock` inside the block, waiting for it no longer than the deadline allows."""
    left = remaining()
    if not lock.acquire(timeout=-1 if left is None else max(left, 0.0)):
        raise exceeded()
    try:
        yield
    finally:
        lock.release()


def exceeded(awaited: str = "Zoho answered") -> DeadlineExceeded:
    """The failure of a request whose deadline passed before `awaited` happened."""
    current = _deadline.get()
    seconds = current[1] if current is not None else 0.0
    return DeadlineExceeded(f"the deadline of {seconds:g} s passed before {awaited}")
