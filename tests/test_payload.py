"""The Convert Lead body a rule produces: v8 and legacy shapes, owners, tags, dates, placeholders."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter

from handlers.engine.payload import build_convert_request, distribute
from handlers.engine.rules import Distribute, parse_rules
from handlers.platform.api_version import ApiVersion

LEAD_ID = "4876876000000100001"
LEAD = {
    "Company": "Globex",
    "Last_Name": "Doe",
    "Annual_Revenue": 2500000,
    "Owner": {"name": "Sam Seller", "id": "4876876000000002002"},
    "Tag": [{"name": "VIP", "id": "1"}, {"name": "Hot", "id": "2"}],
}
NOON_UTC = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def rule(body: str):
    text = "rules:\n  - name: r\n    when: {Lead_Status: Qualified}\n" + textwrap.indent(
        textwrap.dedent(body), "    "
    )
    return parse_rules(text).rules[0]


def body_for(body: str, lead=LEAD, now=NOON_UTC, version="v8") -> dict:
    return build_convert_request(
        rule(body), LEAD_ID, lead, now, legacy=ApiVersion(version).legacy_shapes
    ).body


def test_v8_shape_with_every_key():
    body = body_for(
        """
        deal:
          Deal_Name: "{Company} - {Last_Name}"
          Stage: Qualification
          Pipeline: Standard (Standard)
          Closing_Date: +30d
          Amount: 5000
        assign_to: '4876876000000002003'
        carry_over_tags: {Contacts: [VIP, Cold], Accounts: [Cold], Deals: all}
        move_attachments_to: Deals
        notify_lead_owner: true
        """
    )
    assert body == {
        "data": [
            {
                "overwrite": False,
                "notify_lead_owner": True,
                "notify_new_entity_owner": False,
                "assign_to": {"id": "4876876000000002003"},
                "Deals": {
                    "Deal_Name": "Globex - Doe",
                    "Stage": "Qualification",
                    "Pipeline": "Standard (Standard)",
                    "Amount": 5000,
                    "Closing_Date": "2026-12-21",
                },
                "carry_over_tags": {"Contacts": ["VIP"], "Deals": ["VIP", "Hot"]},
                "move_attachments_to": {"api_name": "Deals"},
            }
        ]
    }


def test_legacy_versions_send_plain_id_strings():
    for version in ("v2", "v2.1"):
        body = body_for("assign_to: '4876876000000002003'", version=version)
        assert body["data"][0]["assign_to"] == "4876876000000002003"


def test_lead_owner_sends_the_leads_current_owner_and_nothing_when_there_is_none():
    assert body_for("assign_to: lead_owner")["data"][0]["assign_to"] == {"id": "4876876000000002002"}
    assert "assign_to" not in body_for("assign_to: lead_owner", lead={"Company": "X"})["data"][0]


def test_distribute_is_stable_per_lead_and_spreads_by_weight():
    owners = Distribute((("1", 3), ("2", 1)))
    assert distribute(owners, LEAD_ID) == distribute(owners, LEAD_ID)
    spread = Counter(distribute(owners, str(4876876000000100000 + n)) for n in range(4000))
    assert set(spread) == {"1", "2"}
    assert 2800 < spread["1"] < 3200
    even = Counter(distribute(Distribute((("a", 1), ("b", 1), ("c", 1))), str(n)) for n in range(3000))
    assert all(900 < count < 1100 for count in even.values())


def test_relative_closing_date_counts_from_today_in_the_rules_timezone():
    deal = "deal: {Deal_Name: x, Stage: y, Closing_Date: +1d}\n"
    late_evening_utc = dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)
    assert body_for(deal, now=late_evening_utc)["data"][0]["Deals"]["Closing_Date"] == "2026-11-22"
    in_tokyo = body_for(deal + "timezone: Asia/Tokyo", now=late_evening_utc)
    assert in_tokyo["data"][0]["Deals"]["Closing_Date"] == "2026-11-23"
    in_honolulu = body_for(
        deal + "timezone: Pacific/Honolulu", now=dt.datetime(2026, 11, 21, 5, 0, tzinfo=dt.UTC)
    )
    assert in_honolulu["data"][0]["Deals"]["Closing_Date"] == "2026-11-21"


def test_a_fixed_closing_date_is_sent_as_is():
    body = body_for("deal: {Deal_Name: x, Stage: y, Closing_Date: 2027-03-31}")
    assert body["data"][0]["Deals"]["Closing_Date"] == "2027-03-31"


def test_placeholders_for_absent_fields_render_empty_and_are_reported():
    request = build_convert_request(
        rule("deal: {Deal_Name: '{Company} / {Industry} / {Owner.name}', Stage: y, Closing_Date: +1d}"),
        LEAD_ID,
        LEAD,
        NOON_UTC,
        legacy=False,
    )
    assert request.body["data"][0]["Deals"]["Deal_Name"] == "Globex /  / Sam Seller"
    assert request.missing_fields == ("Industry",)


def test_a_lone_placeholder_keeps_the_fields_type_and_braces_can_be_escaped():
    body = body_for(
        "deal: {Deal_Name: '{{{Company}}}', Stage: y, Closing_Date: +1d, Amount: '{Annual_Revenue}'}"
    )
    assert body["data"][0]["Deals"]["Deal_Name"] == "{Globex}"
    assert body["data"][0]["Deals"]["Amount"] == 2500000


def test_no_deal_no_tags_when_the_lead_has_none_of_them():
    body = body_for("carry_over_tags: {Contacts: [Cold]}")
    assert "Deals" not in body["data"][0]
    assert "carry_over_tags" not in body["data"][0]


def test_a_deal_name_longer_than_zoho_takes_is_cut_and_said():
    long_company = "Consolidated " * 16  # 208 characters, within the 200 of Leads' Company and more
    request = build_convert_request(
        rule(
            'deal: {Deal_Name: "{Company} - {Last_Name}", Stage: S, Closing_Date: +1d,'
            ' Description: "{Company}"}'
        ),
        LEAD_ID,
        {**LEAD, "Company": long_company},
        NOON_UTC,
        legacy=False,
    )

    deal = request.body["data"][0]["Deals"]
    assert deal["Deal_Name"] == (long_company + " - Doe")[:120]
    assert deal["Description"] == long_company  # within its own maximum
    assert request.cut_fields == ("Deal_Name",)
    assert request.warnings == ("deal.Deal_Name was cut to 120 characters, the most Zoho takes",)


def test_a_deal_name_within_the_maximum_is_sent_whole():
    request = build_convert_request(
        rule('deal: {Deal_Name: "{Company}", Stage: S, Closing_Date: +1d}'),
        LEAD_ID,
        LEAD,
        NOON_UTC,
        legacy=False,
    )
    assert request.body["data"][0]["Deals"]["Deal_Name"] == "Globex"
    assert request.cut_fields == ()
