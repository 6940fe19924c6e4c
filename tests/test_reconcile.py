"""The sweep's HTTP door (handlers/doors/reconcile.py): what Cloud Scheduler (or an admin's
curl) may send, and the refusals, each naming what was wrong, before any call to Zoho."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"limit": 0}, "limit must be a whole number"),
        ({"limit": "many"}, "limit must be a whole number"),
        ({"since": "yesterday"}, "since must be an ISO 8601 time"),
        ({"dry_run": "perhaps"}, "dry_run must be true or false"),
        ({"dryrun": True}, "unknown option 'dryrun'"),
        ({"limit": 2.5}, "limit must be a whole number"),
        ({"limit": 10**12}, "limit must be a whole number"),
        ({"since": "99999-01-01T00:00:00Z"}, "since must be an ISO 8601 time"),
        ({"since": 20261101}, "since must be an ISO 8601 time"),
    ],
)
def test_bad_options_are_refused_naming_them(serve, emulator, body, reason):
    response = serve("reconcile").post("/", json=body)

    assert response.status_code == 400
    assert reason in response.get_json()["reason"]
    assert emulator.journal == []


def test_a_limit_of_1e400_is_a_json_400_not_a_crash(serve, emulator):
    response = serve("reconcile").post("/", data=b'{"limit": 1e400}', content_type="application/json")

    assert (response.status_code, response.mimetype) == (400, "application/json")
    assert "limit must be a whole number" in response.get_json()["reason"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'{"limit": 1, "limit": 2}', 400, "the JSON body repeats the key 'limit'"),
        (b'{"dry_run": true, "pad": "' + b"x" * 5000 + b'"}', 413, "the body is larger than 4096 bytes"),
        (b"[true]", 400, 'the JSON body must be an object such as {"dry_run": true}'),
    ],
)
def test_the_sweep_reads_its_body_as_the_webhook_does(serve, emulator, body, status, reason):
    response = serve("reconcile").post("/", data=body, content_type="application/json")

    assert (response.status_code, response.get_json()["reason"]) == (status, reason)
    assert emulator.requests(path=r"^/crm/") == []


def test_an_option_given_twice_differently_is_refused(serve, emulator):
    response = serve("reconcile").post("/?limit=5", json={"limit": 6})

    assert response.status_code == 400
    assert "limit is given differently" in response.get_json()["reason"]
