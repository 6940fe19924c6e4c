"""COQL over Leads, Contacts, Accounts, Deals and the activities (Tasks, Events, Calls), as strict as
Zoho: parse a select query into a small AST, then run it.

Supported: `select f1, f2 from Leads|Contacts|Accounts|Deals|Tasks|Events|Calls where ... [order by
f [asc|desc], ...] [limit count | limit offset, count | limit count offset n]`; criteria with =, !=,
<, <=, >, >=, in, not in, is null, is not null, joined by `and` / `or` in pairs, and brackets. Text
compares case-insensitively; <, <=, > and >= need a number, date or date-time field, or `id`. A
value takes its field's type: quoted on text, picklist, date, date-time and lookup fields, bare on
number fields, true / false on booleans; lookups compare by id (`Account_Name = '<id>'` and
`Account_Name.id = '<id>'` alike, as `Owner` on Leads). A multi-select picklist takes only `is null`
/ `is not null`; `Tag` is no column. Converted leads are never read (`RecordSource` is the store's);
every other module's records all are.

Every grammar rule and limit below is one that zoho-crm-api.md §10 documents; where the reference
leaves a reading open, the emulator takes the one that refuses more, so that a client that passes
here does not fail against Zoho.
"""

from __future__ import annotations

import copy
import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from .clock import parse_time
from .metadata import MULTI_SELECT, FieldDef
from .protocol import ApiError, top_level_error

# zoho-crm-api.md §10, §14.10: the modules COQL reads here (module names compare exactly). Any
# other is refused: Notes with INVALID_MODULE, an unknown one with INVALID_QUERY.
COQL_MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Tasks", "Events", "Calls")
DEFAULT_LIMIT = 200  # zoho-crm-api.md §10 page
MAX_CRITERIA = 25  # zoho-crm-api.md §10 criteria
MAX_IN_VALUES = 50  # zoho-crm-api.md §10 in / not in
MAX_SELECTED = 50  # zoho-crm-api.md §10 select
ORDERED_TYPES = frozenset({"datetime", "date", "currency", "double", "integer", "bigint", "id"})
ID_TYPE = "id"  # record ids: digit strings that compare and sort as numbers
# zoho-crm-api.md §10: a value must take its field's type. Number fields take bare numbers,
# booleans true / false, every other field (text, picklists, dates, lookups by id) a quoted
# string. Whether Zoho also takes a quoted number on a number field or a bare one on a text
# field is unverified: both are refused (riskier reading).
NUMBER_TYPES = frozenset({"currency", "double", "integer", "bigint", "percent", "decimal", "long"})
# zoho-crm-api.md §10: whether COQL can select or filter a record's tags is unverified: `Tag` is
# refused as an unknown column is (riskier reading).
NOT_COLUMNS = frozenset({"Tag"})
_WIDE_VERSIONS = frozenset({"v7", "v8"})  # zoho-crm-api.md §10 page and ceiling
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<operator><=|>=|!=|<>|=|<|>)
      | (?P<punctuation>[(),;])
      | (?P<word>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Limits:
    """What one API version allows a query (zoho-crm-api.md §10 page and ceiling)."""

    max_limit: int
    offset_ceiling: int
    in_counts_once: bool = False  # the lenient reading of §10's criteria count


def limits_for(version: str, offset_ceiling: int | None = None, in_counts_once: bool = False) -> Limits:
    """v7/v8 page 2,000 up to 100,000 records; every older version is held to v2's 200 and to
    10,000, since the reference documents no larger numbers for v3-v6 (riskier reading).

    `offset_ceiling` replaces the documented ceiling, so that tests can reach it cheaply;
    `in_counts_once` counts an `in (...)` as one criterion (§10 leaves it unsettled: by default
    each value counts, the reading that refuses more).
    """
    wide = version in _WIDE_VERSIONS
    ceiling = offset_ceiling if offset_ceiling is not None else 100_000 if wide else 10_000
    return Limits(max_limit=2000 if wide else 200, offset_ceiling=ceiling, in_counts_once=in_counts_once)


# --- the AST ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field a query names: `Lead_Status`, `Owner.id`, or the record `id`."""

    name: str
    data_type: str

    def raw(self, row: dict[str, Any]) -> Any:
        return _value(row, self.name)

    def comparable(self, row: dict[str, Any]) -> Any:
        """The value as ordered operators and sorting see it, or None when it has no order."""
        if self.data_type == ID_TYPE:
            return int(row["id"])
        return _comparable(self.raw(row))


class Node(ABC):
    """One node of a WHERE clause."""

    @abstractmethod
    def matches(self, row: dict[str, Any]) -> bool: ...

    @abstractmethod
    def criteria(self, in_counts_once: bool = False) -> int:
        """How many criteria count toward the limit of 25."""


@dataclass(frozen=True)
class Comparison(Node):
    column: Column
    operator: str  # =, !=, <, <=, >, >=
    literal: Any

    def matches(self, row: dict[str, Any]) -> bool:
        if self.operator in ("=", "!="):
            return _equals_any(self.column, row, (self.literal,)) != (self.operator == "!=")
        value = self.column.comparable(row)
        return value is not None and _ORDERINGS[self.operator](value, self.literal)

    def criteria(self, in_counts_once: bool = False) -> int:
        return 1


@dataclass(frozen=True)
class Membership(Node):
    column: Column
    values: tuple[Any, ...]
    negated: bool

    def matches(self, row: dict[str, Any]) -> bool:
        return _equals_any(self.column, row, self.values) != self.negated

    def criteria(self, in_counts_once: bool = False) -> int:
        """Each value counts: whether Zoho counts `in (...)` once is unverified (§10), so
        once only when the emulator is told to play that reading."""
        return 1 if in_counts_once else len(self.values)


@dataclass(frozen=True)
class NullCheck(Node):
    column: Column
    negated: bool

    def matches(self, row: dict[str, Any]) -> bool:
        value = self.column.raw(row)
        return (value is None or value == []) != self.negated  # an empty multi-select is null

    def criteria(self, in_counts_once: bool = False) -> int:
        return 1


@dataclass(frozen=True)
class Junction(Node):
    """Two operands joined by `and` or `or`; Zoho's pairing rule allows no more than two."""

    operator: str
    left: Node
    right: Node

    def matches(self, row: dict[str, Any]) -> bool:
        if self.operator == "and":
            return self.left.matches(row) and self.right.matches(row)
        return self.left.matches(row) or self.right.matches(row)

    def criteria(self, in_counts_once: bool = False) -> int:
        return self.left.criteria(in_counts_once) + self.right.criteria(in_counts_once)


@dataclass(frozen=True)
class OrderItem:
    column: Column
    descending: bool


@dataclass(frozen=True)
class Query:
    module: str  # one of COQL_MODULES
    fields: tuple[str, ...]  # selected, without id (always answered), each once
    where: Node
    order: tuple[OrderItem, ...]
    offset: int
    limit: int


@dataclass
class Page:
    rows: list[dict[str, Any]]
    more_records: bool


class RecordSource(Protocol):
    """The records of the queried module COQL reads (for Leads the unconverted ones), in numeric
    id order (a store keeps them indexed so)."""

    def in_id_order(self, after: int | None = None, inclusive: bool = False) -> Iterator[dict[str, Any]]:
        """Records with an id above `after` (or equal, when inclusive), lowest id first."""
        ...

    def having(self, field: str, values: tuple[Any, ...]) -> list[dict[str, Any]] | None:
        """The records whose `field` equals one of `values` (text without regard to case), in
        any order; None when the source keeps no index of the field."""
        ...


# The fields of a module COQL reads, by API name.
FieldsOf = Callable[[str], Mapping[str, FieldDef]]


# --- running a query ----------------------------------------------------------------------------


def parse(text: str, fields_of: FieldsOf, limits: Limits) -> Query:
    """Parse and check a query against the fields of the module it reads (`fields_of` is asked
    for one of COQL_MODULES) and one version's limits."""
    return _Parser(text, fields_of, limits).parse()


def module_named(text: str) -> str | None:
    """The word after the query's first `from`, or None (none there, or a query that does not
    tokenize): the module whose read scope a query needs, known before it is parsed."""
    try:
        token = _module_token(_tokenize(text))
    except ApiError:
        return None
    return token.text if token is not None and token.kind == "word" else None


def run(query: Query, records: RecordSource) -> Page:
    """One page of the query's answer. It shares no objects with `records`.

    In id order (no ORDER BY, or exactly `id asc`, which Zoho's default order is too) the records
    are read from the first id a top-level `id >` / `id >=` conjunct allows (or from the index of
    a text field a top-level `=` or `in` names), and reading stops at the first match past the
    page: a keyset page costs what the page holds, not what the org holds.
    """
    if all(item.column.data_type == ID_TYPE and not item.descending for item in query.order):
        after, inclusive = _keyset_start(query.where)
        wanted = query.offset + query.limit + 1  # one more than the page tells whether more follow
        indexed = _indexed_rows(query.where, records, after, inclusive)
        candidates = iter(indexed) if indexed is not None else records.in_id_order(after, inclusive)
        matched = _first_matches(query.where, candidates, wanted)
    else:
        rows = [row for row in records.in_id_order() if query.where.matches(row)]
        matched = _sorted(rows, query.order)
    page = matched[query.offset : query.offset + query.limit]
    selected = [{"id": row["id"], **{name: _shown(row, name) for name in query.fields}} for row in page]
    return Page(selected, more_records=len(matched) > query.offset + query.limit)


INDEXED_TYPES = frozenset({"text", "email", "phone", "website"})  # compared as text, never a lookup


def _indexed_rows(
    where: Node, records: RecordSource, after: int | None, inclusive: bool
) -> list[dict[str, Any]] | None:
    """The rows a top-level `field = 'x'` or `field in (...)` on an indexed text field allows, in
    id order past the keyset start; None when no such conjunct or index narrows the read (a
    lookup such as the sweep's, by 50 emails, then costs what it finds, not what the org holds)."""
    for node in _conjuncts(where):
        if isinstance(node, Membership) and not node.negated:
            column, values = node.column, node.values
        elif isinstance(node, Comparison) and node.operator == "=":
            column, values = node.column, (node.literal,)
        else:
            continue
        if column.data_type not in INDEXED_TYPES or "." in column.name:
            continue
        found = records.having(column.name, values)
        if found is None:
            continue
        bound = after if after is not None else -1
        return sorted(
            (row for row in found if int(row["id"]) > bound or (inclusive and int(row["id"]) == bound)),
            key=lambda row: int(row["id"]),
        )
    return None


def _first_matches(where: Node, rows: Iterator[dict[str, Any]], wanted: int) -> list[dict[str, Any]]:
    matched: list[dict[str, Any]] = []
    for row in rows:
        if where.matches(row):
            matched.append(row)
            if len(matched) == wanted:
                break
    return matched


def _keyset_start(where: Node) -> tuple[int | None, bool]:
    """The tightest lower bound on id among the conjuncts every matching row must satisfy:
    (after, inclusive), or (None, False) when there is none. At one id, `>` is tighter than `>=`."""
    bounds = [
        (node.literal, node.operator == ">=")
        for node in _conjuncts(where)
        if isinstance(node, Comparison) and node.column.data_type == ID_TYPE and node.operator in (">", ">=")
    ]
    if not bounds:
        return None, False
    return max(bounds, key=lambda bound: (bound[0], not bound[1]))


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, Junction) and node.operator == "and":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _sorted(rows: list[dict[str, Any]], order: tuple[OrderItem, ...]) -> list[dict[str, Any]]:
    """Stable sort by each key (nulls last); rows start in id order, so id breaks ties."""
    for item in reversed(order):
        column = item.column
        present = [row for row in rows if column.raw(row) is not None]
        missing = [row for row in rows if column.raw(row) is None]
        present.sort(key=functools.partial(_sort_key, column), reverse=item.descending)
        rows = present + missing
    return rows


# --- the parser ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | operator | punctuation | word | end
    text: str
    column: int  # 1-based position in the query

    @property
    def keyword(self) -> str:
        return self.text.lower() if self.kind == "word" else ""

    def value(self) -> str | int | float:
        """A literal's value; a quote inside a string is written twice (zoho-crm-api.md §10 quoting)."""
        if self.kind == "number":
            return float(self.text) if "." in self.text else _whole(self.text)
        return self.text[1:-1].replace("''", "'")


class _Parser:
    def __init__(self, text: str, fields_of: FieldsOf, limits: Limits) -> None:
        self._fields_of = fields_of
        self._fields: Mapping[str, FieldDef] = {}
        self._limits = limits
        self._tokens = _tokenize(text)
        self._position = 0

    def parse(self) -> Query:
        module = self._module()
        # Columns are checked against the module's fields; with no module named after a `from`,
        # against Leads', until the missing `from` or module is refused.
        self._fields = self._fields_of(module or "Leads")
        self._expect_keyword("select")
        selected = self._select_list()
        self._expect_keyword("from")
        named = self._next()
        if module is None or named.kind != "word" or named.text != module:
            raise _invalid_query("invalid module", named, module=named.text)
        where = self._where()
        order = self._order_by()
        offset, limit = self._limit()
        self._accept(";")
        end = self._next()
        if end.kind != "end":
            raise _syntax_error(end)
        fields = tuple(name for name in dict.fromkeys(selected) if name != "id")
        return Query(module=module, fields=fields, where=where, order=order, offset=offset, limit=limit)

    def _module(self) -> str | None:
        """The module the query reads, one of COQL_MODULES, or None when no word follows a
        `from`. Read before the select list, so that its columns are checked against the
        module's fields and a module COQL does not read is refused whatever the columns name.

        zoho-crm-api.md §14.10: COQL's module lists leave Notes out, and a module COQL does not
        support is INVALID_MODULE (OAS-new's COQL example); whether `from Notes` works is
        unverified: it is refused. Any other unknown module is INVALID_QUERY "invalid module".
        """
        token = _module_token(self._tokens)
        if token is None or token.kind != "word":
            return None
        if token.text == "Notes":
            raise top_level_error(400, "INVALID_MODULE", "the given module is not supported in api")
        if token.text not in COQL_MODULES:
            raise _invalid_query("invalid module", token, module=token.text)
        return token.text

    # --- clauses ---------------------------------------------------------------------------------

    def _select_list(self) -> list[str]:
        """zoho-crm-api.md §10 select: at most 50 names, `id` and repeats counted (riskier reading)."""
        selected = [self._column().name]
        while self._accept(","):
            selected.append(self._column().name)
        if len(selected) > MAX_SELECTED:
            raise _limit_exceeded(
                f"more than {MAX_SELECTED} fields in the select column", "select", MAX_SELECTED
            )
        return selected

    def _where(self) -> Node:
        """zoho-crm-api.md §10 WHERE: mandatory; §10 criteria: at most 25 of them."""
        if not self._accept_keyword("where"):
            raise top_level_error(
                400,
                "SYNTAX_ERROR",
                "the query does not contain the where clause",
                {"clause": "where", "line": 1, "column": self._peek().column},
            )
        where = self._condition()
        if where.criteria(self._limits.in_counts_once) > MAX_CRITERIA:
            raise _limit_exceeded(
                f"more than {MAX_CRITERIA} criteria in the where clause", "where", MAX_CRITERIA
            )
        return where

    def _order_by(self) -> tuple[OrderItem, ...]:
        if not self._accept_keyword("order"):
            return ()
        self._expect_keyword("by")
        items = [self._order_item()]
        while self._accept(","):
            items.append(self._order_item())
        return tuple(items)

    def _order_item(self) -> OrderItem:
        column = self._column()
        if self._accept_keyword("desc"):
            return OrderItem(column, descending=True)
        self._accept_keyword("asc")
        return OrderItem(column, descending=False)

    def _limit(self) -> tuple[int, int]:
        """zoho-crm-api.md §10 page and ceiling; offset + limit must stay under the ceiling,
        since whether Zoho bounds the offset alone or offset + limit is unverified."""
        offset, limit = 0, DEFAULT_LIMIT
        if self._accept_keyword("limit"):
            first = self._integer()
            if self._accept(","):
                offset, limit = first, self._integer()
            elif self._accept_keyword("offset"):
                limit, offset = first, self._integer()
            else:
                limit = first
        if limit > self._limits.max_limit:
            raise _limit_exceeded("limit exceeded", "limit", self._limits.max_limit)
        if offset + limit > self._limits.offset_ceiling:
            raise _limit_exceeded("Max records limit exceeded", "offset", self._limits.offset_ceiling)
        return offset, limit

    # --- conditions ------------------------------------------------------------------------------

    def _condition(self) -> Node:
        """One operand, or two joined by `and` / `or`.

        zoho-crm-api.md §10 pairing: a third criterion in the same brackets is a SYNTAX_ERROR, so
        `A and B and C` and `A and B or C` are refused and `(A and B) and C` is not.
        """
        left = self._operand()
        if self._peek().keyword not in ("and", "or"):
            return left
        operator = self._next().keyword
        right = self._operand()
        if self._peek().keyword in ("and", "or"):
            raise _syntax_error(self._peek())
        return Junction(operator, left, right)

    def _operand(self) -> Node:
        if self._accept("("):
            node = self._condition()
            self._expect(")")
            return node
        return self._criterion()

    def _criterion(self) -> Node:
        name_token = self._peek()
        column = self._column()
        if self._accept_keyword("is"):
            negated = self._accept_keyword("not")
            self._expect_keyword("null")
            return NullCheck(column, negated)
        negated = self._accept_keyword("not")
        if negated or self._peek().keyword == "in":
            self._expect_keyword("in")
            if column.data_type == MULTI_SELECT:
                raise _invalid_operator(name_token, column, "not in" if negated else "in")
            self._expect("(")
            return Membership(column, self._literal_list(column), negated)
        operator = self._next()
        if operator.kind != "operator":
            raise _syntax_error(operator)
        symbol = "!=" if operator.text == "<>" else operator.text
        # zoho-crm-api.md §10 operators: `=`, `!=`, `in`, `not in` are documented for picklists;
        # for a multi-select picklist no comparison is (unverified): only null checks are taken.
        if column.data_type == MULTI_SELECT or (
            symbol not in ("=", "!=") and column.data_type not in ORDERED_TYPES
        ):
            raise _invalid_operator(name_token, column, operator.text)
        return Comparison(column, symbol, self._literal(column))

    def _literal_list(self, column: Column) -> tuple[Any, ...]:
        """zoho-crm-api.md §10 in / not in: at most 50 values."""
        start = self._peek()
        values = [self._literal(column)]
        while self._accept(","):
            values.append(self._literal(column))
        self._expect(")")
        if len(values) > MAX_IN_VALUES:
            raise _limit_exceeded(
                f"more than {MAX_IN_VALUES} values for the in",
                "where",
                MAX_IN_VALUES,
                column_name=column.name,
                column=start.column,
            )
        return tuple(values)

    def _literal(self, column: Column) -> Any:
        token = self._next()
        if token.kind not in ("string", "number") and token.keyword not in ("true", "false"):
            raise _syntax_error(token)
        kind = column.data_type
        if kind == ID_TYPE:
            return _id_literal(token, column)
        given = "boolean" if token.kind == "word" else token.kind
        if given != _literal_kind(kind):
            raise _invalid_query("invalid value", token, column_name=column.name, expected_data_type=kind)
        if given == "boolean":
            return token.keyword == "true"
        value = token.value()
        if kind in ("datetime", "date"):
            try:
                return parse_time(str(value)) if kind == "datetime" else date.fromisoformat(str(value))
            except ValueError:
                raise _invalid_query(
                    "invalid value", token, column_name=column.name, expected_data_type=kind
                ) from None
        return value

    def _integer(self) -> int:
        token = self._next()
        if token.kind != "number" or not token.text.isdigit():
            raise _syntax_error(token)
        return _whole(token.text)

    def _column(self) -> Column:
        token = self._next()
        if token.kind != "word" or token.keyword in _RESERVED:
            raise _syntax_error(token)
        if token.text == "id":
            return Column("id", ID_TYPE)
        base, _, part = token.text.partition(".")
        definition = self._fields.get(base)
        known = definition is not None and (not part or definition.data_type in ("lookup", "ownerlookup"))
        if definition is None or not known or base in NOT_COLUMNS:
            raise _invalid_query("column given seems to be invalid", token, column_name=token.text)
        return Column(token.text, "text" if part else definition.data_type)

    # --- tokens ----------------------------------------------------------------------------------

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


def _module_token(tokens: list[Token]) -> Token | None:
    """The token after the first `from` keyword, or None."""
    after_from = (
        tokens[position + 1] for position, token in enumerate(tokens[:-1]) if token.keyword == "from"
    )
    return next(after_from, None)


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while text[position:].strip():
        found = _TOKEN.match(text, position)
        if found is None or found.lastgroup is None:
            column = len(text) - len(text[position:].lstrip()) + 1
            raise _syntax_error(Token("word", text[column - 1 :].split()[0], column))
        token = Token(found.lastgroup, found[found.lastgroup], found.start(found.lastgroup) + 1)
        if token.kind == "string" and "\\" in token.text:
            # zoho-crm-api.md §10 quoting: only doubling is documented; a backslash escape is
            # unverified, so any backslash in a literal is refused rather than guessed at.
            raise _syntax_error(token)
        tokens.append(token)
        position = found.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _id_literal(token: Token, column: Column) -> int:
    """An id as a quoted digit string (`'4876876000000123456'`) or an unquoted integer."""
    value = token.value() if token.kind != "word" else None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return _whole(str(value)) if isinstance(value, str) else value
    raise _invalid_query("invalid value", token, column_name=column.name, expected_data_type="bigint")


def _literal_kind(data_type: str) -> str:
    """The token kind a value of the field's type is written as (zoho-crm-api.md §10)."""
    if data_type in NUMBER_TYPES:
        return "number"
    if data_type == "boolean":
        return "boolean"
    return "string"


def _whole(digits: str) -> int:
    """An integer literal of any length (int() stops at 4,300 digits; Decimal does not)."""
    return int(digits) if len(digits) < 4000 else int(Decimal(digits))


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


def _equals_any(column: Column, row: dict[str, Any], literals: tuple[Any, ...]) -> bool:
    if column.data_type == ID_TYPE:
        return column.comparable(row) in literals
    value = column.raw(row)
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


def _sort_key(column: Column, row: dict[str, Any]) -> Any:
    if column.data_type == ID_TYPE:
        return column.comparable(row)
    value = column.raw(row)
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


def _invalid_operator(token: Token, column: Column, operator: str) -> ApiError:
    return _invalid_query("invalid operator found", token, column_name=column.name, operator=operator)


def _invalid_query(message: str, token: Token, **details: Any) -> ApiError:
    return top_level_error(400, "INVALID_QUERY", message, {**details, "line": 1, "column": token.column})


def _limit_exceeded(message: str, clause: str, limit: int, **details: Any) -> ApiError:
    return top_level_error(400, "LIMIT_EXCEEDED", message, {"clause": clause, "limit": limit, **details})
