"""`{Field}` placeholders in rule values (handlers/engine/templates.py): parsed once, rendered per lead."""

from __future__ import annotations

import pytest

from handlers.engine.templates import JsonObject, Template, TemplateError, placeholders_in, render_value

LEAD = {"Company": "Globex", "Last_Name": "Doe", "Annual_Revenue": 2500000, "Owner": {"name": "Sam Seller"}}


@pytest.mark.parametrize(
    ("text", "rendered", "missing"),
    [
        ("{Company} - {Last_Name}", "Globex - Doe", ()),
        ("{{literal}} {Company}", "{literal} Globex", ()),
        ("{Annual_Revenue}", 2500000, ()),  # one placeholder alone keeps the field's type
        ("Revenue {Annual_Revenue}", "Revenue 2500000", ()),
        ("{Owner}", "Sam Seller", ()),  # a lookup renders as its name
        ("{Owner.name}", "Sam Seller", ()),
        ("{Industry} deal", " deal", ("Industry",)),  # no value: rendered empty, and said so
    ],
)
def test_a_template_renders_from_the_lead(text: str, rendered: object, missing: tuple[str, ...]) -> None:
    assert Template.parse(text).render(LEAD) == (rendered, missing)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{Company", "unbalanced '{' at position 1"),
        ("Company}", "unbalanced '}' at position 8"),
        ("{not a field}", "placeholder '{not a field}' is not a Lead field API name"),
    ],
)
def test_a_broken_template_is_refused_saying_where(text: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        Template.parse(text)


def test_nested_values_render_and_list_their_placeholders() -> None:
    value = JsonObject((("name", Template.parse("{Company}")), ("tags", (Template.parse("{Industry}"), "x"))))
    missing: list[str] = []

    assert render_value(value, LEAD, missing) == {"name": "Globex", "tags": ["", "x"]}
    assert missing == ["Industry"]
    assert placeholders_in(value) == ["Company", "Industry"]
