"""A lead record as Zoho returns it (handlers/zoho/lead.py): field paths, owner, tags, whether and
into what it was converted, and what it waits for."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.zoho.lead import (
    Records,
    converted_records,
    field_value,
    is_converted,
    owner_id,
    tag_names,
    waiting_for,
    zoho_time,
)
from tests.conftest import SAM

LEAD = {
    "Company": "Globex",
    "Owner": {"name": "Sam Seller", "id": SAM},
    "Tag": [{"name": "VIP", "id": "1"}, {"name": "", "id": "2"}, "Hot", 7],
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Company", "Globex"),
        ("Owner.id", SAM),
        ("Owner.name", "Sam Seller"),
        ("Missing", None),
        ("Company.x", None),
    ],
)
def test_a_field_path_reads_lookups_by_their_dotted_name(path: str, value: object) -> None:
    assert field_value(LEAD, path) == value


def test_owner_and_tags_are_read_from_zohos_shapes_and_nothing_else() -> None:
    assert owner_id(LEAD) == SAM
    assert owner_id({"Owner": SAM}) is None  # not Zoho's shape: no owner rather than a guess
    assert tag_names(LEAD) == ("VIP", "Hot")
    assert tag_names({"Tag": "VIP"}) == ()


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-05T09:30:00+01:00", dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC)),
        ("2026-12-05T09:30:00", dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)),
        ("yesterday", None),
        (1764927000, None),
    ],
)
def test_zoho_times_are_offset_aware_and_anything_else_is_none(
    text: object, moment: dt.datetime | None
) -> None:
    assert zoho_time(text) == moment


@pytest.mark.parametrize(
    ("record", "converted"),
    [
        ({"Converted__s": True}, True),
        ({"$converted": True}, True),
        ({"Converted_Deal": {"id": "3"}}, True),
        ({"Converted__s": False, "Converted_Contact": None}, False),
    ],
)
def test_a_lead_is_converted_by_its_flag_or_by_a_converted_record(
    record: dict[str, object], converted: bool
) -> None:
    assert is_converted(record) is converted


def test_the_converted_records_are_read_as_lookups_or_plain_ids() -> None:
    record = {"Converted_Contact": {"id": "1"}, "Converted_Account": "2", "Converted_Deal": None}

    assert converted_records(record) == Records(contact_id="1", account_id="2", deal_id=None)


@pytest.mark.parametrize(
    ("record", "waits_for"),
    [
        ({"$in_merge": True}, "a merge of duplicates"),
        ({"$approval_state": "approval_process_pending"}, "an approval process"),
        ({"$approval_state": "review_process_pending"}, "a review process"),
        ({"$approval_state": "Something_New"}, "its approval state 'Something_New' to end"),
        ({"$approved": False}, "an approval process"),
        ({"$approval_state": "approved", "$approved": True}, None),
        ({}, None),
    ],
)
def test_what_a_lead_waits_for_is_read_from_its_state(
    record: dict[str, object], waits_for: str | None
) -> None:
    assert waiting_for(record) == waits_for
