"""What can go wrong talking to Zoho, as exceptions the conversion engine maps to outcomes."""

from __future__ import annotations

from typing import Any


class ZohoError(Exception):
    """Base class; `str(error)` is a reason fit for a log line and a response (never a secret)."""


class ZohoUnavailable(ZohoError):
    """Zoho could not be reached or kept failing within the retry deadline: try again later."""


class TokenThrottled(ZohoUnavailable):
    """Zoho's token endpoint answered "Access Denied": too many tokens were requested."""


class ZohoBadResponse(ZohoError):
    """Zoho answered something this function cannot read (not JSON, or an unexpected shape)."""


class CredentialsRejected(ZohoError):
    """Zoho refused the OAuth client or refresh token: a setup problem, not a transient one."""


class ZohoRejected(ZohoError):
    """Zoho refused the request with an error code (top-level or per record inside `data[]`)."""

    def __init__(self, code: str, message: str, details: Any = None, http_status: int = 400):
        self.code, self.message, self.details, self.http_status = (
            code,
            message,
            details,
            http_status,
        )
        super().__init__(f"{code}: {message}" + (f" {details}" if details else ""))
