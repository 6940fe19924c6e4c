"""Shape validation of Convert Lead and Mass Convert bodies, as Zoho validates them.

Everything that needs no CRM state is checked here; checks against records (does this user,
contact or tag exist?) happen in `CrmStore.convert`, under the store's lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .ids import MODULE_IDS
from .protocol import (
    FieldError,
    invalid_body,
    invalid_field,
    missing_field,
    top_level_error,
)

TARGET_MODULES = ("Contacts", "Accounts", "Deals")
DEAL_MANDATORY = ("Deal_Name", "Stage", "Closing_Date", "Pipeline")  # zoho-crm-api.md §1.2, §9
BOOLEAN_KEYS = ("overwrite", "notify_lead_owner", "notify_new_entity_owner")
CONVERT_KEYS = frozenset(
    {
        *BOOLEAN_KEYS,
        "Accounts",
        "Contacts",
        "assign_to",
        "Deals",
        "carry_over_tags",
        "move_attachments_to",
        "add_to_existing_record",
    }
)
MASS_CONVERT_KEYS = frozenset(
    {
        "ids",
        "Deals",
        "assign_to",
        "carry_over_tags",
        "move_attachments_to",
        "related_modules",
        "portal_user_type",
        "apply_assignment_threshold",
    }
)
MASS_CONVERT_MAX_IDS = 50  # zoho-crm-api.md §3.1
# zoho-crm-api.md §3.1: related_modules names the lead's activities whose owner becomes
# `assign_to` ("Tasks, Meetings and Calls"; Meetings' api_name is Events, §13.6).
ACTIVITY_MODULES = ("Tasks", "Events", "Calls")
CONTACT_ROLE_SINCE = 5.0  # zoho-crm-api.md §1.2: Deals.Contact_Role from v5
# zoho-crm-api.md §14.4: the maxLength of each Deals key in OAS-new's DealConversion schema
# (single Convert; "indicative", so enforced as given). Mass Convert's OAS allows Deal_Name 255.
CONVERT_MAX_LENGTHS = {
    "Deal_Name": 120,
    "Pipeline": 100,
    "Stage": 100,
    "Campaign_Source": 100,
    "Lead_Source": 100,
    "Contact_Role": 50,
    "Type": 50,
    "Next_Step": 200,
    "Description": 32_000,
}
MASS_CONVERT_MAX_LENGTHS = {**CONVERT_MAX_LENGTHS, "Deal_Name": 255}
_DIGITS = re.compile(r"[0-9]{1,25}")


@dataclass(frozen=True)
class ConvertRequest:
    """What a convert asks for, in one shape for v2, v3+ and Mass Convert."""

    json_path: str = "$.data[0]"
    assign_to: str | None = None
    contact_id: str | None = None
    account_id: str | None = None
    deal: dict[str, Any] | None = None
    # Single Convert names tags per module; Mass Convert carries every tag to the listed modules.
    carry_over_tags: dict[str, list[str]] = field(default_factory=dict)
    carry_all_tags_to: tuple[str, ...] = ()
    overwrite: bool = False
    # zoho-crm-api.md §1.2, §14.6: link the existing contact and account instead of creating
    # new ones (single Convert only; without it Convert creates duplicates).
    add_to_existing_record: bool = False
    mass: bool = False  # a Mass Convert job's: its own maximum lengths (zoho-crm-api.md §14.4)
    # zoho-crm-api.md §3.1 (Mass Convert only): the activity modules whose records of the lead
    # change owner to assign_to (related_modules), and the new contacts' portal user type id.
    related_modules: tuple[str, ...] = ()
    portal_user_type: dict[str, str | None] | None = None  # {"id", "api_name"} as given


@dataclass(frozen=True)
class MassConvertRequest:
    ids: list[str]  # each once, in the order first given
    conversion: ConvertRequest
    listed: list[str] = field(default_factory=list)  # as given (normalised), so $.ids[i] is exact


def is_record_id(value: object) -> bool:
    return isinstance(value, str) and _DIGITS.fullmatch(value) is not None


def parse_convert_body(body: Any, legacy: bool, contact_role: bool = True) -> ConvertRequest:
    """Validate `{"data":[{...}]}`; `legacy` is v2/v2.1, where ids are plain strings;
    `contact_role` whether the called version takes `Deals.Contact_Role` (v5+, §1.2).

    Raises ApiError for envelope problems and FieldError for a bad key inside data[0].
    `related_modules` and `portal_user_type` are no Convert keys (§1.2: Mass Convert's only),
    refused as any unknown key is.
    """
    if not isinstance(body, dict):
        raise invalid_body()
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise missing_field("$.data", "data").top_level()
    if len(data) > 1:
        raise top_level_error(400, "LIMIT_EXCEEDED", "limit exceeded", {"api_name": "data", "limit": 1})
    converter = data[0]
    path = "$.data[0]"
    if not isinstance(converter, dict):
        raise FieldError(
            "INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject", "json_path": path}
        )
    for key in converter:
        if key not in CONVERT_KEYS:
            raise invalid_field(f"{path}.{key}", key)
    for key in BOOLEAN_KEYS:
        if key in converter and not isinstance(converter[key], bool):
            raise invalid_field(f"{path}.{key}", key, expected_data_type="boolean")
    if "add_to_existing_record" in converter and converter["add_to_existing_record"] is not True:
        raise invalid_field(f"{path}.add_to_existing_record", "add_to_existing_record")
    deal = converter.get("Deals")
    if deal is not None:
        check_deal_shape(deal, f"{path}.Deals")
        # zoho-crm-api.md §1.2: Contact_Role "(v5+)". Whether an older version ignores the key
        # or refuses it is UNVERIFIED: refused (riskier reading). Its value is checked against
        # the org's contact roles by the store, after the lengths (§14.4).
        if "Contact_Role" in deal and not contact_role:
            raise invalid_field(f"{path}.Deals.Contact_Role", "Contact_Role")
    if "move_attachments_to" in converter:
        _check_module_reference(
            converter["move_attachments_to"], f"{path}.move_attachments_to", "move_attachments_to"
        )
    return ConvertRequest(
        json_path=path,
        assign_to=_reference(converter, "assign_to", path, legacy),
        contact_id=_reference(converter, "Contacts", path, legacy),
        account_id=_reference(converter, "Accounts", path, legacy),
        deal=deal,
        carry_over_tags=_tag_names(converter.get("carry_over_tags"), f"{path}.carry_over_tags"),
        overwrite=converter.get("overwrite", False),
        add_to_existing_record=converter.get("add_to_existing_record", False),
    )


def parse_mass_convert_body(body: Any) -> MassConvertRequest:
    """Validate a Mass Convert body (no data[] envelope). Raises ApiError."""
    if not isinstance(body, dict):
        raise invalid_body()
    try:
        return _mass_convert_request(body)
    except FieldError as problem:
        raise problem.top_level() from None


def _mass_convert_request(body: dict[str, Any]) -> MassConvertRequest:
    for key in body:
        if key not in MASS_CONVERT_KEYS:
            raise invalid_field(f"$.{key}", key)
    ids = body.get("ids")
    if not ids:
        raise missing_field("$.ids", "ids")
    if not isinstance(ids, list):
        raise invalid_field("$.ids", "ids", expected_data_type="jsonarray")
    if len(ids) > MASS_CONVERT_MAX_IDS:
        raise FieldError(
            "LIMIT_EXCEEDED",
            "limit exceeded",
            {"api_name": "ids", "json_path": "$.ids", "limit": MASS_CONVERT_MAX_IDS},
        )
    lead_ids = [_mass_convert_id(value, index) for index, value in enumerate(ids)]
    if "assign_to" not in body:
        raise missing_field("$.assign_to", "assign_to")
    deal = body.get("Deals")
    if deal is not None:
        check_deal_shape(deal, "$.Deals")
        # UNVERIFIED: §1.2 documents Deals.Contact_Role for single Convert only; whether Mass
        # Convert takes it is not documented, so it is refused (riskier reading).
        if "Contact_Role" in deal:
            raise invalid_field("$.Deals.Contact_Role", "Contact_Role")
    carry_to = []
    tags = body.get("carry_over_tags", [])
    if not isinstance(tags, list):
        raise invalid_field("$.carry_over_tags", "carry_over_tags", expected_data_type="jsonarray")
    for index, reference in enumerate(tags):
        path = f"$.carry_over_tags[{index}]"
        carry_to.append(_check_module_reference(reference, path, "carry_over_tags"))
    if "move_attachments_to" in body:
        _check_module_reference(body["move_attachments_to"], "$.move_attachments_to", "move_attachments_to")
    related = body.get("related_modules", [])
    if not isinstance(related, list):
        raise invalid_field("$.related_modules", "related_modules", expected_data_type="jsonarray")
    activity_modules = [_related_module(item, f"$.related_modules[{n}]") for n, item in enumerate(related)]
    portal_user_type = None
    if "portal_user_type" in body:
        portal_user_type = _portal_user_type(body["portal_user_type"])
    conversion = ConvertRequest(
        json_path="$",
        assign_to=_reference(body, "assign_to", "$", legacy=False),
        deal=deal,
        carry_all_tags_to=tuple(dict.fromkeys(carry_to)),
        mass=True,
        related_modules=tuple(dict.fromkeys(activity_modules)),
        portal_user_type=portal_user_type,
    )
    return MassConvertRequest(ids=list(dict.fromkeys(lead_ids)), conversion=conversion, listed=lead_ids)


def _related_module(item: Any, path: str) -> str:
    """One item of Mass Convert's `related_modules`, `{"api_name": "Tasks", "id": "<module
    id>"}` (zoho-crm-api.md §3.1, §14.2): at least one of the two (EXPECTED_FIELD_MISSING with
    `expected_fields`), a name and an id of one module (AMBIGUITY_DURING_PROCESSING with
    `ambiguity_due_to`), and an activity module (INVALID_DATA otherwise). CHOSEN: the root
    error's `details` also carry `json_path` `$.related_modules[i]`; `Meetings` (Events'
    module_name) is no api_name and is refused."""
    if not isinstance(item, dict):
        raise invalid_field(path, "related_modules", expected_data_type="jsonobject")
    name, given_id = item.get("api_name"), item.get("id")
    if name is None and given_id is None:
        expected = [
            {"api_name": "api_name", "json_path": f"{path}.api_name"},
            {"api_name": "id", "json_path": f"{path}.id"},
        ]
        raise FieldError(
            "EXPECTED_FIELD_MISSING",
            "Specify atleast one field",
            {"expected_fields": expected, "json_path": path},
        )
    if name is not None and name not in ACTIVITY_MODULES:
        raise invalid_field(f"{path}.api_name", "api_name")
    by_id = None
    if given_id is not None:
        module_id = checked_id(given_id, f"{path}.id", "id")
        by_id = next((module for module, known in MODULE_IDS.items() if known == module_id), None)
        if by_id is None or (name is None and by_id not in ACTIVITY_MODULES):
            raise invalid_field(f"{path}.id", "id")
    if name is not None and by_id is not None and name != by_id:
        due_to = [
            {"api_name": "id", "json_path": f"{path}.id"},
            {"api_name": "api_name", "json_path": f"{path}.api_name"},
        ]
        raise FieldError(
            "AMBIGUITY_DURING_PROCESSING",
            "Ambiguity while processing the request",
            {"ambiguity_due_to": due_to, "json_path": path},
        )
    chosen = name or by_id
    assert chosen is not None
    return str(chosen)


def _portal_user_type(value: Any) -> dict[str, str | None]:
    """Mass Convert's `portal_user_type` `{id, api_name}` (zoho-crm-api.md §3.1): its id, shape
    checked here, against the org's portal user types by the store. §14.2: a bad value is
    INVALID_DATA on `$.portal_user_type.id` (CHOSEN: so is a missing id or a value that is no
    object)."""
    if not isinstance(value, dict) or "id" not in value:
        raise invalid_field("$.portal_user_type.id", "id")
    api_name = value.get("api_name")
    if api_name is not None and not isinstance(api_name, str):
        raise invalid_field("$.portal_user_type.id", "id")
    return {"id": checked_id(value["id"], "$.portal_user_type.id", "id"), "api_name": api_name}


def invalid_mass_convert_id(index: int, expected_long: bool = False) -> FieldError:
    """zoho-crm-api.md §14.2: an id in `ids` that is invalid refuses the whole submission,
    `$.ids[i]` naming the first; a non-numeric one also says `expected_data_type: long`."""
    details: dict[str, Any] = {"expected_data_type": "long"} if expected_long else {}
    details.update(api_name="ids", json_path=f"$.ids[{index}]")
    return FieldError("INVALID_DATA", "the id given seems to be invalid", details)


def _mass_convert_id(value: Any, index: int) -> str:
    """An id of `ids` as a long: a JSON integer or a string of digits (the SDK sends Longs as
    numbers). Anything else, a number too large for a long included, is not numeric (§14.2).
    A numeric id that is no record (0, negative) is refused later, with the ids that are no lead."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return str(value)
    raise invalid_mass_convert_id(index, expected_long=True)


def check_deal_shape(deal: Any, path: str) -> None:
    """Mandatory keys and value formats of a Deals object (pipeline checks need the store)."""
    if not isinstance(deal, dict):
        raise invalid_field(path, "Deals", expected_data_type="jsonobject")
    for key in DEAL_MANDATORY:
        if deal.get(key) in (None, ""):
            raise missing_field(f"{path}.{key}", key)
    for key in ("Deal_Name", "Stage", "Pipeline"):
        if not isinstance(deal[key], str):
            raise invalid_field(f"{path}.{key}", key, expected_data_type="string")
    if not is_iso_date(deal["Closing_Date"]):
        raise invalid_field(f"{path}.Closing_Date", "Closing_Date", expected_data_type="date")
    amount = deal.get("Amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
        raise invalid_field(f"{path}.Amount", "Amount", expected_data_type="double")


def check_lengths(deal: dict[str, Any], path: str, maximum_lengths: dict[str, int]) -> None:
    """zoho-crm-api.md §14.4: a text value longer than its key's maximum is INVALID_DATA with
    `details` {maximum_length, api_name, json_path}, in that order, as the reference shows it."""
    for api_name, value in deal.items():
        maximum = maximum_lengths.get(api_name)
        if maximum is not None and isinstance(value, str) and len(value) > maximum:
            raise FieldError(
                "INVALID_DATA",
                "invalid data",
                {"maximum_length": maximum, "api_name": api_name, "json_path": f"{path}.{api_name}"},
            )


def check_pipeline(deal: dict[str, Any], path: str, pipelines: dict[str, list[str]]) -> None:
    """`pipelines` maps each pipeline to its stages, in the form the emulator takes (§14.5)."""
    pipeline = deal["Pipeline"]
    if pipeline not in pipelines:
        raise invalid_field(f"{path}.Pipeline", "Pipeline")
    if deal["Stage"] not in pipelines[pipeline]:
        raise FieldError(
            "MAPPING_MISMATCH",
            "Pipeline doesn`t contain the Stage",
            {"mapped_field": "Pipeline", "api_name": "Stage", "json_path": f"{path}.Stage"},
        )


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _reference(container: dict[str, Any], key: str, path: str, legacy: bool) -> str | None:
    """An id given as `{"id": "..."}` (v3+) or as a plain string (v2/v2.1)."""
    if key not in container:
        return None
    value = container[key]
    if legacy:
        return checked_id(value, f"{path}.{key}", key)
    if not isinstance(value, dict) or "id" not in value:
        raise invalid_field(f"{path}.{key}", key, expected_data_type="jsonobject")
    return checked_id(value["id"], f"{path}.{key}.id", key)


def checked_id(value: Any, path: str, api_name: str) -> str:
    """A record id in a body, as a string; INVALID_DATA naming `api_name` otherwise.

    The SDK serialises ids typed Long as JSON numbers, so integers are ids too.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        value = str(value)
    if not isinstance(value, str) or not is_record_id(value):
        raise invalid_field(path, api_name)
    return value


def _tag_names(value: Any, path: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_field(path, "carry_over_tags", expected_data_type="jsonobject")
    names: dict[str, list[str]] = {}
    for module, tags in value.items():
        if module not in TARGET_MODULES:
            raise invalid_field(f"{path}.{module}", "carry_over_tags")
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise invalid_field(f"{path}.{module}", "carry_over_tags", expected_data_type="jsonarray")
        names[module] = tags
    return names


def _check_module_reference(value: Any, path: str, api_name: str) -> str:
    """`{"api_name": "Deals"}` with an optional module id; returns the module name."""
    if not isinstance(value, dict) or value.get("api_name") not in TARGET_MODULES:
        raise invalid_field(path, api_name)
    if "id" in value:
        checked_id(value["id"], f"{path}.id", api_name)
    return str(value["api_name"])
