"""The error answers of the automation APIs (zoho-crm-api.md §15.0).

Three envelopes: a body problem is wrapped in an array named after the resource,
`{"webhooks": [{code, details, message, status}]}` or `{"workflow_rules": [...]}`; some nested
type, length and mandatory problems come as a single **object** under that name instead
(`{"webhooks": {...}}`, OAS-new createWebhooks Error400Response1-23, e.g. a missing
`headers.module_parameters`); path, parameter and permission errors are root objects
(protocol.top_level_error). The messages are OAS-new's, misspellings included ("lenght",
"atleast"); a client must branch on `code` and `details`, never on them.
"""

from __future__ import annotations

from typing import Any

from .protocol import ApiError, FieldError, error_body

REQUIRED = "Required field is missing"


class AutomationError(FieldError):
    """A problem with one key of a webhook or rule body; `single` answers it as one object
    instead of an array (the second envelope of §15.0)."""

    def __init__(self, code: str, message: str, details: dict[str, Any], single: bool = False) -> None:
        super().__init__(code, message, details)
        self.single = single


def enveloped(resource: str, problem: FieldError) -> ApiError:
    """HTTP 400 with the problem under `resource` ("webhooks" or "workflow_rules")."""
    body = error_body(problem.code, problem.message, problem.details)
    single = isinstance(problem, AutomationError) and problem.single
    return ApiError(400, {resource: body if single else [body]})


def item_error(problem: FieldError) -> dict[str, Any]:
    """One item of a bulk answer (delete by `ids`)."""
    return error_body(problem.code, problem.message, problem.details)


def mandatory(path: str, api_name: str, single: bool = False) -> AutomationError:
    return AutomationError("MANDATORY_NOT_FOUND", REQUIRED, {"api_name": api_name, "json_path": path}, single)


def wrong_type(path: str, api_name: str, expected: str, single: bool = False) -> AutomationError:
    details = {"api_name": api_name, "expected_data_type": expected, "json_path": path}
    return AutomationError("INVALID_DATA", "Invalid data type", details, single)


def required_object(value: Any, path: str, api_name: str) -> dict[str, Any]:
    """A mandatory JSON object: MANDATORY_NOT_FOUND when absent, INVALID_DATA when another type."""
    if value is None:
        raise mandatory(path, api_name)
    if not isinstance(value, dict):
        raise wrong_type(path, api_name, "jsonobject")
    return value


def required_text(value: Any, path: str, api_name: str) -> str:
    """A mandatory text: MANDATORY_NOT_FOUND when absent, INVALID_DATA when another type."""
    if value is None:
        raise mandatory(path, api_name)
    if not isinstance(value, str):
        raise wrong_type(path, api_name, "text")
    return value


def too_long(path: str, api_name: str, maximum: int, message: str = "Invalid data") -> AutomationError:
    details = {"api_name": api_name, "maximum_length": maximum, "json_path": path}
    return AutomationError("INVALID_DATA", message, details)


def invalid(path: str, api_name: str, message: str = "invalid data", **details: Any) -> AutomationError:
    return AutomationError("INVALID_DATA", message, {"api_name": api_name, "json_path": path, **details})


def limit_exceeded(path: str, api_name: str, limit: int, message: str) -> AutomationError:
    """zoho-crm-api.md §15.2, §15.4: LIMIT_EXCEEDED `{api_name, limit, json_path}`."""
    details = {"api_name": api_name, "limit": limit, "json_path": path}
    return AutomationError("LIMIT_EXCEEDED", message, details)


def dependent(
    code: str, path: str, api_name: str, dependee: tuple[str, str], message: str
) -> AutomationError:
    """DEPENDENT_FIELD_MISSING or DEPENDENT_MISMATCH: `dependee` is the (json_path, api_name)
    of the key that makes this one needed or wrong (OAS-new's examples)."""
    details = {
        "dependee": {"api_name": dependee[1], "json_path": dependee[0]},
        "api_name": api_name,
        "json_path": path,
    }
    return AutomationError(code, message, details)


def ambiguous(
    *keys: tuple[str, str], message: str = "Ambiguity while processing the request"
) -> AutomationError:
    """AMBIGUITY_DURING_PROCESSING naming the (json_path, api_name) pairs that disagree."""
    due_to = [{"api_name": api_name, "json_path": path} for path, api_name in keys]
    return AutomationError("AMBIGUITY_DURING_PROCESSING", message, {"ambiguity_due_to": due_to})


def expected_one_of(*keys: tuple[str, str]) -> AutomationError:
    """EXPECTED_FIELD_MISSING: none of the (json_path, api_name) keys was given."""
    fields = [{"api_name": api_name, "json_path": path} for path, api_name in keys]
    return AutomationError("EXPECTED_FIELD_MISSING", "Specify atleast one field", {"expected_fields": fields})


def not_allowed(path: str, api_name: str, message: str) -> AutomationError:
    return AutomationError("NOT_ALLOWED", message, {"api_name": api_name, "json_path": path})
