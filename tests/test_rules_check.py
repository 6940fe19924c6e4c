"""What a valid rules file does that its author probably did not mean (handlers/checks/rules_check.py)."""

from __future__ import annotations

import re
import textwrap

import pytest

from handlers.checks.rules_check import check
from handlers.engine.rules import parse_rules
from handlers.errors import RulesError
from handlers.zoho.metadata import FieldInfo
from tests.conftest import ROOT
from tests.test_rules import FULL_EXAMPLE


def findings(text: str, fields: dict[str, FieldInfo] | None = None) -> list[str]:
    return [str(finding) for finding in check(parse_rules(textwrap.dedent(text), "rules.yaml"), fields)]


def warnings(text: str) -> list[str]:
    return [line for line in findings(text) if line.startswith("warning:")]


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    return re.search(r"```yaml\n(defaults:.*?)```", readme, re.S)[1]


def test_the_readme_example_and_the_bundled_rules_have_no_warning():
    assert warnings(readme_example()) == []
    assert warnings((ROOT / "rules.yaml").read_text()) == []


def test_a_skip_rule_after_a_catch_all_is_named_with_the_rule_that_shadows_it():
    assert warnings(FULL_EXAMPLE) == [
        "warning: rules.yaml: rule 'never-convert-tests': skip: rule 'partner-enterprise' comes first"
        " and converts the leads that match both (this skip rule never sees them): put the skip rule"
        " before it"
    ]


def test_a_rule_whose_conditions_an_earlier_rule_contains_is_unreachable():
    assert warnings(
        """
        rules:
          - {name: broad, when: {Lead_Status: Qualified}}
          - {name: narrow, when: {Lead_Status: Qualified, Lead_Source: Web}}
        """
    ) == [
        "warning: rules.yaml: rule 'narrow': when: unreachable: rule 'broad' comes first and matches"
        " every lead this one matches"
    ]


def test_rules_that_cannot_match_the_same_lead_do_not_shadow_each_other():
    assert (
        warnings(
            """
        rules:
          - {name: qualified, when: {Lead_Status: Qualified}}
          - {name: junk, when: {Lead_Status: Junk, Email: {exists: false}}, skip: true}
        """
        )
        == []
    )


def test_a_converting_rule_without_a_status_condition_is_a_warning():
    assert warnings("rules: [{name: rich, when: {Annual_Revenue: {gte: 1000000}}}]") == [
        "warning: rules.yaml: rule 'rich': when: no condition on Lead_Status: the sweep converts every"
        " lead this rule matches, whatever its status"
    ]


LEAD_FIELDS = {
    name: FieldInfo(name, kind)
    for name, kind in [("Lead_Status", "picklist"), ("Company", "text"), ("Email", "email")]
}


def test_with_the_orgs_fields_conditions_the_sweep_matches_locally_are_a_note():
    text = 'rules: [{name: r, when: {Lead_Status: Qualified, Company: "O\'Hara"}}]'

    assert findings(text, LEAD_FIELDS) == [
        "note: rules.yaml: the sweep: rule 'r': when.Company is matched locally:"
        " a value with a quote or backslash"
    ]


def test_without_the_org_the_notes_say_which_conditions_make_the_sweep_read_leads_in_full():
    text = "rules: [{name: r, when: {Lead_Status: Qualified, Owner: Sam Seller, Tag: VIP}}]"

    assert findings(text) == [
        "note: rules.yaml: the sweep: rule 'r': when.Owner: COQL answers the lookup Owner with its id"
        " only, not its name: each lead the query returns for this rule is read in full before it is"
        " decided (1 API credit a lead)",
        "note: rules.yaml: the sweep: rule 'r': when.Tag: COQL does not read Tag: each lead the query"
        " returns for this rule is read in full before it is decided (1 API credit a lead)",
    ]


@pytest.mark.parametrize("threshold", ["1M", "'1,000,000'", "soon", "'2026-13-01'"])
def test_a_threshold_that_is_neither_a_number_nor_a_date_is_an_error(threshold):
    with pytest.raises(RulesError) as caught:
        parse_rules(f"rules: [{{name: big, when: {{Annual_Revenue: {{gte: {threshold}}}}}}}]", "rules.yaml")

    assert str(caught.value).startswith("rules.yaml: rule 'big': when.Annual_Revenue.gte: ")
    assert "neither a number nor an ISO date" in str(caught.value)


@pytest.mark.parametrize("threshold", ["1000000", "'1000000'", "2026-01-31", "'2026-01-31T09:00:00+00:00'"])
def test_numbers_and_iso_dates_are_thresholds(threshold):
    parse_rules(f"rules: [{{name: ok, when: {{Created_Time: {{gte: {threshold}}}}}}}]", "rules.yaml")


def test_deal_text_longer_than_zoho_takes_is_a_warning_and_a_placeholder_that_may_be_a_note():
    long_name = "x" * 121
    text = f"""
    rules:
      - name: long
        when: {{Lead_Status: Qualified}}
        deal: {{Deal_Name: {long_name}, Stage: S, Closing_Date: +1d}}
      - name: templated
        when: {{Lead_Status: Contacted}}
        deal: {{Deal_Name: "{{Company}} - {{Last_Name}}", Stage: S, Closing_Date: +1d}}
    """

    lines = [line for line in findings(text) if "deal.Deal_Name" in line]

    assert lines == [
        "warning: rules.yaml: rule 'long': deal.Deal_Name: its own text is 121 characters; Zoho takes at"
        " most 120: it is always cut",
        "note: rules.yaml: rule 'templated': deal.Deal_Name: a lead's values can make it longer than the"
        " 120 characters Zoho takes (Company holds up to 200): it is then cut, and the log line says so",
    ]
