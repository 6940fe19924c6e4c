"""The rules file: what loads, and the precise error for everything that must not."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from handlers.engine.rules import (
    Distribute,
    LeadOwner,
    RelativeDate,
    User,
    load_rules,
    parse_rules,
)
from handlers.errors import RulesError

ROOT = Path(__file__).resolve().parent.parent

FULL_EXAMPLE = """
defaults:
  notify_lead_owner: false
  notify_new_entity_owner: true
  overwrite: false
  timezone: UTC
rules:
  - name: partner-enterprise
    when:
      Lead_Status: Qualified
      Lead_Source: {in: [Partner, Trade Show]}
      Annual_Revenue: {gte: 1000000}
      Email: {matches: '@(acme|globex)\\.com$'}
      Country: {not_in: [Testland]}
    deal:
      Deal_Name: "{Company} - {Last_Name}"
      Stage: Qualification
      Pipeline: Standard (Standard)
      Closing_Date: +30d
      Amount: 5000
    assign_to: lead_owner
    carry_over_tags:
      Contacts: [VIP]
      Deals: all
    move_attachments_to: Deals
    notify_lead_owner: true
  - name: qualified
    when: {Lead_Status: Qualified}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Closing_Date: +14d}
  - name: never-convert-tests
    when: {Email: {matches: '@test\\.invalid$'}}
    skip: true
"""


def rules_error(text: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        parse_rules(textwrap.dedent(text), "rules.yaml")
    return caught.value


def one_rule(body: str) -> str:
    """A rules document with one rule named `r` whose keys are `body` (indented YAML)."""
    return "rules:\n  - name: r\n" + textwrap.indent(textwrap.dedent(body), "    ")


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("rules:\n\t- name: r\n", "(line 2, column 1): a tab: YAML indents with spaces only"),
        (
            'rules:\n  - name: r\n    when: {Email: {matches: "@acme\\.com$"}}\n',
            "(line 3, column 35): a backslash inside double quotes starts an escape: write a regular"
            " expression in single quotes, e.g. '@acme\\.com$'",
        ),
        ("rules:\n  - name: r\n  when: {A: b}\n", "(line 3, column 3): check the indentation"),
        ("rules:\n  - name: r\n     when: x\n", "(line 3, column 10): check the indentation"),
    ],
    ids=["tab", "escape", "dedented-key", "indented-key"],
)
def test_a_yaml_mistake_is_told_where_it_is_with_what_to_do(text, told):
    error = rules_error(text)

    assert str(error).startswith("rules.yaml: not valid YAML: ")
    assert told in str(error)


def test_every_mistake_of_a_file_is_told_in_one_run():
    error = rules_error(
        """
        defaults:
          timezone: Mars/Olympus_Mons
        rules:
          - name: partners
            when: {Lead_Status: Qualified}
            notify_lead_ownr: true
            deal: {Deal_Name: x, Stage: y}
          - name: web
            when: {Lead_Status: {greater: 1}}
        """
    )

    assert [(problem.rule, problem.key) for problem in error.problems] == [
        (None, "defaults.timezone"),
        ("partners", "notify_lead_ownr"),
        ("partners", "deal.Closing_Date"),
        ("web", "when.Lead_Status.greater"),
    ]
    assert str(error).splitlines() == [
        "rules.yaml: defaults.timezone: unknown time zone 'Mars/Olympus_Mons' (use an IANA name such as"
        " Europe/Berlin)",
        "rules.yaml: rule 'partners': notify_lead_ownr: unknown key (did you mean 'notify_lead_owner'?)",
        "rules.yaml: rule 'partners': deal.Closing_Date: required: Zoho refuses to create a deal without it",
        "rules.yaml: rule 'web': when.Lead_Status.greater: unknown operator (did you mean 'gte'?)",
    ]


def test_the_documented_example_loads_with_defaults_inherited_and_overridden():
    rules = parse_rules(FULL_EXAMPLE, "rules.yaml").rules
    assert [rule.name for rule in rules] == ["partner-enterprise", "qualified", "never-convert-tests"]
    partner, qualified, tests = rules
    assert partner.notify_lead_owner is True
    assert qualified.notify_lead_owner is False
    assert qualified.notify_new_entity_owner is True
    assert partner.deal is not None
    assert partner.deal.closing_date == RelativeDate(30)
    assert dict(partner.carry_over_tags) == {"Contacts": ("VIP",), "Deals": "all"}
    assert partner.move_attachments_to == "Deals"
    assert partner.assign_to == LeadOwner()
    assert tests.skip is True
    assert tests.deal is None
    assert [c.operator for c in partner.when] == ["equals", "in", "gte", "matches", "not_in"]


def test_the_loaded_rules_are_frozen_and_hashable():
    first = parse_rules(FULL_EXAMPLE, "rules.yaml")
    again = parse_rules(FULL_EXAMPLE, "rules.yaml")

    assert {hash(rule) for rule in first.rules} == {hash(rule) for rule in again.rules}
    assert first == again
    with pytest.raises(AttributeError):
        first.rules[0].name = "renamed"  # type: ignore[misc]


def test_the_bundled_rules_file_loads():
    assert load_rules(ROOT / "rules.yaml").rules


def test_owner_forms():
    fixed = parse_rules(one_rule("when: {Lead_Status: Q}\nassign_to: '4150868000000225013'")).rules[0]
    unquoted = parse_rules(one_rule("when: {Lead_Status: Q}\nassign_to: 4150868000000225013")).rules[0]
    listed = parse_rules(one_rule("when: {Lead_Status: Q}\nassign_to: {distribute: ['1', '2']}")).rules[0]
    weighted = parse_rules(one_rule("when: {Lead_Status: Q}\nassign_to: {distribute: {'1': 3, '2': 1}}"))
    assert fixed.assign_to == User("4150868000000225013")
    assert unquoted.assign_to == User("4150868000000225013")
    assert listed.assign_to == Distribute((("1", 1), ("2", 1)))
    assert weighted.rules[0].assign_to == Distribute((("1", 3), ("2", 1)))


def test_a_fixed_closing_date_is_kept_as_a_date():
    rule = parse_rules(
        one_rule("when: {A: b}\ndeal: {Deal_Name: x, Stage: y, Closing_Date: 2027-01-31}")
    ).rules[0]
    assert rule.deal is not None
    assert rule.deal.closing_date == dt.date(2027, 1, 31)


@pytest.mark.parametrize(
    ("document", "rule", "key", "problem"),
    [
        (
            one_rule("when: {A: b}\nnotify_lead_ownr: true"),
            "r",
            "notify_lead_ownr",
            "did you mean 'notify_lead_owner'",
        ),
        (one_rule("when: {A: {matches: '(unclosed'}}"), "r", "when.A.matches", "invalid regular expression"),
        (one_rule("when: {A: {greater: 3}}"), "r", "when.A.greater", "unknown operator"),
        (
            one_rule("when: {A: {gte: 3}}\ndeal: {Deal_Name: x, Stage: y, Closing_Date: next week}"),
            "r",
            "deal.Closing_Date",
            "must be +Nd",
        ),
        (
            one_rule("when: {A: b}\ndeal: {Deal_Name: x, Stage: y, Closing_Date: 2027-02-30}"),
            "r",
            "deal.Closing_Date",
            "must be +Nd",
        ),
        (
            one_rule("when: {A: b}\ndeal: {Deal_Name: '{Company', Stage: y, Closing_Date: +3d}"),
            "r",
            "deal.Deal_Name",
            "unbalanced '{'",
        ),
        (
            one_rule("when: {A: b}\ndeal: {Deal_Name: '{Company Name}', Stage: y, Closing_Date: +3d}"),
            "r",
            "deal.Deal_Name",
            "not a Lead field API name",
        ),
        (one_rule("when: {A: b}\ndeal: {Deal_Name: x, Closing_Date: +3d}"), "r", "deal.Stage", "required"),
        (one_rule("when: {A: b}\ndeal: {Stage: x, Closing_Date: +3d}"), "r", "deal.Deal_Name", "required"),
        (one_rule("when: {A: b}\ndeal: {Deal_Name: x, Stage: y}"), "r", "deal.Closing_Date", "required"),
        (
            one_rule("deal: {Deal_Name: x, Stage: y, Closing_Date: +1d}"),
            "r",
            "when",
            "would convert every lead",
        ),
        (
            one_rule("when: {A: b}\nskip: true\ndeal: {Deal_Name: x, Stage: y, Closing_Date: +1d}"),
            "r",
            "deal",
            "converts nothing",
        ),
        (one_rule("when: {A: b}\ntimezone: Mars/Olympus"), "r", "timezone", "unknown time zone"),
        (one_rule("when: {A: b}\nassign_to: somebody"), "r", "assign_to", "a Zoho user id"),
        (
            one_rule("when: {A: b}\nassign_to: {distribute: {'1': 0}}"),
            "r",
            "assign_to.distribute.1",
            "weight must be",
        ),
        (
            one_rule("when: {A: b}\ncarry_over_tags: {Leads: all}"),
            "r",
            "carry_over_tags.Leads",
            "unknown key",
        ),
        (one_rule("when: {A: b}\ncarry_over_tags: {Deals: some}"), "r", "carry_over_tags.Deals", "tag names"),
        (one_rule("when: {A: b}\nmove_attachments_to: Leads"), "r", "move_attachments_to", "must be one of"),
        (one_rule("when: {A: b}\nexisting_records: merge"), "r", "existing_records", "match, link, create"),
        (one_rule("when: {A: b}\nwhen_ambiguous: oldest"), "r", "when_ambiguous", "hold, newest, create"),
        (
            one_rule("when: {A: b}\nexisting_records: link\nwhen_ambiguous: newest"),
            "r",
            "when_ambiguous",
            "only with `existing_records: match`",
        ),
        (
            one_rule("when: {A: b}\ndeal: {Deal_Name: d, Stage: s, Closing_Date: +1d, unless_open_deal: 1}"),
            "r",
            "deal.unless_open_deal",
            "true or false",
        ),
        (
            one_rule(
                "when: {A: b}\nexisting_records: create\n"
                "deal: {Deal_Name: d, Stage: s, Closing_Date: +1d, unless_open_deal: true}"
            ),
            "r",
            "deal.unless_open_deal",
            "needs `existing_records: match`",
        ),
        (one_rule("when: {A: [x, y]}"), "r", "when.A", "{in: "),
        (one_rule("when: {A: null}"), "r", "when.A", "exists: false"),
        (one_rule("when: {A: {in: []}}"), "r", "when.A.in", "non-empty list"),
        (one_rule("when: {A: {exists: maybe}}"), "r", "when.A.exists", "true or false"),
        (one_rule("when: {'bad field': x}"), "r", "when.bad field", "API name"),
        (
            one_rule("when: {A: b}\nnotify_lead_owner: 'yes please'"),
            "r",
            "notify_lead_owner",
            "true or false",
        ),
    ],
)
def test_each_mistake_is_named_by_file_rule_and_key(document, rule, key, problem):
    error = rules_error(document)
    assert (error.source, error.rule, error.key) == ("rules.yaml", rule, key)
    assert problem in str(error)
    assert str(error).startswith(f"rules.yaml: rule {rule!r}: {key}: ")


def test_duplicate_rule_names_are_refused():
    error = rules_error("rules:\n  - {name: a, when: {A: b}}\n  - {name: a, when: {A: c}}\n")
    assert error.rule == "a"
    assert "duplicate rule name" in str(error)


def test_a_key_written_twice_is_refused_instead_of_silently_keeping_the_last():
    error = rules_error("rules:\n  - name: a\n    when: {A: b}\n    when: {A: c}\n")
    assert "duplicate key 'when'" in str(error)
    assert "line 4" in str(error)


def test_yaml_syntax_errors_name_the_line():
    error = rules_error("rules:\n  - name: a\n    when: {A: b\n")
    assert str(error).startswith("rules.yaml: not valid YAML")
    assert "line" in str(error)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("rules: []\n", "non-empty list"),
        ("rule:\n  - name: a\n", "unknown key (did you mean 'rules'?)"),
        ("defaults: {timezon: UTC}\nrules: [{name: a, when: {A: b}}]\n", "defaults.timezon: unknown key"),
        ("rules:\n  - when: {A: b}\n", "rules[1].name: required"),
    ],
)
def test_document_level_mistakes(document, problem):
    assert problem in str(rules_error(document))


def test_an_unreadable_file_is_reported_with_its_path(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RulesError, match=r"nope\.yaml: cannot read the rules file"):
        load_rules(missing)
