"""COQL as Zoho accepts it: WHERE clauses built as a tree and printed in pairs, within Zoho's limits.

Zoho refuses more than two criteria joined at one level (`A and B and C` is a SYNTAX_ERROR; it
must be `((A and B) and C)`), more than 25 criteria, more than 50 values in one `in`, and more
than 50 selected fields (docs/zoho-api.md, "COQL"). Whether an `in` counts as one criterion or as
one per value is not settled, so this module counts one per value. A text value containing a
quote or a backslash is never written into a query: whether Zoho accepts a backslash escape is
unverified, so callers match such values locally instead (`quotable`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

MAX_CRITERIA = 25
MAX_IN_VALUES = 50
MAX_SELECTED_FIELDS = 50
ROWS_PER_CREDIT = 200
RESERVED_WORDS = frozenset(
    {
        "select", "from", "where", "and", "or", "not", "in", "is", "null", "order", "by", "limit",
        "offset", "like", "asc", "desc", "between", "true", "false", "group", "having", "as",
    }
)  # fmt: skip

CoqlOperator = Literal["=", "<", "<=", ">", ">=", "in"]
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")  # a number as a query writes it: no exponent, no sign +


def credits_at_most(limit: int) -> int:
    """What one query of this LIMIT may cost: not documented for CRM, so the costlier reading,
    one credit per 200 rows asked (docs/zoho-api.md, "COQL")."""
    return max(1, -(-limit // ROWS_PER_CREDIT))


PageReader = Callable[[str | None], tuple[list[dict[str, Any]], bool]]


def keyset_pages(read: PageReader) -> Iterator[list[dict[str, Any]]]:
    """A query's pages read by key: `read(after)` answers the page of ids past `after` (None for
    the first), ordered by id, and whether more follow. Unlike OFFSET this reaches any number of
    records, and records that leave the result meanwhile shift nothing. Ends at the last page, or
    at a page with no record id."""
    after: str | None = None
    while True:
        rows, more = read(after)
        ids = [int(row["id"]) for row in rows if str(row.get("id", "")).isdigit()]
        if not ids:
            return
        yield rows
        if not more:
            return
        after = str(max(ids))


class QueryTooLarge(ValueError):
    """A query would break one of Zoho's documented COQL limits; the message names the limit."""


@dataclass(frozen=True)
class Criterion:
    """`field operator value(s)`. Values are already-checked texts (see `quotable`), written in
    quotes; with `bare`, canonical number texts written as they are (numeric fields take numbers)."""

    field: str
    operator: CoqlOperator
    values: tuple[str, ...]
    bare: bool = False

    @property
    def weight(self) -> int:
        """How many of the 25 criteria it uses (each value of an `in` counts)."""
        return len(self.values)

    def render(self) -> str:
        literal = _number if self.bare else _quoted
        if self.operator == "in":
            return f"{self.field} in ({', '.join(literal(value) for value in self.values)})"
        return f"{self.field} {self.operator} {literal(self.values[0])}"


@dataclass(frozen=True)
class Group:
    joiner: Literal["and", "or"]
    parts: tuple[Node, ...]

    @property
    def weight(self) -> int:
        return sum(part.weight for part in self.parts)

    def render(self) -> str:
        """Left-nested pairs: `((A and B) and C)`."""
        text = self.parts[0].render()
        for part in self.parts[1:]:
            text = f"({text} {self.joiner} {part.render()})"
        return text


Node = Criterion | Group


def all_of(*nodes: Node | None) -> Node | None:
    return _join("and", nodes)


def any_of(*nodes: Node | None) -> Node | None:
    return _join("or", nodes)


def _join(joiner: Literal["and", "or"], nodes: tuple[Node | None, ...]) -> Node | None:
    parts: list[Node] = []
    for node in nodes:
        if isinstance(node, Group) and node.joiner == joiner:
            parts.extend(node.parts)
        elif node is not None:
            parts.append(node)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Group(joiner, tuple(parts))


def quotable(value: str) -> bool:
    """Whether a text can go into a query unescaped (no quote, no backslash, no line break)."""
    return not any(character in value for character in "'\\\r\n")


def field_usable(name: str) -> bool:
    """A plain field API name that is not a COQL keyword (those would need quoting)."""
    return "." not in name and name.lower() not in RESERVED_WORDS


def timestamp(moment: dt.datetime) -> str:
    """Zoho's datetime literal form, `2026-11-01T09:30:00+00:00`."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def select(
    fields: tuple[str, ...],
    where: Node,
    *,
    order_by: str,
    limit: int,
    module: str = "Leads",
    in_counts_once: bool = False,
) -> str:
    """The query text; QueryTooLarge when it would break a documented limit (a bug of the caller).
    `in_counts_once`: count an `in` as one criterion, for a caller that falls back to fewer values
    when Zoho refuses (handlers.engine.lookup)."""
    if len(fields) > MAX_SELECTED_FIELDS:
        raise QueryTooLarge(f"{len(fields)} selected fields (Zoho allows {MAX_SELECTED_FIELDS})")
    weight = len(_criteria(where)) if in_counts_once else where.weight
    if weight > MAX_CRITERIA:
        raise QueryTooLarge(f"{weight} criteria in WHERE (Zoho allows {MAX_CRITERIA})")
    for criterion in _criteria(where):
        if criterion.operator == "in" and len(criterion.values) > MAX_IN_VALUES:
            raise QueryTooLarge(f"{len(criterion.values)} values in one `in` (Zoho allows {MAX_IN_VALUES})")
    columns = ", ".join(fields)
    # Field names are checked API names and every value passed `quotable`.
    return f"select {columns} from {module} where {where.render()} order by {order_by} asc limit {limit}"  # noqa: S608


def _criteria(node: Node) -> list[Criterion]:
    if isinstance(node, Criterion):
        return [node]
    return [criterion for part in node.parts for criterion in _criteria(part)]


def _number(value: str) -> str:
    if not NUMBER.fullmatch(value):
        raise ValueError(f"{value!r} is not a number literal COQL accepts")
    return value


def _quoted(value: str) -> str:
    if not quotable(value):
        raise ValueError("a value with a quote, backslash or line break cannot be put in a query")
    return f"'{value}'"
