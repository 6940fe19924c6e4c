"""Settings from the environment: defaults, data centres, and a precise error for a bad value."""

from __future__ import annotations

import pytest

from handlers.errors import Misconfigured
from handlers.settings import Settings


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
