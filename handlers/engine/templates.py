"""`{Field}` placeholders in rule values, filled from the lead when a deal is built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.zoho.lead import field_value

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FIELD_PATH = re.compile(r"[A-Za-z$][A-Za-z0-9_$]*(?:\.[A-Za-z0-9_$]+)*")


class TemplateError(ValueError):
    """A template that can never render, such as an unbalanced brace."""


@dataclass(frozen=True)
class JsonObject:
    """A JSON object inside a rule value (a lookup such as {id: ...}), kept hashable as pairs."""

    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Placeholder:
    field: str


@dataclass(frozen=True)
class Template:
    """Literal text and placeholders; `{{` and `}}` stand for literal braces."""

    parts: tuple[str | Placeholder, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | Placeholder] = []
        literal: list[str] = []
        position = 0
        for match in _TOKEN.finditer(text):
            literal.append(text[position : match.start()])
            position = match.end()
            token = match[0]
            if token in ("{{", "}}"):
                literal.append(token[0])
            elif token in ("{", "}"):
                raise TemplateError(
                    f"unbalanced {token!r} at position {match.start() + 1} in {text!r}"
                    " (write {{ or }} for a literal brace)"
                )
            elif not _FIELD_PATH.fullmatch(match[1].strip()):
                raise TemplateError(f"placeholder {token!r} is not a Lead field API name")
            else:
                parts.append("".join(literal))
                literal.clear()
                parts.append(Placeholder(match[1].strip()))
        literal.append(text[position:])
        parts.append("".join(literal))
        return cls(tuple(part for part in parts if part != ""))

    def render(self, lead: Mapping[str, Any]) -> tuple[Any, tuple[str, ...]]:
        """The filled value and the placeholders the lead had no value for (rendered empty).

        A template that is exactly one placeholder keeps the field's own type, so
        `Amount: "{Annual_Revenue}"` sends a number, not text.
        """
        if len(self.parts) == 1 and isinstance(self.parts[0], Placeholder):
            value = field_value(lead, self.parts[0].field)
            if isinstance(value, (int, float, bool)):
                return value, ()
        text: list[str] = []
        missing: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                text.append(part)
                continue
            rendered = _as_text(field_value(lead, part.field))
            if rendered == "":
                missing.append(part.field)
            text.append(rendered)
        return "".join(text), tuple(missing)


def render_value(value: Any, lead: Mapping[str, Any], missing: list[str]) -> Any:
    """A rule value as JSON, every template filled from the lead; placeholders without a value
    are added to `missing`. JSON objects and arrays are kept in rules as JsonObject and tuples."""
    if isinstance(value, Template):
        rendered, absent = value.render(lead)
        missing.extend(absent)
        return rendered
    if isinstance(value, JsonObject):
        return {key: render_value(item, lead, missing) for key, item in value.items}
    if isinstance(value, tuple):
        return [render_value(item, lead, missing) for item in value]
    return value


def placeholders_in(value: Any) -> list[str]:
    """Every `{Field}` path inside a rule value."""
    if isinstance(value, Template):
        return [part.field for part in value.parts if isinstance(part, Placeholder)]
    if isinstance(value, JsonObject):
        return [path for _, item in value.items for path in placeholders_in(item)]
    if isinstance(value, tuple):
        return [path for item in value for path in placeholders_in(item)]
    return []


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _as_text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(text for text in map(_as_text, value) if text)
    return str(value)
