"""The sweep's COQL queries: the rules pushed down, within Zoho's limits, whatever their size."""

from __future__ import annotations

import datetime as dt
import re

from handlers.coql import MAX_CRITERIA, MAX_IN_VALUES, MAX_SELECTED_FIELDS
from handlers.rules import parse_rules
from handlers.sweep_query import Window, plan_queries

WINDOW = Window(
    since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    before=dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC),
)


def plan_for(text: str):
    return plan_queries(parse_rules(text))


def queries(text: str, after_id: str | None = "4876876000000123456") -> list[str]:
    plan = plan_for(text)
    return [plan.page_query(filter_, WINDOW, after_id, 2000) for filter_ in plan.filters]


def criteria_in(query: str) -> int:
    """Criteria as Zoho may count them: one per comparison, one per value of an `in`."""
    where = query.split(" where ", 1)[1].split(" order by ")[0]
    comparisons = len(re.findall(r" (?:=|<|<=|>|>=) ", where))
    in_values = sum(len(group.split(",")) for group in re.findall(r" in \(([^)]*)\)", where))
    return comparisons + in_values


def test_one_rule_gives_one_paired_query_with_the_window_and_the_key():
    (query,) = queries("rules: [{name: r, when: {Lead_Status: Qualified, Lead_Source: Web}}]")

    assert query == (
        "select id, Owner, Lead_Status, Lead_Source from Leads where"
        " ((((Modified_Time >= '2026-11-01T00:00:00+00:00' and Modified_Time < '2026-12-01T12:00:00+00:00')"
        " and Lead_Status = 'Qualified') and Lead_Source = 'Web') and id > '4876876000000123456')"
        " order by id asc limit 2000"
    )


def test_the_first_page_has_no_key_criterion():
    (query,) = queries("rules: [{name: r, when: {Lead_Status: Qualified}}]", after_id=None)
    assert "id >" not in query
    assert "offset" not in query.lower()


def test_three_rules_are_an_or_of_pairs():
    (query,) = queries(
        """
        rules:
          - {name: a, when: {Lead_Status: Qualified, Lead_Source: Web}}
          - {name: b, when: {Lead_Status: Qualified, Lead_Source: Partner}}
          - {name: c, when: {Lead_Status: Hot}}
        """
    )
    where = query.split(" where ")[1]
    assert " or " in where
    assert not re.search(r"\w+ = '[^']*' (and|or) \w+ = '[^']*' (and|or)", where)  # never flat


def test_thirty_rules_of_three_conditions_split_into_queries_within_the_limits():
    rules = "rules:\n" + "".join(
        f"  - {{name: r{n}, when: {{Lead_Status: Qualified, Lead_Source: S{n}, Industry: I{n}}}}}\n"
        for n in range(30)
    )
    texts = queries(rules)

    assert 1 < len(texts) <= 10
    assert all(criteria_in(text) <= MAX_CRITERIA for text in texts)
    pushed = {
        (source, industry)
        for text in texts
        for source, industry in re.findall(r"'(S\d+)'\) and Industry = '(I\d+)'", text)
    }
    assert pushed == {(f"S{n}", f"I{n}") for n in range(30)}  # every rule is in exactly the union


def test_an_in_of_sixty_values_is_split_over_queries_that_cover_every_value():
    values = [f"Source {n}" for n in range(60)]
    texts = queries(f"rules: [{{name: r, when: {{Lead_Status: Qualified, Lead_Source: {{in: {values}}}}}}}]")

    assert len(texts) >= 3
    assert all(criteria_in(text) <= MAX_CRITERIA for text in texts)
    found = [value for text in texts for value in re.findall(r"'(Source \d+)'", text)]
    assert sorted(found) == sorted(values)
    assert all(
        len(group.split(",")) <= MAX_IN_VALUES
        for text in texts
        for group in re.findall(r" in \(([^)]*)\)", text)
    )


def test_a_value_with_a_quote_or_backslash_is_matched_locally_and_the_rest_pushed_down():
    plan = plan_for(
        r"""
        rules:
          - {name: irish, when: {Lead_Status: Qualified, Company: "O'Brien Ltd"}}
          - {name: path, when: {Lead_Status: Qualified, Description: 'C:\temp'}}
        """
    )
    texts = [plan.page_query(f, WINDOW, None, 2000) for f in plan.filters]

    assert all("O'Brien" not in text and "\\" not in text for text in texts)
    assert all("Lead_Status = 'Qualified'" in text for text in texts)
    assert any("Company" in note and "matched locally" in note for note in plan.notes)
    assert {"Company", "Description"} <= set(plan.fields)  # still read, to match locally


def test_a_converting_rule_without_a_pushable_condition_leaves_the_window_alone():
    plan = plan_for(
        """
        rules:
          - {name: a, when: {Lead_Status: Qualified}}
          - {name: big, when: {Annual_Revenue: {gte: 1000000}}}
        """
    )
    assert plan.filters == (None,)
    (text,) = [plan.page_query(f, WINDOW, None, 2000) for f in plan.filters]
    assert "Lead_Status =" not in text
    assert any("'big' has no condition" in note for note in plan.notes)


def test_skip_rules_add_nothing_to_the_filter_but_their_fields_are_read():
    plan = plan_for(
        """
        rules:
          - {name: tests, when: {Email: {matches: 'test'}}, skip: true}
          - {name: q, when: {Lead_Status: Qualified}}
        """
    )
    (text,) = [plan.page_query(f, WINDOW, None, 2000) for f in plan.filters]
    assert "Email" not in text.split(" where ")[1]
    assert "Email" in plan.fields


def test_more_than_fifty_fields_keep_the_conditions_and_mark_records_incomplete():
    deal_fields = ", ".join(f"F{n}: '{{Field_{n}}}'" for n in range(60))
    plan = plan_for(
        "rules: [{name: r, when: {Lead_Status: Qualified},"
        f" deal: {{Deal_Name: x, Stage: y, Closing_Date: +1d, {deal_fields}}}}}]"
    )
    assert len(plan.fields) <= MAX_SELECTED_FIELDS
    assert "Lead_Status" in plan.fields
    assert (plan.complete, plan.decidable) == (False, True)


def test_conditions_on_more_than_fifty_fields_select_only_ids():
    conditions = ", ".join(f"Field_{n}: {{exists: true}}" for n in range(60))
    plan = plan_for(f"rules: [{{name: r, when: {{Lead_Status: Qualified, {conditions}}}}}]")
    assert plan.fields == ("id",)
    assert (plan.complete, plan.decidable) == (False, False)
