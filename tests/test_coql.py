"""COQL text as Zoho's grammar accepts it (zoho-crm-api.md §10): pairs, limits, literals."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.zoho.coql import (
    Criterion,
    QueryTooLarge,
    all_of,
    any_of,
    credits_at_most,
    keyset_pages,
    quotable,
    select,
    timestamp,
)

A = Criterion("Lead_Status", "=", ("Qualified",))
B = Criterion("Lead_Source", "=", ("Web",))
C = Criterion("Industry", "in", ("Retail", "Banking"))
D = Criterion("Rating", "=", ("Hot",))


def test_two_criteria_are_one_bracketed_pair():
    assert all_of(A, B).render() == "(Lead_Status = 'Qualified' and Lead_Source = 'Web')"


def test_more_than_two_criteria_nest_in_pairs_never_flat():
    assert all_of(A, B, C).render() == (
        "((Lead_Status = 'Qualified' and Lead_Source = 'Web') and Industry in ('Retail', 'Banking'))"
    )
    assert " and " in all_of(A, B, C, D).render()
    assert all_of(A, B, C, D).render().startswith("(((")


def test_groups_of_groups_keep_every_level_paired():
    tree = any_of(all_of(A, B), all_of(C, D), A)
    assert tree.render() == (
        "(((Lead_Status = 'Qualified' and Lead_Source = 'Web') or"
        " (Industry in ('Retail', 'Banking') and Rating = 'Hot')) or Lead_Status = 'Qualified')"
    )


def test_nested_and_of_and_flattens_before_pairing():
    assert all_of(all_of(A, B), C) == all_of(A, B, C)
    assert all_of(None, A, None) == A
    assert any_of() is None


def test_an_in_counts_one_criterion_per_value():
    assert all_of(A, C).weight == 3


def test_a_datetime_literal_has_zohos_form():
    moment = dt.datetime(2026, 11, 1, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert timestamp(moment) == "2026-11-01T07:30:15+00:00"


@pytest.mark.parametrize("value", ["O'Brien", "back\\slash", "two\nlines"])
def test_values_with_a_quote_backslash_or_line_break_are_never_written(value):
    assert not quotable(value)
    with pytest.raises(ValueError, match="cannot be put in a query"):
        Criterion("Company", "=", (value,)).render()


def test_select_prints_the_whole_query_ordered_by_key():
    query = select(("id", "Lead_Status"), all_of(A, B), order_by="id", limit=2000)
    assert query == (
        "select id, Lead_Status from Leads where (Lead_Status = 'Qualified' and Lead_Source = 'Web')"
        " order by id asc limit 2000"
    )


def test_select_refuses_what_zoho_would_refuse():
    many = tuple(Criterion(f"F{n}", "=", ("x",)) for n in range(26))
    with pytest.raises(QueryTooLarge, match="26 criteria"):
        select(("id",), all_of(*many), order_by="id", limit=200)
    with pytest.raises(QueryTooLarge, match="51 selected fields"):
        select(tuple(f"F{n}" for n in range(51)), A, order_by="id", limit=200)
    long_in = Criterion("Lead_Source", "in", tuple(str(n) for n in range(51)))
    with pytest.raises(QueryTooLarge):
        select(("id",), long_in, order_by="id", limit=200)


@pytest.mark.parametrize(("limit", "credits"), [(1, 1), (200, 1), (201, 2), (1000, 5), (2000, 10)])
def test_a_query_is_counted_at_the_costlier_reading_of_one_credit_per_200_rows(limit, credits):
    assert credits_at_most(limit) == credits


def test_keyset_pages_read_past_the_last_id_until_the_last_page():
    asked: list[str | None] = []
    pages = {None: ([{"id": "3"}, {"id": "1"}], True), "3": ([{"id": "7"}], True), "7": ([], False)}

    def read(after):
        asked.append(after)
        return pages[after]

    assert list(keyset_pages(read)) == [[{"id": "3"}, {"id": "1"}], [{"id": "7"}]]
    assert asked == [None, "3", "7"]


def test_keyset_pages_end_at_a_page_zoho_says_is_the_last():
    assert list(keyset_pages(lambda after: ([{"id": "1"}], False))) == [[{"id": "1"}]]
