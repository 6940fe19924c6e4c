"""Random YAML fed to the rules loader: a valid rule set or one precise RulesError, never a traceback."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.engine.rules import INHERITABLE_KEYS, OPERATORS, RULE_KEYS, RuleSet, parse_rules
from handlers.errors import RulesError

keys = st.sampled_from(
    [*RULE_KEYS, *OPERATORS, "defaults", "rules", "Deal_Name", "Stage", "Closing_Date", "distribute"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        ["+30d", "2027-02-30", "2027-01-31", "{Company}", "{", "lead_owner", "all", "UTC", "(", ".*"]
    ),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(keys | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)
rule_like = st.fixed_dictionaries(
    {"name": st.text(max_size=8), "when": documents},
    optional={key: documents for key in ("deal", "skip", *INHERITABLE_KEYS)},
)
rules_documents = st.fixed_dictionaries(
    {"rules": st.lists(rule_like, max_size=3)}, optional={"defaults": documents}
)


def load(text: str) -> RuleSet | RulesError:
    """The rule set, or the RulesError (anything else escapes and fails the test)."""
    try:
        result: RuleSet | RulesError = parse_rules(text, "fuzz.yaml")
    except RulesError as error:
        result = error
    if isinstance(result, RulesError):
        assert str(result).startswith("fuzz.yaml: ")
        assert result.problem
    return result


@settings(max_examples=400, deadline=None)
@given(document=rules_documents)
def test_rule_shaped_documents_load_or_fail_precisely(document):
    result = load(yaml.safe_dump(document, allow_unicode=True))
    if isinstance(result, RuleSet):
        assert [rule.name for rule in result.rules] == [rule["name"] for rule in document["rules"]]


@settings(max_examples=300, deadline=None)
@given(document=documents)
def test_any_yaml_document_loads_or_fails_precisely(document):
    load(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_loads_or_fails_precisely(text):
    load(text)
