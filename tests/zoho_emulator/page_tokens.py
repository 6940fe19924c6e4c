"""Page tokens: how a record list is read past the reach of `page` (zoho-crm-api.md §14.10).

A token names where the next page starts; it stays valid for a day (Zoho's `page_token_expiry`
for record lists; for Notes UNVERIFIED) and may be used again until then. A token the emulator
never issued is INVALID_DATA; one that expired (or that `expire_all` ended, as `reset()` and the
`expire_page_tokens` fault do) is EXPIRED_VALUE, both naming `page_token`.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from .clock import zoho_time
from .protocol import top_level_error

LIFETIME_SECONDS = 24 * 3600


class PageTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, tuple[Any, float]] = {}  # token -> (cursor, expiry)
        self._expired: set[str] = set()

    def issue(self, cursor: Any) -> tuple[str, str]:
        """A new token for `cursor`, and its expiry as Zoho writes a date-time."""
        token = secrets.token_hex(24)
        expiry = time.time() + LIFETIME_SECONDS
        with self._lock:
            self._live[token] = (cursor, expiry)
        return token, zoho_time(datetime.fromtimestamp(expiry, UTC))

    def cursor(self, token: str) -> Any:
        """The cursor a token was issued for; ApiError when it is unknown or expired."""
        with self._lock:
            entry = self._live.get(token)
            if entry is not None and entry[1] <= time.time():
                del self._live[token]
                self._expired.add(token)
                entry = None
            if entry is not None:
                return entry[0]
            expired = token in self._expired
        if expired:
            raise top_level_error(
                400, "EXPIRED_VALUE", "the page token given has expired", {"param_name": "page_token"}
            )
        raise top_level_error(
            400, "INVALID_DATA", "the page token given seems to be invalid", {"param_name": "page_token"}
        )

    def expire_all(self) -> None:
        with self._lock:
            self._expired.update(self._live)
            self._live.clear()
