"""Named starting states. "demo" is what `make demo` and the README walk through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .crm import CrmStore

SEEDS = ("demo",)


def apply_seed(crm: CrmStore, name: str | None) -> None:
    if name is None:
        return
    if name != "demo":
        raise ValueError(f"unknown seed {name!r}; known seeds: {', '.join(SEEDS)}")
    _demo(crm)


# Leads tags of the demo org: the ones its leads carry, and one no lead has yet.
DEMO_LEAD_TAGS = ("VIP", "Hot", "Webinar", "Cold")


def _demo(crm: CrmStore) -> None:
    """Users 4876876000000002001-2005 and leads 4876876000000100001-100005, in that order.

    What rules.yaml names exists here: its users (Sam 2002, Riya 2003, active and confirmed),
    the fields, options, pipeline and stage it uses, and the tags it carries (VIP). Dana (2004)
    was deactivated and Nico (2005) has not accepted the invitation: neither can own records.
    Maria Garcia (lead 100003) is a returning customer: her contact, account and open deal exist.
    """
    ava = crm.default_user_id
    sam = crm.add_user("Sam Seller", "sam.seller@emulated-org.example")
    riya = crm.add_user("Riya Rep", "riya.rep@emulated-org.example")
    crm.add_user("Dana Departed", "dana.departed@emulated-org.example", status="inactive")
    crm.add_user("Nico Newhire", "nico.newhire@emulated-org.example", confirm=False)
    for tag in DEMO_LEAD_TAGS:
        crm.add_tag("Leads", tag)
    # A day old, so a reconciliation sweep's grace window never hides them.
    yesterday = crm.clock.now() - timedelta(days=1)
    leads: list[dict[str, Any]] = [
        {
            "First_Name": "Jane",
            "Last_Name": "Doe",
            "Company": "Globex",
            "Email": "jane.doe@globex.com",
            "Lead_Status": "Qualified",
            "Lead_Source": "Partner",
            "Annual_Revenue": 2_500_000,
            "Owner": sam,
            "Tag": ["VIP", "Hot"],
        },
        {
            "First_Name": "John",
            "Last_Name": "Smith",
            "Company": "Initech",
            "Email": "john@initech.com",
            "Lead_Status": "Contacted",
            "Lead_Source": "Web",
            "Owner": riya,
        },
        {
            "First_Name": "Maria",
            "Last_Name": "Garcia",
            "Company": "Umbrella Corp",
            "Email": "maria@umbrella.example",
            "Lead_Status": "Qualified",
            "Lead_Source": "Web",
            "Annual_Revenue": 50_000,
            "Owner": riya,
            "Tag": ["Webinar"],
        },
        {
            "First_Name": "Test",
            "Last_Name": "Lead",
            "Company": "QA",
            "Email": "qa@test.invalid",
            "Lead_Status": "Qualified",
            "Lead_Source": "Web",
            "Owner": ava,
        },
        {
            "First_Name": "Li",
            "Last_Name": "Wei",
            "Company": "Initrode",
            "Email": "li.wei@initrode.example",
            "Lead_Status": "Qualified",
            "Lead_Source": "Trade Show",
            "Annual_Revenue": 1_200_000,
            "Owner": ava,
            "Tag": ["VIP"],
        },
    ]
    for fields in leads:
        crm.add_lead(**fields, Modified_Time=yesterday)
    # Maria Garcia (lead 100003) is a returning customer: her contact, Umbrella Corp and a deal
    # still in negotiation exist, so rules.yaml converts her lead into them and makes no new deal.
    last_year = crm.clock.now() - timedelta(days=365)
    umbrella = crm.add_account(Account_Name="Umbrella Corp", Owner=riya, Modified_Time=last_year)
    maria = crm.add_contact(
        First_Name="Maria",
        Last_Name="Garcia",
        Email="maria@umbrella.example",
        Account_Name=umbrella,
        Owner=riya,
        Modified_Time=last_year,
    )
    crm.add_deal(
        Deal_Name="Umbrella Corp - renewal",
        Stage="Negotiation/Review",
        Pipeline="Standard (Standard)",
        Closing_Date=(crm.clock.now() + timedelta(days=30)).date().isoformat(),
        Account_Name=umbrella,
        Contact_Name=maria,
        Owner=riya,
    )
