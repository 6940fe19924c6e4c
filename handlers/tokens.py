"""Zoho access tokens: one per instance (or shared between instances), refreshed rarely.

Zoho issues at most 10 access tokens per refresh token per 10 minutes and then locks the
integration out, so this cache refreshes only when the token is missing, within five minutes of
expiry, or rejected by Zoho; lets only one thread refresh at a time; and after a throttle answer
stops asking for a cool-down period instead of hammering the token endpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from handlers.errors import TokenThrottled

REFRESH_MARGIN_SECONDS = 300.0
LEASE_SECONDS = 10.0  # how long another instance may take to refresh before this one does it itself
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # seconds since the epoch, so instances can share it
    api_domain: str | None

    def usable(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


class TokenStore(Protocol):
    """Where instances share the current token (see handlers.token_store)."""

    def load(self) -> AccessToken | None: ...

    def save(self, token: AccessToken) -> None: ...

    def claim_refresh(self, seconds: float) -> bool:
        """True when this instance may refresh now; False while another instance holds the claim."""
        ...


class TokenCache:
    def __init__(
        self,
        fetch: Callable[[], AccessToken],
        cooldown_seconds: float,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._fetch = fetch
        self._cooldown = cooldown_seconds
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._token: AccessToken | None = None
        self._rejected: str | None = None
        self._quiet_until = 0.0
        self._lock = threading.Lock()
        self.refreshes = 0

    def current(self) -> AccessToken:
        token = self._token
        if token is not None and token.usable(self._clock()):
            return token
        with self._lock:
            now = self._clock()
            if self._token is not None and self._token.usable(now):
                return self._token
            token = self._shared(now)
            if token is None:
                self._refuse_while_throttled(now)
                token = self._shared_after_claim() or self._refresh()
            self._token = token
            return token

    def invalidate(self, value: str) -> None:
        """Zoho rejected this token: drop it, unless another thread already replaced it."""
        with self._lock:
            self._rejected = value
            if self._token is not None and self._token.value == value:
                self._token = None

    def _shared(self, now: float) -> AccessToken | None:
        if self._store is None:
            return None
        token = self._store.load()
        if token is None or token.value == self._rejected or not token.usable(now):
            return None
        return token

    def _shared_after_claim(self) -> AccessToken | None:
        """Claim the refresh for this instance, or wait for the instance that holds the claim."""
        if self._store is None or self._store.claim_refresh(LEASE_SECONDS):
            return None
        give_up = self._clock() + LEASE_SECONDS
        while self._clock() < give_up:
            self._sleep(POLL_SECONDS)
            token = self._shared(self._clock())
            if token is not None:
                return token
        return None

    def _refuse_while_throttled(self, now: float) -> None:
        if now < self._quiet_until:
            raise TokenThrottled(
                "Zoho's token endpoint is throttling this refresh token (Access Denied);"
                f" not asking again for {self._quiet_until - now:.0f} s"
            )

    def _refresh(self) -> AccessToken:
        try:
            token = self._fetch()
        except TokenThrottled:
            self._quiet_until = self._clock() + self._cooldown
            raise
        self.refreshes += 1
        if self._store is not None:
            self._store.save(token)
        return token
