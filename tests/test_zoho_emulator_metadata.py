"""Org setup endpoints (metadata_endpoints.py, layouts.py, pipelines.py): users, org, fields,
layouts, pipelines, tags and modules, in the shapes of zoho-crm-api.md §13, and their refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.zoho_emulator import ZohoEmulator
from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, record_error
from tests.zoho_emulator.testing import demo as demo
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

LEADS_LAYOUT = "4876876000000091055"
DEALS_LAYOUT = "4876876000000091023"
RENEWALS_LAYOUT = "4876876000000091031"
STANDARD_PIPELINE = "4876876000000092001"
AVA, SAM, RIYA, DANA, NICO = (f"487687600000000200{n}" for n in range(1, 6))


@pytest.fixture
def org(demo: ZohoEmulator) -> Iterator[Zoho]:
    """A v8 client of the demo org."""
    client = Zoho(demo)
    yield client
    client.session.close()


def by_name(items: list[dict[str, Any]], key: str = "api_name") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def fields_of(client: Zoho, module: str, **params: str) -> dict[str, dict[str, Any]]:
    answer = client.get("settings/fields", params={"module": module, **params})
    assert answer.status_code == 200, answer.text
    return by_name(answer.json()["fields"])


def error(answer: Any, status: int = 400) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --- fields (§13.1) ---------------------------------------------------------------------------


def test_fields_are_the_used_ones_unless_the_type_asks_for_all_or_unused(zoho):
    used = fields_of(zoho, "Leads")
    every = fields_of(zoho, "Leads", type="all")
    unused = fields_of(zoho, "Leads", type="unused")
    explicit = fields_of(zoho, "Leads", type="used")

    assert "Skype_ID" not in used
    assert set(unused) == {"Skype_ID"}
    assert unused["Skype_ID"]["type"] == "unused"
    assert set(every) == set(used) | {"Skype_ID"}
    assert set(explicit) == set(used)
    assert {field["type"] for field in used.values()} == {"used"}


def test_a_field_type_other_than_all_used_or_unused_is_refused(zoho):
    body = error(zoho.get("settings/fields", params={"module": "Leads", "type": "some"}))

    assert (body["code"], body["details"]) == ("INVALID_DATA", {"param_name": "type"})


def test_no_field_of_the_asked_type_is_no_content(zoho):
    assert zoho.get("settings/fields", params={"module": "Contacts", "type": "unused"}).status_code == 204


def test_v2_has_no_type_parameter_and_answers_the_used_fields(emulator):
    fields = fields_of(Zoho(emulator, version="v2"), "Leads", type="all")

    assert "Skype_ID" not in fields


def test_fields_carry_data_type_and_json_type_in_zohos_pairs(zoho):
    leads = fields_of(zoho, "Leads", type="all")
    deals = fields_of(zoho, "Deals", type="all")

    pairs = {name: (field["data_type"], field["json_type"]) for name, field in leads.items()}
    assert pairs["Annual_Revenue"] == ("currency", "double")
    assert pairs["Lead_Status"] == ("picklist", "string")
    assert pairs["Owner"] == ("ownerlookup", "jsonobject")
    assert pairs["Converted__s"] == ("boolean", "boolean")
    assert pairs["Modified_Time"] == ("datetime", "string")
    assert (deals["Closing_Date"]["data_type"], deals["Closing_Date"]["json_type"]) == ("date", "string")
    assert deals["Expected_Revenue"]["formula"]["return_type"] == "currency"


def test_leads_have_a_custom_multi_select_picklist_in_their_layout(zoho):
    field = fields_of(zoho, "Leads")["Product_Interest"]
    (standard,) = layouts(zoho, "Leads").values()

    assert (field["data_type"], field["json_type"], field["custom_field"]) == (
        "multiselectpicklist",
        "jsonarray",
        True,
    )
    assert [value["actual_value"] for value in field["pick_list_values"]] == [
        "CRM",
        "Analytics",
        "Support",
        "Training",
    ]
    assert fields_of(zoho, "Leads")["Lead_Status"]["custom_field"] is False
    assert "Product_Interest" in layout_fields(standard)


def test_picklist_options_have_a_display_and_an_actual_value_and_may_be_unused(zoho):
    options = by_name(fields_of(zoho, "Leads")["Lead_Source"]["pick_list_values"], "actual_value")

    assert options["Houston Showroom"]["display_value"] == "Houston"
    assert options["Partner"]["display_value"] == "Partner"
    assert options["Yellow Pages"]["type"] == "unused"
    assert options["Partner"]["type"] == "used"
    assert {"id", "sequence_number", "reference_value", "colour_code"} <= set(options["Partner"])


def test_fields_say_whether_the_api_may_set_them(zoho):
    leads = fields_of(zoho, "Leads")
    deals = fields_of(zoho, "Deals")

    assert leads["Company"]["operation_type"] == {
        "web_update": True,
        "api_create": True,
        "web_create": True,
        "api_update": True,
    }
    assert (leads["Company"]["read_only"], leads["Company"]["field_read_only"]) == (False, False)
    for computed in (leads["Created_Time"], deals["Expected_Revenue"]):
        assert computed["read_only"] is computed["field_read_only"] is True
        assert computed["operation_type"]["api_create"] is False
    assert [name for name, field in deals.items() if field["system_mandatory"]] == [
        "Deal_Name",
        "Closing_Date",
        "Stage",
        "Pipeline",
    ]


def test_lead_fields_name_where_a_conversion_copies_them(zoho):
    leads = fields_of(zoho, "Leads")

    assert leads["Company"]["convert_mapping"] == {
        "Contacts": None,
        "Deals": None,
        "Accounts": "Account_Name",
    }
    assert leads["Lead_Source"]["convert_mapping"]["Deals"] == "Lead_Source"
    assert leads["Email"]["convert_mapping"]["Contacts"] == "Email"
    assert "convert_mapping" not in leads["Lead_Status"]


def test_deal_stage_options_are_every_stage_and_pipeline_options_map_their_own(emulator, zoho):
    deals = fields_of(zoho, "Deals")
    stages = by_name(deals["Stage"]["pick_list_values"], "actual_value")
    (standard, partner) = deals["Pipeline"]["pick_list_values"]

    assert stages["Id. Decision Makers"]["display_value"] == "Identify Decision Makers"
    assert stages["Closed Won"]["forecast_type"] == "Closed Won"
    assert set(stages) == {stage for all_stages in emulator.crm.pipelines.values() for stage in all_stages}
    assert [standard["actual_value"], partner["actual_value"]] == list(emulator.crm.pipelines)
    ((mapping,),) = [standard["maps"]]
    assert mapping["api_name"] == "Stage"
    assert [stage["actual_value"] for stage in mapping["pick_list_values"]] == emulator.crm.pipelines[
        "Standard (Standard)"
    ]
    assert deals["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"


def test_layout_associations_appear_from_v7(emulator, zoho):
    v8 = fields_of(zoho, "Deals")
    v6 = fields_of(Zoho(emulator, version="v6", token=zoho.token), "Deals")
    unused = fields_of(zoho, "Leads", type="unused")

    assert [layout["id"] for layout in v8["Deal_Name"]["layout_associations"]] == [
        DEALS_LAYOUT,
        RENEWALS_LAYOUT,
    ]
    assert [layout["id"] for layout in v8["Pipeline"]["layout_associations"]] == [DEALS_LAYOUT]
    assert unused["Skype_ID"]["layout_associations"] == []
    assert "layout_associations" not in v6["Deal_Name"]


def test_a_field_hidden_by_field_level_security_is_hidden_for_every_profile(emulator, zoho):
    emulator.faults.hidden_fields = {"Lead_Status"}

    fields = fields_of(zoho, "Leads")

    assert {profile["permission_type"] for profile in fields["Lead_Status"]["profiles"]} == {"hidden"}
    assert {profile["permission_type"] for profile in fields["Company"]["profiles"]} == {"read_write"}


def test_fields_of_a_missing_or_unknown_module_are_refused(zoho):
    unknown = error(zoho.get("settings/fields?module=Gadgets"))
    missing = error(zoho.get("settings/fields"))

    assert unknown == {
        "code": "INVALID_MODULE",
        "details": {},
        "message": "the module name given seems to be invalid",
        "status": "error",
    }
    assert (missing["code"], missing["details"]) == ("REQUIRED_PARAM_MISSING", {"param_name": "module"})


# --- layouts (§13.2) --------------------------------------------------------------------------


def layouts(client: Zoho, module: str) -> dict[str, dict[str, Any]]:
    answer = client.get("settings/layouts", params={"module": module})
    assert answer.status_code == 200, answer.text
    return by_name(answer.json()["layouts"], "name")


def layout_fields(layout: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return by_name([field for section in layout["sections"] for field in section["fields"]])


def test_the_leads_layout_has_its_sections_required_flags_and_options(zoho):
    (standard,) = layouts(zoho, "Leads").values()
    fields = layout_fields(standard)

    assert (standard["id"], standard["api_name"], standard["status"]) == (
        LEADS_LAYOUT,
        "Standard__s",
        "active",
    )
    assert [profile["name"] for profile in standard["profiles"]] == ["Administrator", "Standard"]
    assert all(profile["default"] for profile in standard["profiles"])
    assert [section["name"] for section in standard["sections"]] == [
        "Lead Information",
        "Description Information",
    ]
    assert [name for name, field in fields.items() if field["required"]] == ["Last_Name"]
    assert "Skype_ID" not in fields  # unused: in no layout
    sources = [value["actual_value"] for value in fields["Lead_Source"]["pick_list_values"]]
    assert "Houston Showroom" in sources
    assert "Yellow Pages" not in sources  # the layout offers used options only


def test_the_leads_layout_maps_a_conversion_into_the_deals_layout_and_its_required_fields(zoho):
    (standard,) = layouts(zoho, "Leads").values()
    deals = standard["convert_mapping"]["Deals"]

    assert deals["id"] == DEALS_LAYOUT
    assert {field["api_name"]: field["required"] for field in deals["fields"]} == {
        "Deal_Name": True,
        "Amount": False,
        "Closing_Date": True,
        "Stage": True,
        "Pipeline": True,
    }
    assert {"api_name", "field_label", "id", "required"} == set(deals["fields"][0])
    assert standard["convert_mapping"]["Contacts"]["id"] == "4876876000000091059"
    assert standard["convert_mapping"]["Accounts"]["id"] == "4876876000000091047"


def test_the_deals_layouts_are_standard_with_the_pipelines_and_renewals_without(zoho):
    deals = layouts(zoho, "Deals")
    standard, renewals = layout_fields(deals["Standard"]), layout_fields(deals["Renewals"])

    assert (deals["Standard"]["id"], deals["Renewals"]["id"]) == (DEALS_LAYOUT, RENEWALS_LAYOUT)
    assert [name for name, field in standard.items() if field["required"]] == [
        "Deal_Name",
        "Closing_Date",
        "Stage",
        "Pipeline",
    ]
    assert "Pipeline" not in renewals
    pipelines = [value["actual_value"] for value in standard["Pipeline"]["pick_list_values"]]
    assert pipelines == ["Standard (Standard)", "Partner Pipeline"]
    stages = standard["Pipeline"]["pick_list_values"][1]["maps"][0]["pick_list_values"]
    assert [stage["actual_value"] for stage in stages][:2] == ["Partner Qualification", "Joint Proposal"]
    assert deals["Standard"]["convert_mapping"] is None


def test_a_layout_is_read_by_id_in_its_module(zoho):
    answer = zoho.get(f"settings/layouts/{RENEWALS_LAYOUT}", params={"module": "Deals"})

    assert answer.status_code == 200
    assert [layout["name"] for layout in answer.json()["layouts"]] == ["Renewals"]


@pytest.mark.parametrize(
    ("layout_id", "details"),
    [
        ("4876876000000099999", {"param_name": "id"}),  # no such layout
        (LEADS_LAYOUT, {"param_name": "id"}),  # a layout of another module
        ("Standard", {"param_name": "id", "expected_data_type": "int64"}),
    ],
)
def test_a_layout_id_that_is_no_layout_of_the_module_is_refused(zoho, layout_id, details):
    body = error(zoho.get(f"settings/layouts/{layout_id}", params={"module": "Deals"}))

    assert (body["code"], body["details"]) == ("INVALID_DATA", details)


@pytest.mark.parametrize("path", ["settings/layouts", f"settings/layouts/{DEALS_LAYOUT}"])
def test_layouts_need_a_module_that_has_layouts(zoho, path):
    missing = error(zoho.get(path))
    unknown = error(zoho.get(path, params={"module": "Gadgets"}))
    notes = error(zoho.get(path, params={"module": "Notes"}))

    assert missing["code"] == "REQUIRED_PARAM_MISSING"
    assert missing["details"] == {"param_name": "module"}
    assert (unknown["code"], unknown["message"]) == (
        "INVALID_MODULE",
        "the module name given seems to be invalid",
    )
    assert (notes["code"], notes["message"]) == ("INVALID_MODULE", "The given module is not supported in API")


def test_a_layout_mode_outside_the_documented_ones_is_refused(zoho):
    body = error(zoho.get("settings/layouts", params={"module": "Leads", "mode": "kanban"}))
    fine = zoho.get("settings/layouts", params={"module": "Leads", "mode": "quick_create"})

    assert (body["code"], body["details"]) == ("PATTERN_NOT_MATCHED", {"param_name": "mode"})
    assert fine.status_code == 200


# --- pipelines (§13.3) ------------------------------------------------------------------------


def pipelines(client: Zoho, layout_id: str = DEALS_LAYOUT) -> dict[str, dict[str, Any]]:
    answer = client.get("settings/pipeline", params={"layout_id": layout_id})
    assert answer.status_code == 200, answer.text
    return by_name(answer.json()["pipeline"], "display_value")


def test_the_deals_layout_has_two_pipelines_with_their_stages(zoho):
    found = pipelines(zoho)
    standard = found["Standard (Standard)"]
    stages = by_name(standard["maps"], "actual_value")

    assert list(found) == ["Standard (Standard)", "Partner Pipeline"]
    assert (standard["id"], standard["default"], found["Partner Pipeline"]["default"]) == (
        STANDARD_PIPELINE,
        True,
        False,
    )
    assert standard["actual_value"] == "Standard (Standard)"
    assert stages["Id. Decision Makers"]["display_value"] == "Identify Decision Makers"
    assert [stage["sequence_number"] for stage in standard["maps"]] == list(range(1, 9))
    assert stages["Qualification"]["forecast_type"] == "Open"
    assert stages["Closed Lost"]["forecast_type"] == "Closed Lost"
    assert {"id", "forecast_category"} <= set(stages["Qualification"])
    assert (
        stages["Closed Won"]["id"]
        == by_name(found["Partner Pipeline"]["maps"], "actual_value")["Closed Won"]["id"]
    )


def test_a_deals_layout_without_pipelines_is_no_content(zoho):
    assert zoho.get("settings/pipeline", params={"layout_id": RENEWALS_LAYOUT}).status_code == 204


@pytest.mark.parametrize("layout_id", [LEADS_LAYOUT, "4876876000000099999", "Standard", "1" * 20])
def test_a_layout_id_that_is_not_a_deals_layout_is_invalid(zoho, layout_id):
    body = error(zoho.get("settings/pipeline", params={"layout_id": layout_id}))

    assert body == {
        "code": "INVALID_DATA",
        "details": {"param_name": "layout_id"},
        "message": "Invalid layoutid",
        "status": "error",
    }


def test_pipelines_need_a_layout_id(zoho):
    body = error(zoho.get("settings/pipeline"))

    assert (body["code"], body["details"]) == ("REQUIRED_PARAM_MISSING", {"param_name": "layout_id"})


def test_one_pipeline_is_read_by_id_and_an_unknown_id_is_no_content(zoho):
    answer = zoho.get(f"settings/pipeline/{STANDARD_PIPELINE}", params={"layout_id": DEALS_LAYOUT})
    unknown = zoho.get("settings/pipeline/4876876000000092999", params={"layout_id": DEALS_LAYOUT})

    assert [pipeline["id"] for pipeline in answer.json()["pipeline"]] == [STANDARD_PIPELINE]
    assert unknown.status_code == 204


def test_a_convert_names_a_stage_by_its_actual_value_not_its_display_value(emulator, zoho):
    by_actual = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Stage": "Id. Decision Makers"}})
    by_display = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Stage": "Identify Decision Makers"}})

    assert by_actual.status_code == 200
    assert record_error(by_display)["code"] == "MAPPING_MISMATCH"


def test_a_stage_removed_from_a_pipeline_stays_a_stage_option_but_no_longer_converts(emulator, zoho):
    emulator.crm.edit_pipelines(lambda book: book.remove_stage("Standard (Standard)", "Qualification"))

    standard = pipelines(zoho)["Standard (Standard)"]
    stage_options = [value["actual_value"] for value in fields_of(zoho, "Deals")["Stage"]["pick_list_values"]]
    refused = zoho.convert(add_lead(emulator), {"Deals": DEAL})

    assert "Qualification" not in [stage["actual_value"] for stage in standard["maps"]]
    assert "Qualification" in stage_options
    assert record_error(refused)["code"] == "MAPPING_MISMATCH"


# --- users (§13.4) ----------------------------------------------------------------------------


def test_users_have_status_confirmation_type_role_and_profile(org):
    users = by_name(org.get("users", params={"type": "AllUsers"}).json()["users"], "id")

    assert users[AVA]["profile"]["name"] == "Administrator"
    assert users[AVA]["role"]["name"] == "CEO"
    assert users[SAM]["role"]["name"] == "Manager"
    assert {user_id: (user["status"], user["confirm"]) for user_id, user in users.items()} == {
        AVA: ("active", True),
        SAM: ("active", True),
        RIYA: ("active", True),
        DANA: ("inactive", True),
        NICO: ("active", False),
    }
    assert {user["type__s"] for user in users.values()} == {"Regular User"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("AllUsers", {AVA, SAM, RIYA, DANA, NICO}),
        ("ActiveUsers", {AVA, SAM, RIYA, NICO}),
        ("DeactiveUsers", {DANA}),
        ("ConfirmedUsers", {AVA, SAM, RIYA, DANA}),
        ("NotConfirmedUsers", {NICO}),
        ("ActiveConfirmedUsers", {AVA, SAM, RIYA}),
        ("AdminUsers", {AVA}),
        ("ActiveConfirmedAdmins", {AVA}),
        ("CurrentUser", {AVA}),
        ("ActiveAndDeactive", {AVA, SAM, RIYA, DANA, NICO}),
        ("SubordinateRoleUsers", {SAM, RIYA, DANA, NICO}),
        ("ConfirmedReportingUsers", {SAM, RIYA, DANA}),
    ],
)
def test_the_user_type_chooses_who_is_listed(org, kind, expected):
    users = org.get("users", params={"type": kind}).json()["users"]

    assert {user["id"] for user in users} == expected


@pytest.mark.parametrize("kind", ["DeletedUsers", "DeveloperUsers", "ActiveLiteUser", "ParentRoleUsers"])
def test_a_user_type_nobody_has_is_no_content(org, kind):
    assert org.get("users", params={"type": kind}).status_code == 204


def test_deleted_users_are_listed_as_deleted_and_among_all_users(demo, org):
    gone = demo.crm.add_user("Gone User", "gone@example.com", status="deleted")

    deleted = org.get("users", params={"type": "DeletedUsers"}).json()["users"]
    everyone = org.get("users", params={"type": "AllUsers"}).json()["users"]

    assert [(user["id"], user["status"]) for user in deleted] == [(gone, "deleted")]
    assert gone in {user["id"] for user in everyone}


def test_an_unknown_user_type_is_refused(zoho):
    body = error(zoho.get("users", params={"type": "Everybody"}))

    assert (body["code"], body["details"]) == ("INVALID_DATA", {"param_name": "type"})


def test_users_come_in_pages_of_at_most_200(emulator, zoho):
    for n in range(249):
        emulator.crm.add_user(f"User {n}", f"user{n}@example.com")

    first = zoho.get("users", params={"type": "AllUsers", "page": "1", "per_page": "200"}).json()
    second = zoho.get("users", params={"type": "AllUsers", "page": "2", "per_page": "200"}).json()
    beyond = zoho.get("users", params={"type": "AllUsers", "page": "3", "per_page": "200"})
    too_big = error(zoho.get("users", params={"per_page": "201"}))

    assert first["info"] == {"per_page": 200, "count": 200, "page": 1, "more_records": True}
    assert second["info"] == {"per_page": 200, "count": 50, "page": 2, "more_records": False}
    ids = [user["id"] for user in first["users"] + second["users"]]
    assert len(set(ids)) == 250
    assert beyond.status_code == 204
    assert (too_big["code"], too_big["details"]) == ("INVALID_DATA", {"param_name": "per_page"})


def test_users_are_picked_by_at_most_100_ids(org):
    picked = org.get("users", params={"ids": f"{SAM},{DANA},4876876000000002999"}).json()["users"]
    too_many = error(
        org.get("users", params={"ids": ",".join(str(4876876000000002001 + n) for n in range(101))})
    )
    malformed = error(org.get("users", params={"ids": "sam"}))

    assert [user["id"] for user in picked] == [SAM, DANA]
    assert (too_many["code"], too_many["details"]["limit"]) == ("LIMIT_EXCEEDED", 100)
    assert (malformed["code"], malformed["details"]) == ("INVALID_DATA", {"param_name": "ids"})


def test_a_user_with_an_unknown_status_or_type_is_not_added(emulator):
    with pytest.raises(ValueError, match="unknown user status 'away'"):
        emulator.crm.add_user("A", "a@example.com", status="away")
    with pytest.raises(ValueError, match="unknown user type"):
        emulator.crm.add_user("A", "a@example.com", type="Robot")


# --- tags (§13.5) -----------------------------------------------------------------------------


def test_tags_list_the_org_tags_of_a_module_with_their_count(org):
    answer = org.get("settings/tags", params={"module": "Leads"}).json()

    assert [tag["name"] for tag in answer["tags"]] == ["VIP", "Hot", "Webinar", "Cold"]
    assert answer["info"] == {"count": 4, "allowed_count": 200}
    assert set(answer["tags"][0]) == {
        "id",
        "name",
        "color_code",
        "created_time",
        "modified_time",
        "created_by",
        "modified_by",
    }
    assert answer["tags"][0]["created_by"] == {"name": "Ava Admin", "id": AVA}


def test_every_tag_on_a_lead_is_in_the_modules_tag_list_and_a_new_name_is_added(demo, org):
    lead_id = demo.crm.add_lead(Last_Name="Tagged", Tag=["VIP", "Brand New"])

    names = [tag["name"] for tag in org.get("settings/tags", params={"module": "Leads"}).json()["tags"]]
    lead_tags = demo.crm.lead(lead_id)["Tag"]
    listed = by_name(org.get("settings/tags", params={"module": "Leads"}).json()["tags"], "name")

    assert names[-1] == "Brand New"
    assert names.count("VIP") == 1
    assert all(listed[tag["name"]]["id"] == tag["id"] for tag in lead_tags)


def test_tags_belong_to_a_module(emulator, zoho):
    emulator.crm.add_tag("Contacts", "Customer", color_code="#63C57E")

    contacts = zoho.get("settings/tags", params={"module": "Contacts"}).json()
    leads = zoho.get("settings/tags", params={"module": "Leads"}).json()

    assert [(tag["name"], tag["color_code"]) for tag in contacts["tags"]] == [("Customer", "#63C57E")]
    assert (leads["tags"], leads["info"]["count"]) == ([], 0)


def test_tags_need_a_module_that_has_tags(zoho):
    missing = error(zoho.get("settings/tags"))
    unknown = error(zoho.get("settings/tags", params={"module": "Gadgets"}))
    notes = error(zoho.get("settings/tags", params={"module": "Notes"}))

    assert (missing["code"], missing["details"]) == ("REQUIRED_PARAM_MISSING", {"param": "module"})
    assert unknown == {
        "code": "INVALID_MODULE",
        "details": {},
        "message": "the module name given seems to be invalid",
        "status": "error",
    }
    assert (notes["code"], notes["message"]) == (
        "INVALID_MODULE",
        "the given module is not supported for this api",
    )


# --- org and modules --------------------------------------------------------------------------


def test_org_has_the_ids_the_sdk_reads(zoho):
    org = zoho.get("org").json()["org"][0]

    assert org["zgid"]
    assert org["id"]


def test_modules_list_the_module_ids_mass_convert_refers_to(zoho):
    modules = by_name(zoho.get("settings/modules").json()["modules"])

    assert modules["Contacts"]["id"] == "4876876000000002179"
    assert modules["Leads"]["convertable"] is True
    assert set(modules) >= {"Leads", "Contacts", "Accounts", "Deals"}


def test_related_lists_name_the_notes_of_a_module_and_need_the_module(zoho):
    (notes,) = zoho.get("settings/related_lists", params={"module": "Leads"}).json()["related_lists"]
    missing = error(zoho.get("settings/related_lists"))
    unknown = error(zoho.get("settings/related_lists", params={"module": "Nope"}))

    assert (notes["api_name"], notes["module"]["api_name"]) == ("Notes", "Notes")
    assert missing["code"] == "REQUIRED_PARAM_MISSING"
    assert unknown["code"] == "INVALID_MODULE"
