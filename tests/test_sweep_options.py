"""A sweep's options as a caller gives them (handlers/sweep/options.py): checked, over the settings.

The sweep door and the command line both build their options here; the door's own refusals (its
body, its query string) are in test_reconcile.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.errors import Rejected
from handlers.platform.settings import Settings
from handlers.sweep.options import MAX_LIMIT, sweep_options

DEPLOYED = {
    "ZOHO_DC": "eu",
    "RECONCILE_SINCE": "2026-11-01T00:00:00Z",
    "RECONCILE_GRACE_MINUTES": "15",
    "RECONCILE_MAX_SECONDS": "300",
    "RECONCILE_CONCURRENCY": "3",
}


def settings(**env: str) -> Settings:
    return Settings.from_env({**DEPLOYED, **env})


def test_without_options_the_deployed_settings_apply() -> None:
    options = sweep_options(settings())

    assert options.since == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert (options.dry_run, options.retry_failed, options.limit) == (False, False, None)
    assert (options.grace_minutes, options.max_seconds, options.concurrency) == (15, 300, 3)


def test_the_callers_options_are_read_from_text_as_a_query_string_gives_them() -> None:
    options = sweep_options(
        settings(), dry_run="yes", limit=" 25 ", since="2026-10-01T08:00:00", retry_failed="true"
    )

    assert (options.dry_run, options.limit, options.retry_failed) == (True, 25, True)
    assert options.since == dt.datetime(2026, 10, 1, 8, tzinfo=dt.UTC)  # no offset: UTC


def test_a_deployed_dry_run_is_not_undone_by_the_caller() -> None:
    assert sweep_options(settings(DRY_RUN="true"), dry_run=False).dry_run is True


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("limit", 0, f"limit must be a whole number of leads from 1 to {MAX_LIMIT:,}, not 0"),
        ("limit", True, "limit must be a whole number"),
        ("limit", MAX_LIMIT + 1, "limit must be a whole number"),
        (
            "since",
            "yesterday",
            "since must be an ISO 8601 time such as 2026-11-01T00:00:00Z, not 'yesterday'",
        ),
        ("since", "1969-12-31T23:59:59Z", "since must be a time from"),
        ("dry_run", "perhaps", "dry_run must be true or false, not 'perhaps'"),
        ("retry_failed", "2", "retry_failed must be true or false"),
    ],
)
def test_a_bad_option_is_refused_naming_it(option: str, value: object, reason: str) -> None:
    with pytest.raises(Rejected) as refused:
        sweep_options(settings(), **{option: value})

    assert refused.value.status == 400
    assert str(refused.value).startswith(reason)
