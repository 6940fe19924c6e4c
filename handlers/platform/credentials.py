"""The four credentials: from environment variables, or from Secret Manager with a short cache.

`<NAME>` wins when set; otherwise `<NAME>_SECRET` names a Secret Manager version. Values read
from Secret Manager are kept for `SECRET_CACHE_SECONDS`, so a rotated secret takes effect
without a redeploy. When a value expires, one thread reads it again while the others keep using
the old one; a read that fails for a passing reason keeps the old value until the next expiry, and
a value never read yet is waited for only by the threads that need it. Reads and waits end at the
request's deadline (handlers.platform.deadline): a Secret Manager that trickles its answer costs a request
its deadline, never more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from handlers import redaction
from handlers.errors import Misconfigured, SecretUnavailable
from handlers.platform import deadline
from handlers.platform.secret_manager import VERSION_NAME, SecretManager
from handlers.platform.settings import (
    SECRET_SUFFIX,
    WEBHOOK_SECRET,
    ZOHO_CLIENT_ID,
    ZOHO_CLIENT_SECRET,
    ZOHO_REFRESH_TOKEN,
    env_text,
)

WEBHOOK_SECRET_MIN_LENGTH = 16


@dataclass(frozen=True)
class OAuthCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


# After a first read fails for a passing reason, the next is not tried for this long: during a
# Secret Manager outage every request would otherwise cost a read (and strangers could cause them).
FAILED_READ_PAUSE_SECONDS = 2.0


@dataclass
class _Cached:
    value: str | None = None
    read_at: float = 0.0
    refreshing: bool = False
    first_read: threading.Lock = field(default_factory=threading.Lock)
    failed: SecretUnavailable | None = None  # the last first read's failure, until `retry_at`
    retry_at: float = 0.0


class Credentials:
    def __init__(self, env: Mapping[str, str], manager: SecretManager, ttl_seconds: float):
        self._env = env
        self._manager = manager
        self._ttl = ttl_seconds
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()  # guards the cache entries, never held across a read

    def oauth(self) -> OAuthCredentials:
        client_id, client_secret, refresh_token = self.values(
            ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
        )
        return OAuthCredentials(client_id, client_secret, refresh_token)

    def webhook_secrets(self) -> tuple[str, ...]:
        """Every accepted webhook secret: one, or during a rotation two or more separated by commas
        (so a secret cannot contain a comma). Each must be WEBHOOK_SECRET_MIN_LENGTH characters or
        more, which also refuses a secret that a stray comma split in two."""
        (raw,) = self.values(WEBHOOK_SECRET)
        secrets = tuple(part.strip() for part in raw.split(","))
        if not all(secrets):
            raise Misconfigured(
                f"{WEBHOOK_SECRET} has an empty part: separate secrets with single commas", WEBHOOK_SECRET
            )
        short = [n for n, secret in enumerate(secrets, start=1) if len(secret) < WEBHOOK_SECRET_MIN_LENGTH]
        if short:
            raise Misconfigured(
                f"{WEBHOOK_SECRET} must hold secrets of {WEBHOOK_SECRET_MIN_LENGTH} characters or more"
                f" (secret {short[0]} of {len(secrets)} is shorter); commas separate secrets during a"
                " rotation, so a secret cannot contain one",
                WEBHOOK_SECRET,
            )
        return secrets

    def values(self, *names: str) -> tuple[str, ...]:
        """The values of the named settings; one error naming every missing one."""
        missing = [name for name in names if not self._configured(name)]
        if missing:
            raise Misconfigured(
                "missing setting "
                + ", ".join(missing)
                + f": set it, or set {missing[0]}{SECRET_SUFFIX} to a Secret Manager version"
                " such as projects/PROJECT/secrets/NAME/versions/latest",
                missing[0],
            )
        values = tuple(self._value(name) for name in names)
        redaction.register(*values)
        return values

    def _configured(self, name: str) -> bool:
        return bool(env_text(self._env, name) or env_text(self._env, name + SECRET_SUFFIX))

    def _value(self, name: str) -> str:
        direct = env_text(self._env, name)
        if direct is not None:
            return _unquoted(name, direct)
        setting = name + SECRET_SUFFIX
        version = env_text(self._env, setting) or ""
        if not VERSION_NAME.fullmatch(version):
            # Never the value: a secret pasted here by mistake must not reach an answer or a log.
            raise Misconfigured(
                f"{setting} must look like projects/PROJECT/secrets/NAME/versions/latest (a Secret Manager"
                " version name); the value it holds does not, and is not shown",
                setting,
            )
        try:
            return _unquoted(setting, self._cached(version))
        except Misconfigured as error:
            raise Misconfigured(str(error), setting) from None

    def _cached(self, version: str) -> str:
        with self._lock:
            entry = self._cache.setdefault(version, _Cached())
            stale = entry.value
            if stale is not None:
                if entry.refreshing or time.monotonic() - entry.read_at < self._ttl:
                    return stale
                entry.refreshing = True
        if stale is not None:
            return self._refresh(version, entry, stale)
        with deadline.holding(entry.first_read):  # only the threads that need it wait, for one read
            if entry.value is not None:
                return entry.value
            if entry.failed is not None and time.monotonic() < entry.retry_at:
                raise SecretUnavailable(f"{entry.failed} (not tried again for a few seconds)")
            try:
                value = self._read(version)
            except SecretUnavailable as error:
                entry.failed, entry.retry_at = error, time.monotonic() + FAILED_READ_PAUSE_SECONDS
                raise
            with self._lock:
                entry.value, entry.read_at, entry.failed = value, time.monotonic(), None
            return value

    def _refresh(self, version: str, entry: _Cached, stale: str) -> str:
        """Read an expired value again; Secret Manager being down keeps the old one for a while."""
        try:
            value = self._read(version)
        except SecretUnavailable:
            value = stale
        except Misconfigured:
            with self._lock:
                entry.value, entry.refreshing = None, False  # disabled or deleted: stop using it
            raise
        except BaseException:  # this request's deadline passed: the next thread tries again
            with self._lock:
                entry.refreshing = False
            raise
        with self._lock:
            entry.value, entry.read_at, entry.refreshing = value, time.monotonic(), False
        return value

    def _read(self, version: str) -> str:
        value = self._manager.access(version).value.strip()
        if not value:
            raise Misconfigured(f"Secret Manager version {version} is empty")
        return value


def _unquoted(setting: str, value: str) -> str:
    """The value, refused when it is wrapped in quotes: a copied shell command stored them too."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        raise Misconfigured(
            f"{setting} starts and ends with a quote: the quotes were stored with the value (a"
            " command pasted with its quotes?); store the value without them",
            setting,
        )
    return value
