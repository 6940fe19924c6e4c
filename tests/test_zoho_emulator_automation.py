"""The automation APIs (automation_endpoints.py, webhook_schema.py, rule_schema.py, criteria.py):
webhooks, workflow rules, webhook failures and workflow configurations as zoho-crm-api.md §15
describes them, v8 only, behind their scopes and the Manage Workflow permission. Running the
rules is test_zoho_emulator_workflows.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from tests.zoho_emulator import ZohoEmulator
from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.metadata import stable_id
from tests.zoho_emulator.permissions import CONVERT_LEADS, MANAGE_WORKFLOW, MASS_CONVERT_LEADS
from tests.zoho_emulator.scopes import AUTOMATION_GRANT, DEFAULT_GRANT
from tests.zoho_emulator.testing import CREDENTIALS, Zoho, add_lead, control
from tests.zoho_emulator.testing import zoho as zoho

WEBHOOKS = "settings/automation/webhooks"
RULES = "settings/automation/workflow_rules"
FAILURES = "settings/automation/webhook_failures"
LEADS = {"api_name": "Leads", "id": MODULE_IDS["Leads"]}
CONTACTS = {"api_name": "Contacts", "id": MODULE_IDS["Contacts"]}
QUALIFIED = {"field": {"api_name": "Lead_Status"}, "comparator": "in", "value": ["Qualified"]}
UNKNOWN_ID = "4876876000007999999"
ASSOCIATED = "This webhook is associated with at least one of Approval Process/Workflow Rules/Blueprint"


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    """An empty org whose token may call the automation APIs (scopes and Manage Workflow)."""
    with ZohoEmulator(credentials=CREDENTIALS, automation=True) as emu:
        yield emu


def webhook(url: str = "https://hooks.example.com/lead", **changes: Any) -> dict[str, Any]:
    """The product's webhook (§15.2's minimal body), with `changes` (None removes a key)."""
    body = {
        "name": "Lead converter",
        "description": "Managed by lead-converter connect",
        "module": LEADS,
        "url": url,
        "http_method": "POST",
        "feature_type": "workflow",
        "authentication": {"type": "general"},
        "headers": {
            "module_parameters": [],
            "custom_parameters": [{"name": "X-Webhook-Secret", "value": "s3cret"}],
        },
        "body": {"type": "raw", "format": "JSON", "raw_data_content": '{"lead_id":"${!Leads.Id}"}'},
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def rule(webhook_id: str, repeat: bool = False, **changes: Any) -> dict[str, Any]:
    """The product's rule (§15.4's minimal body): Lead_Status in (Qualified) fires the webhook."""
    body = {
        "name": "Lead converter qualified leads",
        "module": LEADS,
        "execute_when": {"type": "create_or_edit", "details": {"repeat": repeat}},
        "conditions": [
            {
                "sequence_number": 1,
                "criteria_details": {"criteria": QUALIFIED},
                "instant_actions": {"actions": [{"type": "webhooks", "id": webhook_id}]},
            }
        ],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def created_id(answer: requests.Response, resource: str) -> str:
    assert answer.status_code == 201, answer.text
    result = answer.json()[resource][0]
    assert (result["code"], result["status"]) == ("SUCCESS", "success")
    return str(result["details"]["id"])


def create_webhook(zoho: Zoho, **changes: Any) -> str:
    return created_id(zoho.post(WEBHOOKS, json={"webhooks": [webhook(**changes)]}), "webhooks")


def create_rule(zoho: Zoho, webhook_id: str, **changes: Any) -> str:
    return created_id(
        zoho.post(RULES, json={"workflow_rules": [rule(webhook_id, **changes)]}), "workflow_rules"
    )


def refusal(answer: requests.Response, resource: str) -> dict[str, Any]:
    """The one error of a body refusal: HTTP 400, in the resource's array envelope."""
    assert answer.status_code == 400, answer.text
    errors = answer.json()[resource]
    assert isinstance(errors, list), errors
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    assert error["status"] == "error"
    return error


# --- webhooks: create, read, list (§15.2, §15.3) --------------------------------------------------


def test_a_webhook_created_reads_back_in_full_with_its_header_values_in_clear(zoho):
    answer = zoho.post(WEBHOOKS, json={"webhooks": [webhook()]})

    assert answer.json()["webhooks"][0]["message"] == "webhook created successfully"
    webhook_id = created_id(answer, "webhooks")
    (read,) = zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"]
    assert read["id"] == webhook_id
    assert (read["name"], read["url"], read["http_method"], read["feature_type"]) == (
        "Lead converter",
        "https://hooks.example.com/lead",
        "POST",
        "workflow",
    )
    assert read["module"] == LEADS
    assert read["authentication"] == {"type": "general", "connection_name": ""}
    assert read["headers"]["custom_parameters"] == [{"name": "X-Webhook-Secret", "value": "s3cret"}]
    assert read["headers"]["module_parameters"] == []
    assert read["body"] == {"type": "raw", "format": "JSON", "raw_data_content": '{"lead_id":"${!Leads.Id}"}'}
    assert read["associated"] is False
    assert read["created_by"] == {"name": "Ava Admin", "id": "4876876000000002001"}


def test_the_list_shows_summaries_without_headers_body_or_authentication(zoho):
    webhook_id = create_webhook(zoho)

    answer = zoho.get(WEBHOOKS, params={"module": "Leads", "feature_type": "workflow"})

    assert answer.status_code == 200
    (summary,) = answer.json()["webhooks"]
    assert summary["id"] == webhook_id
    assert {"headers", "body", "authentication"} & summary.keys() == set()
    assert {"name", "url", "module", "associated", "lock_status", "modified_time"} <= summary.keys()
    assert answer.json()["info"] == {
        "per_page": 200,
        "count": 1,
        "page": 1,
        "more_records": False,
        "max_limit": 200,
    }


def test_a_webhook_is_associated_while_an_active_rule_uses_it(zoho):
    webhook_id = create_webhook(zoho)
    rule_id = create_rule(zoho, webhook_id)

    def associated() -> bool:
        return bool(zoho.get(WEBHOOKS).json()["webhooks"][0]["associated"])

    active = associated()
    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": False}}]})

    assert (active, associated()) == (True, False)


def test_the_list_filters_by_a_name_that_contains_a_text_ignoring_case(zoho):
    create_webhook(zoho, name="Lead converter")
    create_webhook(zoho, name="Deal alert")
    name_filter = {"field": {"api_name": "name"}, "comparator": "contains", "value": "CONVERT"}

    found = zoho.get(WEBHOOKS, params={"filters": json.dumps(name_filter)})
    none = zoho.get(WEBHOOKS, params={"filters": json.dumps({**name_filter, "value": "nothing"})})
    wrong = zoho.get(WEBHOOKS, params={"filters": json.dumps({**name_filter, "comparator": "equal"})})

    assert [item["name"] for item in found.json()["webhooks"]] == ["Lead converter"]
    assert none.status_code == 204
    assert (wrong.status_code, wrong.json()["details"]) == (400, {"param_name": "filters"})


def test_the_list_pages_and_is_204_when_there_are_none(zoho):
    empty = zoho.get(WEBHOOKS)
    for name in ("One", "Two", "Three"):
        create_webhook(zoho, name=name)

    first = zoho.get(WEBHOOKS, params={"per_page": 2}).json()
    second = zoho.get(WEBHOOKS, params={"per_page": 2, "page": 2}).json()
    too_many = zoho.get(WEBHOOKS, params={"per_page": 201})
    other_module = zoho.get(WEBHOOKS, params={"module": "Contacts"})
    bad_module = zoho.get(WEBHOOKS, params={"module": "Gadgets"})

    assert empty.status_code == 204
    assert [item["name"] for item in first["webhooks"]] == ["One", "Two"]
    assert first["info"]["more_records"] is True
    assert [item["name"] for item in second["webhooks"]] == ["Three"]
    assert too_many.status_code == 400
    assert other_module.status_code == 204
    assert (bad_module.status_code, bad_module.json()["code"]) == (400, "INVALID_MODULE")


def test_get_of_a_well_formed_unknown_webhook_is_204_and_of_a_malformed_id_400(zoho):
    unknown = zoho.get(f"{WEBHOOKS}/{UNKNOWN_ID}")
    malformed = zoho.get(f"{WEBHOOKS}/not-an-id")

    assert unknown.status_code == 204
    assert (malformed.status_code, malformed.json()["details"]) == (400, {"resource_path_index": 3})


# --- webhooks: update and delete (§15.3) ---------------------------------------------------------


def test_an_update_replaces_the_whole_webhook_and_omitted_keys_go_back_to_null(zoho):
    webhook_id = create_webhook(zoho)

    answer = zoho.put(
        f"{WEBHOOKS}/{webhook_id}",
        json={"webhooks": [webhook(url="https://hooks.example.com/v2", description=None, headers=None)]},
    )

    assert answer.status_code == 200
    assert answer.json()["webhooks"][0]["message"] == "webhook updated successfully"
    (read,) = zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"]
    assert read["url"] == "https://hooks.example.com/v2"
    assert (read["description"], read["headers"]) == (None, None)
    assert read["body"]["type"] == "raw"


def test_an_update_can_name_the_webhook_in_the_body_instead_of_the_path(zoho):
    webhook_id = create_webhook(zoho)

    updated = zoho.put(WEBHOOKS, json={"webhooks": [{**webhook(name="Renamed"), "id": webhook_id}]})
    unknown = zoho.put(WEBHOOKS, json={"webhooks": [{**webhook(), "id": UNKNOWN_ID}]})

    assert updated.status_code == 200
    assert zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"][0]["name"] == "Renamed"
    assert refusal(unknown, "webhooks")["details"] == {"api_name": "id", "json_path": "$.webhooks[0].id"}


def test_a_webhook_cannot_move_to_another_module(zoho):
    webhook_id = create_webhook(zoho)

    answer = zoho.put(f"{WEBHOOKS}/{webhook_id}", json={"webhooks": [webhook(module=CONTACTS)]})

    error = refusal(answer, "webhooks")
    assert (error["code"], error["details"]["json_path"]) == ("NOT_ALLOWED", "$.webhooks[0].module")
    assert zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"][0]["module"] == LEADS


def test_an_update_of_an_unknown_webhook_is_a_root_invalid_data_naming_the_path_segment(zoho):
    answer = zoho.put(f"{WEBHOOKS}/{UNKNOWN_ID}", json={"webhooks": [webhook()]})

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "INVALID_DATA",
        "details": {"resource_path_index": 3},
        "message": "the given id seems to be invalid",
        "status": "error",
    }


def test_a_webhook_is_deleted_by_id(zoho):
    webhook_id = create_webhook(zoho)

    deleted = zoho.delete(f"{WEBHOOKS}/{webhook_id}")
    again = zoho.delete(f"{WEBHOOKS}/{webhook_id}")

    assert deleted.status_code == 200
    assert deleted.json()["webhooks"][0] == {
        "code": "SUCCESS",
        "details": {"id": webhook_id},
        "message": "Webhook is deleted",
        "status": "success",
    }
    assert zoho.get(f"{WEBHOOKS}/{webhook_id}").status_code == 204
    assert (again.status_code, again.json()["details"]) == (400, {"resource_path_index": 3})


def test_deleting_a_webhook_an_active_rule_uses_is_not_allowed_until_the_rule_goes(zoho):
    webhook_id = create_webhook(zoho)
    rule_id = create_rule(zoho, webhook_id)

    refused = zoho.delete(f"{WEBHOOKS}/{webhook_id}")
    zoho.delete(f"{RULES}/{rule_id}")
    deleted = zoho.delete(f"{WEBHOOKS}/{webhook_id}")

    assert refused.status_code == 400
    assert refused.json() == {
        "code": "NOT_ALLOWED",
        "details": {"resource_path_index": 3},
        "message": ASSOCIATED,
        "status": "error",
    }
    assert deleted.status_code == 200


def test_an_inactive_rule_still_blocks_deleting_its_webhook(zoho):
    """§15.11 item 6 leaves it open: the emulator refuses (the riskier reading)."""
    webhook_id = create_webhook(zoho)
    rule_id = create_rule(zoho, webhook_id)
    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": False}}]})

    answer = zoho.delete(f"{WEBHOOKS}/{webhook_id}")

    assert (answer.status_code, answer.json()["code"]) == (400, "NOT_ALLOWED")


def test_a_bulk_delete_answers_per_id_and_207_when_some_fail(zoho):
    used = create_webhook(zoho, name="Used")
    free = create_webhook(zoho, name="Free")
    create_rule(zoho, used)

    answer = zoho.delete(WEBHOOKS, params={"ids": f"{free},{used},{UNKNOWN_ID}"})
    too_many = zoho.delete(WEBHOOKS, params={"ids": ",".join([free] * 11)})
    missing = zoho.delete(WEBHOOKS)

    assert answer.status_code == 207
    assert [(item["code"], item["details"]["id"]) for item in answer.json()["webhooks"]] == [
        ("SUCCESS", free),
        ("NOT_ALLOWED", used),
        ("INVALID_DATA", UNKNOWN_ID),
    ]
    assert (too_many.status_code, too_many.json()["details"]) == (400, {"param_name": "ids", "limit": 10})
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")


# --- webhooks: what create and update refuse (§15.2) -----------------------------------------------


@pytest.mark.parametrize("key", ["name", "module", "url", "http_method", "authentication", "feature_type"])
def test_a_webhook_without_a_mandatory_key_is_mandatory_not_found_naming_it(zoho, key):
    answer = zoho.post(WEBHOOKS, json={"webhooks": [webhook(**{key: None})]})

    error = refusal(answer, "webhooks")
    assert error["code"] == "MANDATORY_NOT_FOUND"
    assert error["details"] == {"api_name": key, "json_path": f"$.webhooks[0].{key}"}


def test_headers_without_module_parameters_are_refused_as_a_single_object(zoho):
    """§7.1: `module_parameters` must be present, even as []; OAS-new's answer is the second
    envelope of §15.0, one object rather than an array."""
    headers = {"custom_parameters": [{"name": "X-Webhook-Secret", "value": "s3cret"}]}

    answer = zoho.post(WEBHOOKS, json={"webhooks": [webhook(headers=headers)]})

    assert answer.status_code == 400
    assert answer.json() == {
        "webhooks": {
            "code": "MANDATORY_NOT_FOUND",
            "details": {
                "api_name": "module_parameters",
                "json_path": "$.webhooks[0].headers.module_parameters",
            },
            "message": "Required field is missing",
            "status": "error",
        }
    }


@pytest.mark.parametrize(("method", "key"), [("GET", "body"), ("DELETE", "body"), ("GET", "headers")])
def test_a_key_the_method_does_not_take_is_dependent_mismatch(zoho, method, key):
    changes: dict[str, Any] = {"http_method": method}
    if method == "GET":  # the other key is refused on GET too: leave it out
        changes["headers" if key == "body" else "body"] = None

    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(**changes)]}), "webhooks")

    assert error["code"] == "DEPENDENT_MISMATCH"
    assert error["details"] == {
        "dependee": {"api_name": key, "json_path": f"$.webhooks[0].{key}"},
        "api_name": "http_method",
        "json_path": "$.webhooks[0].http_method",
    }


def test_a_get_webhook_without_body_or_headers_is_created(zoho):
    webhook_id = create_webhook(zoho, http_method="GET", body=None, headers=None)

    assert zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"][0]["http_method"] == "GET"


@pytest.mark.parametrize(
    ("changes", "json_path"),
    [
        (
            {"body": {"type": "raw", "format": "JSON", "raw_data_content": '{"id":"${!Leads.Lead_Id}"}'}},
            "$.webhooks[0].body.raw_data_content",
        ),
        (
            {"body": {"type": "raw", "format": "JSON", "raw_data_content": '{"id":"${!Leads.id}"}'}},
            "$.webhooks[0].body.raw_data_content",
        ),
        (
            {"body": {"type": "raw", "format": "JSON", "raw_data_content": '{"id":"${!Deals.Id}"}'}},
            "$.webhooks[0].body.raw_data_content",
        ),
        (
            {"headers": {"module_parameters": [{"name": "X-Status", "value": "${!Leads.Status}"}]}},
            "$.webhooks[0].headers.module_parameters[0].value",
        ),
        ({"url": "https://hooks.example.com/${!Leads.Nope}"}, "$.webhooks[0].url"),
    ],
    ids=["unknown field", "lower-case id", "another module", "module parameter", "url"],
)
def test_a_merge_field_naming_no_field_of_the_module_is_unsupported(zoho, changes, json_path):
    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(**changes)]}), "webhooks")

    assert (error["code"], error["message"]) == ("INVALID_DATA", "Unsupported fields are present")
    assert error["details"]["json_path"] == json_path


def test_merge_fields_of_the_modules_fields_and_id_are_taken(zoho):
    headers = {
        "module_parameters": [{"name": "X-Lead-Email", "value": "${!Leads.Email}"}],
        "custom_parameters": [{"name": "X-Webhook-Secret", "value": "s3cret"}],
    }
    body = {
        "type": "raw",
        "format": "JSON",
        "raw_data_content": '{"id":"${!Leads.Id}","s":"${!Leads.Lead_Status}"}',
    }

    webhook_id = create_webhook(zoho, headers=headers, body=body, url="https://h.example.com/${!Leads.Id}")

    assert zoho.get(f"{WEBHOOKS}/{webhook_id}").status_code == 200


@pytest.mark.parametrize(
    ("changes", "code", "json_path"),
    [
        ({"name": "x" * 51}, "INVALID_DATA", "$.webhooks[0].name"),
        ({"name": "Lead converter #1"}, "INVALID_DATA", "$.webhooks[0].name"),
        ({"name": "Lead-converter"}, "INVALID_DATA", "$.webhooks[0].name"),
        ({"url": "ftp://hooks.example.com/lead"}, "INVALID_DATA", "$.webhooks[0].url"),
        ({"url": "www.hooks.example.com/lead"}, "INVALID_DATA", "$.webhooks[0].url"),
        ({"url": ""}, "INVALID_DATA", "$.webhooks[0].url"),
        ({"url": "https://hooks.example.com/" + "x" * 250}, "INVALID_DATA", "$.webhooks[0].url"),
        ({"http_method": "PATCH"}, "INVALID_DATA", "$.webhooks[0].http_method"),
        ({"feature_type": "workflows"}, "INVALID_DATA", "$.webhooks[0].feature_type"),
        ({"description": "d" * 201}, "INVALID_DATA", "$.webhooks[0].description"),
        (
            {"body": {"type": "raw", "format": "JSON"}},
            "DEPENDENT_FIELD_MISSING",
            "$.webhooks[0].body.raw_data_content",
        ),
        (
            {"body": {"type": "raw", "format": "YAML", "raw_data_content": "x"}},
            "INVALID_DATA",
            "$.webhooks[0].body.format",
        ),
        (
            {"body": {"type": "form_data", "format": None}},
            "DEPENDENT_FIELD_MISSING",
            "$.webhooks[0].body.form_data_content",
        ),
        (
            {"authentication": {"type": "general", "connection_name": "crm_connection"}},
            "DEPENDENT_MISMATCH",
            "$.webhooks[0].authentication.type",
        ),
        (
            {"authentication": {"type": "connection", "connection_name": "crm_connection"}},
            "INVALID_DATA",
            "$.webhooks[0].authentication.connection_name",
        ),
        (
            {"headers": {"module_parameters": [], "custom_parameters": [{"name": "Host", "value": "x"}]}},
            "INVALID_DATA",
            "$.webhooks[0].headers.custom_parameters[0].name",
        ),
        (
            {"headers": {"module_parameters": [], "custom_parameters": [{"name": "X-Secret"}]}},
            "MANDATORY_NOT_FOUND",
            "$.webhooks[0].headers.custom_parameters[0].value",
        ),
        (
            {"module": {"api_name": "Leads", "id": MODULE_IDS["Contacts"]}},
            "AMBIGUITY_DURING_PROCESSING",
            None,
        ),
        ({"module": {}}, "EXPECTED_FIELD_MISSING", None),
        ({"module": {"api_name": "Gadgets"}}, "INVALID_DATA", "$.webhooks[0].module.api_name"),
        ({"module": {"api_name": "Notes"}}, "NOT_ALLOWED", "$.webhooks[0].module.api_name"),
    ],
)
def test_a_webhook_the_reference_refuses_is_refused_naming_the_key(zoho, changes, code, json_path):
    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(**changes)]}), "webhooks")

    assert error["code"] == code
    if json_path is not None:
        assert error["details"]["json_path"] == json_path
    assert zoho.get(WEBHOOKS).status_code == 204


def test_the_module_id_and_name_disagreeing_names_both(zoho):
    changes = {"module": {"api_name": "Leads", "id": MODULE_IDS["Contacts"]}}

    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(**changes)]}), "webhooks")

    assert error["details"] == {
        "ambiguity_due_to": [
            {"api_name": "id", "json_path": "$.webhooks[0].module.id"},
            {"api_name": "api_name", "json_path": "$.webhooks[0].module.api_name"},
        ]
    }


@pytest.mark.parametrize(("collection", "limit"), [("custom_parameters", 10), ("module_parameters", 25)])
def test_too_many_header_parameters_are_limit_exceeded(zoho, collection, limit):
    parameters = [{"name": f"X-P{n}", "value": "${!Leads.Id}"} for n in range(limit + 1)]
    headers = {"module_parameters": [], collection: parameters}

    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(headers=headers)]}), "webhooks")

    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"] == {
        "api_name": collection,
        "limit": limit,
        "json_path": f"$.webhooks[0].headers.{collection}",
    }


def test_header_names_must_be_unique_whatever_their_case(zoho):
    headers = {
        "module_parameters": [{"name": "x-webhook-secret", "value": "${!Leads.Id}"}],
        "custom_parameters": [{"name": "X-Webhook-Secret", "value": "s3cret"}],
    }

    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook(headers=headers)]}), "webhooks")

    assert error["code"] == "DUPLICATE_DATA"
    assert error["details"]["json_path"] == "$.webhooks[0].headers.module_parameters[0].name"


def test_a_second_webhook_of_the_same_name_is_duplicate_data(zoho):
    create_webhook(zoho)

    error = refusal(zoho.post(WEBHOOKS, json={"webhooks": [webhook()]}), "webhooks")

    assert (error["code"], error["details"]["json_path"]) == ("DUPLICATE_DATA", "$.webhooks[0].name")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MANDATORY_NOT_FOUND"),
        ({"webhooks": []}, "MANDATORY_NOT_FOUND"),
        ({"webhooks": {}}, "INVALID_DATA"),
        ({"webhooks": [webhook(), webhook(name="Second")]}, "LIMIT_EXCEEDED"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_root_error(zoho, body, code):
    answer = zoho.post(WEBHOOKS, json=body)

    assert (answer.status_code, answer.json()["code"]) == (400, code)


# --- workflow rules (§15.4, §15.5) ----------------------------------------------------------------


def test_a_rule_created_is_active_and_reads_back_with_the_server_s_additions(zoho):
    webhook_id = create_webhook(zoho)

    answer = zoho.post(RULES, json={"workflow_rules": [rule(webhook_id)]})

    assert answer.json()["workflow_rules"][0]["message"] == "workflow created"
    rule_id = created_id(answer, "workflow_rules")
    (read,) = zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"]
    assert (read["id"], read["name"], read["status"]) == (
        rule_id,
        "Lead converter qualified leads",
        {"active": True},
    )
    assert read["execute_when"] == {
        "type": "create_or_edit",
        "details": {"trigger_module": LEADS, "repeat": False},
    }
    (condition,) = read["conditions"]
    assert condition["id"].isdigit()
    assert condition["sequence_number"] == 1
    assert condition["criteria_details"]["criteria"] == {
        "comparator": "in",
        "field": {"api_name": "Lead_Status", "id": stable_id("Leads", "Lead_Status")},
        "type": "value",
        "value": ["Qualified"],
    }
    assert condition["instant_actions"]["actions"] == [
        {"id": webhook_id, "type": "webhooks", "name": "Lead converter"}
    ]
    assert read["lock"] == {"locked_by": None, "message": None, "status": False}


def test_an_edit_rule_without_repeat_is_dependent_field_missing(zoho):
    webhook_id = create_webhook(zoho)
    body = rule(webhook_id, execute_when={"type": "edit", "details": {}})

    error = refusal(zoho.post(RULES, json={"workflow_rules": [body]}), "workflow_rules")

    assert error == {
        "code": "DEPENDENT_FIELD_MISSING",
        "details": {
            "dependee": {"api_name": "type", "json_path": "$.workflow_rules[0].execute_when.type"},
            "api_name": "repeat",
            "json_path": "$.workflow_rules[0].execute_when.details.repeat",
        },
        "message": "Dependent Field missing",
        "status": "error",
    }


def test_a_create_rule_needs_no_repeat(zoho):
    webhook_id = create_webhook(zoho)

    rule_id = create_rule(zoho, webhook_id, execute_when={"type": "create"})

    assert zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"][0]["execute_when"]["type"] == "create"


@pytest.mark.parametrize(
    ("changes", "code", "json_path"),
    [
        ({"status": {"active": True}}, "INVALID_DATA", "$.workflow_rules[0].status.active"),
        ({"name": None}, "MANDATORY_NOT_FOUND", "$.workflow_rules[0].name"),
        ({"name": "Lead converter: qualified"}, "INVALID_DATA", "$.workflow_rules[0].name"),
        ({"module": {"api_name": "Leads"}}, "MANDATORY_NOT_FOUND", "$.workflow_rules[0].module.id"),
        ({"execute_when": None}, "MANDATORY_NOT_FOUND", "$.workflow_rules[0].execute_when"),
        ({"execute_when": "create"}, "INVALID_DATA", "$.workflow_rules[0].execute_when"),
        ({"execute_when": {"type": "delete"}}, "INVALID_DATA", "$.workflow_rules[0].execute_when.type"),
        ({"conditions": []}, "MANDATORY_NOT_FOUND", "$.workflow_rules[0].conditions"),
    ],
)
def test_a_rule_the_reference_refuses_is_refused_naming_the_key(zoho, changes, code, json_path):
    webhook_id = create_webhook(zoho)

    error = refusal(
        zoho.post(RULES, json={"workflow_rules": [rule(webhook_id, **changes)]}), "workflow_rules"
    )

    assert (error["code"], error["details"]["json_path"]) == (code, json_path)
    assert zoho.get(RULES).status_code == 204


def condition(webhook_id: str, criteria: Any = QUALIFIED, number: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "sequence_number": number,
        "criteria_details": {"criteria": criteria},
        "instant_actions": {"actions": [{"type": "webhooks", "id": webhook_id}]},
        **changes,
    }


def test_an_action_naming_no_webhook_is_invalid_data(zoho):
    body = rule(UNKNOWN_ID)

    error = refusal(zoho.post(RULES, json={"workflow_rules": [body]}), "workflow_rules")

    assert error["code"] == "INVALID_DATA"
    assert error["details"]["json_path"] == "$.workflow_rules[0].conditions[0].instant_actions.actions[0].id"


def test_a_rule_fires_at_most_one_webhook(zoho):
    """§15.6: the Leads sample allows 1 webhook action per rule."""
    first, second = create_webhook(zoho, name="First"), create_webhook(zoho, name="Second")
    conditions = [condition(first), condition(second, number=2)]

    error = refusal(
        zoho.post(RULES, json={"workflow_rules": [rule(first, conditions=conditions)]}), "workflow_rules"
    )

    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"] == {
        "api_name": "actions",
        "limit": 1,
        "json_path": "$.workflow_rules[0].conditions[1].instant_actions.actions",
    }


@pytest.mark.parametrize(
    ("criteria", "json_path"),
    [
        (
            {"field": {"api_name": "Lead_Stage"}, "comparator": "equal", "value": "Qualified"},
            "field.api_name",
        ),
        ({"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "Hot"}, "value"),
        ({"field": {"api_name": "Lead_Status"}, "comparator": "like", "value": "Qual*"}, "comparator"),
        ({"field": {"api_name": "Annual_Revenue"}, "comparator": "greater_equal", "value": "5"}, "value"),
        ({"field": {"api_name": "Lead_Status"}, "comparator": "in", "value": "Qualified"}, "value"),
        ({"group_operator": "AND", "group": [QUALIFIED]}, "group"),
        ({"group_operator": "XOR", "group": [QUALIFIED, QUALIFIED]}, "group_operator"),
    ],
    ids=[
        "unknown field",
        "no such option",
        "not emulated",
        "text for a number",
        "in a scalar",
        "one-item group",
        "operator",
    ],
)
def test_criteria_the_grammar_refuses_are_invalid_data(zoho, criteria, json_path):
    webhook_id = create_webhook(zoho)
    body = rule(webhook_id, conditions=[condition(webhook_id, criteria)])

    error = refusal(zoho.post(RULES, json={"workflow_rules": [body]}), "workflow_rules")

    assert error["code"] == "INVALID_DATA"
    assert (
        error["details"]["json_path"]
        == f"$.workflow_rules[0].conditions[0].criteria_details.criteria.{json_path}"
    )


SOURCE_ID = stable_id("Leads", "Lead_Source")
HOUSTON = "Houston"  # the display value; "Houston Showroom" is the actual one


def test_criteria_take_groups_empty_tests_and_a_picklist_option_by_display_or_actual_value(zoho):
    webhook_id = create_webhook(zoho)
    criteria = {
        "group_operator": "or",
        "group": [
            {"field": {"api_name": "Lead_Source", "id": SOURCE_ID}, "comparator": "equal", "value": HOUSTON},
            {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Houston Showroom"},
            {"group_operator": "AND", "group": [
                {"field": {"api_name": "Email"}, "comparator": "equal", "value": "${NOTEMPTY}"},
                {"field": {"api_name": "Annual_Revenue"}, "comparator": "greater_equal", "value": 100000},
            ]},
        ],
    }  # fmt: skip

    rule_id = create_rule(zoho, webhook_id, conditions=[condition(webhook_id, criteria)])

    read = zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"][0]
    assert read["conditions"][0]["criteria_details"]["criteria"]["group_operator"] == "OR"


def test_the_rule_list_filters_and_adds_inner_details_when_asked(zoho):
    webhook_id = create_webhook(zoho)
    first = create_rule(zoho, webhook_id, name="Qualified leads")
    second = create_rule(zoho, webhook_id, name="Other leads")
    zoho.put(f"{RULES}/{second}", json={"workflow_rules": [{"status": {"active": False}}]})
    name_filter = {"field": {"api_name": "name"}, "comparator": "contains", "value": "qualified"}

    everything = zoho.get(RULES, params={"module": "Leads"}).json()
    active = zoho.get(RULES, params={"status_active": "true"}).json()
    named = zoho.get(
        RULES, params={"filter": json.dumps(name_filter), "include_inner_details": "true"}
    ).json()
    edits = zoho.get(RULES, params={"execute_on": "edit"})

    assert [item["id"] for item in everything["workflow_rules"]] == [first, second]
    assert "conditions" not in everything["workflow_rules"][0]
    assert [item["id"] for item in active["workflow_rules"]] == [first]
    assert [item["id"] for item in named["workflow_rules"]] == [first]
    assert named["workflow_rules"][0]["conditions"][0]["instant_actions"]["actions"][0]["id"] == webhook_id
    assert (edits.status_code, edits.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")


def test_a_rule_is_deactivated_and_activated_by_an_update_of_its_status(zoho):
    rule_id = create_rule(zoho, create_webhook(zoho))

    def active() -> bool:
        return bool(zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"][0]["status"]["active"])

    off = zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": False}}]})
    after_off = active()
    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": True}}]})

    assert off.status_code == 200
    assert off.json()["workflow_rules"][0]["message"] == "workflow updated"
    assert (after_off, active()) == (False, True)


def test_an_update_is_partial_and_replaces_adds_and_removes_conditions(zoho):
    webhook_id = create_webhook(zoho)
    rule_id = create_rule(zoho, webhook_id)
    (old,) = zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"][0]["conditions"]
    contacted = {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "Contacted"}
    no_action = {"sequence_number": 2, "criteria_details": {"criteria": None}}

    replaced = zoho.put(
        f"{RULES}/{rule_id}",
        json={
            "workflow_rules": [
                {"name": "Renamed", "conditions": [condition(webhook_id, contacted, id=old["id"])]}
            ]
        },
    )
    read = zoho.get(f"{RULES}/{rule_id}").json()["workflow_rules"][0]
    refused = zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"conditions": [no_action]}]})
    emptied = zoho.put(
        f"{RULES}/{rule_id}", json={"workflow_rules": [{"conditions": [{"id": old["id"], "_delete": None}]}]}
    )

    assert replaced.status_code == 200
    assert read["name"] == "Renamed"
    assert read["execute_when"]["details"]["repeat"] is False  # not sent: kept
    assert [c["criteria_details"]["criteria"]["value"] for c in read["conditions"]] == ["Contacted"]
    assert read["conditions"][0]["id"] == old["id"]
    assert (
        refusal(refused, "workflow_rules")["details"]["json_path"]
        == "$.workflow_rules[0].conditions[0].instant_actions"
    )
    assert refusal(emptied, "workflow_rules")["code"] == "CANNOT_REMOVE"


def test_an_update_cannot_move_the_rule_to_another_module_or_name_an_unknown_condition(zoho):
    rule_id = create_rule(zoho, create_webhook(zoho))

    moved = zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"module": CONTACTS}]})
    unknown = zoho.put(
        f"{RULES}/{rule_id}", json={"workflow_rules": [{"conditions": [{"id": UNKNOWN_ID, "_delete": None}]}]}
    )

    assert refusal(moved, "workflow_rules")["code"] == "NOT_ALLOWED"
    assert (
        refusal(unknown, "workflow_rules")["details"]["json_path"] == "$.workflow_rules[0].conditions[0].id"
    )


def test_an_unknown_rule_is_refused_by_get_update_and_delete(zoho):
    """Whether get answers 204 or 400 is UNVERIFIED (§15.11 item 7): the emulator refuses."""
    root = {"code": "INVALID_DATA", "details": {"resource_path_index": 3}}

    answers = [
        zoho.get(f"{RULES}/{UNKNOWN_ID}"),
        zoho.put(f"{RULES}/{UNKNOWN_ID}", json={"workflow_rules": [{"name": "x"}]}),
        zoho.delete(f"{RULES}/{UNKNOWN_ID}"),
    ]

    assert [(a.status_code, {k: a.json()[k] for k in root}) for a in answers] == [(400, root)] * 3


def test_rules_are_deleted_by_id_and_in_bulk(zoho):
    webhook_id = create_webhook(zoho)
    one, two, three = (create_rule(zoho, webhook_id, name=name) for name in ("One", "Two", "Three"))

    single = zoho.delete(f"{RULES}/{one}")
    bulk = zoho.delete(RULES, params={"ids": f"{two},{three}"})

    assert single.json()["workflow_rules"][0]["message"] == "workflow deleted"
    assert bulk.status_code == 200
    assert zoho.get(RULES).status_code == 204


# --- webhook failures (§15.7) and workflow configurations (§15.6) ----------------------------------


def test_webhook_failures_are_204_when_there_are_none_and_refuse_a_future_date(emulator, zoho):
    tomorrow = emulator.clock.now().date() + timedelta(days=1)

    none = zoho.get(FAILURES)
    future = zoho.get(FAILURES, params={"to": tomorrow.isoformat()})
    not_a_date = zoho.get(FAILURES, params={"from": "21/10/2025"})
    unknown_webhook = zoho.get(FAILURES, params={"webhook_id": UNKNOWN_ID})

    assert none.status_code == 204
    assert (future.status_code, future.json()["code"]) == (400, "INVALID_DATA")
    assert future.json()["details"] == {"param_name": "to", "expected_data_type": "datetime"}
    assert not_a_date.json()["details"]["param_name"] == "from"
    assert unknown_webhook.json()["details"] == {"param_name": "webhook_id"}


def test_workflow_configurations_list_the_emulated_triggers_each_allowing_webhooks(zoho):
    answer = zoho.get("workflow_configurations", params={"module": "Leads"})
    missing = zoho.get("workflow_configurations")
    unknown = zoho.get("workflow_configurations", params={"module": "Gadgets"})

    configuration = answer.json()["workflow_configurations"]
    assert [trigger["api_name"] for trigger in configuration["triggers"]] == [
        "create",
        "create_or_edit",
        "edit",
        "field_update",
    ]
    assert all("webhooks" in trigger["actions"] for trigger in configuration["triggers"])
    assert [(action["api_name"], action["limit"]) for action in configuration["actions"]] == [("webhooks", 1)]
    assert (missing.status_code, missing.json()["details"]) == (400, {"param_name": "module"})
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_MODULE")


# --- versions, scopes and the Manage Workflow permission (§15.0, §15.1) -----------------------------


@pytest.mark.parametrize("path", [WEBHOOKS, RULES, FAILURES, "workflow_configurations?module=Leads"])
def test_the_automation_apis_are_v8_only(emulator, zoho, path):
    v7 = Zoho(emulator, version="v7", token=zoho.token)

    answer = v7.get(path)

    assert (answer.status_code, answer.json()["code"]) == (404, "INVALID_URL_PATTERN")


def test_the_default_grant_reads_webhooks_and_failures_but_changes_nothing(zoho, emulator):
    """DEFAULT_GRANT is the README's self-client scopes (the sweep reads the webhook's failures);
    `automation=True` adds AUTOMATION_GRANT, what the setup commands need."""
    emulator.grant_scopes(DEFAULT_GRANT)

    reads = [zoho.get(WEBHOOKS), zoho.get(FAILURES)]
    refused = [zoho.get(RULES), zoho.post(WEBHOOKS, json={"webhooks": [webhook()]})]

    assert [answer.status_code for answer in reads] == [204, 204]
    assert [(a.status_code, a.json()["code"]) for a in refused] == [(401, "OAUTH_SCOPE_MISMATCH")] * 2


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        ({"ZohoCRM.settings.automation_actions.READ"}, {WEBHOOKS, FAILURES}),
        ({"ZohoCRM.settings.automation_actions.ALL"}, {WEBHOOKS, FAILURES}),
        ({"ZohoCRM.settings.workflow_rules.READ"}, {RULES}),
        ({"ZohoCRM.settings.workflow_rules.ALL"}, {RULES}),
        ({"ZohoCRM.settings.ALL"}, {WEBHOOKS, FAILURES, RULES}),
        ({"ZohoCRM.settings.automation_actions.CREATE"}, set()),
    ],
)
def test_each_read_needs_its_area_s_read_scope_or_a_broader_one(emulator, zoho, scopes, allowed):
    emulator.grant_scopes(scopes)

    statuses = {path: zoho.get(path).status_code for path in (WEBHOOKS, RULES, FAILURES)}

    assert {path for path, status in statuses.items() if status != 401} == allowed


def test_creating_needs_the_create_scope(emulator, zoho):
    emulator.grant_scopes(AUTOMATION_GRANT - {"ZohoCRM.settings.automation_actions.CREATE"})

    answer = zoho.post(WEBHOOKS, json={"webhooks": [webhook()]})

    assert (answer.status_code, answer.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")


def test_without_manage_workflow_every_automation_call_is_403_and_changes_nothing(emulator, zoho):
    webhook_id = create_webhook(zoho)
    emulator.revoke_permissions(MANAGE_WORKFLOW)

    answers = [
        zoho.get(WEBHOOKS),
        zoho.post(WEBHOOKS, json={"webhooks": [webhook(name="Another")]}),
        zoho.delete(f"{WEBHOOKS}/{webhook_id}"),
        zoho.post(RULES, json={"workflow_rules": [rule(webhook_id)]}),
        zoho.get(FAILURES),
        zoho.get("workflow_configurations", params={"module": "Leads"}),
    ]
    emulator.grant_permissions(MANAGE_WORKFLOW)

    assert {answer.status_code for answer in answers} == {403}
    assert answers[0].json() == {
        "code": "NO_PERMISSION",
        "details": {"permissions": [MANAGE_WORKFLOW]},
        "message": "permission denied",
        "status": "error",
    }
    assert [item["id"] for item in zoho.get(WEBHOOKS).json()["webhooks"]] == [webhook_id]
    assert zoho.get(RULES).status_code == 204


def test_manage_workflow_is_granted_by_default_and_again_on_reset(emulator):
    emulator.revoke_permissions(MANAGE_WORKFLOW)
    emulator.reset()
    with ZohoEmulator(credentials=CREDENTIALS) as plain:
        plain_permissions, plain_scopes = plain.permissions, plain.granted_scopes()

    assert emulator.permissions == {CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW}
    assert emulator.granted_scopes() == DEFAULT_GRANT | AUTOMATION_GRANT
    assert plain_permissions == {CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW}
    assert plain_scopes == DEFAULT_GRANT


def test_the_control_api_grants_and_revokes_manage_workflow(emulator, zoho):
    revoked = control(emulator, "POST", "permissions", {"revoke": [MANAGE_WORKFLOW]})
    refused = zoho.get(WEBHOOKS)
    control(emulator, "POST", "permissions", {"grant": [MANAGE_WORKFLOW]})

    assert revoked.json() == {"permissions": [CONVERT_LEADS, MASS_CONVERT_LEADS]}
    assert refused.status_code == 403
    assert zoho.get(WEBHOOKS).status_code == 204


def test_automation_calls_cost_a_credit_each_and_are_journaled(emulator, zoho):
    add_lead(emulator)
    emulator.clear_journal()

    zoho.get(WEBHOOKS)
    zoho.post(WEBHOOKS, json={"webhooks": [webhook()]})

    assert emulator.credits()["endpoints"] == {
        "GET settings/automation/webhooks": {"calls": 1, "credits": 1},
        "POST settings/automation/webhooks": {"calls": 1, "credits": 1},
    }
