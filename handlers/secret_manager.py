"""Google Secret Manager, reached through google-cloud-secret-manager imported on first use.

The client library costs about 200 ms to import, so instances whose secrets come from the
environment never load it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from handlers.settings import MisconfiguredError

VERSION_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+/versions/[^/\s]+")
SECRET_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+")
_TIMEOUT_SECONDS = 10.0


class SecretUnavailable(Exception):
    """Secret Manager could not be reached or answered an error; worth trying again later."""


@dataclass(frozen=True)
class SecretVersion:
    name: str
    value: str


class SecretManager:
    def __init__(self, endpoint: str | None = None):
        self._endpoint = endpoint
        self._client: Any = None
        self._lock = threading.Lock()

    def access(self, version_name: str) -> SecretVersion:
        """The value of a version (`.../versions/latest` for the newest enabled one)."""
        client = self.client()
        with _errors(version_name):
            response = client.access_secret_version(name=version_name, retry=None, timeout=_TIMEOUT_SECONDS)
        return SecretVersion(response.name, response.payload.data.decode("utf-8"))

    def add_version(self, secret_name: str, value: str) -> str:
        """Store a new version and return its name."""
        client = self.client()
        with _errors(secret_name):
            version = client.add_secret_version(
                parent=secret_name,
                payload={"data": value.encode("utf-8")},
                retry=None,
                timeout=_TIMEOUT_SECONDS,
            )
        return str(version.name)

    def disable_older_versions(self, secret_name: str, keep: str) -> None:
        """Disable every enabled version of the secret except `keep`."""
        client = self.client()
        with _errors(secret_name):
            versions = client.list_secret_versions(
                request={"parent": secret_name, "filter": "state:ENABLED"},
                retry=None,
                timeout=_TIMEOUT_SECONDS,
            )
            for version in versions:
                if version.name != keep:
                    client.disable_secret_version(name=version.name, retry=None, timeout=_TIMEOUT_SECONDS)

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

            options["credentials"] = AnonymousCredentials()
            options["client_options"] = {"api_endpoint": self._endpoint}
        try:
            return secretmanager.SecretManagerServiceClient(**options)
        except DefaultCredentialsError:
            raise MisconfiguredError(
                "no Google credentials to read Secret Manager with"
                " (run `gcloud auth application-default login`, or set the secrets directly)"
            ) from None


@contextmanager
def _errors(name: str) -> Iterator[None]:
    """Client-library errors as MisconfiguredError (fix the setup) or SecretUnavailable (retry)."""
    from google.api_core import exceptions

    try:
        yield
    except (exceptions.NotFound, exceptions.FailedPrecondition) as error:
        raise MisconfiguredError(
            f"Secret Manager has no enabled {name} ({error.__class__.__name__})"
        ) from None
    except (exceptions.PermissionDenied, exceptions.Unauthenticated):
        raise MisconfiguredError(
            f"the function's service account may not use {name} (permission denied)"
        ) from None
    except Exception as error:
        raise SecretUnavailable(
            f"Secret Manager unavailable for {name} ({error.__class__.__name__})"
        ) from None
