"""Reading the org's metadata (handlers/org_metadata.py) from the emulator's demo org, as Zoho shapes it."""

from __future__ import annotations

import pytest

from handlers.credentials import OAuthCredentials
from handlers.org_metadata import read_org
from handlers.zoho import ZohoClient, ZohoConfig
from tests.conftest import CREDENTIALS
from tests.zoho_emulator import ZohoEmulator

SAM, DANA, NICO = "4876876000000002002", "4876876000000002004", "4876876000000002005"


def make_client(emulator: ZohoEmulator) -> ZohoClient:
    credentials = OAuthCredentials(
        CREDENTIALS.client_id, CREDENTIALS.client_secret, CREDENTIALS.refresh_token
    )
    return ZohoClient(
        ZohoConfig(accounts_url=emulator.url, retry_seconds=3.0), credentials=lambda: credentials
    )


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
    assert [entry.query["page"] for entry in emulator.requests("GET", r"/users$")] == [["1"], ["2"]]


def test_the_leads_tags(org):
    assert set(org.lead_tags) == {"VIP", "Hot", "Webinar", "Cold"}


def test_calls_and_credits_are_counted(org):
    assert org.calls == 12  # 7 metadata reads and 5 scope probes
    assert org.credits == 16  # the Convert probe costs 5
    assert org.missing_scopes == []


def test_without_probes_only_the_metadata_is_read(emulator):
    emulator.clear_journal()

    org = read_org(make_client(emulator), probe_scopes=False)

    assert org.calls == 7
    assert all(entry.method == "GET" for entry in emulator.requests(path=r"^/crm/"))
