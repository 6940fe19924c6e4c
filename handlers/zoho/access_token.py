"""Zoho access tokens, from the refresh-token grant to the token every instance shares.

Zoho issues at most 10 access tokens per refresh token per 10 minutes and then locks the
integration out (docs/zoho-api.md, "OAuth and data centres"). So the cache refreshes only when
the token is missing, within five minutes of expiry, or rejected by Zoho; lets one thread refresh
at a time; after a throttle answer stops asking for a cool-down period; and, given a store
(handlers.zoho.token_stores: the Secret Manager cache every instance shares, or the command
line's file), keeps the token there, so that a hundred cold starts make one refresh.

Which instance refreshes is settled by a claim in the store (`TokenStore.claim_refresh`). A claim
lasts one lease: the longest a token request can take (connect and read timeouts, 13.05 s by
default) plus `CLAIM_MARGIN_SECONDS`, so 15.05 s, inside one call's retry window
(`ZOHO_RETRY_SECONDS`, 20 s). The others wait for the claim: they read the stored token again
every `POLL_SECONDS` until it appears or the claim ends, then claim in turn (the holder gives its
claim back when its refresh fails); never past the request's deadline. Each `current()` call
writes at most one WARNING line, however long it waits.

Every token records which grant minted it (`grant_fingerprint`: a SHA-256 prefix of the refresh
token, never the token), and a stored token of another grant is a miss: refreshed and replaced.
So a token minted from another refresh token (a command line with a narrower grant, or another
org's) is never used for this one. A token's value must be what Zoho issues (`token_problem`),
whether it comes from Zoho or from a store, so a value with CR, LF or another control character
never reaches an Authorization header.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from handlers import redaction
from handlers.errors import (
    CredentialsRejected,
    TokenThrottled,
    ZohoBadResponse,
    ZohoUnavailable,
)
from handlers.platform import deadline

THROTTLE_ERROR = "Access Denied"
REJECTED_CREDENTIALS = ("invalid_client", "invalid_code", "invalid_client_secret", "unauthorized_client")
REFRESH_MARGIN_SECONDS = 300.0
LIFETIME_SECONDS = 3600.0  # a Zoho access token lives an hour (docs/zoho-api.md, "OAuth and data centres")
# A claim's lease is the longest a token request may take plus this margin, so the holder's
# refresh always ends inside its claim and two instances never refresh at once.
CLAIM_MARGIN_SECONDS = 2.0
TOKEN_REQUEST_SECONDS = 13.05  # the default connect and read timeouts (3.05 s + 10 s)
POLL_SECONDS = 0.2
# What an access token may hold: RFC 6750's b64token (letters, digits, - . _ ~ + /, then =),
# which Zoho's tokens (1000.<hex>.<hex>) are; never a space, CR, LF or other control character.
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9._~+/-]+=*")
TOKEN_MAX_CHARACTERS = 2048  # Zoho's are about 70
_GRANT_DOMAIN = b"zoho-lead-converter grant\0"


def grant_fingerprint(refresh_token: str) -> str:
    """Which grant a token comes from: 128 bits of SHA-256 over the refresh token (with a prefix
    of this program's own), which names the grant without revealing the refresh token."""
    return hashlib.sha256(_GRANT_DOMAIN + refresh_token.encode("utf-8")).hexdigest()[:32]


def token_problem(value: str) -> str | None:
    """What makes `value` no access token Zoho issues, or None. Never quotes the value."""
    if len(value) > TOKEN_MAX_CHARACTERS:
        return f"an access token longer than {TOKEN_MAX_CHARACTERS} characters"
    if not TOKEN_CHARACTERS.fullmatch(value):
        return (
            "an access token with characters a Zoho token never has (a control character such as"
            " CR or LF, a space, or another)"
        )
    return None


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: float  # seconds since the epoch, so instances can share it
    api_domain: str | None
    grant: str | None = None  # grant_fingerprint of the refresh token that minted it

    def usable(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


@dataclass(frozen=True)
class TokenPolicy:
    """What a token must be to be used, whether it comes from Zoho or from the shared cache.

    `api_domains`: the hosts the function may send the token to (the configured data centre's
    Zoho API hosts); empty when ZOHO_API_DOMAIN overrides the token's own domain. A forged cache
    entry pointing elsewhere, over http://, expiring years ahead, or holding anything but a
    token's characters is never used.
    """

    api_domains: frozenset[str] = frozenset()

    def problem(self, token: AccessToken, now: float) -> str | None:
        value = token_problem(token.value)
        if value is not None:
            return value
        if token.expires_at > now + LIFETIME_SECONDS + 60:
            return "an expiry later than a Zoho token's one-hour lifetime"
        if self.api_domains and (token.api_domain or "").rstrip("/").lower() not in self.api_domains:
            return f"the API domain {token.api_domain!r}, not a Zoho API host of the configured ZOHO_DC"
        return None


class TokenStoreProblem(Exception):
    """The store could not be read or written; the message says what, for a WARNING line."""


class TokenStore(Protocol):
    """Where the token is kept beyond one process (handlers.zoho.token_stores): the Secret
    Manager cache every instance shares, or the command line's file."""

    def grant(self) -> str:
        """The grant (grant_fingerprint) whose tokens this store hands out: the configured one."""
        ...

    def describe(self) -> str:
        """What the stored token is called in a warning ('the shared access token')."""
        ...

    def load(self) -> AccessToken | None:
        """The stored token, None when there is none; TokenStoreProblem when it is unreadable."""
        ...

    def save(self, token: AccessToken) -> None:
        """Keep `token` (with its grant); TokenStoreProblem when it could not be kept."""
        ...

    def claim_refresh(self, seconds: float) -> float | None:
        """None when this process has claimed the next refresh for `seconds`; otherwise the time
        (epoch seconds) at which another instance's claim ends. TokenStoreProblem when the
        claim cannot be read or written."""
        ...

    def release_claim(self) -> None:
        """Give back this process's claim (its refresh failed), so others need not wait it out."""
        ...

    def warn(self, message: str) -> None: ...


class _Warnings:
    """The warnings of one `TokenCache.current()` call: the first is written, the rest dropped,
    so a request that polls the shared cache for seconds writes one WARNING line at most."""

    def __init__(self, store: TokenStore | None):
        self._store = store
        self.written = False

    def warn(self, message: str) -> None:
        if not self.written and self._store is not None:
            self._store.warn(message)
            self.written = True


class TokenCache:
    def __init__(
        self,
        fetch: Callable[[], AccessToken],
        cooldown_seconds: float,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        policy: TokenPolicy = TokenPolicy(),
        token_request_seconds: float = TOKEN_REQUEST_SECONDS,
    ):
        """`fetch` mints a token from the refresh token, labelled with its grant; it takes at most
        `token_request_seconds`, which sets the lease of a refresh claim."""
        self._fetch = fetch
        self._policy = policy
        self._cooldown = cooldown_seconds
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self.lease_seconds = token_request_seconds + CLAIM_MARGIN_SECONDS
        self._token: AccessToken | None = None
        self._rejected: str | None = None
        self._quiet_until = 0.0
        self._lock = threading.Lock()
        self.refreshes = 0

    def current(self) -> AccessToken:
        token = self._token
        if token is not None and token.usable(self._clock()):
            return token
        with deadline.holding(self._lock):  # another thread may be waiting for a claim
            now = self._clock()
            if self._token is not None and self._token.usable(now):
                return self._token
            warnings = _Warnings(self._store)
            token = self._shared(warnings)
            if token is None:
                self._refuse_while_throttled(now)
                token = self._claimed_or_waited_for(warnings)
            self._token = token
            return token

    def invalidate(self, value: str) -> None:
        """Zoho rejected this token: drop it, unless another thread already replaced it."""
        with self._lock:
            self._rejected = value
            if self._token is not None and self._token.value == value:
                self._token = None

    def _shared(self, warnings: _Warnings) -> AccessToken | None:
        """The stored token if this instance may use it; a miss otherwise (warned about when the
        entry is not merely absent or expired)."""
        if self._store is None:
            return None
        try:
            token = self._store.load()
        except TokenStoreProblem as unreadable:
            warnings.warn(f"{unreadable}; refreshing instead")
            return None
        now = self._clock()
        if token is None or token.value == self._rejected or not token.usable(now):
            return None
        problem = self._policy.problem(token, now)
        if problem is not None:
            warnings.warn(f"ignored {self._store.describe()}: it has {problem}; refreshing instead")
            return None
        if token.grant != self._store.grant():
            warnings.warn(
                f"ignored {self._store.describe()}: it was minted from another refresh token (not"
                " the configured grant); refreshing instead"
            )
            return None
        return token

    def _claimed_or_waited_for(self, warnings: _Warnings) -> AccessToken:
        """Refresh under this instance's claim, or wait for the instance that holds one and use
        its token; when its claim ends without a token, claim in turn."""
        if self._store is None:
            return self._refresh(warnings)
        started = self._clock()
        while True:
            try:
                other_claim_ends = self._store.claim_refresh(self.lease_seconds)
            except TokenStoreProblem as problem:
                # Refreshing here beats waiting on a coordination mechanism that is down.
                warnings.warn(f"could not claim the token refresh, refreshing anyway: {problem}")
                return self._refresh(warnings)
            if other_claim_ends is None:
                return self._refresh_claimed(warnings)
            if self._clock() - started > 2 * self.lease_seconds:
                # Claims keep being taken and none delivers a token: stop waiting on them.
                return self._refresh(warnings)
            token = self._wait_for_shared(other_claim_ends, warnings)
            if token is not None:
                return token

    def _wait_for_shared(self, claim_ends: float, warnings: _Warnings) -> AccessToken | None:
        """Poll the store until another instance's token appears or its claim ends."""
        while (now := self._clock()) < claim_ends:
            left = self._time_left()
            self._sleep(min(POLL_SECONDS, claim_ends - now, left))
            self._time_left()
            token = self._shared(warnings)
            if token is not None:
                return token
        return None

    @staticmethod
    def _time_left() -> float:
        """Seconds left before the request's deadline (infinite outside one); DeadlineExceeded
        once it has passed."""
        left = deadline.remaining()
        if left is None:
            return math.inf
        if left <= 0:
            raise deadline.exceeded("the token refresh another instance claimed was done")
        return left

    def _refresh_claimed(self, warnings: _Warnings) -> AccessToken:
        try:
            return self._refresh(warnings)
        except BaseException:
            self._release_claim()
            raise

    def _release_claim(self) -> None:
        try:
            if self._store is not None:
                self._store.release_claim()
        except (TokenStoreProblem, ZohoUnavailable):  # the deadline passed, say: the lease ends it
            pass

    def _refuse_while_throttled(self, now: float) -> None:
        if now < self._quiet_until:
            raise TokenThrottled(
                "Zoho's token endpoint is throttling this refresh token (Access Denied);"
                f" not asking again for {self._quiet_until - now:.0f} s"
            )

    def _refresh(self, warnings: _Warnings) -> AccessToken:
        try:
            token = self._fetch()
        except TokenThrottled:
            self._quiet_until = self._clock() + self._cooldown
            raise
        value = token_problem(token.value)
        if value is not None:
            raise ZohoBadResponse(f"the token endpoint answered {value}; it is not used")
        problem = self._policy.problem(token, self._clock())
        if problem is not None:
            raise ZohoBadResponse(
                f"the token endpoint answered a token with {problem}: check ZOHO_DC and"
                " ZOHO_ACCOUNTS_URL, or set ZOHO_API_DOMAIN"
            )
        self.refreshes += 1
        if self._store is not None and token.grant is not None and token.grant == self._store.grant():
            try:
                self._store.save(token)
            except TokenStoreProblem as unkept:
                warnings.warn(str(unkept))
        return token


def parse_token_response(body: dict[str, Any], status: int, grant: str | None = None) -> AccessToken:
    """The token endpoint's JSON as an AccessToken (labelled with `grant`, the fingerprint of the
    refresh token that asked for it), or the error it means."""
    value = body.get("access_token")
    if isinstance(value, str) and value:
        redaction.register(value)
        problem = token_problem(value)
        if problem is not None:
            raise ZohoBadResponse(f"the token endpoint answered {problem}; it is not used")
        return AccessToken(value, time.time() + _expires_in(body), _domain(body.get("api_domain")), grant)
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
