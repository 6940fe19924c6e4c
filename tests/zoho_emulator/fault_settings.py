"""Fault settings given as JSON (POST /__emulator/faults), checked before any is applied.

`parse` turns the settings object into a list of changes to `Faults`; a key it cannot take is a
ValueError whose message starts with that key (`"latency: expected a number of seconds ≥ 0,
not 'abc'"`), and nothing is applied, so a refused request leaves the emulator as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .clock import MAX_OFFSET_SECONDS
from .faults import Faults
from .metadata import PICKLIST_FORMS
from .wait_states import PLACEMENTS

Change = Callable[[Faults], None]
Check = Callable[[Any], Any]  # returns the value to use, or raises ValueError saying what is wrong
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Refused(ValueError):
    """A value a check refuses; the message says what was expected."""


# --- checks of one value ------------------------------------------------------------------------


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise Refused(f"expected a number of seconds >= 0, not {_describe(value)}")
    return float(value)


def offset(value: Any) -> float:
    """The emulated clock's offset from the real time: seconds, either way, at most ten years."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > MAX_OFFSET_SECONDS
    ):
        raise Refused(
            f"expected a number of seconds from -{MAX_OFFSET_SECONDS:.0f} to {MAX_OFFSET_SECONDS:.0f},"
            f" not {_describe(value)}"
        )
    return float(value)


def count(minimum: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Refused(f"expected a whole number >= {minimum}, not {_describe(value)}")
        return value

    return check


def optional(check: Check) -> Check:
    def maybe(value: Any) -> Any:
        return None if value is None else check(value)

    return maybe


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Refused(f"expected true or false, not {_describe(value)}")
    return value


def status(value: Any) -> int:
    """An HTTP status the server can write (a known code from 100 to 599)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in HTTPStatus._value2member_map_:
        raise Refused(f"expected a known HTTP status code, not {_describe(value)}")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused(f"expected a string, not {_describe(value)}")
    return value


def code(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        raise Refused(f"expected an error code such as INTERNAL_ERROR, not {_describe(value)}")
    return value


def regex(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused(f"expected a regular expression (a string), not {_describe(value)}")
    try:
        re.compile(value)
    except re.error as problem:
        raise Refused(f"invalid regular expression {_describe(value)}: {problem}") from None
    return value


def method(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in METHODS:
        raise Refused(f"expected one of {', '.join(METHODS)}, not {_describe(value)}")
    return value


def fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise Refused(f"expected a number from 0 to 1, not {_describe(value)}")
    return float(value)


def choice(*choices: str) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            raise Refused(f"expected one of {', '.join(map(repr, choices))}, not {_describe(value)}")
        return str(value)

    return check


def strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Refused(f"expected a list of strings, not {_describe(value)}")
    return value


def lead_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.isdigit() for item in value):
        raise Refused(f"expected a list of lead ids (strings of digits), not {_describe(value)}")
    return value


def body(value: Any) -> bytes:
    """`malformed_next`'s body, given as text."""
    return text(value).encode()


# --- settings and scripted faults ---------------------------------------------------------------

# Attributes of Faults set as they are (after the check).
SETTINGS: dict[str, Check] = {
    "latency": seconds,
    "concurrency_limit": optional(count(1)),
    "token_throttle": flag,
    "token_throttle_status": status,
    "token_down": flag,
    "mass_convert_seconds": seconds,
    "coql_offset_ceiling": optional(count(1)),
    "coql_in_counts_once": flag,
    "mass_convert_fail_ids": lambda value: set(strings(value)),
    "hidden_fields": lambda value: set(strings(value)),
    "wait_state_placement": choice(*PLACEMENTS),
    "picklist_reading": choice(*PICKLIST_FORMS),
    "clock_offset_seconds": offset,
}


@dataclass(frozen=True)
class Scripted:
    """A Faults method called with the JSON object as keyword arguments."""

    required: dict[str, Check]
    optional: dict[str, Check]


_WHERE = {"path": optional(regex), "method": optional(method)}
SCRIPTED = {
    "fail_next": Scripted(
        {"n": count(1)},
        {"status": status, "code": code, **_WHERE, "after": count(0)},
    ),
    "fail_fraction": Scripted(
        {"fraction": fraction},
        {"status": status, "code": code, "path": optional(regex), "seed": optional(count(0))},
    ),
    "reset_next": Scripted({"n": count(1)}, _WHERE),
    "hang_next": Scripted({"n": count(1), "seconds": seconds}, {**_WHERE, "after_processing": flag}),
    "malformed_next": Scripted(
        {"n": count(1)},
        {"body": body, "status": status, "path": optional(regex), "content_type": text},
    ),
    "schedule_next_convert": Scripted({"n": count(1)}, {}),
    "trickle_next": Scripted({"n": count(1), "seconds_per_byte": seconds}, _WHERE),
    "delete_leads_before_next": Scripted({"lead_ids": lead_ids}, {**_WHERE, "n": count(1)}),
}
ACTIONS = {"revoke_tokens": flag, "expire_page_tokens": flag, "clear": flag}
KNOWN = frozenset({*SETTINGS, *SCRIPTED, *ACTIONS})


def parse(settings: dict[str, Any]) -> list[Change]:
    """The changes `settings` asks for, in the order to apply them (`clear` first, revoking
    tokens last); ValueError naming the first key that is wrong, before anything is applied."""
    unknown = set(settings) - KNOWN
    if unknown:
        raise ValueError(f"unknown fault settings: {sorted(unknown)}")
    changes: list[Change] = []
    if _checked("clear", flag, settings.get("clear", False)):
        changes.append(lambda faults: faults.clear())
    for name, check in SETTINGS.items():
        if name in settings:
            changes.append(_setter(name, _checked(name, check, settings[name])))
    for name, scripted in SCRIPTED.items():
        if name in settings:
            changes.append(_caller(name, _arguments(name, scripted, settings[name])))
    if _checked("revoke_tokens", flag, settings.get("revoke_tokens", False)):
        changes.append(lambda faults: faults.revoke_tokens())
    if _checked("expire_page_tokens", flag, settings.get("expire_page_tokens", False)):
        changes.append(lambda faults: faults.expire_page_tokens())
    return changes


def _checked(key: str, check: Check, value: Any) -> Any:
    try:
        return check(value)
    except Refused as problem:
        raise ValueError(f"{key}: {problem}") from None


def _arguments(name: str, scripted: Scripted, given: Any) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise ValueError(f"{name}: expected an object of arguments, not {_describe(given)}")
    known = {**scripted.required, **scripted.optional}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"{name}: unknown arguments {unknown}; arguments: {', '.join(known)}")
    missing = [argument for argument in scripted.required if argument not in given]
    if missing:
        raise ValueError(f"{name}: missing arguments {missing}")
    return {
        argument: _checked(f"{name}: {argument}", known[argument], value) for argument, value in given.items()
    }


def _setter(name: str, value: Any) -> Change:
    def change(faults: Faults) -> None:
        setattr(faults, name, value)

    return change


def _caller(name: str, arguments: dict[str, Any]) -> Change:
    def change(faults: Faults) -> None:
        getattr(faults, name)(**arguments)

    return change
