"""A request's body as both HTTP doors read it (handlers/doors/body.py). The bounds in time, and
what a stranger's unread body costs, are shown on a served function in test_webhook_served.py."""

from __future__ import annotations

import flask
import pytest

from handlers.doors.body import ECHO_CHARS, cut, json_object, quoted, read_body
from handlers.errors import Rejected


def request_with(data: bytes) -> flask.Request:
    return flask.Request.from_values("/", method="POST", data=data, content_type="application/json")


def test_a_body_within_the_limit_is_read_whole() -> None:
    assert read_body(request_with(b'{"lead_id": "1"}'), 16) == b'{"lead_id": "1"}'


def test_a_body_past_the_limit_is_413_naming_the_limit() -> None:
    with pytest.raises(Rejected) as refused:
        read_body(request_with(b"x" * 17), 16)

    assert (refused.value.status, refused.value.error, str(refused.value)) == (
        413,
        "payload_too_large",
        "the body is larger than 16 bytes",
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": 1, "a": 2}', "the JSON body repeats the key 'a'"),
        (b"{not json", "the body is not valid JSON"),
        (b"[" * 100_000, "the body is not valid JSON"),
        (b'"a string"', 'the JSON body must be an object such as {"dry_run": true}'),
    ],
)
def test_json_is_read_strictly(raw: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as refused:
        json_object(raw, '{"dry_run": true}')

    assert (refused.value.status, str(refused.value)) == (400, reason)


def test_what_the_caller_sent_is_echoed_short_with_its_length() -> None:
    long = "k" * 32_000

    assert cut(long) == f"{'k' * ECHO_CHARS}… (32,000 characters)"
    assert quoted("a\nb") == "'a\\nb'"
    assert quoted(long).endswith("… (32,000 characters)")
