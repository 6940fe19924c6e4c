"""Google Secret Manager, reached through google-cloud-secret-manager imported on first use.

The client library is slow to import (gRPC and protobuf), so instances whose secrets come from
the environment never load it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers import deadline
from handlers.errors import Failure, Misconfigured, SecretUnavailable

if TYPE_CHECKING:
    from google.api_core.exceptions import GoogleAPICallError

VERSION_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+/versions/[^/\s]+")
SECRET_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+")
_TIMEOUT_SECONDS = 10.0
_NOT_THERE = frozenset({"NOT_FOUND", "FAILED_PRECONDITION"})  # no such secret, or version not enabled
_DENIED = frozenset({"PERMISSION_DENIED", "UNAUTHENTICATED"})
_STALE_ETAG = frozenset({"FAILED_PRECONDITION", "ABORTED"})  # Google documents FAILED_PRECONDITION


@dataclass(frozen=True)
class SecretVersion:
    name: str
    value: str = field(repr=False)


class SecretManager:
    def __init__(self, endpoint: str | None = None):
        self._endpoint = endpoint
        self._client: Any = None
        self._lock = threading.Lock()

    def access(self, version_name: str) -> SecretVersion:
        """The value of a version (`.../versions/latest` for the newest enabled one)."""
        client = self.client()
        with _errors(version_name):
            response = client.access_secret_version(
                name=version_name, retry=None, timeout=deadline.budget(_TIMEOUT_SECONDS)
            )
        return SecretVersion(response.name, response.payload.data.decode("utf-8"))

    def add_version(self, secret_name: str, value: str) -> str:
        """Store a new version and return its name."""
        client = self.client()
        with _errors(secret_name):
            version = client.add_secret_version(
                parent=secret_name,
                payload={"data": value.encode("utf-8")},
                retry=None,
                timeout=deadline.budget(_TIMEOUT_SECONDS),
            )
        return str(version.name)

    def retire_older_versions(self, secret_name: str, keep: str) -> None:
        """Disable the enabled versions created before `keep`, and destroy older disabled ones.

        Newer ones stay enabled: `versions/latest` is the newest version whatever its state, so
        disabling a version another instance added meanwhile would make `latest` unreadable.
        Destroying what was disabled before keeps the count of billed versions at two, instead of
        one more every hour.
        """
        from google.cloud.secretmanager import SecretVersion

        client = self.client()
        with _errors(secret_name):
            versions = client.list_secret_versions(
                request={"parent": secret_name}, retry=None, timeout=deadline.budget(_TIMEOUT_SECONDS)
            )
            for version in versions:
                if _version_number(version.name) >= _version_number(keep):
                    continue
                if version.state == SecretVersion.State.ENABLED:
                    client.disable_secret_version(
                        name=version.name, retry=None, timeout=deadline.budget(_TIMEOUT_SECONDS)
                    )
                elif version.state == SecretVersion.State.DISABLED:
                    client.destroy_secret_version(
                        name=version.name, retry=None, timeout=deadline.budget(_TIMEOUT_SECONDS)
                    )

    def get_secret(self, secret_name: str) -> tuple[dict[str, str], str]:
        """The secret's annotations, and its etag for a conditional update."""
        client = self.client()
        with _errors(secret_name):
            secret = client.get_secret(
                name=secret_name, retry=None, timeout=deadline.budget(_TIMEOUT_SECONDS)
            )
        return dict(secret.annotations), str(secret.etag)

    def update_annotations(self, secret_name: str, annotations: Mapping[str, str], etag: str) -> bool:
        """Replace the secret's annotations if its etag is still `etag`; False when it changed since."""
        from google.api_core.exceptions import GoogleAPICallError

        client = self.client()
        with _errors(secret_name):
            try:
                client.update_secret(
                    secret={"name": secret_name, "annotations": dict(annotations), "etag": etag},
                    update_mask={"paths": ["annotations"]},
                    retry=None,
                    timeout=deadline.budget(_TIMEOUT_SECONDS),
                )
            except GoogleAPICallError as error:
                if _status(error) in _STALE_ETAG:
                    return False
                raise
        return True

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
            return secretmanager.SecretManagerServiceClient(**options)
        except DefaultCredentialsError:
            raise Misconfigured(
                "no Google credentials to read Secret Manager with"
                " (run `gcloud auth application-default login`, or set the secrets directly)"
            ) from None


@contextmanager
def _errors(name: str) -> Iterator[None]:
    """Client-library errors as Misconfigured (fix the setup) or SecretUnavailable (retry)."""
    from google.api_core.exceptions import GoogleAPICallError

    try:
        yield
    except GoogleAPICallError as error:
        raise _translated(error, name) from None
    except Failure:
        raise  # the request's deadline passed (handlers.deadline), or a failure already named
    except Exception as error:
        raise SecretUnavailable(
            f"Secret Manager unavailable for {name} ({error.__class__.__name__})"
        ) from None


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


def _version_number(version_name: str) -> int:
    """1 for projects/p/secrets/s/versions/1 (Google numbers versions from 1)."""
    number = version_name.rsplit("/", 1)[-1]
    return int(number) if number.isdigit() else 0
