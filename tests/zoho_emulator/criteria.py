"""The criteria of workflow rules (zoho-crm-api.md §15.4, "Criteria grammar"): parsed against the
module's fields when a rule is saved, evaluated against a record when it is saved.

Simple: `{"field": {"api_name", "id"?}, "comparator", "value", "type"?}`; group:
`{"group_operator": "AND"|"OR" (lower case taken too), "group": [2..25 items]}`, nesting.

Emulated comparators: `equal`, `not_equal` (a value or an array of 1-500; `${EMPTY}`,
`${NOTEMPTY}`), `in`, `not_in` (an array of 1-500), `contains`, `not_contains`, `starts_with`,
`ends_with` (text fields), `less_than`, `less_equal`, `greater_than`, `greater_equal` (one number,
date or date-time). The others of §15.4 (`like`, `between`, `include_any`, …), the date and user
tokens (`${TODAY}`, `${CURRENTUSER}`, …) and `type` other than `value` are refused as not
emulated (INVALID_DATA naming what the emulator supports): a client passing here uses only
what is evaluated the same way everywhere.

CHOSEN and UNVERIFIED readings, each the stricter where one is:
- A picklist value must be one of the field's options, given as its display or its actual
  value (which form Zoho takes is UNVERIFIED, §14.5 and §15.11 item 9: both are taken, and a
  lead matches when its value is either form of that option); anything else is INVALID_DATA.
- A group of one item is refused (whether Zoho enforces minItems 2 is UNVERIFIED, §15.11 item 8).
- Values take the field's type: numbers on number fields (never numeric text), true/false on
  booleans, `{"id"}` on lookups (`equal`/`not_equal` only), ISO dates and date-times with an
  offset; a multi-select picklist takes only `${EMPTY}` / `${NOTEMPTY}`.
- Text compares case-insensitively (as the emulator's COQL does); an empty field is null, "" or
  an empty list, and `not_equal`/`not_in`/`not_contains` a value match it.
- `${ANYVALUE}` ("any change", `field_update` only) is taken as a value with `equal`, not as a
  comparator (its placement is UNVERIFIED, §15.4, §15.11 item 5).
- A `field.id` other than the field's id (metadata.stable_id) is AMBIGUITY_DURING_PROCESSING.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .automation_errors import (
    ambiguous,
    invalid,
    limit_exceeded,
    mandatory,
    required_object,
    required_text,
    wrong_type,
)
from .metadata import MULTI_SELECT, FieldDef, stable_id
from .module_refs import record_id

EMPTY, NOT_EMPTY, ANY_VALUE = "${EMPTY}", "${NOTEMPTY}", "${ANYVALUE}"
EQUALITY = ("equal", "not_equal")
MEMBERSHIP = ("in", "not_in")
TEXT_MATCH = ("contains", "not_contains", "starts_with", "ends_with")
ORDERING = ("less_than", "less_equal", "greater_than", "greater_equal")
SUPPORTED = (*EQUALITY, *MEMBERSHIP, *TEXT_MATCH, *ORDERING)
NEGATIVE = ("not_equal", "not_in", "not_contains")
MAX_VALUES = 500  # §15.4: arrays of 1-500
GROUP_SIZE = (2, 25)  # §15.4, §15.6: a group holds 2-25 items
NUMBER_TYPES = frozenset({"integer", "bigint", "double", "currency", "percent"})
NOT_EMULATED = "the emulator does not evaluate this"


@dataclass(frozen=True)
class Simple:
    api_name: str
    comparator: str
    kind: str  # text, picklist, number, boolean, date, datetime, lookup, multi
    values: tuple[Any, ...] = ()  # comparable forms (text case-folded, picklist aliases, ...)
    empty: bool | None = None  # ${EMPTY} / ${NOTEMPTY}: whether the field must be empty
    any_value: bool = False  # ${ANYVALUE}: the trigger's change is the whole test


@dataclass(frozen=True)
class Group:
    operator: str  # AND or OR
    items: tuple[Simple | Group, ...]


Criterion = Simple | Group


@dataclass(frozen=True)
class Parsed:
    criterion: Criterion
    json: dict[str, Any]  # as a read of the rule shows it: `type` and `field.id` filled in


def parse(raw: Any, path: str, module: str, fields: Sequence[FieldDef], any_value: bool = False) -> Parsed:
    """The criteria at `path` (a json_path), checked against `module`'s fields; AutomationError
    naming the key that is wrong. `any_value`: `${ANYVALUE}` is allowed (field_update)."""
    if not isinstance(raw, dict):
        raise wrong_type(path, "criteria", "jsonobject")
    if "group" in raw or "group_operator" in raw:
        return _group(raw, path, module, fields, any_value)
    return _simple(raw, path, module, {d.api_name: d for d in fields}, any_value)


def matches(criterion: Criterion, record: dict[str, Any]) -> bool:
    if isinstance(criterion, Group):
        results = (matches(item, record) for item in criterion.items)
        return all(results) if criterion.operator == "AND" else any(results)
    if criterion.any_value:
        return True
    found = record.get(criterion.api_name)
    if criterion.empty is not None:
        return _is_empty(found) == criterion.empty
    return _compare(criterion, found)


def field_names(criterion: Criterion) -> set[str]:
    """The fields a criterion reads (what a field_update trigger watches)."""
    if isinstance(criterion, Group):
        return set().union(*(field_names(item) for item in criterion.items))
    return {criterion.api_name}


# --- parsing ---------------------------------------------------------------------------------


def _group(
    raw: dict[str, Any], path: str, module: str, fields: Sequence[FieldDef], any_value: bool
) -> Parsed:
    operator = raw.get("group_operator")
    if operator is None:
        raise mandatory(f"{path}.group_operator", "group_operator")
    if not isinstance(operator, str) or operator.upper() not in ("AND", "OR"):
        raise invalid(f"{path}.group_operator", "group_operator", supported_values=["AND", "OR"])
    items = raw.get("group")
    if items is None:
        raise mandatory(f"{path}.group", "group")
    if not isinstance(items, list):
        raise wrong_type(f"{path}.group", "group", "jsonarray")
    if len(items) < GROUP_SIZE[0]:
        # UNVERIFIED (§15.11 item 8) whether a one-item group is taken: refused.
        raise invalid(f"{path}.group", "group", "a group needs at least 2 criteria", minimum_length=2)
    if len(items) > GROUP_SIZE[1]:
        raise limit_exceeded(f"{path}.group", "group", GROUP_SIZE[1], "criteria limit exceeded")
    parsed = [parse(item, f"{path}.group[{n}]", module, fields, any_value) for n, item in enumerate(items)]
    group = Group(operator.upper(), tuple(item.criterion for item in parsed))
    return Parsed(group, {"group_operator": group.operator, "group": [item.json for item in parsed]})


def _simple(
    raw: dict[str, Any], path: str, module: str, fields: dict[str, FieldDef], any_value: bool
) -> Parsed:
    definition = _field(raw.get("field"), f"{path}.field", module, fields)
    kind = _kind(definition)
    value_type = raw.get("type", "value")
    if value_type != "value":
        raise invalid(f"{path}.type", "type", NOT_EMULATED, supported_values=["value"])
    comparator = required_text(raw.get("comparator"), f"{path}.comparator", "comparator")
    if comparator not in SUPPORTED:
        raise invalid(f"{path}.comparator", "comparator", NOT_EMULATED, supported_values=list(SUPPORTED))
    if "value" not in raw:
        raise mandatory(f"{path}.value", "value")
    value = raw["value"]
    criterion = _compiled(definition, kind, comparator, value, f"{path}.value", any_value)
    field_ref = {"api_name": definition.api_name, "id": stable_id(module, definition.api_name)}
    normalised = {"comparator": comparator, "field": field_ref, "type": "value", "value": value}
    return Parsed(criterion, normalised)


def _field(raw: Any, path: str, module: str, fields: dict[str, FieldDef]) -> FieldDef:
    reference = required_object(raw, path, "field")
    name = required_text(reference.get("api_name"), f"{path}.api_name", "api_name")
    definition = fields.get(name)
    if definition is None:  # relation notation (Deals__r.Stage) included: not emulated
        raise invalid(f"{path}.api_name", "api_name", "the field given seems to be invalid")
    given_id = reference.get("id")
    if given_id is not None and record_id(given_id) != stable_id(module, name):
        raise ambiguous((f"{path}.id", "id"), (f"{path}.api_name", "api_name"))
    return definition


def _kind(definition: FieldDef) -> str:
    data_type = definition.data_type
    if data_type == "formula":
        data_type = definition.return_type or "text"
    if data_type in NUMBER_TYPES:
        return "number"
    if data_type in ("lookup", "ownerlookup"):
        return "lookup"
    if data_type == MULTI_SELECT:
        return "multi"
    if data_type in ("picklist", "boolean", "date", "datetime"):
        return data_type
    return "text"


def _compiled(
    definition: FieldDef, kind: str, comparator: str, value: Any, path: str, any_value: bool
) -> Simple:
    name = definition.api_name
    if value in (EMPTY, NOT_EMPTY):
        if comparator not in EQUALITY:
            raise invalid(path, "value", NOT_EMULATED)
        return Simple(name, comparator, kind, empty=(value == EMPTY) == (comparator == "equal"))
    if value == ANY_VALUE:
        if not any_value or comparator != "equal":
            raise invalid(path, "value", NOT_EMULATED)
        return Simple(name, comparator, kind, any_value=True)
    if isinstance(value, str) and value.startswith("${"):
        raise invalid(path, "value", NOT_EMULATED)  # date and user tokens: not emulated
    if kind == "multi" or not _comparator_fits(kind, comparator):
        raise invalid(
            path.removesuffix(".value") + ".comparator",
            "comparator",
            NOT_EMULATED,
            data_type=definition.data_type,
        )
    items = _items(comparator, value, path)
    return Simple(name, comparator, kind, tuple(_comparable(definition, kind, item, path) for item in items))


def _comparator_fits(kind: str, comparator: str) -> bool:
    if comparator in TEXT_MATCH:
        return kind == "text"
    if comparator in ORDERING:
        return kind in ("number", "date", "datetime")
    if comparator in MEMBERSHIP:
        return kind in ("text", "picklist", "number")
    return True  # equal, not_equal


def _items(comparator: str, value: Any, path: str) -> list[Any]:
    if comparator in ORDERING:
        if isinstance(value, list | dict):
            raise wrong_type(path, "value", "text")
        return [value]
    if isinstance(value, list):
        if not value:
            raise invalid(path, "value", "invalid data")
        if len(value) > MAX_VALUES:
            raise limit_exceeded(path, "value", MAX_VALUES, "values limit exceeded")
        return value
    if comparator in MEMBERSHIP:
        raise wrong_type(path, "value", "jsonarray")
    return [value]


def _comparable(definition: FieldDef, kind: str, item: Any, path: str) -> Any:
    """One value in the form `_compare` uses; INVALID_DATA when it is not of the field's type."""
    data_type = definition.data_type
    if kind == "text":
        if not isinstance(item, str):
            raise wrong_type(path, "value", "text")
        return item.casefold()
    if kind == "picklist":
        option = next(
            (o for o in definition.picklist if isinstance(item, str) and item in (o.display, o.actual)), None
        )
        if option is None:
            raise invalid(path, "value", "the picklist value given seems to be invalid")
        return frozenset({option.display, option.actual})
    if kind == "number":
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise wrong_type(path, "value", data_type)
        return Decimal(str(item))
    if kind == "boolean":
        if not isinstance(item, bool):
            raise wrong_type(path, "value", "boolean")
        return item
    if kind == "lookup":
        found = record_id(item.get("id")) if isinstance(item, dict) else None
        if found is None:
            raise wrong_type(path, "value", "jsonobject")
        return found
    moment = _moment(kind, item)
    if moment is None:
        raise wrong_type(path, "value", kind)
    return moment


def _moment(kind: str, value: Any) -> date | datetime | None:
    """A date ("2026-05-01") or a date-time with its offset, else None."""
    if not isinstance(value, str):
        return None
    try:
        if kind == "date":
            return date.fromisoformat(value[:10]) if len(value) == 10 else None
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# --- evaluation ------------------------------------------------------------------------------


def _is_empty(found: Any) -> bool:
    return found is None or found == "" or found == [] or found == {}


def _compare(criterion: Simple, found: Any) -> bool:
    negative = criterion.comparator in NEGATIVE
    value = _record_value(criterion.kind, found)
    if value is None:
        return negative
    values = criterion.values
    comparator = criterion.comparator
    if criterion.kind == "picklist":
        hit = any(value in aliases for aliases in values)
    elif comparator in ("equal", "not_equal", "in", "not_in"):
        hit = value in values
    elif comparator in ("contains", "not_contains"):
        hit = any(part in value for part in values)
    elif comparator == "starts_with":
        hit = any(value.startswith(part) for part in values)
    elif comparator == "ends_with":
        hit = any(value.endswith(part) for part in values)
    else:
        return _ordered(comparator, value, values[0])
    return not hit if negative else hit


def _ordered(comparator: str, value: Any, bound: Any) -> bool:
    try:
        if comparator == "less_than":
            return bool(value < bound)
        if comparator == "less_equal":
            return bool(value <= bound)
        if comparator == "greater_than":
            return bool(value > bound)
        return bool(value >= bound)
    except TypeError:
        return False


def _record_value(kind: str, found: Any) -> Any:
    """The record's value in the form the criterion's values have, None when empty or of
    another type (a stored value the field's type does not fit never matches)."""
    if _is_empty(found):
        return None
    if kind == "text":
        return found.casefold() if isinstance(found, str) else None
    if kind == "picklist":
        return found if isinstance(found, str) else None
    if kind == "number":
        if isinstance(found, bool) or not isinstance(found, int | float | Decimal):
            return None
        return Decimal(str(found))
    if kind == "boolean":
        return found if isinstance(found, bool) else None
    if kind == "lookup":
        return found.get("id") if isinstance(found, dict) else found if isinstance(found, str) else None
    return _moment(kind, found)
