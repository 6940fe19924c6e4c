"""A stateful fake of Google Secret Manager's v1 REST API on a local port, for the real client.

Point google-cloud-secret-manager at it the way SECRET_MANAGER_ENDPOINT does: `transport="rest"`,
`AnonymousCredentials()` and `client_options={"api_endpoint": fake.url}`. Other processes need
only the URL. It keeps secrets with numbered versions (each stamped with its creation time) and
etags, and answers the way Google documents:

- `versions/latest` is the most recently created version, whatever its state: when that one is
  disabled, access fails with 400 FAILED_PRECONDITION ("... is in DISABLED state"), as it does on
  Google; a secret without versions (or no such secret) is 404 NOT_FOUND;
- a disable or destroy whose etag no longer matches fails with 400 FAILED_PRECONDITION (Google's
  etag page), and destroying a destroyed version fails with 400 FAILED_PRECONDITION;
- `unavailable = True` answers 503 UNAVAILABLE to everything; `deny(method, path)` answers 403
  PERMISSION_DENIED to matching requests, as for an account without the permission;
- `trickle_next(n, seconds_per_byte, path)` writes the next n matching answers a byte at a time,
  so each read gets a byte before any read timeout: only a total bound stops the client.

Served: access, addVersion, list versions (filter `state:S`, or several joined by `OR`), disable
and destroy. Anything else answers 501 UNIMPLEMENTED. Not modelled: project numbers in names
(names keep the project as given), payload checksums, paging, IAM, locations, secret metadata.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.zoho_emulator.local_http import KeepAliveHandler, TrackingHTTPServer

ENABLED = "ENABLED"
DISABLED = "DISABLED"
DESTROYED = "DESTROYED"
_STATE_NUMBERS = {ENABLED: 1, DISABLED: 2, DESTROYED: 3}  # google.cloud.secretmanager.v1.SecretVersion.State
_SECRET = r"/v1/(projects/[^/:]+/secrets/[^/:]+)"


@dataclass(frozen=True)
class StoredVersion:
    name: str
    value: str
    state: str


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


class ApiError(Exception):
    """An error answer in Google's JSON shape: {"error": {"code", "message", "status"}}."""

    def __init__(self, http_status: int, status: str, message: str):
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.http_status, "message": self.message, "status": self.status}}


@dataclass
class _Version:
    number: int
    data: bytes
    state: str
    etag: str
    created: str


@dataclass
class _Secret:
    name: str
    created: str
    versions: list[_Version] = field(default_factory=list)


class SecretStore:
    """The secrets and Google's rules for them; thread-safe, no HTTP."""

    def __init__(self) -> None:
        self._secrets: dict[str, _Secret] = {}
        self._lock = threading.Lock()
        self._etags = itertools.count(time.time_ns() // 1000)

    def create(self, name: str) -> None:
        with self._lock:
            if name in self._secrets:
                raise ApiError(409, "ALREADY_EXISTS", f"Secret [{name}] already exists.")
            self._secrets[name] = _Secret(name, _now())

    def add_version(self, name: str, data: bytes, age_seconds: float = 0.0) -> tuple[str, _Version]:
        """`age_seconds`: stamp the version as created that long ago (a claim written earlier)."""
        with self._lock:
            secret = self._secret(name)
            version = _Version(len(secret.versions) + 1, data, ENABLED, self._etag(), _now(age_seconds))
            secret.versions.append(version)
            return name, version

    def access(self, name: str, version_id: str) -> _Version:
        with self._lock:
            version = self._version(name, version_id)
            if version.state != ENABLED:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    f"Secret Version [{name}/versions/{version.number}] is in {version.state} state.",
                )
            return version

    def list_versions(self, name: str, states: set[str] | None) -> list[_Version]:
        """Newest first, as Google lists them."""
        with self._lock:
            versions = reversed(self._secret(name).versions)
            return [version for version in versions if states is None or version.state in states]

    def disable(self, name: str, version_id: str, etag: str) -> _Version:
        with self._lock:
            version = self._version(name, version_id)
            _check_etag(etag, version.etag)
            version.state = DISABLED
            version.etag = self._etag()
            return version

    def destroy(self, name: str, version_id: str, etag: str) -> _Version:
        """The version's data is gone for good; its number stays, in state DESTROYED."""
        with self._lock:
            version = self._version(name, version_id)
            _check_etag(etag, version.etag)
            if version.state == DESTROYED:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    f"Secret Version [{name}/versions/{version_id}] is in DESTROYED state.",
                )
            version.state = DESTROYED
            version.data = b""
            version.etag = self._etag()
            return version

    def stored_versions(self, name: str) -> list[StoredVersion]:
        with self._lock:
            return [
                StoredVersion(f"{name}/versions/{v.number}", v.data.decode("utf-8"), v.state)
                for v in self._secret(name).versions
            ]

    def _secret(self, name: str) -> _Secret:
        secret = self._secrets.get(name)
        if secret is None:
            raise ApiError(404, "NOT_FOUND", f"Secret [{name}] not found or has no versions.")
        return secret

    def _version(self, name: str, version_id: str) -> _Version:
        versions = self._secret(name).versions
        if version_id == "latest" and versions:
            return versions[-1]
        if version_id.isdigit() and 0 < int(version_id) <= len(versions):
            return versions[int(version_id) - 1]
        if version_id == "latest":
            raise ApiError(404, "NOT_FOUND", f"Secret [{name}] not found or has no versions.")
        raise ApiError(404, "NOT_FOUND", f"Secret Version [{name}/versions/{version_id}] not found.")

    def _etag(self) -> str:
        return f'"{next(self._etags):x}"'  # Google's etags are quoted strings too


def _check_etag(given: str, current: str) -> None:
    if given and given != current:
        raise ApiError(400, "FAILED_PRECONDITION", f"The etag provided ({given}) is out of date.")


def _now(age_seconds: float = 0.0) -> str:
    return (
        (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_seconds))
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


@dataclass
class _Trickle:
    left: int
    path: re.Pattern[str] | None
    seconds_per_byte: float


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    trickle_seconds: float = 0.0  # seconds between two bytes of the answer; 0: all at once


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any

    def param(self, name: str) -> str:
        return (self.query.get(name) or [""])[0]

    @property
    def int_enums(self) -> bool:
        """The client asks `$alt=json;enum-encoding=int`; enums are then numbers, not names."""
        return "enum-encoding=int" in self.param("$alt")


Route = tuple[str, re.Pattern[str], Callable[[_Call, re.Match[str]], dict[str, Any]]]


class SecretManagerApi:
    """Secret Manager's REST routes over a SecretStore: one call in, (HTTP status, JSON body) out."""

    def __init__(self, store: SecretStore):
        self.store = store
        self._routes: list[Route] = [
            ("GET", re.compile(_SECRET + r"/versions/([^/:]+):access"), self._access),
            ("POST", re.compile(_SECRET + r":addVersion"), self._add_version),
            ("GET", re.compile(_SECRET + r"/versions"), self._list_versions),
            ("POST", re.compile(_SECRET + r"/versions/([^/:]+):disable"), self._disable),
            ("POST", re.compile(_SECRET + r"/versions/([^/:]+):destroy"), self._destroy),
        ]

    def answer(self, call: _Call) -> tuple[int, dict[str, Any]]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                try:
                    return 200, handler(call, match)
                except ApiError as error:
                    return error.http_status, error.body()
        message = f"the Secret Manager fake does not serve {call.method} {call.path}"
        return 501, ApiError(501, "UNIMPLEMENTED", message).body()

    def _access(self, call: _Call, match: re.Match[str]) -> dict[str, Any]:
        version = self.store.access(match[1], match[2])
        return {
            "name": f"{match[1]}/versions/{version.number}",
            "payload": {"data": base64.b64encode(version.data).decode("ascii")},
        }

    def _add_version(self, call: _Call, match: re.Match[str]) -> dict[str, Any]:
        try:
            data = base64.b64decode(call.body["payload"]["data"], validate=True)
        except (TypeError, KeyError, ValueError):
            raise ApiError(400, "INVALID_ARGUMENT", "payload.data must be base64 bytes") from None
        name, version = self.store.add_version(match[1], data)
        return _version_json(name, version, call.int_enums)

    def _list_versions(self, call: _Call, match: re.Match[str]) -> dict[str, Any]:
        states = _state_filter(call.param("filter"))
        versions = self.store.list_versions(match[1], states)
        return {
            "versions": [_version_json(match[1], version, call.int_enums) for version in versions],
            "totalSize": len(versions),
        }

    def _disable(self, call: _Call, match: re.Match[str]) -> dict[str, Any]:
        etag = str((call.body or {}).get("etag", ""))
        return _version_json(match[1], self.store.disable(match[1], match[2], etag), call.int_enums)

    def _destroy(self, call: _Call, match: re.Match[str]) -> dict[str, Any]:
        etag = str((call.body or {}).get("etag", ""))
        return _version_json(match[1], self.store.destroy(match[1], match[2], etag), call.int_enums)


def _state_filter(text: str) -> set[str] | None:
    """The states of `state:ENABLED`, or of `state:ENABLED OR state:DISABLED`; None: no filter."""
    if not text.strip():
        return None
    states = set()
    for term in re.split(r"\s+OR\s+", text.strip()):
        match = re.fullmatch(r"state:(ENABLED|DISABLED|DESTROYED)", term)
        if match is None:
            raise ApiError(
                501, "UNIMPLEMENTED", f"the fake filters only on states joined by OR, not {text!r}"
            )
        states.add(match[1])
    return states


def _version_json(secret_name: str, version: _Version, int_enums: bool) -> dict[str, Any]:
    return {
        "name": f"{secret_name}/versions/{version.number}",
        "createTime": version.created,
        "state": _STATE_NUMBERS[version.state] if int_enums else version.state,
        "etag": version.etag,
    }


class SecretManagerFake:
    """The API on 127.0.0.1 (a free port), a journal of requests, and helpers to arrange state.

    with SecretManagerFake() as fake:
        fake.set("projects/p/secrets/webhook", "s3cr3t")     # creates the secret, adds version 1
        ...  # SECRET_MANAGER_ENDPOINT=fake.url
    """

    def __init__(self) -> None:
        self.store = SecretStore()
        self.unavailable = False  # True: every request answers 503 UNAVAILABLE
        self.latency = 0.0  # seconds every answer is held back
        self._trickles: list[_Trickle] = []
        self._denied: list[tuple[str, re.Pattern[str]]] = []
        self._api = SecretManagerApi(self.store)
        self._journal: list[FakeRequest] = []
        self._journal_lock = threading.Lock()
        self._server: _Server | None = None

    def start(self) -> str:
        """Serve on background threads; returns the base URL (http://127.0.0.1:PORT)."""
        if self._server is not None:
            raise RuntimeError("the Secret Manager fake is already running")
        self._server = _Server(("127.0.0.1", 0), self._handle)
        return self._server.start("secret-manager-fake")

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None

    def __enter__(self) -> SecretManagerFake:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Secret Manager fake has not been started")
        return self._server.url

    def create(self, secret_name: str) -> None:
        """A secret with no versions yet."""
        self.store.create(secret_name)

    def set(self, secret_name: str, value: str, age_seconds: float = 0.0) -> str:
        """Add a version holding `value` (creating the secret if needed), stamped as created
        `age_seconds` ago; returns the version name."""
        with contextlib.suppress(ApiError):
            self.store.create(secret_name)
        name, version = self.store.add_version(secret_name, value.encode("utf-8"), age_seconds)
        return f"{name}/versions/{version.number}"

    def disable(self, version_name: str) -> None:
        """Disable one version (projects/P/secrets/S/versions/N)."""
        secret_name, _, number = version_name.rpartition("/versions/")
        self.store.disable(secret_name, number, etag="")

    def versions(self, secret_name: str) -> list[StoredVersion]:
        """Every version, oldest first, with its value and state."""
        return self.store.stored_versions(secret_name)

    @property
    def journal(self) -> list[FakeRequest]:
        with self._journal_lock:
            return list(self._journal)

    def clear_journal(self) -> None:
        with self._journal_lock:
            self._journal.clear()

    def trickle_next(self, n: int, seconds_per_byte: float, path: str | None = None) -> None:
        """The next n answers to requests whose path matches `path` (a regex searched; any path
        when None) are written a byte at a time, `seconds_per_byte` apart."""
        with self._journal_lock:
            self._trickles.append(_Trickle(n, re.compile(path) if path else None, seconds_per_byte))

    def deny(self, method: str, path: str) -> None:
        """Answer 403 PERMISSION_DENIED to `method` requests whose path matches `path` (searched)."""
        with self._journal_lock:
            self._denied.append((method, re.compile(path)))

    def _is_denied(self, call: _Call) -> bool:
        with self._journal_lock:
            return any(method == call.method and path.search(call.path) for method, path in self._denied)

    def _take_trickle(self, path: str) -> float:
        with self._journal_lock:
            for trickle in self._trickles:
                if trickle.left > 0 and (trickle.path is None or trickle.path.search(path)):
                    trickle.left -= 1
                    return trickle.seconds_per_byte
        return 0.0

    def requests(self, method: str | None = None, path: str | None = None) -> list[FakeRequest]:
        """Journal entries filtered by method and by a regex searched in the path."""
        return [
            entry
            for entry in self.journal
            if (method is None or entry.method == method) and (path is None or re.search(path, entry.path))
        ]

    def _handle(self, call: _Call) -> _Answer:
        if self.latency:
            time.sleep(self.latency)
        if self.unavailable:
            status, body = 503, ApiError(503, "UNAVAILABLE", "The service is currently unavailable.").body()
        elif self._is_denied(call):
            status, body = (
                403,
                ApiError(403, "PERMISSION_DENIED", f"Permission denied on {call.path}.").body(),
            )
        else:
            status, body = self._api.answer(call)
        with self._journal_lock:
            self._journal.append(FakeRequest(call.method, call.path, call.query, call.body, status))
        return _Answer(status, body, self._take_trickle(call.path))


Handler = Callable[[_Call], _Answer]


class _Server(TrackingHTTPServer):
    def __init__(self, address: tuple[str, int], app: Handler):
        self.app = app
        super().__init__(address, _RequestHandler)


class _RequestHandler(KeepAliveHandler):
    timeout = 60  # seconds an idle keep-alive connection is kept
    server: _Server

    def _serve(self) -> None:
        url = urlsplit(self.path)
        call = _Call(self.command, url.path, parse_qs(url.query, keep_blank_values=True), self._body())
        answer = self.server.app(call)
        self._write(answer.status, json.dumps(answer.body).encode("utf-8"), answer.trickle_seconds)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            return None

    def _write(self, status: int, body: bytes, trickle_seconds: float = 0.0) -> None:
        """Head and body in one sendall, so no delayed ACK stalls the client; or, trickled, the
        head and then the body a byte at a time, until the client hangs up."""
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json; charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        try:
            if not trickle_seconds:
                self.connection.sendall(head + body)
                return
            self.connection.sendall(head)
            for index in range(len(body)):
                time.sleep(trickle_seconds)
                self.connection.sendall(body[index : index + 1])
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the journal records every request
