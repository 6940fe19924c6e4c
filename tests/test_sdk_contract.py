"""Contract check: the official Zoho CRM SDK (zohocrmsdk8-0), a client nobody here wrote, works
against the emulator and parses its answers into the SDK's documented objects.

The SDK keeps its configuration in a process-wide Initializer, so this module initialises it once
against one module-scoped emulator; each test adds the records it needs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from zohocrmsdk.src.com.zoho.api.authenticator import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api import conversion_option as options_api
from zohocrmsdk.src.com.zoho.crm.api import convert_lead as convert_api
from zohocrmsdk.src.com.zoho.crm.api import coql as coql_api
from zohocrmsdk.src.com.zoho.crm.api import fields as fields_api
from zohocrmsdk.src.com.zoho.crm.api import layouts as layouts_api
from zohocrmsdk.src.com.zoho.crm.api import mass_convert as mass_api
from zohocrmsdk.src.com.zoho.crm.api import notes as notes_api
from zohocrmsdk.src.com.zoho.crm.api import pipeline as pipeline_api
from zohocrmsdk.src.com.zoho.crm.api import related_records as related_api
from zohocrmsdk.src.com.zoho.crm.api import tags as tags_api
from zohocrmsdk.src.com.zoho.crm.api import users as users_api
from zohocrmsdk.src.com.zoho.crm.api.dc import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule
from zohocrmsdk.src.com.zoho.crm.api.record import Field, GetRecordsParam, Record, RecordOperations
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.users import MinifiedUser
from zohocrmsdk.src.com.zoho.crm.api.util import Choice

from handlers.engine.rules import parse_rules
from handlers.platform.credentials import OAuthCredentials
from handlers.sweep.query import Window, queries_for
from handlers.zoho.client import ZohoClient, ZohoConfig
from handlers.zoho.metadata import read_org
from tests.zoho_emulator import Credentials, ZohoEmulator
from tests.zoho_emulator.testing import add_lead as new_lead

CREDENTIALS = Credentials(
    client_id="1000.SDKCLIENTID", client_secret="sdk-secret", refresh_token="1000.sdk-refresh"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[ZohoEmulator]:
    with ZohoEmulator(credentials=CREDENTIALS) as emu:
        yield emu


@pytest.fixture(scope="module")
def sdk(emulator: ZohoEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Initialise the SDK against the emulator; returns its working directory."""
    workdir = tmp_path_factory.mktemp("zoho-sdk")
    environment = DataCenter.Environment(emulator.url, f"{emulator.url}/oauth/v2/token", emulator.url)
    token = OAuthToken(
        client_id=CREDENTIALS.client_id,
        client_secret=CREDENTIALS.client_secret,
        refresh_token=CREDENTIALS.refresh_token,
    )
    Initializer.initialize(
        environment=environment,
        token=token,
        store=FileStore(str(workdir / "tokens.csv")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=True),
        resource_path=str(workdir),
        logger=Logger.get_instance(Logger.Levels.INFO, str(workdir / "sdk.log")),
    )
    return workdir


def deal_record(name: str = "Acme - Doe") -> Record:
    deal = Record()
    deal.add_field_value(Field.Deals.deal_name(), name)
    deal.add_field_value(Field.Deals.stage(), Choice("Qualification"))
    deal.add_field_value(Field.Deals.pipeline(), Choice("Standard (Standard)"))
    deal.add_field_value(Field.Deals.closing_date(), date(2026, 12, 31))
    deal.add_field_value(Field.Deals.amount(), 5000.0)
    return deal


def convert(lead_id: str, converter: convert_api.LeadConverter) -> object:
    body = convert_api.BodyWrapper()
    body.set_data([converter])
    return convert_api.ConvertLeadOperations(int(lead_id)).convert_lead(body)


def test_the_sdk_refreshes_a_token_and_reads_the_org_setup_first(emulator, sdk):
    calls = [(entry.method, entry.path, entry.query) for entry in emulator.journal[:3]]

    assert calls == [
        ("POST", "/oauth/v2/token", {}),
        ("GET", "/crm/v8/users", {"type": ["CurrentUser"]}),
        ("GET", "/crm/v8/org", {}),
    ]
    assert emulator.journal[0].form["grant_type"] == ["refresh_token"]
    assert (sdk / "tokens.csv").read_text().count("1000.") >= 2  # refresh and access token


def test_the_sdk_reads_a_lead_into_a_record(emulator, sdk):
    owner = emulator.crm.add_user("Sam Seller", "sam@example.com")
    lead_id = new_lead(emulator, Owner=owner, Annual_Revenue=2_000_000)

    response = RecordOperations("Leads").get_record(int(lead_id), ParameterMap(), HeaderMap())

    assert response.get_status_code() == 200
    (lead,) = response.get_object().get_data()
    assert lead.get_id() == int(lead_id)
    assert lead.get_key_value("Last_Name") == "Doe"
    assert lead.get_key_value("Lead_Status").get_value() == "Qualified"
    assert lead.get_key_value("Annual_Revenue") == 2_000_000
    assert lead.get_key_value("Owner").get_id() == int(owner)
    assert lead.get_key_value("Owner").get_name() == "Sam Seller"
    assert [tag.get_name() for tag in lead.get_key_value("Tag")] == ["VIP", "Hot"]
    assert lead.get_key_value("Converted__s") is False
    assert lead.get_key_value("Modified_Time").tzinfo is not None


def test_the_sdk_gets_no_content_for_a_converted_lead(emulator, sdk):
    lead_id = new_lead(emulator)
    convert(lead_id, convert_api.LeadConverter())

    response = RecordOperations("Leads").get_record(int(lead_id), ParameterMap(), HeaderMap())

    assert response.get_status_code() == 204
    assert response.get_object() is None


def test_the_sdk_converts_a_lead_with_a_deal_an_owner_and_tags(emulator, sdk):
    seller = emulator.crm.add_user("Riya Rep", "riya@example.com")
    lead_id = new_lead(emulator, Email="convert@acme.example")
    converter = convert_api.LeadConverter()
    converter.set_deals(deal_record())
    assignee = MinifiedUser()
    assignee.set_id(int(seller))
    converter.set_assign_to(assignee)
    tags = convert_api.CarryOverTags()
    tags.set_contacts(["VIP"])
    tags.set_deals(["VIP", "Hot"])
    converter.set_carry_over_tags(tags)
    attachments = convert_api.MoveAttachmentsTo()
    attachments.set_api_name("Deals")
    converter.set_move_attachments_to(attachments)

    response = convert(lead_id, converter)

    assert response.get_status_code() == 200
    (result,) = response.get_object().get_data()
    assert isinstance(result, convert_api.SuccessResponse)
    assert result.get_status().get_value() == "success"
    assert result.get_code().get_value() == "SUCCESS"
    ids = {module: str(record.get_id()) for module, record in result.get_details().items()}
    deal = emulator.crm.deals[ids["Deals"]]
    contact = emulator.crm.contacts[ids["Contacts"]]
    assert deal["Stage"] == "Qualification"
    assert deal["Closing_Date"] == "2026-12-31"
    assert deal["Owner"]["id"] == seller
    assert [tag["name"] for tag in deal["Tag"]] == ["VIP", "Hot"]
    assert [tag["name"] for tag in contact["Tag"]] == ["VIP"]
    assert ids["Accounts"] in emulator.crm.accounts
    assert emulator.crm.lead(lead_id)["Converted_Deal"]["id"] == ids["Deals"]
    assert emulator.crm.conversions(lead_id) == 1


def test_the_sdk_parses_a_second_convert_as_id_already_converted(emulator, sdk):
    lead_id = new_lead(emulator)
    convert(lead_id, convert_api.LeadConverter())

    response = convert(lead_id, convert_api.LeadConverter())

    assert response.get_status_code() == 400
    error = response.get_object()
    assert isinstance(error, convert_api.APIException)
    assert error.get_code().get_value() == "ID_ALREADY_CONVERTED"
    assert error.get_details() == {"resource_path_index": 1}


def test_the_sdk_parses_a_per_record_error_inside_the_action_wrapper(emulator, sdk):
    lead_id = new_lead(emulator)
    deal = deal_record()  # stage Qualification...
    deal.add_field_value(Field.Deals.pipeline(), Choice("Partner Pipeline"))  # ...is not here
    converter = convert_api.LeadConverter()
    converter.set_deals(deal)

    response = convert(lead_id, converter)

    assert response.get_status_code() == 400
    (error,) = response.get_object().get_data()
    assert isinstance(error, convert_api.APIException)
    assert error.get_code().get_value() == "MAPPING_MISMATCH"
    assert error.get_details()["api_name"] == "Stage"
    assert emulator.crm.conversions(lead_id) == 0


def test_the_sdk_reads_conversion_options(emulator, sdk):
    account_id = emulator.crm.add_account(Account_Name="Options Inc")
    contact_id = emulator.crm.add_contact(Last_Name="Optioned", Email="options@acme.example")
    lead_id = new_lead(emulator, Last_Name="Optioned", Email="options@acme.example", Company="Options Inc")

    response = options_api.ConversionOptionOperations(int(lead_id)).lead_conversion_options()

    assert response.get_status_code() == 200
    options = response.get_object().get_conversion_options()
    assert isinstance(options, options_api.ConversionOptions)
    assert options.get_module_preference().get_api_name() == "Contacts"
    assert [contact.get_id() for contact in options.get_contacts()] == [int(contact_id)]
    assert [account.get_id() for account in options.get_accounts()] == [int(account_id)]
    (matched,) = options.get_preference_field_matched_value().get_contacts()
    assert matched.get_field().get_api_name() == "Email"
    assert matched.get_matched_lead_value() == "options@acme.example"


def test_the_sdk_adds_a_note_to_a_lead(emulator, sdk):
    lead_id = new_lead(emulator)
    module = MinifiedModule()
    module.set_api_name("Leads")
    parent = notes_api.ParentId()
    parent.set_id(int(lead_id))
    parent.set_module(module)
    note = notes_api.Note()
    note.set_note_title("Automatic conversion failed")
    note.set_note_content("MANDATORY_NOT_FOUND")
    note.set_parent_id(parent)
    body = notes_api.BodyWrapper()
    body.set_data([note])

    response = notes_api.NotesOperations().create_notes(body)

    assert response.get_status_code() == 201
    (result,) = response.get_object().get_data()
    assert isinstance(result, notes_api.SuccessResponse)
    note_id = str(result.get_details()["id"])
    assert emulator.crm.notes[note_id]["Parent_Id"]["id"] == lead_id


def test_the_sdk_schedules_a_mass_convert_and_reads_its_status(emulator, sdk):
    emulator.faults.mass_convert_seconds = 0.05
    seller = emulator.crm.add_user("Mass Owner", "mass@example.com")
    lead_ids = [new_lead(emulator, Email=f"mass{n}@acme.example") for n in range(2)]
    body = mass_api.BodyWrapper()
    body.set_ids([int(lead_id) for lead_id in lead_ids])
    owner = mass_api.AssignTo()
    owner.set_id(int(seller))
    body.set_assign_to(owner)
    contacts = mass_api.MoveAttachmentsTo()
    contacts.set_api_name("Contacts")
    contacts.set_id(4876876000000002179)
    body.set_carry_over_tags([contacts])
    body.set_deals(deal_record("Mass deal"))

    scheduled = mass_api.MassConvertOperations().mass_convert(body)

    assert scheduled.get_status_code() == 202
    success = scheduled.get_object()
    assert isinstance(success, mass_api.SuccessResponse)
    assert success.get_code().get_value() == "SCHEDULED"
    job_id = success.get_details()["job_id"]
    parameters = ParameterMap()
    parameters.add(mass_api.GetJobStatusParam.job_id, int(job_id))
    deadline = time.monotonic() + 5
    while True:
        response = mass_api.MassConvertOperations().get_job_status(parameters)
        (status,) = response.get_object().get_data()
        if status.get_status() == "completed" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert isinstance(status, mass_api.Status)
    assert (status.get_total_count(), status.get_converted_count()) == (2, 2)
    assert (status.get_failed_count(), status.get_not_converted_count()) == (0, 0)
    assert all(emulator.crm.conversions(lead_id) == 1 for lead_id in lead_ids)
    assert {
        deal["Owner"]["id"] for deal in emulator.crm.deals.values() if deal["Deal_Name"] == "Mass deal"
    } == {seller}


# --- the function's own requests, checked by the SDK -------------------------------------------

SWEEP_RULES = """
rules:
  - {name: partners, when: {Lead_Status: Qualified, Lead_Source: Partner, Industry: Retail}}
  - {name: events, when: {Lead_Status: Qualified, Lead_Source: {in: [Trade Show, Webinar]}}}
  - {name: irish, when: {Lead_Status: Qualified, Country: Ireland}}
"""


def product_client(emulator: ZohoEmulator) -> ZohoClient:
    credentials = OAuthCredentials(
        CREDENTIALS.client_id, CREDENTIALS.client_secret, CREDENTIALS.refresh_token
    )
    return ZohoClient(ZohoConfig(accounts_url=emulator.url), credentials=lambda: credentials)


def coql(query: str) -> object:
    body = coql_api.BodyWrapper()
    body.set_select_query(query)
    return coql_api.CoqlOperations().get_records(body)


def test_the_sdk_runs_the_sweeps_own_coql_and_parses_its_pages(emulator, sdk):
    since = datetime(2001, 1, 1, tzinfo=UTC)  # a window of its own in the module's shared emulator
    wanted = [
        new_lead(
            emulator, Lead_Source="Partner", Industry="Retail", Modified_Time=since + timedelta(hours=1)
        ),
        new_lead(emulator, Lead_Source="Webinar", Modified_Time=since + timedelta(hours=2)),
        new_lead(emulator, Country="Ireland", Modified_Time=since + timedelta(hours=3)),
    ]
    new_lead(emulator, Lead_Source="Partner", Industry="Banking", Modified_Time=since + timedelta(hours=1))
    fields = read_org(product_client(emulator), probe_scopes=False).lead_fields  # the field types
    plan = queries_for(parse_rules(SWEEP_RULES), fields)
    window = Window(since, since + timedelta(days=1))
    (rules_filter,) = plan.queries

    first = coql(plan.page_query(rules_filter, window, None, 2))
    (last_id,) = {record.get_id() for record in first.get_object().get_data()[-1:]}
    second = coql(plan.page_query(rules_filter, window, str(last_id), 2))

    assert (first.get_status_code(), second.get_status_code()) == (200, 200)
    assert first.get_object().get_info().get_more_records() is True
    pages = first.get_object().get_data() + second.get_object().get_data()
    assert [str(record.get_id()) for record in pages] == wanted  # the Banking partner is not there
    assert pages[0].get_key_value("Industry") == "Retail"


def test_the_sdk_reads_zohos_refusal_of_a_flat_query(emulator, sdk):
    response = coql("select id from Leads where Lead_Status = 'A' and Lead_Source = 'B' and Industry = 'C'")

    assert response.get_status_code() == 400
    error = response.get_object()
    assert isinstance(error, coql_api.APIException)
    assert error.get_code().get_value() == "SYNTAX_ERROR"


def test_a_note_the_function_writes_is_read_back_by_the_sdk(emulator, sdk):
    lead_id = new_lead(emulator)

    product_client(emulator).add_note(lead_id, "Automatic conversion failed", "Rule: r\nZoho code: X\n")
    parameters = ParameterMap()
    parameters.add(related_api.GetRelatedRecordsParam.fields, "Note_Title,Note_Content")
    response = related_api.RelatedRecordsOperations("Notes", "Leads").get_related_records(
        int(lead_id), parameters, HeaderMap()
    )

    assert response.get_status_code() == 200
    (note,) = response.get_object().get_data()
    assert note.get_key_value("Note_Title") == "Automatic conversion failed"
    assert note.get_key_value("Note_Content").startswith("Rule: r")


def test_the_functions_get_records_request_matches_the_sdks(emulator, sdk):
    lead_ids = [new_lead(emulator, Email=f"read{n}@acme.example") for n in range(3)]
    emulator.crm.convert(lead_ids[1])

    ours = product_client(emulator).get_leads(lead_ids, ["Converted__s", "Converted_Deal"])
    parameters = ParameterMap()
    parameters.add(GetRecordsParam.ids, ",".join(lead_ids))
    parameters.add(GetRecordsParam.fields, "Converted__s,Converted_Deal")
    parameters.add(GetRecordsParam.converted, "both")
    theirs = RecordOperations("Leads").get_records(parameters, HeaderMap()).get_object().get_data()

    assert [record["id"] for record in ours] == [str(record.get_id()) for record in theirs] == lead_ids
    assert [record["Converted__s"] for record in ours] == [
        record.get_key_value("Converted__s") for record in theirs
    ]
    assert [record["Converted__s"] for record in ours] == [False, True, False]


# --- the org's metadata (zoho-crm-api.md §13), read by the SDK and as the function reads it ----

DEALS_LAYOUT = "4876876000000091023"


def parameters(param_class: type, **values: object) -> ParameterMap:
    chosen = ParameterMap()
    for name, value in values.items():
        chosen.add(getattr(param_class, name), value)
    return chosen


def test_the_sdk_reads_the_fields_with_their_options_and_write_permissions(emulator, sdk):
    response = fields_api.FieldsOperations().get_fields(
        parameters(fields_api.GetFieldsParam, module="Deals", type=Choice("all"))
    )

    assert response.get_status_code() == 200
    fields = {field.get_api_name(): field for field in response.get_object().get_fields()}
    stages = {value.get_actual_value(): value for value in fields["Stage"].get_pick_list_values()}
    assert stages["Id. Decision Makers"].get_display_value() == "Identify Decision Makers"
    assert stages["Qualification"].get_type().get_value() == "used"
    assert fields["Closing_Date"].get_data_type() == "date"
    assert fields["Amount"].get_json_type() == "double"
    assert fields["Deal_Name"].get_system_mandatory() is True
    assert fields["Expected_Revenue"].get_operation_type().get_api_create() is False
    assert fields["Expected_Revenue"].get_field_read_only() is True
    (standard, _partner) = fields["Pipeline"].get_pick_list_values()
    (stage_map,) = standard.get_maps()
    assert stage_map.get_api_name() == "Stage"
    assert stage_map.get_pick_list_values()[0].get_actual_value() == "Qualification"


def test_the_sdk_reads_the_leads_layouts_conversion_mapping_and_the_deals_layout(emulator, sdk):
    leads = layouts_api.LayoutsOperations().get_layouts(
        parameters(layouts_api.GetLayoutsParam, module="Leads")
    )
    deals = layouts_api.LayoutsOperations().get_layout(
        int(DEALS_LAYOUT), parameters(layouts_api.GetLayoutParam, module="Deals")
    )

    assert (leads.get_status_code(), deals.get_status_code()) == (200, 200)
    (layout,) = leads.get_object().get_layouts()
    assert layout.get_api_name() == "Standard__s"
    assert layout.get_status() == "active"
    mapping = layout.get_convert_mapping().get_deals()
    assert str(mapping.get_id()) == DEALS_LAYOUT
    assert {field.get_api_name(): field.get_required() for field in mapping.get_fields()}["Pipeline"] is True
    (deal_layout,) = deals.get_object().get_layouts()
    required = [
        field.get_api_name()
        for section in deal_layout.get_sections()
        for field in section.get_fields()
        if field.get_required()
    ]
    assert required == ["Deal_Name", "Closing_Date", "Stage", "Pipeline"]


def test_the_sdk_reads_the_pipelines_of_the_deals_layout(emulator, sdk):
    response = pipeline_api.PipelineOperations(int(DEALS_LAYOUT)).get_pipelines()

    assert response.get_status_code() == 200
    pipelines = {item.get_display_value(): item for item in response.get_object().get_pipeline()}
    assert list(pipelines) == ["Standard (Standard)", "Partner Pipeline"]
    standard = pipelines["Standard (Standard)"]
    assert standard.get_default() is True
    stages = [(stage.get_display_value(), stage.get_actual_value()) for stage in standard.get_maps()]
    assert ("Identify Decision Makers", "Id. Decision Makers") in stages
    assert standard.get_maps()[0].get_sequence_number() == 1
    assert standard.get_maps()[-1].get_forecast_type() == "Closed Lost"


def test_the_sdk_reads_the_users_with_status_confirmation_and_paging(emulator, sdk):
    invited = emulator.crm.add_user("Invited User", "invited@example.com", confirm=False)
    gone = emulator.crm.add_user("Gone User", "gone@example.com", status="inactive")

    response = users_api.UsersOperations().get_users(
        parameters(users_api.GetUsersParam, type="AllUsers", page=1, per_page=200), HeaderMap()
    )
    inactive = users_api.UsersOperations().get_users(
        parameters(users_api.GetUsersParam, type="DeactiveUsers"), HeaderMap()
    )

    assert response.get_status_code() == 200
    users = {str(user.get_id()): user for user in response.get_object().get_users()}
    assert (users[invited].get_status(), users[invited].get_confirm()) == ("active", False)
    assert users[gone].get_status() == "inactive"
    assert users[gone].get_profile().get_name() == "Standard"
    assert response.get_object().get_info().get_more_records() is False
    assert gone in {str(user.get_id()) for user in inactive.get_object().get_users()}


def test_the_sdk_reads_the_leads_tags(emulator, sdk):
    new_lead(emulator, Tag=["Contract tag"])

    response = tags_api.TagsOperations().get_tags(parameters(tags_api.GetTagsParam, module="Leads"))

    assert response.get_status_code() == 200
    tags = {tag.get_name(): tag for tag in response.get_object().get_tags()}
    assert tags["Contract tag"].get_color_code().startswith("#")
    assert tags["Contract tag"].get_created_by().get_name() == "Ava Admin"
    assert response.get_object().get_info().get_count() == len(tags)


def test_the_metadata_requests_the_function_sends_are_answered(emulator, sdk):
    """The exact requests of the function's preflight (handlers/zoho/metadata.py)."""
    session = requests.Session()
    token = session.post(
        f"{emulator.url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CREDENTIALS.client_id,
            "client_secret": CREDENTIALS.client_secret,
            "refresh_token": CREDENTIALS.refresh_token,
        },
        timeout=5,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Zoho-oauthtoken {token}"
    for n in range(200):
        emulator.crm.add_user(f"Paged {n}", f"paged{n}@example.com")

    def get(path: str) -> dict[str, Any]:
        answer = session.get(f"{emulator.url}/crm/v8/{path}", timeout=5)
        assert answer.status_code == 200, (path, answer.text)
        body: dict[str, Any] = answer.json()
        return body

    lead_fields = get("settings/fields?module=Leads&type=all")["fields"]
    deal_fields = get("settings/fields?module=Deals&type=all")["fields"]
    (lead_layout,) = get("settings/layouts?module=Leads")["layouts"]
    deal_layouts = get("settings/layouts?module=Deals")["layouts"]
    deals_layout = lead_layout["convert_mapping"]["Deals"]["id"]
    pipelines = get(f"settings/pipeline?layout_id={deals_layout}")["pipeline"]
    pages = [get(f"users?type=AllUsers&page={page}&per_page=200") for page in (1, 2)]
    tags = get("settings/tags?module=Leads")

    assert {"Lead_Status", "Lead_Source", "Annual_Revenue", "Skype_ID"} <= {
        f["api_name"] for f in lead_fields
    }
    assert {"Deal_Name", "Stage", "Pipeline", "Closing_Date", "Amount"} <= {
        f["api_name"] for f in deal_fields
    }
    assert deals_layout == DEALS_LAYOUT in {layout["id"] for layout in deal_layouts}
    assert [pipeline["actual_value"] for pipeline in pipelines] == ["Standard (Standard)", "Partner Pipeline"]
    assert [page["info"]["more_records"] for page in pages] == [True, False]
    assert sum(page["info"]["count"] for page in pages) == len(emulator.crm.users)
    assert tags["info"]["count"] == len(tags["tags"])
