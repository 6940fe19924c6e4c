"""Routing of /crm/{version}/... calls: API versions, authentication, 404 and 405 answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import credits as credit_costs
from .permissions import ProfilePermissions
from .protocol import ApiError, FieldError, Request, Response, top_level_error
from .scopes import Requirement, check
from .tokens import TokenAuthority

VERSIONS = {"v2": 2.0, "v2.1": 2.1, "v3": 3, "v4": 4, "v5": 5, "v6": 6, "v7": 7, "v8": 8}
LEGACY_VERSIONS = frozenset({"v2", "v2.1"})
_API_PATH = re.compile(r"/crm/(?P<version>v[0-9.]+)/(?P<rest>.*)")


@dataclass(frozen=True)
class Call:
    """A routed API call: the request plus what the URL said."""

    request: Request
    version: str
    params: dict[str, str]
    # The token's scopes, for checks a handler makes once it has read the body (None: unchecked).
    granted: frozenset[str] | None = None

    @property
    def legacy(self) -> bool:
        """v2 and v2.1 use plain id strings where v3+ uses {"id": ...} objects."""
        return self.version in LEGACY_VERSIONS


Handler = Callable[[Call], Response]
# The scopes an endpoint needs (zoho-crm-api.md §13.7): every requirement met by one of its
# names; a function when they depend on the URL. None: the reference names no scope for it.
Scopes = tuple[Requirement, ...] | Callable[[dict[str, str]], tuple[Requirement, ...]] | None


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # regex for the path after /crm/{version}/, with named groups
    handler: Handler
    since: float = 2.0  # first API version that has this endpoint
    scopes: Scopes = None
    # Profile permissions the token's user needs (zoho-crm-api.md §14.8), checked after the scope.
    permissions: tuple[str, ...] = ()
    # CRM credits a call costs (zoho-crm-api.md §14.7, credits.py), or a function of the request.
    credits: int | Callable[[Request], int] = credit_costs.DEFAULT

    @property
    def endpoint(self) -> str:
        """The endpoint as the credit meter names it: `POST Leads/{id}/actions/convert`."""
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", self.pattern)
        return f"{self.method} {path}"

    def cost(self, request: Request) -> int:
        return self.credits(request) if callable(self.credits) else self.credits

    def required_scopes(self, params: dict[str, str]) -> tuple[Requirement, ...]:
        if self.scopes is None:
            return ()
        return self.scopes(params) if callable(self.scopes) else self.scopes

    def match(self, version: str, rest: str) -> dict[str, str] | None:
        if VERSIONS[version] < self.since:
            return None
        found = re.fullmatch(self.pattern, rest)
        return found.groupdict() if found else None


class Router:
    def __init__(
        self,
        tokens: TokenAuthority,
        routes: Iterable[Route],
        permissions: ProfilePermissions | None = None,
    ) -> None:
        self._tokens = tokens
        self._routes = list(routes)
        self._permissions = permissions or ProfilePermissions()

    def classify(self, request: Request) -> tuple[str, int]:
        """The endpoint a /crm/ call is for and the credits it costs, whatever its answer
        (zoho-crm-api.md §14.7: a refused call counts as charged). A call no route takes (an
        unknown URL or method, a version that lacks the endpoint) is "<METHOD> unknown", 1."""
        url = _API_PATH.fullmatch(request.path)
        if url is not None and url["version"] in VERSIONS:
            for route in self._routes:
                if route.method == request.method and re.fullmatch(route.pattern, url["rest"]):
                    return route.endpoint, route.cost(request)
        return f"{request.method} unknown", credit_costs.DEFAULT

    def handle(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except FieldError as problem:
            return problem.wrapped().response()
        except ApiError as error:
            return error.response()

    def _dispatch(self, request: Request) -> Response:
        url = _API_PATH.fullmatch(request.path)
        if url is None or url["version"] not in VERSIONS:
            raise invalid_url()
        version, rest = url["version"], url["rest"]
        matches = [(route, route.match(version, rest)) for route in self._routes]
        candidates = [(route, params) for route, params in matches if params is not None]
        if not candidates:
            raise invalid_url()
        granted = self._tokens.authenticate(request.headers.get("Authorization"))
        for route, params in candidates:
            if route.method == request.method:
                # zoho-crm-api.md §13.7: a token without the endpoint's scope gets 401
                # OAUTH_SCOPE_MISMATCH, before the request itself is looked at.
                check(granted, route.required_scopes(params))
                # zoho-crm-api.md §14.1, §14.2, §14.8: then the profile's permissions, 403
                # NO_PERMISSION, still before the request itself is looked at.
                self._permissions.check(route.permissions)
                return route.handler(Call(request, version, params, granted))
        raise top_level_error(
            405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
        )


def invalid_url() -> ApiError:
    return top_level_error(
        404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
    )
