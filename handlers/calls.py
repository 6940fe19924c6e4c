"""Counting the CRM API requests a webhook or a sweep makes (retries included), for logs and summaries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CallCounter:
    """CRM API requests (attempts included); thread-safe, so a sweep's worker threads can share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


_counters: ContextVar[tuple[CallCounter, ...]] = ContextVar("zoho_call_counters", default=())


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    """Count the CRM API requests made inside the block (blocks nest; threads started with
    `contextvars.copy_context()` count towards the blocks that were open when they started)."""
    counter = CallCounter()
    token = _counters.set((*_counters.get(), counter))
    try:
        yield counter
    finally:
        _counters.reset(token)


def count_one() -> None:
    """One request was sent: every counting block open in this context counts it."""
    for counter in _counters.get():
        counter.add()
