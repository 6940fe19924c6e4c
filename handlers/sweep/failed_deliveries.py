"""The webhook deliveries Zoho could not make, read by the sweep at most hourly.

When Zoho cannot call the function (a wrong URL, the function down, a secret refused), no lead
fails: the webhook just never arrives. Zoho keeps a list of those failures (docs/zoho-api.md,
"Webhooks and workflow rules"); the sweep reads it for the webhook named ZOHO_WEBHOOK_NAME and
reports the new ones in its summary (`webhook_failures`), which makes the summary an ERROR and
fires the sweep's alert. The list is by day, so each read keeps the failures since the last read of
this instance (the last `max_age` and a margin, for a new instance): a failure is reported once
per instance, and twice at most when an instance is replaced.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from handlers.errors import ZohoRefused
from handlers.platform import deadline
from handlers.zoho.automation import Automation, FailedDelivery
from handlers.zoho.lead import zoho_time

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

MARGIN = dt.timedelta(minutes=15)  # a sweep's interval: a new instance looks that much further back


class FailedDeliveries:
    def __init__(
        self,
        zoho: ZohoClient,
        webhook_name: str,
        max_age: dt.timedelta = dt.timedelta(hours=1),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ):
        self._automation = Automation(zoho)
        self._name = webhook_name
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: dt.datetime | None = None
        self._refused: tuple[dt.datetime, ZohoRefused] | None = None  # kept for `max_age`

    def new(self) -> list[FailedDelivery] | None:
        """The failures since the last read, oldest first; None when the last read is younger than
        `max_age` (nothing read). Zoho's refusal raises, and is raised again without a call until
        `max_age` has passed: a scope the token lacks is not asked for every run."""
        with deadline.holding(self._lock):
            now = self._clock()
            if self._refused is not None and now - self._refused[0] < self._max_age:
                raise self._refused[1]
            if self._read_at is not None and now - self._read_at < self._max_age:
                return None
            # Zoho writes failure times in whole seconds: a failure in the second of the last read is
            # reported again rather than missed.
            since = (self._read_at or now - self._max_age - MARGIN).replace(microsecond=0)
            try:
                items = self._automation.failures(since.date(), now.date())
            except ZohoRefused as refusal:
                self._refused = (now, refusal)
                raise
            self._read_at, self._refused = now, None
        recent = [item for item in items if item.webhook == self._name and _at_or_after(item.time, since)]
        return sorted(recent, key=lambda failure: failure.time or "")


def _at_or_after(time: str | None, since: dt.datetime) -> bool:
    moment = zoho_time(time)
    return moment is None or moment >= since  # a time it cannot read is reported, not dropped
