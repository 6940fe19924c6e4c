"""The failure note: written and read back the same way, and when a failed lead is due again."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.engine import failure_note

FIRST = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def note(
    attempts: int = 1, last: dt.datetime = FIRST, version: str = "v1", **extra
) -> failure_note.FailureNote:
    content = failure_note.render(
        "partners", "MAPPING_MISMATCH", version, attempts, last, "Stage not in Pipeline"
    )
    read = {
        "id": "9",
        "Note_Title": failure_note.TITLE,
        "Note_Content": content,
        "Parent_Id": {"module": {"api_name": "Leads"}, "id": "4876876000000100001"},
        **extra,
    }
    parsed = failure_note.parse(read)
    assert parsed is not None
    return parsed


def test_a_note_reads_back_what_was_written():
    read = note(attempts=3, last=FIRST + dt.timedelta(hours=5))

    assert (read.rule, read.code, read.rules_version, read.attempts) == (
        "partners",
        "MAPPING_MISMATCH",
        "v1",
        3,
    )
    assert (read.lead_id, read.note_id, read.last_attempt) == (
        "4876876000000100001",
        "9",
        FIRST + dt.timedelta(hours=5),
    )


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (1, dt.timedelta(hours=1)),
        (2, dt.timedelta(hours=4)),
        (3, dt.timedelta(days=1)),
        (9, dt.timedelta(days=1)),
    ],
)
def test_backoff_is_an_hour_then_four_then_a_day_then_daily(attempts, wait):
    read = note(attempts=attempts)

    assert not read.due(FIRST + wait - dt.timedelta(seconds=1), "v1")
    assert read.due(FIRST + wait, "v1")


def test_a_changed_rules_file_or_an_edit_after_the_attempt_makes_it_due_at_once():
    read = note()

    assert read.due(FIRST, "v2")
    assert read.due(FIRST, "v1", modified=FIRST + dt.timedelta(seconds=1))
    assert not read.due(FIRST, "v1", modified=FIRST)


def test_a_note_written_before_attempts_were_counted_reads_as_one_attempt_at_its_time():
    legacy = {
        "Note_Title": failure_note.TITLE,
        "Note_Content": "Rule: r\nZoho code: INVALID_DATA\nZoho message: m\nTime: 2026-12-01T09:00:00+00:00",
        "Parent_Id": {"module": {"api_name": "Leads"}, "id": "1"},
    }

    read = failure_note.parse(legacy)

    assert read is not None
    assert (read.attempts, read.last_attempt, read.rules_version) == (1, FIRST, None)
    assert read.due(FIRST, "v1")  # no version recorded: any rules file is a change


@pytest.mark.parametrize(
    "other",
    [
        {"Note_Title": "Call back on Monday", "Note_Content": "Rule: r\nZoho code: X\n"},
        {"Note_Title": failure_note.TITLE, "Note_Content": 7},
        {"Note_Title": failure_note.TITLE, "Note_Content": "written by a person"},
    ],
)
def test_other_notes_are_not_failure_notes(other):
    assert failure_note.parse(other) is None


def test_a_note_on_another_module_names_no_lead():
    read = note(Parent_Id={"module": {"api_name": "Contacts"}, "id": "5"})
    assert read.lead_id is None
