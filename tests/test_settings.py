"""Settings from the environment: defaults, data centres, and a precise error for a bad value;
the bounds of a sweep's start (RECONCILE_SINCE and the `since` option share them)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handlers.errors import Misconfigured
from handlers.platform.settings import Settings


def test_defaults():
    settings = Settings.from_env({})

    assert settings.accounts_url == "https://accounts.zoho.com"
    assert (settings.api_version, settings.api_domain, settings.dry_run) == ("v8", None, False)
    assert (settings.retry_seconds, settings.token_cooldown_seconds, settings.secret_cache_seconds) == (
        20,
        120,
        300,
    )
    assert settings.failure_note is True
    assert (
        settings.reconcile_grace_minutes,
        settings.reconcile_max_seconds,
        settings.reconcile_concurrency,
    ) == (
        10,
        480,
        4,
    )


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "live"),
        ({"CONVERSION_MODE": "dry_run"}, "dry_run"),
        ({"CONVERSION_MODE": "paused"}, "paused"),
        ({"DRY_RUN": "true"}, "dry_run"),  # the older setting, read for one release
        ({"DRY_RUN": "true", "CONVERSION_MODE": "live"}, "live"),  # the mode wins
    ],
)
def test_the_conversion_mode(env, mode):
    settings = Settings.from_env(env)

    assert settings.mode == mode
    assert (settings.dry_run, settings.paused) == (mode == "dry_run", mode == "paused")


def test_a_mode_that_is_none_of_the_three_is_named():
    with pytest.raises(
        Misconfigured, match=r"CONVERSION_MODE must be one of dry_run, live, paused, not 'on'"
    ):
        Settings.from_env({"CONVERSION_MODE": "on"})


@pytest.mark.parametrize(
    ("dc", "server"),
    [
        ("eu", "https://accounts.zoho.eu"),
        ("IN", "https://accounts.zoho.in"),
        ("au", "https://accounts.zoho.com.au"),
        ("jp", "https://accounts.zoho.jp"),
        ("ca", "https://accounts.zohocloud.ca"),
        ("sa", "https://accounts.zoho.sa"),
        ("cn", "https://accounts.zoho.com.cn"),
    ],
)
def test_the_data_centre_picks_the_accounts_server(dc, server):
    assert Settings.from_env({"ZOHO_DC": dc}).accounts_url == server


def test_overrides_win_and_lose_their_trailing_slash():
    settings = Settings.from_env(
        {
            "ZOHO_ACCOUNTS_URL": "http://127.0.0.1:8700/",
            "ZOHO_API_DOMAIN": "https://www.zohoapis.eu",
            "DRY_RUN": "yes",
        }
    )

    assert settings.accounts_url == "http://127.0.0.1:8700"
    assert settings.api_domain == "https://www.zohoapis.eu"
    assert settings.dry_run is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ZOHO_DC": "mars"}, "ZOHO_DC must be one of us, eu, in, au, jp, ca, sa, cn, not 'mars'"),
        ({"ZOHO_API_VERSION": "v9"}, "ZOHO_API_VERSION must be one of v2, v2.1, v3"),
        ({"DRY_RUN": "maybe"}, "DRY_RUN must be true or false, not 'maybe'"),
        ({"ZOHO_RETRY_SECONDS": "soon"}, "ZOHO_RETRY_SECONDS must be a number of seconds above 0"),
        ({"ZOHO_API_DOMAIN": "www.zohoapis.com"}, "ZOHO_API_DOMAIN must be a URL starting with https://"),
        ({"RECONCILE_CONCURRENCY": "50"}, "RECONCILE_CONCURRENCY must be a number from 1 to 10, not '50'"),
    ],
)
def test_a_bad_value_is_named(env, message):
    with pytest.raises(Misconfigured, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        Settings.from_env(env)


SINCE_RANGE = (
    r"must be a time from 1970-01-01T00:00:00Z to a day from now \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)"
)
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",  # in UTC, a day before year 1: the conversion overflows
    "9999-12-31T23:59:59-01:00",  # in UTC, past year 9999
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:59:59+01:00",
    (dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=5)).isoformat(),
]


def in_range() -> list[str]:
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    return ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00", ahead.isoformat()]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_reconcile_since_outside_its_bounds_is_misconfigured_naming_the_range(value):
    with pytest.raises(Misconfigured) as refused:
        Settings.from_env({"RECONCILE_SINCE": value})

    assert re.fullmatch(f"RECONCILE_SINCE {SINCE_RANGE}, not {re.escape(repr(value))}", str(refused.value))
    assert refused.value.setting == "RECONCILE_SINCE"


@pytest.mark.parametrize("value", in_range())
def test_reconcile_since_within_its_bounds_is_kept_with_its_offset(value):
    assert Settings.from_env({"RECONCILE_SINCE": value}).reconcile_since == dt.datetime.fromisoformat(value)


# --- The same bounds on the `since` option, through the `reconcile` entry point -------------------


@pytest.mark.parametrize("value", [*OUT_OF_RANGE, "1969-12-31T23:59:59"])  # no offset: UTC
def test_a_since_option_outside_the_bounds_is_a_bad_request_before_any_call(serve, emulator, value):
    response = serve("reconcile").post("/", json={"since": value})

    answer = response.get_json()
    assert response.status_code == 400
    assert (answer["outcome"], answer["error"]) == ("rejected", "bad_request")
    assert re.fullmatch(f"since {SINCE_RANGE}, not {re.escape(repr(value))}", answer["reason"])
    assert emulator.journal == []


def test_the_since_option_is_checked_in_the_query_string_too(serve, emulator):
    response = serve("reconcile").post("/?since=9999-12-31T23:59:59-01:00")

    assert response.status_code == 400
    assert response.get_json()["reason"].startswith("since must be a time from 1970-01-01T00:00:00Z")
    assert emulator.journal == []


def test_a_reconcile_since_outside_the_bounds_stops_the_entry_point_naming_it(serve, emulator, monkeypatch):
    monkeypatch.setenv("RECONCILE_SINCE", "0001-01-01T00:00:00+01:00")

    answer = serve("reconcile").post("/", json={"dry_run": True}).get_json()

    assert (answer["outcome"], answer["error"]) == ("misconfigured", "misconfigured")
    assert answer["reason"].startswith("RECONCILE_SINCE must be a time from 1970-01-01T00:00:00Z to a day")
    assert emulator.journal == []


@pytest.mark.parametrize("value", in_range())
def test_a_since_option_within_the_bounds_runs_the_sweep(serve, emulator, value):
    response = serve("reconcile").post("/", json={"since": value, "dry_run": True})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["since"] == dt.datetime.fromisoformat(value).isoformat()
