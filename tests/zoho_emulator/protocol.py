"""Request and response values passed between the HTTP server and the emulated API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

JSON_TYPE = "application/json;charset=UTF-8"


class Headers(Mapping[str, str]):
    """Read-only header mapping with case-insensitive keys (first value wins)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = list(items)
        self._index: dict[str, str] = {}
        for name, value in self._items:
            self._index.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    received: float | None = None  # time.perf_counter() when its request line was read

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    trickle_seconds: float = 0.0  # written a byte at a time, this long apart (a fault)
    # Told time.perf_counter() once the answer is written (the journal's duration ends there).
    written: Callable[[float], None] | None = None

    @classmethod
    def json(cls, status: int, payload: Any) -> Response:
        return cls(status, dumps(payload), JSON_TYPE)

    @classmethod
    def no_content(cls) -> Response:
        # No Content-Type on purpose: clients (the SDK among them) pick a parser from it.
        return cls(204)


def dumps(payload: Any) -> bytes:
    """`payload` as JSON. Numbers of any size are written in full, as Zoho would send a value it
    holds: Python's json writes big integers, but not one past `sys.get_int_max_str_digits()`
    (4,300 digits), which is written out through Decimal instead."""
    try:
        return json.dumps(payload).encode()
    except ValueError:
        digits: dict[str, str] = {}
        marker = f"\0{uuid.uuid4().hex}"
        text = json.dumps(_mark_huge(payload, marker, digits))
        for key, number in digits.items():
            text = text.replace(json.dumps(key), number)
        return text.encode()


def _mark_huge(value: Any, marker: str, digits: dict[str, str]) -> Any:
    """A copy of `value` with each integer json cannot write replaced by a unique string."""
    if isinstance(value, dict):
        return {key: _mark_huge(item, marker, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_huge(item, marker, digits) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 10_000:
        key = f"{marker}{len(digits)}"
        digits[key] = str(Decimal(value))
        return key
    return value


class ApiError(Exception):
    """A Zoho error answer; raised anywhere below the router and turned into a response."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("code") or payload.get("data"))
        self.status = status
        self.payload = payload

    def response(self) -> Response:
        return Response.json(self.status, self.payload)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def top_level_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> ApiError:
    """A URL- or request-level error: one unwrapped object."""
    return ApiError(status, error_body(code, message, details))


def record_error(code: str, message: str, details: dict[str, Any]) -> ApiError:
    """A record- or field-level error: wrapped in data[] as Zoho does, HTTP 400."""
    return ApiError(400, {"data": [error_body(code, message, details)]})


def invalid_id(resource_path_index: int = 1) -> ApiError:
    return top_level_error(
        400,
        "INVALID_DATA",
        "the given id seems to be invalid",
        {"resource_path_index": resource_path_index},
    )


def invalid_body() -> ApiError:
    return top_level_error(400, "INVALID_DATA", "body", {"expected_data_type": "jsonobject"})


def required_param_missing(name: str) -> ApiError:
    return top_level_error(
        400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param_name": name}
    )


def invalid_param(name: str) -> ApiError:
    return top_level_error(
        400, "INVALID_DATA", "the given parameter value seems to be invalid", {"param_name": name}
    )


def limit_exceeded(name: str, limit: int) -> ApiError:
    return top_level_error(400, "LIMIT_EXCEEDED", "limit exceeded", {"param_name": name, "limit": limit})


def positive_int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    """A whole-number parameter from 1 (to `maximum`); INVALID_DATA naming it otherwise."""
    text = request.param(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        raise invalid_param(name)
    return int(text)


class FieldError(Exception):
    """A problem with one field of a request body.

    Single Convert answers it wrapped in data[]; Mass Convert, whose body has no data[] envelope,
    answers it as a top-level object.
    """

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.details = details

    def wrapped(self) -> ApiError:
        return record_error(self.code, self.message, self.details)

    def top_level(self) -> ApiError:
        return top_level_error(400, self.code, self.message, self.details)


def invalid_field(json_path: str, api_name: str, **details: Any) -> FieldError:
    return FieldError(
        "INVALID_DATA", "invalid data", {"api_name": api_name, "json_path": json_path, **details}
    )


def missing_field(json_path: str, api_name: str) -> FieldError:
    return FieldError(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": api_name, "json_path": json_path},
    )


def record_updated(updated: dict[str, Any]) -> dict[str, Any]:
    """One record's answer in an update (Update Records, Update Notes), as Zoho words it."""
    return {
        "code": "SUCCESS",
        "details": {
            "Modified_Time": updated["Modified_Time"],
            "Modified_By": {key: updated["Modified_By"][key] for key in ("name", "id")},
            "Created_Time": updated["Created_Time"],
            "id": updated["id"],
            "Created_By": {key: updated["Created_By"][key] for key in ("name", "id")},
        },
        "message": "record updated",
        "status": "success",
    }


def requested_fields(request: Request) -> set[str] | None:
    """The `fields` parameter of a read as a set of names (with id), or None when absent."""
    fields = request.param("fields")
    if not fields:
        return None
    return {"id", *(name.strip() for name in fields.split(",") if name.strip())}


def only(record: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """The record with only the fields asked for (all of them when none were)."""
    if fields is None:
        return record
    return {key: value for key, value in record.items() if key in fields}
