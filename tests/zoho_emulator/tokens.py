"""Zoho Accounts' refresh-token grant and access-token checks, with Zoho's documented limits."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .protocol import top_level_error
from .scopes import DEFAULT_GRANT

TOKEN_LIFETIME_SECONDS = 3600  # zoho-crm-api.md §5.3
ISSUE_LIMIT = 10  # new access tokens per refresh token... (zoho-crm-api.md §5.3)
ISSUE_WINDOW_SECONDS = 600  # ...per rolling 10 minutes
THROTTLED = {
    "error_description": ("You have made too many requests continuously. Please try again after some time."),
    "error": "Access Denied",
    "status": "failure",
}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str


@dataclass
class TokenAuthority:
    """Refresh tokens, each with its granted scopes, and the access tokens minted from them.

    The constructor's refresh token is granted `DEFAULT_GRANT`; `grant_scopes` changes a refresh
    token's scopes, or adds another refresh token of the same client. Scopes are looked up when
    a call is made, so a change applies to access tokens already issued. (In Zoho a grant is
    fixed when the refresh token is made; here a test need not mint a new token to narrow it.)
    """

    credentials: Credentials
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _expiry: dict[str, float] = field(default_factory=dict)  # access token -> expiry time
    _minted_from: dict[str, str] = field(default_factory=dict)  # access token -> refresh token
    _scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # refresh token -> grant
    _issue_times: dict[str, deque[float]] = field(default_factory=dict)  # per refresh token

    def __post_init__(self) -> None:
        self.reset_grants()

    def grant_scopes(self, scopes: Iterable[str], refresh_token: str | None = None) -> None:
        """Grant `scopes` to a refresh token (the constructor's by default; a new one is added)."""
        with self._lock:
            self._scopes[refresh_token or self.credentials.refresh_token] = frozenset(scopes)

    def granted_scopes(self, refresh_token: str | None = None) -> frozenset[str]:
        with self._lock:
            return self._scopes[refresh_token or self.credentials.refresh_token]

    def reset_grants(self) -> None:
        """Only the constructor's refresh token, granted DEFAULT_GRANT."""
        with self._lock:
            self._scopes = {self.credentials.refresh_token: DEFAULT_GRANT}

    def clear_throttle(self) -> None:
        """Forget the tokens issued in the rolling window (§5.3), so the next ten succeed."""
        with self._lock:
            self._issue_times.clear()

    def grant(self, params: Mapping[str, str], api_domain: str, throttled: bool) -> dict[str, Any]:
        """The JSON body of a token answer; Zoho sends errors and throttling with HTTP 200."""
        if params.get("grant_type") != "refresh_token":
            return {"error": "unsupported_grant_type"}
        expected = self.credentials
        if (
            params.get("client_id") != expected.client_id
            or params.get("client_secret") != expected.client_secret
        ):
            return {"error": "invalid_client"}
        refresh_token = params.get("refresh_token") or ""
        with self._lock:
            if refresh_token not in self._scopes:
                return {"error": "invalid_code"}
            moment = time.monotonic()
            issued = self._issue_times.setdefault(refresh_token, deque())
            while issued and moment - issued[0] >= ISSUE_WINDOW_SECONDS:
                issued.popleft()
            if throttled or len(issued) >= ISSUE_LIMIT:
                return dict(THROTTLED)
            issued.append(moment)
            token = "1000." + secrets.token_hex(32)
            self._expiry[token] = moment + TOKEN_LIFETIME_SECONDS
            self._minted_from[token] = refresh_token
        return {
            "access_token": token,
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
        }

    def authenticate(self, authorization: str | None) -> frozenset[str]:
        """The scopes of the header's access token; the 401 Zoho answers unless it is live."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Zoho-oauthtoken" or not token.strip():
            raise top_level_error(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        token = token.strip()
        with self._lock:
            expires_at = self._expiry.get(token)
            if expires_at is None or expires_at <= time.monotonic():
                raise top_level_error(401, "INVALID_TOKEN", "invalid oauth token")
            return self._scopes.get(self._minted_from[token], frozenset())

    def revoke_all(self) -> None:
        with self._lock:
            self._expiry.clear()
            self._minted_from.clear()
