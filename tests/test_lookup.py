"""Looking leads up among existing records with COQL (handlers/engine/lookup.py), against the emulator."""

from __future__ import annotations

import pytest

from handlers.engine.lookup import (
    LeadKeys,
    Lookup,
    OpenDeal,
    closed_stages,
    modified_times,
    open_deal,
)
from tests.conftest import make_client

COQL = r"/coql$"


@pytest.fixture
def zoho(emulator):
    return make_client(emulator)


def queries(emulator) -> list[str]:
    return [entry.json["select_query"] for entry in emulator.requests("POST", COQL)]


def test_leads_are_matched_by_email_and_by_company_in_two_queries(emulator, zoho):
    acme = emulator.crm.add_account(Account_Name="Acme")
    jane = emulator.crm.add_contact(Last_Name="Doe", Email="Jane@Acme.example", Account_Name=acme)
    leads = {
        "1": LeadKeys("jane@acme.example", "ACME"),
        "2": LeadKeys("nobody@else.example", "Acme"),
        "3": LeadKeys(None, "Initech"),
    }

    found = Lookup(zoho).look_up(leads)

    assert [(m.id, m.fields, m.account) for m in found["1"].contacts] == [(jane, ("Email",), (acme, None))]
    assert [(m.id, m.fields) for m in found["1"].accounts] == [(acme, ("Account_Name",))]
    assert (found["2"].contacts, [m.id for m in found["2"].accounts]) == ((), [acme])
    assert found["3"].empty
    modules = [query.split(" from ")[1].split(" ")[0] for query in queries(emulator)]
    assert modules == ["Contacts", "Accounts"]


def test_fifty_values_go_into_one_query_where_zoho_counts_an_in_as_one_criterion(emulator, zoho):
    emulator.faults.coql_in_counts_once = True
    leads = {str(n): LeadKeys(f"lead{n}@example.com", None) for n in range(60)}

    Lookup(zoho).look_up(leads)

    assert [query.count("@example.com") for query in queries(emulator)] == [50, 10]


def test_where_zoho_counts_each_value_one_refusal_brings_the_lookup_down_to_twenty_four(emulator, zoho):
    lookup = Lookup(zoho)
    leads = {str(n): LeadKeys(f"lead{n}@example.com", None) for n in range(60)}

    lookup.look_up(leads)
    first = [
        (e.status, e.json["select_query"].count("@example.com")) for e in emulator.requests("POST", COQL)
    ]
    emulator.clear_journal()
    lookup.look_up(leads)

    assert first == [(400, 50), (204, 24), (204, 24), (204, 12)]
    assert [query.count("@example.com") for query in queries(emulator)] == [24, 24, 12]


def test_a_value_no_query_can_carry_leaves_its_lead_not_looked_up(emulator, zoho):
    found = Lookup(zoho).look_up(
        {"1": LeadKeys("a@b.example", "O'Brien"), "2": LeadKeys("c@d.example", "Plain")}
    )

    assert found["1"] is None
    assert found["2"] is not None
    assert all("O'Brien" not in query for query in queries(emulator))


def test_modified_times_of_candidates_are_read_in_one_query(emulator, zoho):
    old = emulator.crm.add_contact(Last_Name="Old", Modified_Time="2026-01-01T00:00:00+00:00")
    new = emulator.crm.add_contact(Last_Name="New", Modified_Time="2026-06-01T00:00:00+00:00")

    times = modified_times(zoho, "Contacts", [old, new])

    assert times[new] > times[old]
    assert len(queries(emulator)) == 1


def test_an_open_deal_is_one_whose_stage_the_pipelines_do_not_close(emulator, zoho):
    account = emulator.crm.add_account(Account_Name="Acme")
    pipeline = "Standard (Standard)"
    emulator.crm.add_deal(
        Deal_Name="Won",
        Stage="Closed Won",
        Pipeline=pipeline,
        Closing_Date="2026-01-31",
        Account_Name=account,
    )
    emulator.crm.add_deal(
        Deal_Name="Lost",
        Stage="Closed Lost",
        Pipeline=pipeline,
        Closing_Date="2026-01-31",
        Account_Name=account,
    )
    closed = closed_stages(zoho)

    assert closed is not None
    assert {"Closed Won", "Closed Lost"} <= closed
    assert "Qualification" not in closed
    assert open_deal(zoho, account, closed) is None
    renewal = emulator.crm.add_deal(
        Deal_Name="Renewal",
        Stage="Qualification",
        Pipeline=pipeline,
        Closing_Date="2026-12-31",
        Account_Name=account,
    )
    assert open_deal(zoho, account, closed) == OpenDeal(renewal, "Renewal", "Qualification")
