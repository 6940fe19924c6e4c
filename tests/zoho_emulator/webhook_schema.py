"""What Create and Update Webhook take (zoho-crm-api.md §15.2, §15.3, §7.1, §15.10): one webhook
of `{"webhooks": [ … ]}`, checked key by key in the order below, as the webhook a read shows.

Mandatory: `name`, `module`, `url`, `http_method`, `authentication`, `feature_type`
(MANDATORY_NOT_FOUND). An update replaces the whole webhook (§15.3), so it takes the same body:
omitted optional keys go back to null. Keys a read adds (`id`, `associated`, times, …) and keys
the reference does not name are ignored (CHOSEN: undocumented either way).

Limits, the safe value of §15.10 where sources disagree (each CHOSEN as the stricter): `name`
at most 50 characters of `[A-Za-z0-9 _]`; `url` at most 255, starting with `http://` or
`https://` (Zoho also takes `www.` and `${…}`: refused here, the riskier reading, and the
emulator must be able to call it); `description` 200; a parameter's name and value 255 each;
`custom_parameters` 10, `module_parameters` 25, `user_defined_parameters` 10 (LIMIT_EXCEEDED);
`raw_data_content` 500. Zoho's SSRF check ("Url you've configured is not secure") is not
emulated: a test's receiver listens on 127.0.0.1.

Per method (§7.1): `headers` on POST, PUT, DELETE; `url_parameters` on GET, DELETE; `body` on
POST, PUT; elsewhere DEPENDENT_MISMATCH. Header names (custom and module parameters together)
are unique case-insensitively (DUPLICATE_DATA; the reference says "inside a collection": both
collections become HTTP headers, so the stricter reading), HTTP tokens, never `Host`.
`authentication` is `{"type": "general"}`; `connection` needs a Zoho Connection, and the
emulated org has none, so every `connection_name` is INVALID_DATA.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit

from . import merge_fields
from .automation_errors import (
    AutomationError,
    dependent,
    invalid,
    limit_exceeded,
    mandatory,
    not_allowed,
    required_object,
    required_text,
    too_long,
    wrong_type,
)
from .module_refs import checked_description, checked_name, module_json, module_ref

NAME_MAX = 50
URL_MAX = 255
DESCRIPTION_MAX = 200
PARAMETER_MAX = 255  # a parameter's name and value (§15.2 headers)
RAW_MAX = 500
METHODS = ("POST", "GET", "PUT", "DELETE")
FEATURE_TYPES = (
    "workflow",
    "approval_process",
    "blueprint_transition",
    "blueprint_state",
    "assignment_rules",
    "kiosk",
    "commandcenter_service",
)
BODY_TYPES = ("raw", "form_data", "none")
RAW_FORMATS = ("JSON", "XML", "Text", "HTML")
AUTHENTICATION_TYPES = ("general", "connection")
# The collections of parameters and their limits (§7.1, §15.2; user-defined ones: CHOSEN, 10).
HEADER_LIMITS = {"custom_parameters": 10, "module_parameters": 25}
URL_LIMITS = {**HEADER_LIMITS, "user_defined_parameters": 10}
FORM_LIMITS = {**HEADER_LIMITS, "user_defined_parameter": 10}
METHOD_KEYS = {
    "headers": ("POST", "PUT", "DELETE"),
    "url_parameters": ("GET", "DELETE"),
    "body": ("POST", "PUT"),
}
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
UNSUPPORTED_FIELDS = "Unsupported fields are present"
BOTH_NEEDED = "the given parameter is invalid, specify both name and value"
MODULE_FIXED = "the module of a webhook cannot be changed"

FieldNames = Callable[[str], Collection[str]]  # a module's field API names


def parse_webhook(
    item: Any, path: str, field_names: FieldNames, module_of_update: str | None = None
) -> dict[str, Any]:
    """The webhook at `path` ("$.webhooks[0]") as stored; AutomationError naming what is wrong.
    `field_names` gives a module's fields, for its merge fields. On update, `module_of_update`
    is the webhook's module, which cannot change (§15.3: NOT_ALLOWED, before the keys that
    depend on the module are looked at)."""
    if not isinstance(item, dict):
        raise wrong_type(path, "webhooks", "jsonobject")
    name = checked_name(
        item.get("name"),
        f"{path}.name",
        NAME_MAX,
        "The lenght of name has exceeded the limit",
        "Special characters not allowed",
    )
    module = module_ref(item.get("module"), f"{path}.module", both=False)
    if module_of_update is not None and module != module_of_update:
        raise not_allowed(f"{path}.module", "module", MODULE_FIXED)
    names = field_names(module)
    url = _url(item.get("url"), f"{path}.url", module, names)
    method = _method(item.get("http_method"), f"{path}.http_method")
    authentication = _authentication(item.get("authentication"), f"{path}.authentication")
    feature_type = _feature_type(item.get("feature_type"), f"{path}.feature_type")
    related = item.get("related_module")
    related_module = None if related is None else module_ref(related, f"{path}.related_module", both=False)
    if feature_type == "kiosk" and related_module is None:
        raise dependent(
            "DEPENDENT_FIELD_MISSING",
            f"{path}.related_module",
            "related_module",
            (f"{path}.feature_type", "feature_type"),
            "Webhook action related module missing for kiosk feature",
        )
    webhook: dict[str, Any] = {
        "name": name,
        "description": checked_description(item.get("description"), f"{path}.description", DESCRIPTION_MAX),
        "module": module_json(module),
        "related_module": None if related_module is None else module_json(related_module),
        "url": url,
        "http_method": method,
        "feature_type": feature_type,
        "authentication": authentication,
        "headers": None,
        "url_parameters": None,
        "body": None,
        "date_time_format": _date_time_format(item.get("date_time_format"), f"{path}.date_time_format"),
    }
    for key, methods in METHOD_KEYS.items():
        if item.get(key) is not None and method not in methods:
            raise dependent(
                "DEPENDENT_MISMATCH",
                f"{path}.http_method",
                "http_method",
                (f"{path}.{key}", key),
                "Invalid value provided for the given http method",
            )
    if item.get("headers") is not None:
        webhook["headers"] = _headers(item["headers"], f"{path}.headers", module, names)
    if item.get("url_parameters") is not None:
        webhook["url_parameters"] = _collections(
            item["url_parameters"], f"{path}.url_parameters", "url_parameters", URL_LIMITS, module, names
        )
    if item.get("body") is not None:
        webhook["body"] = _body(item["body"], f"{path}.body", module, names)
    return webhook


def _url(value: Any, path: str, module: str, names: Collection[str]) -> str:
    if value is None:
        raise mandatory(path, "url")
    if not isinstance(value, str):
        raise wrong_type(path, "url", "website")
    if not value:
        raise invalid(path, "url", "Empty value is not allowed")
    if len(value) > URL_MAX:
        raise too_long(path, "url", URL_MAX)
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or not value.startswith(f"{parts.scheme}://")
    ):
        raise invalid(path, "url", "please enter a valid URL")
    _merge_fields(value, path, "url", module, names)
    return value


def _method(value: Any, path: str) -> str:
    method = required_text(value, path, "http_method")
    if method not in METHODS:
        raise invalid(path, "http_method", "The method type given is invalid")
    return method


def _authentication(value: Any, path: str) -> dict[str, str]:
    """`{"type": "general"}` (`connection_name` absent or ""); a connection is refused: the
    emulated org has no Zoho Connections (§7.1)."""
    value = required_object(value, path, "authentication")
    kind = value.get("type")
    if kind is None:
        raise mandatory(f"{path}.type", "type", single=True)
    if not isinstance(kind, str):
        raise wrong_type(f"{path}.type", "type", "text", single=True)
    if kind not in AUTHENTICATION_TYPES:
        details = {
            "api_name": "type",
            "supported_values": list(AUTHENTICATION_TYPES),
            "json_path": f"{path}.type",
        }
        raise AutomationError("INVALID_DATA", "Invalid data", details, single=True)
    connection = value.get("connection_name")
    if (kind == "general") == bool(connection):
        raise dependent(
            "DEPENDENT_MISMATCH",
            f"{path}.type",
            "type",
            (f"{path}.connection_name", "connection_name"),
            "provide appropriate authentication type",
        )
    if kind == "connection":
        raise invalid(f"{path}.connection_name", "connection_name", "Please provide valid connection name")
    return {"type": "general", "connection_name": ""}


def _feature_type(value: Any, path: str) -> str:
    feature = required_text(value, path, "feature_type")
    if feature not in FEATURE_TYPES:
        raise invalid(path, "feature_type", "the given feature name is invalid")
    return feature


def _date_time_format(value: Any, path: str) -> dict[str, Any] | None:
    """Stored as given (the emulator does not format merge fields with it)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_type(path, "date_time_format", "jsonobject")
    for key in ("datetime_format", "date_format", "time_zone"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise wrong_type(f"{path}.{key}", key, "text")
    return dict(value)


def _headers(value: Any, path: str, module: str, names: Collection[str]) -> dict[str, Any]:
    """§7.1: `module_parameters` must be present, even as [] (OAS-new Error400Response1, a single
    object); header names are HTTP tokens, never Host, unique across both collections."""
    if not isinstance(value, dict):
        raise wrong_type(path, "headers", "jsonobject")
    if value.get("module_parameters") is None:
        raise mandatory(f"{path}.module_parameters", "module_parameters", single=True)
    headers = _collections(value, path, "headers", HEADER_LIMITS, module, names)
    for key in HEADER_LIMITS:
        for index, parameter in enumerate(headers[key] or ()):
            where = f"{path}.{key}[{index}].name"
            if not HEADER_NAME.fullmatch(parameter["name"]):
                raise invalid(where, "name", "invalid header name")
            if parameter["name"].lower() == "host":
                raise invalid(where, "name", "the header name is not allowed")
    return headers


def _collections(
    value: Any, path: str, api_name: str, limits: dict[str, int], module: str, names: Collection[str]
) -> dict[str, Any]:
    """An object of parameter collections (`headers`, `url_parameters`, `form_data_content`),
    each a list of `{name, value}` within its limit; names unique across the collections
    (case-insensitively)."""
    if not isinstance(value, dict):
        raise wrong_type(path, api_name, "jsonobject")
    collected: dict[str, Any] = {}
    seen: set[str] = set()
    for key, limit in limits.items():
        if value.get(key) is None:
            collected[key] = None
            continue
        parameters = _parameters(value[key], f"{path}.{key}", key, limit, module, names)
        for index, parameter in enumerate(parameters):
            if parameter["name"].lower() in seen:
                details = {"api_name": "name", "json_path": f"{path}.{key}[{index}].name"}
                raise AutomationError("DUPLICATE_DATA", "duplicate parameter name found", details)
            seen.add(parameter["name"].lower())
        collected[key] = parameters
    return collected


def _parameters(
    value: Any, path: str, key: str, limit: int, module: str, names: Collection[str]
) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise wrong_type(path, key, "jsonarray", single=True)
    if len(value) > limit:
        raise limit_exceeded(path, key, limit, "limit exceeded")
    parameters = []
    for index, parameter in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(parameter, dict):
            raise wrong_type(where, key, "jsonobject")
        for part in ("name", "value"):
            if parameter.get(part) is None:
                raise AutomationError(
                    "MANDATORY_NOT_FOUND", BOTH_NEEDED, {"api_name": part, "json_path": f"{where}.{part}"}
                )
            if not isinstance(parameter[part], str):
                raise wrong_type(f"{where}.{part}", part, "text")
            if len(parameter[part]) > PARAMETER_MAX:
                raise too_long(f"{where}.{part}", part, PARAMETER_MAX)
        if not parameter["name"].strip():
            raise invalid(f"{where}.name", "name", "Empty value is not allowed")
        _merge_fields(parameter["value"], f"{where}.value", "value", module, names)
        parameters.append({"name": parameter["name"], "value": parameter["value"]})
    return parameters


def _body(value: Any, path: str, module: str, names: Collection[str]) -> dict[str, Any]:
    """`type` and `format` are mandatory (single objects, OAS-new Error400Response12/16); `raw`
    takes a `format` of RAW_FORMATS and needs `raw_data_content` (DEPENDENT_FIELD_MISSING);
    `form_data` and `none` a null `format`, `form_data` needs `form_data_content`."""
    if not isinstance(value, dict):
        raise wrong_type(path, "body", "jsonobject")
    for key in ("type", "format"):
        if key not in value or (key == "type" and value[key] is None):
            raise mandatory(f"{path}.{key}", key, single=True)
        if value[key] is not None and not isinstance(value[key], str):
            raise wrong_type(f"{path}.{key}", key, "text", single=True)
    kind, body_format = value["type"], value["format"]
    if kind not in BODY_TYPES:
        raise invalid(f"{path}.type", "type", "invalid body type passed")
    if (body_format in RAW_FORMATS) != (kind == "raw"):
        raise invalid(f"{path}.format", "format", "invalid format passed in body")
    body: dict[str, Any] = {"type": kind, "format": body_format}
    if kind == "raw":
        content = value.get("raw_data_content")
        if content is None or content == "":
            raise dependent(
                "DEPENDENT_FIELD_MISSING",
                f"{path}.raw_data_content",
                "raw_data_content",
                (f"{path}.format", "format"),
                "raw data content key is mandatory for raw body type",
            )
        if not isinstance(content, str):
            raise wrong_type(f"{path}.raw_data_content", "raw_data_content", "text", single=True)
        if len(content) > RAW_MAX:
            details = {
                "api_name": "raw_data_content",
                "maximum_length": RAW_MAX,
                "json_path": f"{path}.raw_data_content",
            }
            raise AutomationError("INVALID_DATA", "Invalid data", details, single=True)
        _merge_fields(content, f"{path}.raw_data_content", "raw_data_content", module, names)
        body["raw_data_content"] = content
    elif kind == "form_data":
        content = value.get("form_data_content")
        if content is None:
            raise dependent(
                "DEPENDENT_FIELD_MISSING",
                f"{path}.form_data_content",
                "form_data_content",
                (f"{path}.type", "type"),
                "form data content key is mandatory for form body type",
            )
        if not isinstance(content, dict):
            raise invalid(
                f"{path}.form_data_content", "form_data_content", "inavlid form data content passed in body"
            )
        where = f"{path}.form_data_content"
        body["form_data_content"] = _collections(
            content, where, "form_data_content", FORM_LIMITS, module, names
        )
    return body


def _merge_fields(text: str, path: str, api_name: str, module: str, names: Collection[str]) -> None:
    """zoho-crm-api.md §7.1, §15.2: a merge field naming no field of the module fails the save."""
    if merge_fields.unknown(text, module, names):
        raise invalid(path, api_name, UNSUPPORTED_FIELDS)
