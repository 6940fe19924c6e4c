"""Zoho Accounts' refresh-token grant and access-token checks, with Zoho's documented limits."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .protocol import top_level_error

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
    credentials: Credentials
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _expiry: dict[str, float] = field(default_factory=dict)  # access token -> expiry time
    _issue_times: deque[float] = field(default_factory=deque)

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
        if params.get("refresh_token") != expected.refresh_token:
            return {"error": "invalid_code"}
        with self._lock:
            moment = time.monotonic()
            while self._issue_times and moment - self._issue_times[0] >= ISSUE_WINDOW_SECONDS:
                self._issue_times.popleft()
            if throttled or len(self._issue_times) >= ISSUE_LIMIT:
                return dict(THROTTLED)
            self._issue_times.append(moment)
            token = "1000." + secrets.token_hex(32)
            self._expiry[token] = moment + TOKEN_LIFETIME_SECONDS
        return {
            "access_token": token,
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
        }

    def authenticate(self, authorization: str | None) -> None:
        """Raise the 401 Zoho answers unless the header carries a live access token."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Zoho-oauthtoken" or not token.strip():
            raise top_level_error(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        with self._lock:
            expires_at = self._expiry.get(token.strip())
            if expires_at is None or expires_at <= time.monotonic():
                raise top_level_error(401, "INVALID_TOKEN", "invalid oauth token")

    def revoke_all(self) -> None:
        with self._lock:
            self._expiry.clear()
