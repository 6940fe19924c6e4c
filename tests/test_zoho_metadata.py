"""Reading the org's metadata (handlers/zoho/metadata.py) from the emulator's demo org, as Zoho shapes it."""

from __future__ import annotations

import json

import pytest

from handlers.zoho.metadata import MAX_USER_PAGES, read_lead_fields, read_org
from tests.conftest import CREDENTIALS, DANA, NICO, SAM, make_client
from tests.zoho_emulator import ZohoEmulator


@pytest.fixture
def emulator():
    with ZohoEmulator(credentials=CREDENTIALS, seed="demo") as emu:
        yield emu


@pytest.fixture
def org(emulator):
    return read_org(make_client(emulator))


def test_picklists_keep_both_the_display_and_the_actual_value(org):
    houston = next(c for c in org.lead_fields["Lead_Source"].choices if c.display == "Houston")

    assert houston.actual == "Houston Showroom"
    assert not next(c for c in org.lead_fields["Lead_Source"].choices if c.actual == "Yellow Pages").used


def test_field_types_and_writability(org):
    assert org.lead_fields["Annual_Revenue"].is_numeric
    assert org.lead_fields["Created_Time"].is_date
    assert not org.lead_fields["Company"].is_numeric
    assert not org.deal_fields["Expected_Revenue"].writable  # a formula
    assert org.deal_fields["Amount"].writable


def test_the_deals_layout_leads_convert_into_with_its_pipelines(org):
    (layout,) = org.deal_layouts  # Renewals is not a conversion target of the Leads layout

    assert layout.name == "Standard"
    assert layout.required >= {"Deal_Name", "Closing_Date", "Stage", "Pipeline"}
    pipelines = {pipeline.actual: pipeline for pipeline in layout.pipelines}
    assert set(pipelines) == {"Standard (Standard)", "Partner Pipeline"}
    stages = {stage.display: stage.actual for stage in pipelines["Standard (Standard)"].stages}
    assert stages["Identify Decision Makers"] == "Id. Decision Makers"


def test_users_with_their_status_over_every_page(emulator):
    for n in range(250):
        emulator.crm.add_user(f"User {n}", f"user{n}@example.com")

    org = read_org(make_client(emulator))

    assert len(org.users) == 255
    assert org.users[SAM].active
    assert (org.users[DANA].status, org.users[DANA].active) == ("inactive", False)
    assert (org.users[NICO].confirmed, org.users[NICO].active) == (False, False)
    assert [entry.query["page"] for entry in user_pages(emulator)] == [["1"], ["2"]]


def user_pages(emulator):
    """The reads of every user's page (not the read of the token's own user)."""
    return [
        entry for entry in emulator.requests("GET", r"/users$") if entry.query.get("type") == ["AllUsers"]
    ]


def users_page(*ids: str, more: bool = True) -> bytes:
    """A users answer as Zoho shapes it (§13.4) that says more pages follow."""
    users = [{"id": id_, "full_name": f"User {id_}", "status": "active", "confirm": True} for id_ in ids]
    return json.dumps(
        {"users": users, "info": {"per_page": 200, "count": len(ids), "more_records": more}}
    ).encode()


def test_users_paging_that_repeats_its_page_stops_and_says_so(emulator):
    emulator.faults.malformed_next(1000, body=users_page(SAM, DANA), path=r"/users$")

    org = read_org(make_client(emulator))

    assert org.users is None  # the owner check is skipped, not made against a partial list
    assert org.incomplete == [
        "the users list could not be read completely: page 2 repeats the users of page 1 (Zoho's paging"
        " does not advance); the owners (assign_to) were not checked"
    ]
    assert len(user_pages(emulator)) == 2
    assert org.lead_tags is not None  # the reads after the users still happen
    assert org.missing_scopes == []


def test_users_paging_stops_at_its_page_limit(emulator):
    for page in range(1, MAX_USER_PAGES + 10):
        emulator.faults.malformed_next(1, body=users_page(f"48768760000{page:08d}"), path=r"/users$")

    org = read_org(make_client(emulator))

    assert org.users is None
    assert org.incomplete == [
        "the users list could not be read completely: Zoho still had more after 50 pages of 200"
        " (10,000 users), the most this check reads; the owners (assign_to) were not checked"
    ]
    assert len(user_pages(emulator)) == MAX_USER_PAGES == 50


def test_the_last_page_ends_the_users_however_many_came_before(emulator):
    emulator.faults.malformed_next(1, body=users_page(SAM), path=r"/users$")
    emulator.faults.malformed_next(1, body=users_page(DANA, more=False), path=r"/users$")

    org = read_org(make_client(emulator))

    assert set(org.users) == {SAM, DANA}
    assert org.incomplete == []


def test_the_leads_tags(org):
    assert set(org.lead_tags) == {"VIP", "Hot", "Webinar", "Cold"}


def test_calls_and_credits_are_counted(org):
    assert org.calls == 15  # 7 metadata reads, the token's user and 7 scope probes
    assert org.credits == 19  # the Convert probe costs 5
    assert org.missing_scopes == []


def test_the_tokens_user_is_read_with_profile_and_role(org):
    assert org.token_user is not None
    assert (
        org.token_user.describe()
        == "Ava Admin (4876876000000002001), profile Administrator, role CEO, active"
    )


def test_every_call_the_product_makes_has_its_scope_probed(emulator):
    emulator.grant_scopes(
        [scope for scope in emulator.granted_scopes() if scope != "ZohoCRM.mass_convert.leads.CREATE"]
    )

    org = read_org(make_client(emulator))

    assert [(missing.scope, missing.needed_for) for missing in org.missing_scopes] == [
        ("ZohoCRM.mass_convert.leads.CREATE", "the sweep's Mass Convert")
    ]
    assert [entry.status for entry in emulator.requests("POST", r"/Leads/actions/mass_convert$")] == [401]


def test_without_probes_only_the_metadata_is_read(emulator):
    emulator.clear_journal()

    org = read_org(make_client(emulator), probe_scopes=False)

    assert org.calls == 7
    assert all(entry.method == "GET" for entry in emulator.requests(path=r"^/crm/"))


def test_the_leads_fields_alone_are_read_with_one_call(emulator):
    fields = read_lead_fields(make_client(emulator))

    assert fields is not None
    assert fields["Lead_Status"].data_type == "picklist"
    assert [entry.path for entry in emulator.requests() if "/crm/" in entry.path] == [
        "/crm/v8/settings/fields"
    ]


def test_the_leads_fields_are_none_when_the_token_may_not_read_them(emulator):
    emulator.grant_scopes(
        [scope for scope in emulator.granted_scopes() if scope != "ZohoCRM.settings.fields.READ"]
    )

    assert read_lead_fields(make_client(emulator)) is None
