"""Which existing contact and account a lead converts into (handlers/engine/existing.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.engine.existing import (
    OWN_ACCOUNT,
    Held,
    Link,
    Match,
    Matches,
    choose,
    from_conversion_options,
    from_records,
)

JUNE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
JULY = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def contact(record_id: str, account: str | None = None, modified: dt.datetime | None = None) -> Match:
    own = (account, "Acme") if account else None
    return Match("Contacts", record_id, "Jane Doe", ("Email",), own, modified)


def account(record_id: str, modified: dt.datetime | None = None) -> Match:
    return Match("Accounts", record_id, "Acme", ("Account_Name",), None, modified)


# --- choosing -------------------------------------------------------------------------------------


def test_no_candidate_links_nothing():
    assert choose(Matches(), "hold") == Link()


def test_one_contact_and_one_account_are_used():
    chosen = choose(Matches((contact("1"),), (account("9"),)), "hold")

    assert chosen == Link(contact("1"), account("9"))
    assert chosen.matched() == {
        "Contacts": {"id": "1", "field": "Email"},
        "Accounts": {"id": "9", "field": "Account_Name"},
    }


def test_the_contacts_own_account_wins_when_no_account_matched_or_several_did():
    alone = choose(Matches((contact("1", account="9"),)), "hold")
    among = choose(Matches((contact("1", account="9"),), (account("8"), account("9"))), "hold")

    assert alone == Link(contact("1", account="9"), Match("Accounts", "9", "Acme", (OWN_ACCOUNT,)))
    assert among == Link(contact("1", account="9"), account("9"))


@pytest.mark.parametrize("module", ["Contacts", "Accounts"])
def test_several_matches_in_a_module_hold_the_lead_listing_them(module):
    matches = (
        Matches((contact("1"), contact("2")))
        if module == "Contacts"
        else Matches((), (account("8"), account("9")))
    )

    held = choose(matches, "hold")

    assert isinstance(held, Held)
    assert held.reason == f"2 {module.lower()} match the lead"
    assert [match.id for match in held.candidates] == (["1", "2"] if module == "Contacts" else ["8", "9"])


def test_newest_takes_the_most_recently_modified_match_and_the_highest_id_on_a_tie():
    by_time = choose(Matches((contact("1", modified=JULY), contact("2", modified=JUNE))), "newest")
    on_tie = choose(Matches((), (account("8", JUNE), account("9", JUNE))), "newest")

    assert isinstance(by_time, Link)
    assert by_time.contact == contact("1", modified=JULY)
    assert isinstance(on_tie, Link)
    assert on_tie.account == account("9", JUNE)


def test_create_leaves_an_ambiguous_module_to_zoho_and_uses_the_other():
    chosen = choose(Matches((contact("1"), contact("2")), (account("9"),)), "create")

    assert chosen == Link(None, account("9"))


def test_a_contact_of_another_company_than_the_matched_account_is_never_combined_with_it():
    matches = Matches((contact("1", account="7"),), (account("9"),))

    held = choose(matches, "hold")
    newest = choose(matches, "newest")

    assert isinstance(held, Held)
    assert "belongs to account 7" in held.reason
    assert [match.id for match in held.candidates] == ["1", "7", "9"]
    assert isinstance(newest, Link)
    assert (newest.contact, newest.account) == (
        contact("1", account="7"),
        Match("Accounts", "7", "Acme", (OWN_ACCOUNT,)),
    )
    assert "another account (Accounts 9" in newest.warnings[0]


def test_newest_asks_for_the_modified_times_it_lacks_and_uses_them():
    matches = Matches((contact("1"), contact("2")))

    assert matches.undated("hold") == {}
    assert matches.undated("newest") == {"Contacts": ["1", "2"]}
    dated = matches.with_modified({"1": JULY, "2": JUNE})
    assert dated.undated("newest") == {}
    assert choose(dated, "newest") == Link(contact("1", modified=JULY))


# --- reading Zoho's answers ---------------------------------------------------------------------


OPTIONS = {
    "module_preference": {"api_name": "Contacts", "id": "1"},
    "Contacts": [
        {
            "id": "11",
            "Full_Name": "Jane Doe",
            "Email": "JANE@acme.example",
            "Account_Name": {"name": "Acme", "id": "21"},
        },
        {
            "id": "12",
            "Full_Name": "Jane Doe",
            "Email": "other@acme.example",
            "Phone": "555",
            "Account_Name": None,
        },
        {"id": "13", "Full_Name": "Jane Doe", "Email": "third@acme.example", "Account_Name": None},
    ],
    "Accounts": [{"id": "21", "Account_Name": "Acme"}],
    "Deals": None,
    "preference_field_matched_value": {
        "Contacts": [
            {"field": {"api_name": "Email", "id": "f1"}, "matched_lead_value": "jane@acme.example"},
            {"field": {"api_name": "Phone", "id": "f2"}, "matched_lead_value": "555"},
            {"field": {"api_name": "Full_Name", "id": "f3"}, "matched_lead_value": "Jane Doe"},
        ],
        "Accounts": [{"field": {"api_name": "Account_Name", "id": "f4"}, "matched_lead_value": "Acme"}],
    },
}


def test_conversion_options_give_each_record_the_fields_it_matched_on():
    matches = from_conversion_options(OPTIONS)

    assert [(m.id, m.fields, m.account) for m in matches.contacts] == [
        ("11", ("Email",), ("21", "Acme")),
        ("12", ("Phone",), None),
    ]
    assert [(m.id, m.fields) for m in matches.accounts] == [("21", ("Account_Name",))]


def test_a_contact_that_matched_on_its_name_alone_is_never_a_candidate():
    matches = from_conversion_options(OPTIONS)

    assert [match.id for match in matches.name_only] == ["13"]
    assert "13" not in [match.id for match in matches.contacts]


def test_a_record_that_shows_none_of_the_matched_values_matched_on_a_field_it_leaves_out():
    options = {
        "Contacts": [{"id": "11", "Full_Name": "Jane Doe", "Email": "x@y.example"}],
        "preference_field_matched_value": {
            "Contacts": [{"field": {"api_name": "Customer_No"}, "matched_lead_value": "C-1"}]
        },
    }

    (match,) = from_conversion_options(options).contacts

    assert match.fields == ("Customer_No",)


def test_no_content_is_no_candidate():
    assert from_conversion_options(None) == Matches()
    assert from_conversion_options(None).empty


def test_records_read_by_a_lookup_carry_their_account_and_modified_time():
    (match,) = from_records(
        "Contacts",
        [
            {
                "id": "11",
                "Full_Name": "Jane Doe",
                "Account_Name": {"id": "21"},
                "Modified_Time": "2026-07-01T00:00:00+00:00",
            }
        ],
        "Email",
    )

    assert (match.account, match.modified, match.fields) == (("21", None), JULY, ("Email",))
