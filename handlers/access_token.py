"""Zoho access tokens, from the refresh-token grant to the token every instance shares.

Zoho issues at most 10 access tokens per refresh token per 10 minutes and then locks the
integration out (docs/zoho-api.md, "OAuth and data centres"). So the cache refreshes only when
the token is missing, within five minutes of expiry, or rejected by Zoho; lets one thread refresh
at a time; after a throttle answer stops asking for a cool-down period; and, with
`ZOHO_ACCESS_TOKEN_SECRET` set, shares the token between instances as the latest version of one
Secret Manager secret, so that a hundred cold starts make one refresh. Which instance refreshes
is settled by a claim written into the secret's annotations (`SecretManagerTokenStore.claim_refresh`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from handlers import redaction, report
from handlers.errors import (
    CredentialsRejected,
    Misconfigured,
    SecretUnavailable,
    TokenThrottled,
    ZohoBadResponse,
    ZohoUnavailable,
)
from handlers.secret_manager import SecretManager

CLAIM_ANNOTATION = "refresh-claimed-until"  # epoch seconds until which one instance may refresh
THROTTLE_ERROR = "Access Denied"
REJECTED_CREDENTIALS = ("invalid_client", "invalid_code", "invalid_client_secret", "unauthorized_client")
REFRESH_MARGIN_SECONDS = 300.0
LIFETIME_SECONDS = 3600.0  # a Zoho access token lives an hour (docs/zoho-api.md, "OAuth and data centres")
# How long another instance may take to refresh before this one does it itself: longer than a
# token request can take (connect and read timeouts, 13 s by default), so they never race.
LEASE_SECONDS = 30.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: float  # seconds since the epoch, so instances can share it
    api_domain: str | None

    def usable(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


@dataclass(frozen=True)
class TokenPolicy:
    """What a token must be to be used, whether it comes from Zoho or from the shared cache.

    `api_domains`: the hosts the function may send the token to (the configured data centre's
    Zoho API hosts); empty when ZOHO_API_DOMAIN overrides the token's own domain. A forged cache
    entry pointing elsewhere, over http://, or expiring years ahead is never used.
    """

    api_domains: frozenset[str] = frozenset()

    def problem(self, token: AccessToken, now: float) -> str | None:
        if token.expires_at > now + LIFETIME_SECONDS + 60:
            return "an expiry later than a Zoho token's one-hour lifetime"
        if self.api_domains and (token.api_domain or "").rstrip("/").lower() not in self.api_domains:
            return f"the API domain {token.api_domain!r}, not a Zoho API host of the configured ZOHO_DC"
        return None


class TokenStore(Protocol):
    """Where instances share the current token (SecretManagerTokenStore below)."""

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
        policy: TokenPolicy = TokenPolicy(),
    ):
        self._fetch = fetch
        self._policy = policy
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
        problem = self._policy.problem(token, now)
        if problem is not None:
            _warn(f"ignored the shared access token: it has {problem}; refreshing instead")
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
        problem = self._policy.problem(token, self._clock())
        if problem is not None:
            raise ZohoBadResponse(
                f"the token endpoint answered a token with {problem}: check ZOHO_DC and"
                " ZOHO_ACCOUNTS_URL, or set ZOHO_API_DOMAIN"
            )
        self.refreshes += 1
        if self._store is not None:
            self._store.save(token)
        return token


class SecretManagerTokenStore:
    def __init__(self, manager: SecretManager, secret_name: str):
        self._manager = manager
        self._secret = secret_name.rstrip("/")

    def load(self) -> AccessToken | None:
        try:
            version = self._manager.access(f"{self._secret}/versions/latest")
            record = json.loads(version.value)
            token = AccessToken(
                str(record["access_token"]),
                float(record["expires_at"]),
                record.get("api_domain"),
            )
        except Misconfigured:
            return None  # no version yet (first refresh), or not readable: refresh instead
        except (SecretUnavailable, ValueError, KeyError, TypeError) as error:
            _warn(f"shared access token unreadable, refreshing instead ({error.__class__.__name__})")
            return None
        redaction.register(token.value)
        return token

    def save(self, token: AccessToken) -> None:
        record = {
            "access_token": token.value,
            "expires_at": token.expires_at,
            "api_domain": token.api_domain,
        }
        try:
            version = self._manager.add_version(self._secret, json.dumps(record))
            self._manager.retire_older_versions(self._secret, keep=version)
        except (Misconfigured, SecretUnavailable) as error:
            _warn(f"could not share the new access token: {error}")

    def claim_refresh(self, seconds: float) -> bool:
        """Claim the next refresh for `seconds`; False while another instance's claim runs.

        The claim is written only if the secret is unchanged since it was read (its etag), so of
        instances racing for it exactly one wins. When Secret Manager fails the answer is True:
        refreshing here beats waiting on a coordination mechanism that is down.
        """
        try:
            annotations, etag = self._manager.get_secret(self._secret)
            now = time.time()
            if _claimed_until(annotations, now) > now:
                return False
            claim = {**annotations, CLAIM_ANNOTATION: f"{now + seconds:.3f}"}
            return self._manager.update_annotations(self._secret, claim, etag)
        except (Misconfigured, SecretUnavailable) as error:
            _warn(f"could not claim the token refresh, refreshing anyway: {error}")
            return True


def _claimed_until(annotations: dict[str, str], now: float) -> float:
    """The claim's end; an unreadable value, or one further away than a lease (`inf`, a forged
    year), counts as no claim, so it cannot block refreshes."""
    try:
        until = float(annotations.get(CLAIM_ANNOTATION, "0"))
    except ValueError:
        return 0.0
    return until if math.isfinite(until) and until <= now + LEASE_SECONDS else 0.0


def _warn(message: str) -> None:
    report.write("WARNING", message, {"component": "token_store"})


def parse_token_response(body: dict[str, Any], status: int) -> AccessToken:
    """The token endpoint's JSON as an AccessToken, or the error it means."""
    value = body.get("access_token")
    if isinstance(value, str) and value:
        redaction.register(value)
        return AccessToken(value, time.time() + _expires_in(body), _domain(body.get("api_domain")))
    error = str(body.get("error") or f"HTTP {status} without access_token")
    if error == THROTTLE_ERROR:
        raise TokenThrottled(
            "Zoho's token endpoint is throttling this refresh token (Access Denied: too many"
            " tokens requested in 10 minutes)"
        )
    if error in REJECTED_CREDENTIALS:
        raise CredentialsRejected(
            f"Zoho refused the OAuth credentials ({error}): check ZOHO_CLIENT_ID,"
            " ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and ZOHO_DC"
        )
    raise ZohoUnavailable(f"Zoho token endpoint gave no access token ({error})")


def _expires_in(body: dict[str, Any]) -> float:
    """Lifetime in seconds; older responses gave `expires_in` in ms next to `expires_in_sec`."""
    for key in ("expires_in_sec", "expires_in"):
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return min(float(value), LIFETIME_SECONDS)
    return LIFETIME_SECONDS


def _domain(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
