"""A COQL subset over Leads: parse a select query and run it against the unconverted leads.

Supported: `select f1, f2 from Leads [where ...] [order by f [asc|desc], ...]
[limit count | limit offset, count | limit count offset n]`; conditions with =, !=, <, <=, >, >=,
in, not in, is null, is not null, and, or and parentheses. Text compares case-insensitively;
<, <=, > and >= need a number, date or date-time field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .clock import parse_time
from .metadata import FieldDef
from .protocol import ApiError, top_level_error

MAX_LIMIT = 2000
DEFAULT_LIMIT = 200
ORDERED_TYPES = frozenset({"datetime", "date", "currency", "double", "integer", "bigint"})
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<operator><=|>=|!=|<>|=|<|>)
      | (?P<punctuation>[(),;])
      | (?P<word>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | operator | punctuation | word | end
    text: str
    column: int  # 1-based position in the query

    @property
    def keyword(self) -> str:
        return self.text.lower() if self.kind == "word" else ""

    def value(self) -> str | float:
        if self.kind == "number":
            return float(self.text)
        return re.sub(r"\\(.)", r"\1", self.text[1:-1])


Condition = Callable[[dict[str, Any]], bool]


@dataclass
class Query:
    fields: list[str]
    condition: Condition | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    offset: int = 0
    limit: int = DEFAULT_LIMIT


@dataclass
class Page:
    rows: list[dict[str, Any]]
    more_records: bool


def run(query_text: str, leads: list[dict[str, Any]], fields: dict[str, FieldDef]) -> Page:
    """Run a query over `leads` (already without converted ones). Raises ApiError.

    The answer shares no objects with `leads`.
    """
    query = _Parser(query_text, fields).parse()
    rows = [lead for lead in leads if query.condition is None or query.condition(lead)]
    for name, descending in reversed(query.order):
        present = [row for row in rows if _value(row, name) is not None]
        missing = [row for row in rows if _value(row, name) is None]
        present.sort(key=lambda row, name=name: _sort_key(_value(row, name)), reverse=descending)
        rows = present + missing
    page = rows[query.offset : query.offset + query.limit]
    selected = [{"id": row["id"], **{name: _shown(row, name) for name in query.fields}} for row in page]
    return Page(selected, more_records=query.offset + len(page) < len(rows))


class _Parser:
    def __init__(self, text: str, fields: dict[str, FieldDef]) -> None:
        self._fields = fields
        self._tokens = _tokenize(text)
        self._position = 0

    def parse(self) -> Query:
        self._expect_keyword("select")
        selected = [self._field()]
        while self._accept(","):
            selected.append(self._field())
        self._expect_keyword("from")
        module = self._next()
        if module.kind != "word" or module.text != "Leads":
            raise _invalid_query("invalid module", module, module=module.text)
        query = Query(fields=[name for name in dict.fromkeys(selected) if name != "id"])
        if self._accept_keyword("where"):
            query.condition = self._or()
        if self._accept_keyword("order"):
            self._expect_keyword("by")
            query.order = [self._order_item()]
            while self._accept(","):
                query.order.append(self._order_item())
        if self._accept_keyword("limit"):
            self._limit(query)
        self._accept(";")
        end = self._next()
        if end.kind != "end":
            raise _syntax_error(end)
        return query

    # --- conditions ----------------------------------------------------------------------------

    def _or(self) -> Condition:
        conditions = [self._and()]
        while self._accept_keyword("or"):
            conditions.append(self._and())
        if len(conditions) == 1:
            return conditions[0]
        return lambda row: any(condition(row) for condition in conditions)

    def _and(self) -> Condition:
        conditions = [self._factor()]
        while self._accept_keyword("and"):
            conditions.append(self._factor())
        if len(conditions) == 1:
            return conditions[0]
        return lambda row: all(condition(row) for condition in conditions)

    def _factor(self) -> Condition:
        if self._accept("("):
            condition = self._or()
            self._expect(")")
            return condition
        name_token = self._peek()
        name = self._field()
        if self._accept_keyword("is"):
            negate = self._accept_keyword("not")
            self._expect_keyword("null")
            return lambda row: (_value(row, name) is None) != negate
        negate = self._accept_keyword("not")
        if negate or self._peek().keyword == "in":
            self._expect_keyword("in")
            self._expect("(")
            values = self._literal_list(name)
            return lambda row: (_matches_any(_value(row, name), values)) != negate
        operator = self._next()
        if operator.kind != "operator":
            raise _syntax_error(operator)
        literal = self._literal(name)
        return self._comparison(name, name_token, operator, literal)

    def _comparison(self, name: str, name_token: Token, operator: Token, literal: Any) -> Condition:
        symbol = "!=" if operator.text == "<>" else operator.text
        if symbol in ("=", "!="):
            negate = symbol == "!="
            return lambda row: _matches_any(_value(row, name), [literal]) != negate
        if self._type(name) not in ORDERED_TYPES:
            raise _invalid_query(
                "invalid operator found", name_token, column_name=name, operator=operator.text
            )
        compare = _ORDERINGS[symbol]

        def condition(row: dict[str, Any]) -> bool:
            value = _comparable(_value(row, name))
            return value is not None and compare(value, literal)

        return condition

    def _literal_list(self, name: str) -> list[Any]:
        values = [self._literal(name)]
        while self._accept(","):
            values.append(self._literal(name))
        self._expect(")")
        return values

    def _literal(self, name: str) -> Any:
        token = self._next()
        if token.kind not in ("string", "number") and token.keyword not in ("true", "false"):
            raise _syntax_error(token)
        if token.kind == "word":
            return token.keyword == "true"
        value = token.value()
        kind = self._type(name)
        if kind in ("datetime", "date") and token.kind == "string":
            try:
                return parse_time(value) if kind == "datetime" else date.fromisoformat(value)
            except ValueError:
                raise _invalid_query(
                    "invalid value", token, column_name=name, expected_data_type=kind
                ) from None
        if kind in ORDERED_TYPES and token.kind == "string":
            raise _invalid_query("invalid value", token, column_name=name, expected_data_type=kind)
        return value

    # --- other clauses -------------------------------------------------------------------------

    def _order_item(self) -> tuple[str, bool]:
        name = self._field()
        if self._accept_keyword("desc"):
            return name, True
        self._accept_keyword("asc")
        return name, False

    def _limit(self, query: Query) -> None:
        first = self._integer()
        if self._accept(","):
            query.offset, query.limit = first, self._integer()
        elif self._accept_keyword("offset"):
            query.limit, query.offset = first, self._integer()
        else:
            query.limit = first
        if query.limit > MAX_LIMIT:
            raise top_level_error(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"clause": "limit", "limit": MAX_LIMIT}
            )

    def _integer(self) -> int:
        token = self._next()
        if token.kind != "number" or not token.text.isdigit():
            raise _syntax_error(token)
        return int(token.text)

    def _field(self) -> str:
        token = self._next()
        if token.kind != "word" or token.keyword in _RESERVED:
            raise _syntax_error(token)
        base, _, part = token.text.partition(".")
        definition = self._fields.get(base)
        known = token.text == "id" or (
            definition is not None and (not part or definition.data_type in ("lookup", "ownerlookup"))
        )
        if not known:
            raise _invalid_query("column given seems to be invalid", token, column_name=token.text)
        return token.text

    def _type(self, name: str) -> str:
        definition = self._fields.get(name)
        return definition.data_type if definition else "text"

    # --- tokens --------------------------------------------------------------------------------

    def _peek(self) -> Token:
        return self._tokens[self._position]

    def _next(self) -> Token:
        token = self._tokens[self._position]
        if token.kind != "end":
            self._position += 1
        return token

    def _accept(self, text: str) -> bool:
        if self._peek().kind == "punctuation" and self._peek().text == text:
            self._position += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            raise _syntax_error(self._peek())

    def _accept_keyword(self, keyword: str) -> bool:
        if self._peek().keyword == keyword:
            self._position += 1
            return True
        return False

    def _expect_keyword(self, keyword: str) -> None:
        if not self._accept_keyword(keyword):
            raise _syntax_error(self._peek())


_RESERVED = frozenset(
    {"select", "from", "where", "and", "or", "not", "in", "is", "null", "order", "by", "limit"}
)
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda left, right: left < right,
    "<=": lambda left, right: left <= right,
    ">": lambda left, right: left > right,
    ">=": lambda left, right: left >= right,
}


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while text[position:].strip():
        found = _TOKEN.match(text, position)
        if found is None or found.lastgroup is None:
            column = len(text) - len(text[position:].lstrip()) + 1
            raise _syntax_error(Token("word", text[column - 1 :].split()[0], column))
        tokens.append(Token(found.lastgroup, found[found.lastgroup], found.start(found.lastgroup) + 1))
        position = found.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _value(row: dict[str, Any], name: str) -> Any:
    """A field's value; a lookup compares by its id, `Lookup.key` reads one key."""
    base, _, part = name.partition(".")
    value = row.get(base)
    if isinstance(value, dict):
        return value.get(part or "id")
    return value


def _shown(row: dict[str, Any], name: str) -> Any:
    """What COQL answers for a selected field: lookups as {"id": ...}."""
    value = row.get(name.partition(".")[0])
    if "." in name:
        return _value(row, name)
    if isinstance(value, dict) and "id" in value:
        return {"id": value["id"]}
    return copy.deepcopy(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_time(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, bool):
        return None
    return value


def _matches_any(value: Any, literals: list[Any]) -> bool:
    if value is None:
        return False
    comparable = _comparable(value) if isinstance(value, str) else value
    for literal in literals:
        if isinstance(literal, datetime | date):
            if comparable == literal:
                return True
        elif isinstance(literal, str) and isinstance(value, str):
            if value.lower() == literal.lower():
                return True
        elif value == literal:
            return True
    return False


def _sort_key(value: Any) -> Any:
    comparable = _comparable(value) if isinstance(value, str) else value
    if isinstance(value, str) and comparable is None:
        return value.lower()
    return comparable


def _syntax_error(token: Token) -> ApiError:
    return top_level_error(
        400,
        "SYNTAX_ERROR",
        "error occurred while parsing the query",
        {"near": token.text or "end of query", "line": 1, "column": token.column},
    )


def _invalid_query(message: str, token: Token, **details: Any) -> ApiError:
    return top_level_error(400, "INVALID_QUERY", message, {**details, "line": 1, "column": token.column})
