"""The sweep's COQL queries: only what Zoho evaluates as loosely as the local matcher, in the form
each field's type takes, within Zoho's limits whatever the rules' size; and what a row answers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping

import pytest

from handlers.engine.rules import parse_rules
from handlers.sweep.query import WINDOW_ONLY, Window, answers, answers_path, queries_for
from handlers.zoho.coql import MAX_CRITERIA, MAX_IN_VALUES, MAX_SELECTED_FIELDS
from handlers.zoho.metadata import Choice, FieldInfo

WINDOW = Window(
    since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    before=dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC),
)


class Org(Mapping[str, FieldInfo]):
    """An org's Leads fields: those named with their type, every other name a text field."""

    def __init__(self, **types: str | FieldInfo):
        self.known = {
            name: kind if isinstance(kind, FieldInfo) else FieldInfo(name, kind)
            for name, kind in types.items()
        }

    def __getitem__(self, name: str) -> FieldInfo:
        return self.known.get(name) or FieldInfo(name, "text")

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)


ORG = Org(
    Lead_Status="picklist",
    Lead_Source="picklist",
    Annual_Revenue="currency",
    No_of_Employees="integer",
    Owner="ownerlookup",
    Product_Interest="multiselectpicklist",
    Created_Time="datetime",
)


def plan_for(text: str, org: Mapping[str, FieldInfo] | None = ORG):
    return queries_for(parse_rules(text), org)


def queries(text: str, after_id: str | None = "4876876000000123456", org=ORG) -> list[str]:
    plan = plan_for(text, org)
    return [plan.page_query(query, WINDOW, after_id, 2000) for query in plan.queries]


def where_of(text: str, org=ORG) -> str:
    (query,) = queries(text, None, org)
    return query.split(" where ", 1)[1].split(" order by ")[0]


def criteria_in(query: str) -> int:
    """Criteria as Zoho may count them: one per comparison, one per value of an `in`."""
    where = query.split(" where ", 1)[1].split(" order by ")[0]
    comparisons = len(re.findall(r" (?:=|<|<=|>|>=) ", where))
    in_values = sum(len(group.split(",")) for group in re.findall(r" in \(([^)]*)\)", where))
    return comparisons + in_values


def test_one_rule_gives_one_paired_query_with_the_window_and_the_key():
    (query,) = queries("rules: [{name: r, when: {Lead_Status: Qualified, Lead_Source: Web}}]")

    assert query == (
        "select id, Owner, Modified_Time, Email, Company, Lead_Status, Lead_Source from Leads where"
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
    texts = [plan.page_query(query, WINDOW, None, 2000) for query in plan.queries]

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
    assert plan.queries == (WINDOW_ONLY,)
    (text,) = [plan.page_query(query, WINDOW, None, 2000) for query in plan.queries]
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
    (text,) = [plan.page_query(query, WINDOW, None, 2000) for query in plan.queries]
    assert "Email" not in text.split(" where ")[1]
    assert "Email" in plan.fields


def test_more_than_fifty_fields_select_the_conditions_first_and_say_the_rest_is_read_in_full():
    deal_fields = ", ".join(f"F{n}: '{{Field_{n}}}'" for n in range(60))
    plan = plan_for(
        "rules: [{name: r, when: {Lead_Status: Qualified},"
        f" deal: {{Deal_Name: x, Stage: y, Closing_Date: +1d, {deal_fields}}}}}]"
    )
    assert len(plan.fields) == MAX_SELECTED_FIELDS
    assert plan.fields[:6] == ("id", "Owner", "Modified_Time", "Email", "Company", "Lead_Status")
    assert any("more than the 50" in note for note in plan.notes)
    assert any("Field_59" in note and "read in full" in note for note in plan.notes)


def test_a_number_written_as_text_goes_bare_on_a_currency_field():
    where = where_of('rules: [{name: big, when: {Lead_Status: Qualified, Annual_Revenue: "2500000"}}]')
    assert "Annual_Revenue = 2500000" in where
    assert "'2500000'" not in where


@pytest.mark.parametrize(
    ("value", "pushed"),
    [
        ("2500000.50", "Annual_Revenue = 2500000.5"),
        ("2.5e6", "Annual_Revenue = 2500000"),
        ("1_000", "Annual_Revenue = 1000"),
        (-7, "Annual_Revenue = -7"),
    ],
)
def test_numbers_are_written_in_the_one_form_coql_reads(value, pushed):
    assert pushed in where_of(
        f"rules: [{{name: r, when: {{Lead_Status: Qualified, Annual_Revenue: {value!r}}}}}]"
    )


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ('No_of_Employees: "2.5"', "a whole-number field never equals 2.5"),
        ("No_of_Employees: 10000000000000000000", "beyond a bigint"),
        ('Annual_Revenue: "0.1234567890123456789"', "more digits than a double holds"),
        ("Annual_Revenue: lots", "not a number"),
        ("Annual_Revenue: true", "a flag"),
        ('Company: "007"', "text that spells a number matches 7 locally"),
        ("Company: 42", "a number on a text field"),
        ('Company: " Acme"', "spaces Zoho may trim"),
        ('Company: {in: [Acme, "42"]}', "one value of an in that cannot go keeps the whole in out"),
        ("Owner: Sam Seller", "a lookup by name: COQL compares lookups by id"),
        ('Owner: "0123"', "not an id"),
        ("Owner.name: Sam Seller", "a lookup's name"),
        ("Product_Interest: CRM", "a multi-select field"),
        ("Tag: VIP", "tags"),
        ("Created_Time: '2026-11-01T00:00:00+00:00'", "a date-time"),
        ("Unknown_Field__c: x", "a field the org does not have"),
    ],
)
def test_a_condition_coql_may_evaluate_more_strictly_is_never_pushed(condition, why):
    field = condition.split(":")[0]
    rules = parse_rules(f"rules: [{{name: r, when: {{Lead_Status: Qualified, {condition}}}}}]")
    plan = queries_for(rules, _Only(ORG))
    (query,) = plan.queries
    text = plan.page_query(query, WINDOW, None, 2000).split(" where ", 1)[1]
    assert "Lead_Status = 'Qualified'" in text, why
    assert field.split(".")[0] not in text, why


class _Only(Mapping[str, FieldInfo]):
    """The org's fields exactly: a name it does not list is not a field."""

    def __init__(self, org: Org):
        self.known = dict(org.known) | {"Company": FieldInfo("Company", "text")}

    def __getitem__(self, name: str) -> FieldInfo:
        return self.known[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


def test_a_lookup_is_pushed_by_id_in_quotes():
    assert "Owner = '4876876000000002002'" in where_of(
        "rules: [{name: r, when: {Owner: 4876876000000002002}}]"
    )
    assert "Owner = '4876876000000002002'" in where_of(
        "rules: [{name: r, when: {Owner.id: '4876876000000002002'}}]"
    )


def test_a_picklist_value_is_pushed_in_every_form_of_its_option():
    org = Org(
        **{
            **ORG.known,
            "Lead_Status": FieldInfo(
                "Lead_Status", "picklist", (Choice("Qualified", "Qualified"), Choice("Sales Ready", "SR_1"))
            ),
        }
    )
    where = where_of("rules: [{name: r, when: {Lead_Status: Sales Ready}}]", org)
    assert "Lead_Status in ('Sales Ready', 'SR_1')" in where


def test_without_the_orgs_fields_nothing_is_pushed_and_the_plan_says_so():
    plan = plan_for("rules: [{name: r, when: {Lead_Status: Qualified}}]", None)
    assert plan.queries == (WINDOW_ONLY,)
    assert plan.notes[0] == "the org's Leads fields are not known: every condition is matched locally"


def test_tags_and_fields_the_org_lacks_are_never_selected():
    plan = queries_for(
        parse_rules("rules: [{name: r, when: {Lead_Status: Qualified, Tag: VIP, Typo_Field: x}}]"),
        _Only(ORG),
    )
    assert plan.fields == ("id", "Owner", "Modified_Time", "Company", "Lead_Status")
    assert any("Tag" in note and "read in full" in note for note in plan.notes)
    assert any("no Leads field Email:" in note and "singly" in note for note in plan.notes)


def test_rules_that_match_existing_records_select_the_leads_email_and_company():
    matching = plan_for("rules: [{name: r, when: {Lead_Status: Qualified}}]")
    creating = plan_for("rules: [{name: r, when: {Lead_Status: Qualified}, existing_records: create}]")

    assert matching.fields == ("id", "Owner", "Modified_Time", "Email", "Company", "Lead_Status")
    assert creating.fields == ("id", "Owner", "Modified_Time", "Lead_Status")


def test_a_lookup_compared_by_name_is_a_note_about_its_cost():
    plan = plan_for("rules: [{name: r, when: {Lead_Status: Qualified, Owner: Sam Seller}}]")
    assert any(
        note.startswith("rule 'r': when.Owner: COQL answers the lookup Owner with its id only")
        and "1 API credit a lead" in note
        for note in plan.notes
    )


def test_a_refused_query_splits_into_one_query_per_rule_and_names_its_rules():
    plan = plan_for(
        """
        rules:
          - {name: a, when: {Lead_Status: Qualified, Lead_Source: Web}}
          - {name: b, when: {Lead_Status: Qualified, Lead_Source: Partner}}
          - {name: c, when: {Lead_Status: Qualified, Lead_Source: Web}, skip: false}
        """
    )
    (query,) = plan.queries
    assert query.rules == ("a", "c", "b")
    assert [part.rules for part in query.split()] == [("a", "c"), ("b",)]


ROW = {
    "id": "1",
    "Owner": {"id": "4876876000000002002"},
    "Lead_Status": "Qualified",
    "Product_Interest": ["CRM"],
}


@pytest.mark.parametrize(
    ("condition", "answered"),
    [
        ("Lead_Status: Qualified", True),
        ("Product_Interest: CRM", True),
        ("Owner: 4876876000000002002", True),
        ("Owner.id: 4876876000000002002", True),
        ("Owner: {exists: true}", True),
        ("Owner: Sam Seller", False),
        ("Owner: {in: [4876876000000002002, Sam Seller]}", False),
        ("Owner.name: Sam Seller", False),
        ("Owner: {matches: Sam}", False),
        ("Tag: VIP", False),
        ("Company: Acme", False),
    ],
)
def test_a_row_answers_only_what_coql_returned(condition, answered):
    (rule,) = parse_rules(f"rules: [{{name: r, when: {{{condition}}}}}]").rules
    (tested,) = rule.when
    assert answers(ROW, tested) is answered


def test_a_placeholder_on_a_lookup_needs_more_than_a_row():
    assert answers_path(ROW, "Owner.id")
    assert not answers_path(ROW, "Owner.name")
    assert not answers_path(ROW, "Owner")
    assert answers_path(ROW, "Lead_Status")
    assert not answers_path(ROW, "Company")
