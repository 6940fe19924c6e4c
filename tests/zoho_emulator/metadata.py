"""The emulated org's metadata: field definitions, picklists, org and user shapes.

The field lists are what Zoho's Get Fields answers for the standard layouts, trimmed to the fields
this product and the official SDK touch, with the keys a preflight of the rules reads
(zoho-crm-api.md §13.1): `data_type`, `json_type`, `pick_list_values` (display and actual value,
used or unused), `system_mandatory`, `read_only`, `field_read_only`, `operation_type`, `type`
(used, or unused: in no layout) and the Leads fields' `convert_mapping`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .ids import MODULE_IDS, ORG_ID, ORG_ZGID
from .pipelines import FORECAST_CATEGORIES, PipelineBook, stage_json

PROFILES = ("Administrator", "Standard")
MULTI_SELECT = "multiselectpicklist"  # values are lists of option values (json_type jsonarray)


PICKLIST_FORMS = ("actual", "display", "reference")  # zoho-crm-api.md §14.5


@dataclass(frozen=True)
class Option:
    """A picklist option. `actual` is what the API stores; `display` what the UI shows (they
    differ in Zoho's own sample, "Houston" / "Houston Showroom", zoho-crm-api.md §13.1);
    `reference` the untranslated value (§14.5), the actual value unless set apart."""

    display: str
    actual: str
    used: bool = True
    reference: str | None = None

    def value(self, form: str) -> str:
        """The option in one of PICKLIST_FORMS."""
        if form == "display":
            return self.display
        if form == "reference":
            return self.reference or self.actual
        return self.actual


def options(*values: str) -> tuple[Option, ...]:
    return tuple(Option(value, value) for value in values)


LEAD_STATUSES = options(
    "-None-",
    "Attempted to Contact",
    "Contact in Future",
    "Contacted",
    "Junk Lead",
    "Lost Lead",
    "Not Contacted",
    "Pre-Qualified",
    "Not Qualified",
    "Qualified",
)

LEAD_SOURCES = (
    *options(
        "-None-",
        "Advertisement",
        "Cold Call",
        "Employee Referral",
        "External Referral",
        "Online Store",
        "Partner",
        "Public Relations",
        "Seminar Partner",
        "Trade Show",
        "Web",
        "Web Download",
        "Web Research",
        "Webinar",
        "Chat",
    ),
    Option("Houston", "Houston Showroom"),  # display and actual differ, as in §13.1's sample
    Option("Yellow Pages", "Yellow Pages", used=False),  # an option no layout offers any more
)
DEAL_TYPES = options("-None-", "Existing Business", "New Business")


@dataclass(frozen=True)
class FieldDef:
    api_name: str
    data_type: str
    label: str
    mandatory: bool = False  # system_mandatory
    read_only: bool = False  # field_read_only: nobody may set it, through the API or the UI
    lookup_module: str | None = None
    picklist: tuple[Option, ...] = ()
    used: bool = True  # type "unused": the field is in no layout (zoho-crm-api.md §13.1)
    required: bool = False  # what the standard layouts' `required` says (§13.2)
    # Lead fields only: the field of Contacts / Deals / Accounts a conversion copies it into.
    convert_mapping: tuple[tuple[str, str | None], ...] = ()
    return_type: str | None = None  # of a formula
    custom: bool = False  # custom_field: added by the org, not one of Zoho's standard fields
    length: int = 255  # the maximum length Get Fields shows (zoho-crm-api.md §13.1, §14.4)

    @property
    def json_type(self) -> str:
        if self.data_type == "formula":
            return JSON_TYPES.get(self.return_type or "", "string")
        return JSON_TYPES.get(self.data_type, "string")


# data_type -> json_type, as the DOC-v7 Leads sample pairs them (zoho-crm-api.md §13.1).
JSON_TYPES = {
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "multiselectpicklist": "jsonarray",
    "boolean": "boolean",
    "currency": "double",
    "double": "double",
    "percent": "double",
    "integer": "integer",
    "bigint": "string",
}

_COMMON = (
    FieldDef("Owner", "ownerlookup", "Owner"),
    FieldDef("Created_By", "ownerlookup", "Created By", read_only=True),
    FieldDef("Modified_By", "ownerlookup", "Modified By", read_only=True),
    FieldDef("Created_Time", "datetime", "Created Time", read_only=True),
    FieldDef("Modified_Time", "datetime", "Modified Time", read_only=True),
    FieldDef("Tag", "text", "Tag", read_only=True),
)


def _person(mapped: bool) -> tuple[FieldDef, ...]:
    """Name and contact fields of Leads and Contacts; on Leads they map to the new contact."""

    def to_contact(api_name: str, deals: str | None = None) -> tuple[tuple[str, str | None], ...]:
        if not mapped:
            return ()
        return (("Contacts", api_name), ("Deals", deals), ("Accounts", None))

    return (
        FieldDef("First_Name", "text", "First Name", convert_mapping=to_contact("First_Name")),
        FieldDef(
            "Last_Name",
            "text",
            "Last Name",
            mandatory=True,
            required=True,
            convert_mapping=to_contact("Last_Name"),
        ),
        FieldDef("Full_Name", "text", "Full Name", read_only=True),
        FieldDef("Email", "email", "Email", convert_mapping=to_contact("Email")),
        FieldDef("Phone", "phone", "Phone", convert_mapping=to_contact("Phone")),
        FieldDef("Mobile", "phone", "Mobile", convert_mapping=to_contact("Mobile")),
        FieldDef(
            "Lead_Source",
            "picklist",
            "Lead Source",
            picklist=LEAD_SOURCES,
            convert_mapping=to_contact("Lead_Source", deals="Lead_Source"),
        ),
        FieldDef("Description", "textarea", "Description", convert_mapping=to_contact("Description")),
    )


_LEADS = (
    *_COMMON,
    *_person(mapped=True),
    FieldDef(
        "Company",
        "text",
        "Company",
        convert_mapping=(("Contacts", None), ("Deals", None), ("Accounts", "Account_Name")),
        length=200,  # zoho-crm-api.md §13.1 sample, §14.4: a company name can be 200 characters
    ),
    FieldDef("Lead_Status", "picklist", "Lead Status", picklist=LEAD_STATUSES),
    FieldDef("Annual_Revenue", "currency", "Annual Revenue"),
    FieldDef("Industry", "text", "Industry"),
    FieldDef("Country", "text", "Country"),
    # A custom multi-select picklist: stored and answered as a list of actual values (§13.1).
    FieldDef(
        "Product_Interest",
        MULTI_SELECT,
        "Product Interest",
        picklist=options("CRM", "Analytics", "Support", "Training"),
        custom=True,
    ),
    FieldDef("Skype_ID", "text", "Skype ID", used=False),
    FieldDef("Converted__s", "boolean", "Converted", read_only=True),
    FieldDef("Converted_Date_Time", "datetime", "Converted Date Time", read_only=True),
    FieldDef("Converted_Contact", "lookup", "Converted Contact", read_only=True, lookup_module="Contacts"),
    FieldDef("Converted_Account", "lookup", "Converted Account", read_only=True, lookup_module="Accounts"),
    FieldDef("Converted_Deal", "lookup", "Converted Deal", read_only=True, lookup_module="Deals"),
)
_CONTACTS = (
    *_COMMON,
    *_person(mapped=False),
    FieldDef("Account_Name", "lookup", "Account Name", lookup_module="Accounts"),
)
_ACCOUNTS = (
    *_COMMON,
    FieldDef("Account_Name", "text", "Account Name", mandatory=True, required=True),
    FieldDef("Phone", "phone", "Phone"),
    FieldDef("Website", "website", "Website"),
    FieldDef("Description", "textarea", "Description"),
)
_NOTES = (
    *_COMMON[:5],
    FieldDef("Note_Title", "text", "Note Title"),
    FieldDef("Note_Content", "textarea", "Note Content"),
    FieldDef("Parent_Id", "lookup", "Parent ID", read_only=True),
)
# Activities (zoho-crm-api.md §3.1 related_modules, §13.6): trimmed to the fields conversion
# and Update Records touch. What_Id is a lookup to a record of any of ACTIVITY_PARENTS, the
# record's `$se_module` naming which (no lookup_module: Get Fields shows no single module);
# Who_Id a contact.
TASK_STATUSES = options("Not Started", "Deferred", "In Progress", "Completed", "Waiting for input")
_ACTIVITY_LINKS = (
    FieldDef("What_Id", "lookup", "Related To"),
    FieldDef("Who_Id", "lookup", "Contact Name", lookup_module="Contacts"),
    FieldDef("Description", "textarea", "Description"),
)
_TASKS = (
    *_COMMON[:5],
    FieldDef("Subject", "text", "Subject", mandatory=True, required=True),
    FieldDef("Status", "picklist", "Status", picklist=TASK_STATUSES),
    FieldDef("Due_Date", "date", "Due Date"),
    *_ACTIVITY_LINKS,
)
_EVENTS = (
    *_COMMON[:5],
    FieldDef("Event_Title", "text", "Title", mandatory=True, required=True),
    FieldDef("Start_DateTime", "datetime", "From"),
    FieldDef("End_DateTime", "datetime", "To"),
    *_ACTIVITY_LINKS,
)
_CALLS = (
    *_COMMON[:5],
    FieldDef("Subject", "text", "Subject", mandatory=True, required=True),
    FieldDef("Call_Type", "picklist", "Call Type", picklist=options("Outbound", "Inbound", "Missed")),
    FieldDef("Call_Start_Time", "datetime", "Call Start Time"),
    *_ACTIVITY_LINKS,
)
ACTIVITY_FIELDS = {"Tasks": _TASKS, "Events": _EVENTS, "Calls": _CALLS}
# Events' module_name and labels (zoho-crm-api.md §13.6: api_name Events, module_name Meetings).
MODULE_NAMES = {"Events": "Meetings"}
# The contact roles every org starts with (Zoho's defaults), in their sequence; ids are
# stable_id("contact_role", name). The SDK's contact_roles package: {id, name, sequence_number}.
DEFAULT_CONTACT_ROLES = (
    "Purchasing",
    "Component Engineer",
    "Decision Maker",
    "Developer/Evaluator",
    "Economic Decision Maker",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)
# Leads fields that a lead read shows (every field of the layout: the used ones).
LEAD_LAYOUT_FIELDS = tuple(definition.api_name for definition in _LEADS if definition.used)


def module_fields(module: str, book: PipelineBook | None = None) -> tuple[FieldDef, ...]:
    """The field definitions of a module, used and unused; Deals' Stage and Pipeline picklists
    come from the pipeline book (`book`, needed for Deals only)."""
    if module == "Leads":
        return _LEADS
    if module == "Contacts":
        return _CONTACTS
    if module == "Accounts":
        return _ACCOUNTS
    if module == "Notes":
        return _NOTES
    if module in ACTIVITY_FIELDS:
        return ACTIVITY_FIELDS[module]
    if module == "Deals":
        book = book or PipelineBook()
        stages = tuple(
            Option(stage.display, stage.actual, reference=stage.reference) for stage in book.stages.values()
        )
        pipelines = tuple(
            Option(pipeline.display, pipeline.actual, reference=pipeline.reference)
            for pipeline in book.pipelines
        )
        # zoho-crm-api.md §14.4: the lengths of OAS-new's DealConversion schema (indicative).
        return (
            *_COMMON,
            FieldDef("Deal_Name", "text", "Deal Name", mandatory=True, required=True, length=120),
            FieldDef("Amount", "currency", "Amount"),
            FieldDef("Closing_Date", "date", "Closing Date", mandatory=True, required=True),
            FieldDef(
                "Stage", "picklist", "Stage", mandatory=True, required=True, picklist=stages, length=100
            ),
            FieldDef(
                "Pipeline",
                "picklist",
                "Pipeline",
                mandatory=True,
                required=True,
                picklist=pipelines,
                length=100,
            ),
            FieldDef("Probability", "integer", "Probability (%)"),
            FieldDef(
                "Expected_Revenue", "formula", "Expected Revenue", read_only=True, return_type="currency"
            ),
            FieldDef("Lead_Source", "picklist", "Lead Source", picklist=LEAD_SOURCES, length=100),
            FieldDef("Type", "picklist", "Type", picklist=DEAL_TYPES, length=50),
            FieldDef("Next_Step", "text", "Next Step", length=200),
            FieldDef("Account_Name", "lookup", "Account Name", lookup_module="Accounts"),
            FieldDef("Contact_Name", "lookup", "Contact Name", lookup_module="Contacts"),
            FieldDef("Description", "textarea", "Description", length=32_000),
        )
    raise KeyError(module)


def stable_id(*parts: str) -> str:
    """A 19-digit id derived from names, so metadata ids never change between runs."""
    digest = int(hashlib.sha256("/".join(parts).encode()).hexdigest(), 16)
    return str(4876876_000_000_000_000 + 10_000_000 + digest % 1_000_000)


def field_json(
    module: str,
    definition: FieldDef,
    hidden: bool = False,
    book: PipelineBook | None = None,
    layout_associations: list[dict[str, str]] | None = None,
    length: int | None = None,
) -> dict[str, Any]:
    """A field as Get Fields answers it (zoho-crm-api.md §13.1). `hidden`: field-level security
    hides it from every profile (faults.hidden_fields); `book` adds the stages each pipeline
    maps to the Pipeline field's options, as `maps[]` (the DOC-v8 layouts note in §13.2);
    `layout_associations` (v7+) the layouts that hold the field; `length` the org's own
    maximum length when it was changed (`CrmStore.set_field_length`)."""
    writable = not definition.read_only and definition.data_type != "formula"
    permission = "hidden" if hidden else "read_write" if writable else "read_only"
    body: dict[str, Any] = {
        "api_name": definition.api_name,
        "id": stable_id(module, definition.api_name),
        "field_label": definition.label,
        "display_label": definition.label,
        "data_type": definition.data_type,
        "json_type": definition.json_type,
        "system_mandatory": definition.mandatory,
        "read_only": not writable,
        "field_read_only": not writable,
        "operation_type": {
            "web_update": writable,
            "api_create": writable,
            "web_create": writable,
            "api_update": writable,
        },
        "type": "used" if definition.used else "unused",
        "custom_field": definition.custom,
        "visible": True,
        "length": definition.length if length is None else length,
        "profiles": [
            {"permission_type": permission, "name": name, "id": stable_id("profile", name)}
            for name in PROFILES
        ],
        "pick_list_values": [
            picklist_json(module, definition, option, position)
            for position, option in enumerate(definition.picklist, start=1)
        ],
    }
    if layout_associations is not None:
        body["layout_associations"] = layout_associations
    if definition.convert_mapping:
        body["convert_mapping"] = dict(definition.convert_mapping)
    if definition.data_type == "formula":
        body["formula"] = {"return_type": definition.return_type, "expression": "Amount*Probability/100"}
    if definition.lookup_module:
        body["lookup"] = {
            "display_label": definition.label,
            "api_name": definition.api_name,
            "module": {
                "api_name": definition.lookup_module,
                "id": MODULE_IDS[definition.lookup_module],
            },
            "id": stable_id(module, definition.api_name, "lookup"),
        }
    if book is not None and module == "Deals" and definition.api_name in ("Stage", "Pipeline"):
        _add_pipeline_details(body, definition.api_name, book)
    return body


def picklist_json(module: str, definition: FieldDef, option: Option, position: int) -> dict[str, Any]:
    return {
        "display_value": option.display,
        "actual_value": option.actual,
        "reference_value": option.value("reference"),
        "id": stable_id(module, definition.api_name, option.actual),
        "sequence_number": position,
        "colour_code": None,
        "type": "used" if option.used else "unused",
    }


def _add_pipeline_details(body: dict[str, Any], api_name: str, book: PipelineBook) -> None:
    """Stage options carry their ids, probability and forecast; Pipeline options the stages
    their pipeline maps (`maps[]` of `{api_name: "Stage", pick_list_values}`)."""
    values = body["pick_list_values"]
    if api_name == "Stage":
        for value, stage in zip(values, book.stages.values(), strict=True):
            category = FORECAST_CATEGORIES[stage.forecast_type]
            value.update(
                id=stage.id,
                probability=stage.probability,
                forecast_type=stage.forecast_type,
                forecast_category={"name": category, "id": stage_json(stage, 1)["forecast_category"]["id"]},
            )
        return
    for value, pipeline in zip(values, book.pipelines, strict=True):
        stages = [stage_json(stage, n) for n, stage in enumerate(book.stages_of(pipeline), start=1)]
        value.update(id=pipeline.id, maps=[{"api_name": "Stage", "pick_list_values": stages}])


def module_json(api_name: str) -> dict[str, Any]:
    """A module as Get Modules lists it (Events as Meetings, zoho-crm-api.md §13.6)."""
    name = MODULE_NAMES.get(api_name, api_name)
    return {
        "api_name": api_name,
        "id": MODULE_IDS[api_name],
        "module_name": name,
        "singular_label": name.removesuffix("s"),
        "plural_label": name,
        "api_supported": True,
        "generated_type": "default",
        "creatable": True,
        "editable": True,
        "viewable": True,
        "deletable": True,
        "convertable": api_name == "Leads",
    }


def org_json() -> dict[str, Any]:
    return {
        "id": ORG_ID,
        "zgid": ORG_ZGID,
        "company_name": "Emulated Org",
        "domain_name": "org" + ORG_ZGID,
        "alias": None,
        "primary_email": "admin@emulated-org.example",
        "country_code": "US",
        "currency": "US Dollar - USD",
        "currency_symbol": "$",
        "iso_code": "USD",
        "time_zone": "Etc/UTC",
        "mc_status": False,
        "max_per_page": 200,
        "type": "production",
    }
