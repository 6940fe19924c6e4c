"""The four credentials: from environment variables, or from Secret Manager with a short cache.

`<NAME>` wins when set; otherwise `<NAME>_SECRET` names a Secret Manager version. Values read
from Secret Manager are kept for `SECRET_CACHE_SECONDS`, so a rotated secret takes effect
without a redeploy, and a failed read is not remembered: the next request tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from handlers import redaction
from handlers.secret_manager import VERSION_NAME, SecretManager
from handlers.settings import (
    SECRET_SUFFIX,
    WEBHOOK_SECRET,
    ZOHO_CLIENT_ID,
    ZOHO_CLIENT_SECRET,
    ZOHO_REFRESH_TOKEN,
    MisconfiguredError,
    env_text,
)


@dataclass(frozen=True)
class OAuthCredentials:
    client_id: str
    client_secret: str
    refresh_token: str


class SecretReader:
    def __init__(self, env: Mapping[str, str], manager: SecretManager, ttl_seconds: float):
        self._env = env
        self._manager = manager
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def oauth_credentials(self) -> OAuthCredentials:
        client_id, client_secret, refresh_token = self.values(
            ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
        )
        return OAuthCredentials(client_id, client_secret, refresh_token)

    def webhook_secrets(self) -> tuple[str, ...]:
        """Every accepted webhook secret (comma-separated, so a new one can overlap the old)."""
        (raw,) = self.values(WEBHOOK_SECRET)
        secrets = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not secrets:
            raise MisconfiguredError(f"{WEBHOOK_SECRET} holds no secret (only commas or spaces)")
        return secrets

    def values(self, *names: str) -> tuple[str, ...]:
        """The values of the named settings; one error naming every missing one."""
        missing = [name for name in names if not self._configured(name)]
        if missing:
            raise MisconfiguredError(
                "missing setting "
                + ", ".join(missing)
                + f": set it, or set {missing[0]}{SECRET_SUFFIX} to a Secret Manager version"
                " such as projects/PROJECT/secrets/NAME/versions/latest"
            )
        values = tuple(self._value(name) for name in names)
        redaction.register(*values)
        return values

    def _configured(self, name: str) -> bool:
        return bool(env_text(self._env, name) or env_text(self._env, name + SECRET_SUFFIX))

    def _value(self, name: str) -> str:
        direct = env_text(self._env, name)
        if direct is not None:
            return direct
        version = env_text(self._env, name + SECRET_SUFFIX) or ""
        if not VERSION_NAME.fullmatch(version):
            raise MisconfiguredError(
                f"{name}{SECRET_SUFFIX} must look like projects/PROJECT/secrets/NAME/versions/latest,"
                f" not {version!r}"
            )
        return self._cached(version)

    def _cached(self, version: str) -> str:
        with self._lock:
            hit = self._cache.get(version)
            if hit is not None and time.monotonic() - hit[1] < self._ttl:
                return hit[0]
            value = self._manager.access(version).value.strip()
            if not value:
                raise MisconfiguredError(f"Secret Manager version {version} is empty")
            self._cache[version] = (value, time.monotonic())
            return value
