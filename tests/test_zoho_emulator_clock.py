"""The emulated org's clock (clock.py): every timestamp the store writes follows it, a test or a
benchmark moves it (`emu.clock.advance`, the fault setting `clock_offset_seconds`), and reset()
puts it back to the real time; tokens keep the real time."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.zoho_emulator.clock import MAX_OFFSET_SECONDS, parse_time
from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, lead_parent
from tests.zoho_emulator.testing import demo as demo
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

DAY = 24 * 3600


def control(emulator, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{emulator.url}/__emulator/{path}", json=body, timeout=5)


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def near(text: str, moment: dt.datetime, seconds: float = 5) -> bool:
    return abs((parse_time(text) - moment).total_seconds()) <= seconds


def test_the_clock_is_the_real_time_to_the_second_until_moved(emulator):
    assert emulator.clock.offset_seconds == 0
    now = emulator.clock.now()
    assert now.microsecond == 0
    assert now.tzinfo is not None
    assert abs((now - real_now()).total_seconds()) < 2


def test_records_notes_and_conversions_written_after_the_clock_moves_carry_its_time(emulator, zoho):
    stuck, converting = add_lead(emulator), add_lead(emulator, Email="two@acme.example", Company="Two")
    later = emulator.clock.advance(6 * 3600)  # six hours on

    added = add_lead(emulator, Email="three@acme.example")
    note = zoho.post(
        f"Leads/{stuck}/Notes",
        json={"data": [{"Note_Title": "t", "Note_Content": "c", "Parent_Id": lead_parent(stuck)}]},
    ).json()["data"][0]["details"]["id"]
    emulator.clock.advance(900)  # and a quarter of an hour more
    updated = zoho.put("Notes", json={"data": [{"id": note, "Note_Content": "again"}]})
    emulator.crm.update_lead(stuck, Description="edited")
    converted = zoho.convert(converting, {"Deals": DEAL})

    assert updated.status_code == 200
    assert converted.status_code == 200
    assert near(emulator.crm.lead(added)["Created_Time"], later)
    assert near(emulator.crm.lead(added)["Modified_Time"], later)
    stored = emulator.crm.note(note)
    assert stored is not None
    assert near(stored["Created_Time"], later)
    quarter_later = later + dt.timedelta(seconds=900)
    assert near(stored["Modified_Time"], quarter_later)
    assert near(emulator.crm.lead(stuck)["Modified_Time"], quarter_later)
    record = emulator.crm.lead(converting)
    assert near(record["Converted_Date_Time"], quarter_later)
    assert near(record["Modified_Time"], quarter_later)
    deal = emulator.crm.deals[record["Converted_Deal"]["id"]]
    assert near(deal["Created_Time"], quarter_later)


def test_coql_and_the_notes_newest_first_follow_the_moved_clock(emulator, zoho):
    before = add_lead(emulator)  # written at the real time
    first = zoho.post(
        f"Leads/{before}/Notes",
        json={"data": [{"Note_Title": "t", "Note_Content": "first", "Parent_Id": lead_parent(before)}]},
    ).json()["data"][0]["details"]["id"]
    emulator.clock.advance(DAY)
    after = add_lead(emulator, Email="later@acme.example")
    second = zoho.post(
        f"Leads/{after}/Notes",
        json={"data": [{"Note_Title": "t", "Note_Content": "second", "Parent_Id": lead_parent(after)}]},
    ).json()["data"][0]["details"]["id"]
    noon = (real_now() + dt.timedelta(hours=12)).replace(microsecond=0).isoformat()

    query = f"select id from Leads where Modified_Time > '{noon}' limit 200"  # noqa: S608 (COQL)
    rows = zoho.post("coql", json={"select_query": query}).json()["data"]
    notes = zoho.get(
        "Notes",
        params={"fields": "Note_Content,Modified_Time", "sort_by": "Modified_Time", "sort_order": "desc"},
    ).json()["data"]

    assert [row["id"] for row in rows] == [after]
    assert [note["id"] for note in notes] == [second, first]


def test_the_fault_setting_moves_the_clock_and_reset_puts_it_back(demo):
    set_ = control(demo, "POST", "faults", {"clock_offset_seconds": 95 * 900})
    lead = control(demo, "POST", "leads", {"Last_Name": "Late"}).json()["id"]

    assert set_.status_code == 200
    assert demo.clock.offset_seconds == demo.faults.clock_offset_seconds == 95 * 900
    assert near(demo.crm.lead(lead)["Modified_Time"], real_now() + dt.timedelta(seconds=95 * 900))

    demo.faults.clock_offset_seconds = -3600.5  # behind the real time, a float: taken as given
    assert demo.clock.offset_seconds == -3600.5
    assert control(demo, "POST", "faults", {"clear": True}).status_code == 200
    assert demo.clock.offset_seconds == 0

    demo.clock.advance(DAY)
    assert control(demo, "POST", "reset").status_code == 200
    assert demo.clock.offset_seconds == 0
    seeded = demo.crm.lead("4876876000000100001")  # the seed dates its leads a day before now
    assert near(seeded["Modified_Time"], real_now() - dt.timedelta(days=1))


@pytest.mark.parametrize("value", ["900", True, None, [900], MAX_OFFSET_SECONDS + 1, -MAX_OFFSET_SECONDS - 1])
def test_a_clock_offset_that_is_no_number_of_seconds_within_ten_years_is_refused_and_nothing_applied(
    emulator, value
):
    answer = control(emulator, "POST", "faults", {"latency": 0.01, "clock_offset_seconds": value})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("clock_offset_seconds: expected a number of seconds"), (
        answer.json()
    )
    assert (emulator.clock.offset_seconds, emulator.faults.latency) == (0, 0.0)
    with pytest.raises(ValueError, match="seconds"):
        emulator.clock.offset_seconds = value  # type: ignore[assignment]
    with pytest.raises(ValueError, match="seconds"):
        emulator.clock.advance(value)  # type: ignore[arg-type]
    assert emulator.clock.offset_seconds == 0


def test_tokens_keep_the_real_time_when_the_clock_moves(emulator, zoho):
    emulator.clock.advance(2 * DAY)  # far past a token's hour on the org's clock

    assert zoho.get("users").status_code == 200  # the token issued before still serves
    assert Zoho(emulator).get("users").status_code == 200
