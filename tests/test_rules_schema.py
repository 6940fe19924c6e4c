"""rules.schema.json (what an editor checks the rules file against) held against the loader
(handlers/engine/rules.py), which is the authority: the same keys at every level, read from the loader's
own refusals and definitions; the same choices; the example files valid under both; broken files
refused by both; and no file the loader accepts flagged by the schema."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Any

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from handlers.engine.rules import (
    ALL_TAGS,
    API_NAME,
    FIELD_PATH,
    MODULES,
    OPERATORS,
    REQUIRED_DEAL_FIELDS,
    USER_ID,
    Rule,
    parse_rules,
)
from handlers.errors import RulesError
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "rules.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
DEFS = SCHEMA["$defs"]
RULE = {"name": "r", "when": {"Lead_Status": "Qualified"}}
DEAL = {"Deal_Name": "{Company}", "Stage": "Qualification", "Closing_Date": "+30d"}
UNKNOWN = "qqqqqqqq"  # close to no key, so the loader lists every key it allows instead of a guess

# A value the loader accepts for each key a rule may have besides name, when and skip.
VALID = {
    "deal": DEAL,
    "assign_to": {"distribute": {"4876876000000002002": 3, "4876876000000002003": 1}},
    "carry_over_tags": {"Contacts": ["VIP"], "Deals": "all"},
    "move_attachments_to": "Deals",
    "notify_lead_owner": True,
    "notify_new_entity_owner": True,
    "overwrite": True,
    "timezone": "Europe/Berlin",
    "existing_records": "match",
    "when_ambiguous": "newest",
    "reassign_activities": ["Tasks", "Calls"],
}
# A key whose good value needs other keys too (portal_user_type needs existing_records: create):
# tests/test_portal_user_type.py shows it under both.
NEEDS_OTHER_KEYS = {"portal_user_type"}


class _TextDates(yaml.SafeLoader):
    """YAML as an editor's YAML 1.2 reads it, and as the loader keeps it: dates stay text."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", _TextDates.construct_yaml_str)


def schema_errors(text: str) -> list[str]:
    """What the schema finds wrong with a YAML rules file, read as JSON (mapping keys become text)."""
    document = json.loads(json.dumps(yaml.load(text, Loader=_TextDates)))  # noqa: S506 - a safe loader
    return [f"{error.json_path}: {error.message}" for error in VALIDATOR.iter_errors(document)]


def loader_error(text: str) -> RulesError | None:
    try:
        parse_rules(text, "rules.yaml")
    except RulesError as error:
        return error
    return None


def one(keys: str) -> str:
    """A rules file of one rule with a condition and `keys`."""
    return f"rules: [{{name: r, when: {{A: 1}}, {keys}}}]"


def dump(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def allowed_by_loader(document: dict[str, Any]) -> set[str]:
    """The keys the loader allows where `document` holds UNKNOWN, read from its refusal of it."""
    error = loader_error(dump(document))
    assert error is not None
    listed = re.search(r"\(allowed: (.*)\)$", error.problem)
    assert listed, error.problem
    return set(listed[1].split(", "))


def test_the_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    ("where", "document", "schema_keys"),
    [
        ("the file", {UNKNOWN: 1, "rules": [RULE]}, SCHEMA["properties"]),
        (
            "defaults",
            {"defaults": {UNKNOWN: 1}, "rules": [RULE]},
            SCHEMA["properties"]["defaults"]["properties"],
        ),
        ("a rule", {"rules": [{**RULE, UNKNOWN: 1}]}, DEFS["rule"]["properties"]),
        (
            "a condition",
            {"rules": [{"name": "r", "when": {"Email": {UNKNOWN: 1}}}]},
            DEFS["operators"]["properties"],
        ),
        (
            "assign_to",
            {"rules": [{**RULE, "assign_to": {UNKNOWN: 1}}]},
            DEFS["assign_to"]["oneOf"][2]["properties"],
        ),
        (
            "carry_over_tags",
            {"rules": [{**RULE, "carry_over_tags": {UNKNOWN: "all"}}]},
            DEFS["carry_over_tags"]["properties"],
        ),
    ],
)
def test_the_schema_has_exactly_the_keys_the_loader_allows(where, document, schema_keys):
    assert set(schema_keys) == allowed_by_loader(document), where


def test_the_schema_has_every_field_of_the_rule_model_and_a_description_for_each():
    assert set(DEFS["rule"]["properties"]) == {field.name for field in dataclasses.fields(Rule)}
    assert set(DEFS["rule"]["properties"]) == {"name", "when", "skip", *VALID, *NEEDS_OTHER_KEYS}
    for key, schema in DEFS["rule"]["properties"].items():
        described = schema if "description" in schema else DEFS[schema["$ref"].rsplit("/", 1)[1]]
        assert described["description"], key


def test_the_schema_has_the_loaders_choices_and_name_patterns():
    existing_records = typing.get_type_hints(Rule)["existing_records"]
    tag_choices = DEFS["tag_selection"]["oneOf"]

    when_ambiguous = typing.get_type_hints(Rule)["when_ambiguous"]

    assert DEFS["existing_records"]["enum"] == list(typing.get_args(existing_records))
    assert DEFS["when_ambiguous"]["enum"] == list(typing.get_args(when_ambiguous))
    assert DEFS["move_attachments_to"]["enum"] == [*MODULES, None]
    assert tuple(DEFS["carry_over_tags"]["properties"]) == MODULES
    assert tuple(DEFS["operators"]["properties"]) == OPERATORS
    assert tag_choices[0]["const"] == ALL_TAGS
    assert DEFS["deal"]["required"] == list(REQUIRED_DEAL_FIELDS)
    assert DEFS["when"]["propertyNames"]["pattern"] == f"^{FIELD_PATH.pattern}$"
    assert DEFS["deal"]["propertyNames"]["pattern"] == f"^{API_NAME.pattern}$"
    assert DEFS["user_id"]["oneOf"][0]["pattern"] == f"^{USER_ID.pattern}$"


def test_rules_yaml_names_the_schema_on_its_first_line_and_is_valid_under_both():
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")

    assert text.splitlines()[0] == "# yaml-language-server: $schema=rules.schema.json"
    assert schema_errors(text) == []
    assert loader_error(text) is None


def test_the_readmes_example_rules_are_valid_under_both():
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    examples = [block for block in blocks if re.search(r"^rules:", block, re.MULTILINE)]

    assert examples, "README.md has no ```yaml block with a `rules:` list"
    for example in examples:
        assert schema_errors(example) == []
        assert loader_error(example) is None


@pytest.mark.parametrize("key", VALID)
def test_each_key_with_a_good_value_is_valid_under_both_in_a_rule_and_as_a_default(key):
    in_rule = dump({"rules": [{**RULE, key: VALID[key]}]})

    assert (schema_errors(in_rule), loader_error(in_rule)) == ([], None)
    if key in SCHEMA["properties"]["defaults"]["properties"]:
        as_default = dump({"defaults": {key: VALID[key]}, "rules": [RULE]})
        assert (schema_errors(as_default), loader_error(as_default)) == ([], None)


@pytest.mark.parametrize("key", VALID)
def test_a_skip_rule_refuses_the_same_conversion_keys_under_both(key):
    text = dump({"rules": [{**RULE, "skip": True, key: VALID[key]}]})

    assert bool(schema_errors(text)) == (loader_error(text) is not None), key


GOOD = {
    "a condition of every operator": """
rules:
  - name: r
    when:
      Lead_Status: Qualified
      Lead_Source: {in: [Partner, 5, true], not_in: [Spam]}
      Annual_Revenue: {gt: 10, gte: 10.5, lt: "2026-01-31", lte: 2026-01-31T09:00:00+00:00}
      Email: {matches: '@(acme|globex)\\.com$', not: x@acme.com}
      Owner.id: {exists: true}
      $se_module: Leads
""",
    "one user, by number": one("assign_to: 4876876000000002002"),
    "distribute over a list": one('assign_to: {distribute: ["1", 2]}'),
    "distribute by weight, unquoted ids": one("assign_to: {distribute: {1: 3, 2: 1}}"),
    "a fixed closing date and nested deal fields": """
rules:
  - name: r
    when: {A: 1}
    deal:
      Deal_Name: "{{literal}} {Company}"
      Stage: Qualification
      Closing_Date: 2026-12-31
      Amount: "{Annual_Revenue}"
      Contact_Role: Decision Maker
      Campaign_Source: {id: "1"}
      Tags: [{name: "{Lead_Source}"}]
""",
    "a deal of null and empty defaults": "defaults:\nrules: [{name: r, when: {A: 1}, deal: null}]",
    "a skip rule": one("skip: true, notify_lead_owner: true"),
    "no tags for a module": one("carry_over_tags: {Contacts: []}"),
}


@pytest.mark.parametrize("text", GOOD.values(), ids=GOOD.keys())
def test_good_files_are_valid_under_both(text):
    assert schema_errors(text) == []
    assert loader_error(text) is None


BROKEN = {
    "not a mapping": "- name: r",
    "no rules": "defaults: {overwrite: true}",
    "an empty rules list": "rules: []",
    "rules that are not a list": "rules: {name: r}",
    "an unknown key in the file": "rules: [{name: r, when: {A: 1}}]\nrulez: []",
    "a misspelt rule key": one("notify_lead_ownr: true"),
    "a rule key in defaults": "defaults: {name: d}\nrules: [{name: r, when: {A: 1}}]",
    "a rule that is not a mapping": "rules: [r]",
    "a rule without a name": "rules: [{when: {A: 1}}]",
    "a blank name": "rules: [{name: ' ', when: {A: 1}}]",
    "a rule without conditions": "rules: [{name: r}]",
    "empty conditions": "rules: [{name: r, when: {}}]",
    "a field name with a space": "rules: [{name: r, when: {Lead Status: Qualified}}]",
    "a list as a condition": "rules: [{name: r, when: {A: [1, 2]}}]",
    "null as a condition": "rules: [{name: r, when: {A: null}}]",
    "an empty operator mapping": "rules: [{name: r, when: {A: {}}}]",
    "an unknown operator": "rules: [{name: r, when: {A: {greater: 1}}}]",
    "in with one value, not a list": "rules: [{name: r, when: {A: {in: x}}}]",
    "in with no values": "rules: [{name: r, when: {A: {in: []}}}]",
    "in with a list inside": "rules: [{name: r, when: {A: {in: [[1]]}}}]",
    "a regular expression that does not compile": "rules: [{name: r, when: {A: {matches: '('}}}]",
    "a regular expression that is a number": "rules: [{name: r, when: {A: {matches: 5}}}]",
    "exists as text": "rules: [{name: r, when: {A: {exists: 'yes'}}}]",
    "a comparison with true": "rules: [{name: r, when: {A: {gte: true}}}]",
    "a deal that is a list": one("deal: [Deal_Name]"),
    "a deal without a stage": one("deal: {Deal_Name: x, Closing_Date: +1d}"),
    "an empty deal name": one("deal: {Deal_Name: '', Stage: s, Closing_Date: +1d}"),
    "a closing date in words": one("deal: {Deal_Name: x, Stage: s, Closing_Date: next week}"),
    "a closing date as a number": one("deal: {Deal_Name: x, Stage: s, Closing_Date: 30}"),
    "a deal field name with a dash": (
        one("deal: {Deal_Name: x, Stage: s, Closing_Date: +1d, Lead-Source: y}")
    ),
    "an owner by name": one("assign_to: bob"),
    "a negative user id": one("assign_to: -5"),
    "a user id of 26 digits": one(f"assign_to: '{'1' * 26}'"),
    "an unknown assign_to key": one("assign_to: {round_robin: [1]}"),
    "distribute over nobody": one("assign_to: {distribute: []}"),
    "a weight of 0": one("assign_to: {distribute: {'1': 0}}"),
    "a weight in words": one("assign_to: {distribute: {'1': three}}"),
    "tags for the Leads module": one("carry_over_tags: {Leads: all}"),
    "tags as one word": one("carry_over_tags: {Deals: some}"),
    "an empty tag name": one("carry_over_tags: {Deals: ['']}"),
    "tags not per module": one("carry_over_tags: all"),
    "attachments to Leads": one("move_attachments_to: Leads"),
    "existing records merged": one("existing_records: merge"),
    "a flag as text": one("overwrite: 'no'"),
    "a flag left empty": one("notify_lead_owner: null"),
    "skip as text": one("skip: 'true'"),
    "a time zone as a number": one("timezone: 5"),
    "a skip rule with a deal": one("skip: true, deal: null"),
    "a bad default": "defaults: {existing_records: merge}\nrules: [{name: r, when: {A: 1}}]",
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_broken_files_are_refused_by_both(text):
    assert schema_errors(text) != []
    assert loader_error(text) is not None


# Random rules files, good ones and ones with one flaw: whatever the loader accepts, the schema accepts
# too (it is never stricter than the function). The other way round it may be looser: unique names,
# time zone names, placeholders and dates that exist are the loader's to check.
_GOOD_VALUES: dict[str, list[Any]] = {
    "deal": [
        DEAL,
        None,
        {**DEAL, "Closing_Date": "2026-12-31", "Amount": 5000, "Description": {"a": ["{A}"]}},
        {**DEAL, "unless_open_deal": True},
    ],
    "assign_to": ["lead_owner", "4876876000000002002", 42, {"distribute": ["1", 2]}, VALID["assign_to"]],
    "carry_over_tags": [None, {}, VALID["carry_over_tags"], {"Accounts": []}],
    "move_attachments_to": [None, *MODULES],
    "notify_lead_owner": [True, False],
    "notify_new_entity_owner": [True, False],
    "overwrite": [True, False],
    "timezone": ["UTC", "Asia/Tokyo"],
    "existing_records": ["match", "create", "link"],
    "when_ambiguous": ["hold", "newest", "create"],
    "reassign_activities": [None, "all", [], ["Events"], VALID["reassign_activities"]],
    "portal_user_type": [None, {"id": "4876876000000900001", "api_name": "Customers"}],
}
_FLAWS: dict[str, list[Any]] = {
    "name": [None, 5, " ", "r0"],
    "when": [None, [], {}, {"A b": 1}, {"A": None}, {"A": [1]}, {"A": {"in": []}}, {"A": {"greater": 1}}],
    "skip": ["no", None, True],
    "deal": [
        [],
        {**DEAL, "Stage": ""},
        {**DEAL, "unless_open_deal": "yes"},
        {**DEAL, "Closing_Date": "2026-02-30"},
        {**DEAL, "Deal_Name": "{A"},
    ],
    "assign_to": [None, True, -1, "me", 10**25, {"distribute": []}, {"distribute": {"1": 2.0}}],
    "carry_over_tags": ["all", {"Leads": "all"}, {"Deals": [1]}],
    "move_attachments_to": ["deals", 1],
    "notify_lead_owner": [None, "yes", 1],
    "notify_new_entity_owner": [None],
    "overwrite": ["true"],
    "timezone": [None, 5, "Mars/Olympus_Mons"],
    "existing_records": [None, "merge"],
    "when_ambiguous": [None, "oldest"],
    "reassign_activities": ["some", ["Meetings"], [1]],
    "portal_user_type": ["Customers", {"id": "x", "api_name": "Customers"}, {"id": "1"}],
}
_CONVERSION_KEYS = (  # not on a skip rule
    "deal",
    "assign_to",
    "carry_over_tags",
    "move_attachments_to",
    "reassign_activities",
    "portal_user_type",
)
_scalars = st.one_of(
    st.text(max_size=6), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
_operands: dict[str, st.SearchStrategy[Any]] = {
    "in": st.lists(_scalars, min_size=1, max_size=3),
    "not_in": st.lists(_scalars, min_size=1, max_size=3),
    "not": _scalars,
    "matches": st.sampled_from(["^a", r"@acme\.com$", ".*", "(?i)x"]),
    "exists": st.booleans(),
    **{
        operator: st.sampled_from([10, 2.5, "100", "2026-01-31", "2026-01-31T09:00:00+00:00"])
        for operator in ("gt", "gte", "lt", "lte")
    },
}
_conditions = st.one_of(
    _scalars,
    st.sets(st.sampled_from(OPERATORS), min_size=1, max_size=3).flatmap(
        lambda operators: st.fixed_dictionaries({operator: _operands[operator] for operator in operators})
    ),
)
_fields = st.one_of(
    st.sampled_from(["Lead_Status", "Owner.name", "$se_module"]), st.from_regex(FIELD_PATH, fullmatch=True)
)


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    rules = []
    for number in range(draw(st.integers(1, 3))):
        rule = {
            "name": f"r{number}",
            "when": draw(st.dictionaries(_fields, _conditions, min_size=1, max_size=3)),
        }
        if draw(st.booleans()):
            rule["skip"] = draw(st.booleans())
        for key in draw(st.sets(st.sampled_from(list(_GOOD_VALUES)), max_size=4)):
            if not (rule.get("skip") and key in _CONVERSION_KEYS):
                rule[key] = draw(st.sampled_from(_GOOD_VALUES[key]))
        rules.append(rule)
    document: dict[str, Any] = {"rules": rules}
    if draw(st.booleans()):
        keys = st.sets(st.sampled_from(list(SCHEMA["properties"]["defaults"]["properties"])), max_size=3)
        document["defaults"] = {key: draw(st.sampled_from(_GOOD_VALUES[key])) for key in draw(keys)}
    if draw(st.booleans()):  # one flaw, in one rule
        key = draw(st.sampled_from(list(_FLAWS)))
        draw(st.sampled_from(rules))[key] = draw(st.sampled_from(_FLAWS[key]))
    return document


@settings(max_examples=300, deadline=None)
@given(document=_documents())
def test_whatever_the_loader_accepts_the_schema_accepts(document):
    text = dump(document)
    accepted = loader_error(text) is None

    event(f"the loader {'accepts' if accepted else 'refuses'}")  # `pytest --hypothesis-show-statistics`
    if accepted:
        assert schema_errors(text) == []
