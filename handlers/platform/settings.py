"""Settings from environment variables: every name the function reads is defined here."""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.errors import Misconfigured
from handlers.platform.api_version import API_VERSIONS

ZOHO_CLIENT_ID = "ZOHO_CLIENT_ID"
ZOHO_CLIENT_SECRET = "ZOHO_CLIENT_SECRET"
ZOHO_REFRESH_TOKEN = "ZOHO_REFRESH_TOKEN"
WEBHOOK_SECRET = "WEBHOOK_SECRET"
WEBHOOK_SECRET_HEADER = "X-Webhook-Secret"  # the header Zoho's webhook sends the secret in
# The name of the webhook and workflow rule in Zoho (connect --name); the sweep reports the failed
# deliveries of the webhook so named. Letters, digits, spaces and _: which other characters Zoho
# refuses in a name is not documented.
ZOHO_WEBHOOK_NAME = "ZOHO_WEBHOOK_NAME"
DEFAULT_WEBHOOK_NAME = "zoho_lead_converter"
WEBHOOK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9 _]{0,49}")
# The setup commands' own refresh token (connect, verify, disconnect): an admin's, with the setup
# scopes the function never needs; the function's own when unset.
ZOHO_SETUP_REFRESH_TOKEN = "ZOHO_SETUP_REFRESH_TOKEN"
SECRET_SETTINGS = (ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN, WEBHOOK_SECRET)
SECRET_SUFFIX = "_SECRET"  # ZOHO_REFRESH_TOKEN_SECRET=projects/p/secrets/s/versions/latest

ZOHO_DC = "ZOHO_DC"
ZOHO_ACCOUNTS_URL = "ZOHO_ACCOUNTS_URL"
ZOHO_API_DOMAIN = "ZOHO_API_DOMAIN"
ZOHO_API_VERSION = "ZOHO_API_VERSION"
RULES_FILE = "RULES_FILE"
CONVERSION_MODE = "CONVERSION_MODE"
DRY_RUN = "DRY_RUN"  # read as CONVERSION_MODE=dry_run when CONVERSION_MODE is unset (until 0.4)
MODES = ("dry_run", "live", "paused")
GOOGLE_CLOUD_PROJECT = "GOOGLE_CLOUD_PROJECT"
ZOHO_RETRY_SECONDS = "ZOHO_RETRY_SECONDS"
ZOHO_CONNECT_TIMEOUT_SECONDS = "ZOHO_CONNECT_TIMEOUT_SECONDS"
ZOHO_READ_TIMEOUT_SECONDS = "ZOHO_READ_TIMEOUT_SECONDS"
ZOHO_TOKEN_COOLDOWN_SECONDS = "ZOHO_TOKEN_COOLDOWN_SECONDS"
ZOHO_ACCESS_TOKEN_SECRET = "ZOHO_ACCESS_TOKEN_SECRET"
ZOHO_ACCESS_TOKEN_PRUNE = "ZOHO_ACCESS_TOKEN_PRUNE"
SECRET_CACHE_SECONDS = "SECRET_CACHE_SECONDS"
SECRET_MANAGER_ENDPOINT = "SECRET_MANAGER_ENDPOINT"
FAILURE_NOTE = "FAILURE_NOTE"
RECONCILE_GRACE_MINUTES = "RECONCILE_GRACE_MINUTES"
RECONCILE_MAX_SECONDS = "RECONCILE_MAX_SECONDS"
RECONCILE_CONCURRENCY = "RECONCILE_CONCURRENCY"
RECONCILE_SINCE = "RECONCILE_SINCE"
WEBHOOK_DEADLINE_SECONDS = "WEBHOOK_DEADLINE_SECONDS"
THREADS = "THREADS"  # functions-framework's request threads; the HTTP pool is sized to them

ACCOUNTS_SERVERS = {
    "us": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp",
    "ca": "https://accounts.zohocloud.ca",
    "sa": "https://accounts.zoho.sa",
    "cn": "https://accounts.zoho.com.cn",
}
API_DOMAINS = {  # the production API host of each data centre (docs/zoho-api.md, "OAuth and data centres")
    "us": "https://www.zohoapis.com",
    "eu": "https://www.zohoapis.eu",
    "in": "https://www.zohoapis.in",
    "au": "https://www.zohoapis.com.au",
    "jp": "https://www.zohoapis.jp",
    "ca": "https://www.zohoapis.ca",
    "sa": "https://www.zohoapis.sa",
    "cn": "https://www.zohoapis.com.cn",
}
# The times a sweep may start from (RECONCILE_SINCE, the `since` option): no lead was modified
# before the Unix epoch, and a time more than a day ahead (clock skew aside) is a typo that would
# convert nothing. Inside these bounds every offset converts to UTC and back without overflow.
EARLIEST_SINCE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SINCE_AHEAD = dt.timedelta(days=1)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything except the four secrets, which handlers.platform.credentials resolves on demand."""

    accounts_url: str
    api_domain: str | None
    trusted_api_domains: frozenset[str]  # where a token's api_domain may point
    api_version: str
    # live: convert; dry_run: decide and log what would be sent, send no Convert or Mass Convert;
    # paused: answer at once and call nothing in Zoho (the emergency stop).
    mode: str
    project_id: str | None
    retry_seconds: float
    connect_timeout: float
    read_timeout: float
    token_cooldown_seconds: float
    secret_cache_seconds: float
    access_token_secret: str | None
    prunes_access_tokens: bool  # destroys the shared token's superseded versions
    secret_manager_endpoint: str | None
    failure_note: bool
    reconcile_grace_minutes: float
    reconcile_max_seconds: float
    reconcile_concurrency: int
    reconcile_since: dt.datetime | None
    webhook_deadline_seconds: float
    request_threads: int
    webhook_name: str = DEFAULT_WEBHOOK_NAME

    @property
    def dry_run(self) -> bool:
        return self.mode == "dry_run"

    @property
    def paused(self) -> bool:
        return self.mode == "paused"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        reader = _Reader(env)
        return cls(
            accounts_url=reader.accounts_url(),
            api_domain=reader.url(ZOHO_API_DOMAIN),
            trusted_api_domains=reader.trusted_api_domains(),
            api_version=reader.choice(ZOHO_API_VERSION, API_VERSIONS, "v8"),
            mode=reader.mode(),
            project_id=reader.text(GOOGLE_CLOUD_PROJECT),
            retry_seconds=reader.seconds(ZOHO_RETRY_SECONDS, 20.0),
            connect_timeout=reader.seconds(ZOHO_CONNECT_TIMEOUT_SECONDS, 3.05),
            read_timeout=reader.seconds(ZOHO_READ_TIMEOUT_SECONDS, 10.0),
            token_cooldown_seconds=reader.seconds(ZOHO_TOKEN_COOLDOWN_SECONDS, 120.0),
            secret_cache_seconds=reader.seconds(SECRET_CACHE_SECONDS, 300.0),
            access_token_secret=reader.text(ZOHO_ACCESS_TOKEN_SECRET),
            prunes_access_tokens=reader.flag(ZOHO_ACCESS_TOKEN_PRUNE, False),
            secret_manager_endpoint=reader.url(SECRET_MANAGER_ENDPOINT),
            failure_note=reader.flag(FAILURE_NOTE, True),
            reconcile_grace_minutes=reader.number(RECONCILE_GRACE_MINUTES, 10.0, minimum=0.0),
            reconcile_max_seconds=reader.seconds(RECONCILE_MAX_SECONDS, 480.0),
            reconcile_concurrency=int(reader.number(RECONCILE_CONCURRENCY, 4, minimum=1, maximum=10)),
            reconcile_since=reader.moment(RECONCILE_SINCE),
            webhook_deadline_seconds=reader.seconds(WEBHOOK_DEADLINE_SECONDS, 50.0),
            request_threads=int(reader.number(THREADS, 8, minimum=1, maximum=1000)),
            webhook_name=reader.webhook_name(),
        )


def env_text(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value, with unset and blank treated alike."""
    value = env.get(name, "").strip()
    return value or None


def parse_moment(value: str) -> dt.datetime | None:
    """An ISO 8601 time with its UTC offset (`Z` or `+02:00`); None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def since_problem(moment: dt.datetime, now: dt.datetime | None = None) -> str | None:
    """What is wrong with `moment` as the start of a sweep, to follow the option's name
    (`since must be a time from ...`); None when it is within the bounds. A time without an
    offset counts as UTC.

    The bounds are checked in UTC, and a time whose conversion to UTC overflows (year 1 an hour
    east of Greenwich, year 9999 west of it) is outside them rather than an OverflowError later.
    """
    latest = (now or dt.datetime.now(dt.UTC)) + SINCE_AHEAD
    allowed = f"must be a time from {_utc_text(EARLIEST_SINCE)} to a day from now ({_utc_text(latest)})"
    try:
        utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except OverflowError:
        return allowed
    return None if EARLIEST_SINCE <= utc <= latest else allowed


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_flag(value: str | None, default: bool) -> bool | None:
    """true/false in the usual spellings; None when the text is neither."""
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, name: str) -> str | None:
        return env_text(self.env, name)

    def flag(self, name: str, default: bool) -> bool:
        value = parse_flag(self.text(name), default)
        if value is None:
            raise Misconfigured(f"{name} must be true or false, not {self.text(name)!r}", name)
        return value

    def seconds(self, name: str, default: float) -> float:
        seconds = self._float(name, default)
        if not 0 < seconds < 3600:
            raise Misconfigured(f"{name} must be a number of seconds above 0, not {self.text(name)!r}", name)
        return seconds

    def number(self, name: str, default: float, minimum: float, maximum: float = 10_000.0) -> float:
        number = self._float(name, default)
        if not minimum <= number <= maximum:
            raise Misconfigured(
                f"{name} must be a number from {minimum:g} to {maximum:g}, not {self.text(name)!r}", name
            )
        return number

    def _float(self, name: str, default: float) -> float:
        """The value as a number (NaN, which fails every range check, when it is not one)."""
        value = self.text(name)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            return float("nan")

    def moment(self, name: str) -> dt.datetime | None:
        value = self.text(name)
        if value is None:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise Misconfigured(
                f"{name} must be an ISO 8601 time with its offset, such as 2026-11-01T00:00:00Z,"
                f" not {value!r}",
                name,
            )
        problem = since_problem(moment)
        if problem is not None:
            raise Misconfigured(f"{name} {problem}, not {value!r}", name)
        return moment

    def mode(self) -> str:
        """CONVERSION_MODE (live when unset); the older DRY_RUN=true still means dry_run."""
        if self.text(CONVERSION_MODE) is None and self.flag(DRY_RUN, False):
            return "dry_run"
        return self.choice(CONVERSION_MODE, MODES, "live")

    def webhook_name(self) -> str:
        name = self.text(ZOHO_WEBHOOK_NAME) or DEFAULT_WEBHOOK_NAME
        if not WEBHOOK_NAME.fullmatch(name):
            raise Misconfigured(
                f"{ZOHO_WEBHOOK_NAME} must be 1 to 50 letters, digits, spaces and _, not {name[:60]!r}",
                ZOHO_WEBHOOK_NAME,
            )
        return name

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(name) or default
        if value not in allowed:
            raise Misconfigured(f"{name} must be one of {', '.join(allowed)}, not {value!r}", name)
        return value

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not value.startswith(("https://", "http://")):
            raise Misconfigured(f"{name} must be a URL starting with https://, not {value!r}", name)
        return value.rstrip("/") if value else None

    def trusted_api_domains(self) -> frozenset[str]:
        """The data centre's Zoho API hosts (production, sandbox, developer) over https; and the
        origin of ZOHO_ACCOUNTS_URL when it is set (a local emulator names itself)."""
        host = API_DOMAINS[self.dc()]
        base = host.removeprefix("https://www.")
        domains = {host, f"https://sandbox.{base}", f"https://developer.{base}"}
        override = self.url(ZOHO_ACCOUNTS_URL)
        if override:
            parts = urllib.parse.urlsplit(override)
            domains.add(f"{parts.scheme}://{parts.netloc}".lower())
        return frozenset(domains)

    def dc(self) -> str:
        dc = (self.text(ZOHO_DC) or "us").lower()
        if dc not in ACCOUNTS_SERVERS:
            allowed = ", ".join(ACCOUNTS_SERVERS)
            raise Misconfigured(f"{ZOHO_DC} must be one of {allowed}, not {dc!r}", ZOHO_DC)
        return dc

    def accounts_url(self) -> str:
        """ZOHO_ACCOUNTS_URL when given, else the accounts server of ZOHO_DC (checked either way)."""
        dc = self.dc()
        return self.url(ZOHO_ACCOUNTS_URL) or ACCOUNTS_SERVERS[dc]
