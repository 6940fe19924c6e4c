"""Google Secret Manager, reached through google-cloud-secret-manager imported on first use.

The client library is slow to import (gRPC and protobuf), so instances whose secrets come from
the environment never load it.

Every call is held to the request's deadline (handlers.platform.deadline), as Zoho's calls are. The
client's `timeout` bounds each socket operation only, so an answer trickled a byte at a time
would outlast it; each call therefore also gets a total budget (`_TIMEOUT_SECONDS`, or what is
left of the deadline), and a timer shuts its connection down when the budget is spent. The
REST transport's session is given connections that tell the calling thread's budget which
socket they use.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from handlers.errors import Failure, Misconfigured, SecretUnavailable
from handlers.platform import deadline

if TYPE_CHECKING:
    from google.api_core.exceptions import GoogleAPICallError

T = TypeVar("T")

VERSION_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+/versions/[^/\s]+")
SECRET_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+")
_TIMEOUT_SECONDS = 10.0
_NOT_THERE = frozenset({"NOT_FOUND", "FAILED_PRECONDITION"})  # no such secret, or version not enabled
_DENIED = frozenset({"PERMISSION_DENIED", "UNAUTHENTICATED"})


@dataclass(frozen=True)
class SecretVersion:
    name: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class StoredVersion:
    """A version's name and when Secret Manager created it (its clock, in epoch seconds)."""

    name: str
    created: float

    @property
    def number(self) -> int:
        return version_number(self.name)


class SecretManager:
    def __init__(self, endpoint: str | None = None):
        self._endpoint = endpoint
        self._client: Any = None
        self._lock = threading.Lock()

    def access(self, version_name: str) -> SecretVersion:
        """The value of a version (`.../versions/latest` for the newest enabled one)."""
        client = self.client()
        response = _call(version_name, client.access_secret_version, name=version_name)
        return SecretVersion(response.name, response.payload.data.decode("utf-8"))

    def add_version(self, secret_name: str, value: str) -> StoredVersion:
        """Store a new version; its name and Secret Manager's time of creation."""
        client = self.client()
        payload = {"data": value.encode("utf-8")}
        version = _call(secret_name, client.add_secret_version, parent=secret_name, payload=payload)
        return _stored(version)

    def live_versions(self, secret_name: str) -> list[StoredVersion]:
        """The versions not destroyed (enabled or disabled), newest first."""
        client = self.client()
        request = {"parent": secret_name, "filter": "state:ENABLED OR state:DISABLED"}
        versions = _call(secret_name, _listed(client.list_secret_versions), request=request)
        return sorted((_stored(version) for version in versions), key=lambda v: v.number, reverse=True)

    def destroy(self, version_name: str) -> None:
        """Destroy a version for good; one already destroyed (by another instance) is left as it is."""
        from google.api_core.exceptions import GoogleAPICallError

        client = self.client()
        try:
            _call(version_name, client.destroy_secret_version, name=version_name, passing=GoogleAPICallError)
        except GoogleAPICallError as error:
            if _status(error) not in _NOT_THERE:
                raise _translated(error, version_name) from None

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> Any:
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import secretmanager

        options: dict[str, Any] = {"transport": "rest"}
        if self._endpoint:
            from google.auth.credentials import AnonymousCredentials

            options["credentials"] = AnonymousCredentials()  # type: ignore[no-untyped-call]
            options["client_options"] = {"api_endpoint": self._endpoint}
        try:
            client = secretmanager.SecretManagerServiceClient(**options)
        except DefaultCredentialsError:
            raise Misconfigured(
                "no Google credentials to read Secret Manager with"
                " (run `gcloud auth application-default login`, or set the secrets directly)"
            ) from None
        session = getattr(getattr(client, "_transport", None), "_session", None)
        if session is not None:  # the REST transport's requests.Session: its calls can be cut
            adapter = _cuttable_adapter()
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        return client


def _call(
    about: str, method: Callable[..., T], /, *, passing: type[Exception] | None = None, **arguments: Any
) -> T:
    """One client call about the secret `about`, done within its budget whatever the server
    does. Errors come out as Misconfigured (fix the setup) or SecretUnavailable (retry), and as
    DeadlineExceeded once the request's deadline has passed; `passing`: an error type the
    caller handles itself."""
    from google.api_core.exceptions import GoogleAPICallError

    left = deadline.remaining()
    if left is not None and left <= 0:
        raise deadline.exceeded("Secret Manager answered")
    budget = _TIMEOUT_SECONDS if left is None else min(_TIMEOUT_SECONDS, left)
    bound = _Bound()
    _in_flight.bound = bound
    timer = threading.Timer(budget, bound.cut)
    timer.daemon = True
    timer.start()
    try:
        return method(retry=None, timeout=budget, **arguments)
    except Exception as error:
        if bound.was_cut:
            left = deadline.remaining()
            if left is not None and left <= 0:
                raise deadline.exceeded("Secret Manager answered") from None
            raise SecretUnavailable(f"Secret Manager took longer than {budget:g} s for {about}") from None
        if passing is not None and isinstance(error, passing):
            raise
        if isinstance(error, GoogleAPICallError):
            raise _translated(error, about) from None
        if isinstance(error, Failure):
            raise  # a failure already named
        kind = error.__class__.__name__
        raise SecretUnavailable(f"Secret Manager unavailable for {about} ({kind})") from None
    finally:
        bound.finish()
        timer.cancel()
        _in_flight.bound = None


class _Bound:
    """One call's budget: the connection it uses, so the timer (another thread) can cut it."""

    def __init__(self) -> None:
        self._connection: Any = None
        self.was_cut = False
        self._done = False
        self._lock = threading.Lock()

    def use(self, connection: Any) -> None:
        with self._lock:
            self._connection = connection
            if self.was_cut:
                _shut(connection)

    def cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.was_cut = True
            if self._connection is not None:
                _shut(self._connection)

    def finish(self) -> None:
        with self._lock:
            self._done = True


_in_flight = threading.local()


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _cuttable_adapter() -> Any:
    """An HTTPAdapter whose connections announce themselves to the calling thread's budget
    (defined on first use: requests and urllib3 come with the client library)."""
    import urllib3
    from requests.adapters import HTTPAdapter

    class Announcing:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            bound: _Bound | None = getattr(_in_flight, "bound", None)
            if bound is not None:
                bound.use(self)
            return super().request(*args, **kwargs)  # type: ignore[misc]

    class Connection(Announcing, urllib3.connection.HTTPConnection):
        pass

    class SecureConnection(Announcing, urllib3.connection.HTTPSConnection):
        pass

    class Pool(urllib3.HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(urllib3.HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    return Adapter()


def _translated(error: GoogleAPICallError, name: str) -> Exception:
    status = _status(error)
    if status in _NOT_THERE:
        return Misconfigured(f"Secret Manager has no enabled {name} ({status})")
    if status in _DENIED:
        return Misconfigured(f"the function's service account may not use {name} (permission denied)")
    return SecretUnavailable(f"Secret Manager unavailable for {name} ({status or error.__class__.__name__})")


def _status(error: GoogleAPICallError) -> str:
    """Google's status name (NOT_FOUND, FAILED_PRECONDITION, ...) of a client-library error.

    Over REST the library picks the exception class from the HTTP status alone, so a 400
    FAILED_PRECONDITION arrives as a plain BadRequest; the name is then in the JSON error body.
    """
    if error.grpc_status_code is not None:
        return str(error.grpc_status_code.name)
    try:
        return str(error.response.json()["error"]["status"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""


def _listed(method: Callable[..., Any]) -> Callable[..., list[Any]]:
    """`method`, its pages read inside the call (a pager reads the next page when iterated)."""
    return lambda **arguments: list(method(**arguments))


def _stored(version: Any) -> StoredVersion:
    return StoredVersion(str(version.name), version.create_time.timestamp())


def version_number(version_name: str) -> int:
    """1 for projects/p/secrets/s/versions/1 (Google numbers versions from 1)."""
    number = version_name.rsplit("/", 1)[-1]
    return int(number) if number.isdigit() else 0
