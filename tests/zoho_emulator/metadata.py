"""The emulated org's metadata: field definitions, picklists, org and user shapes.

The field lists are what Zoho's Get Fields answers for the standard layouts, trimmed to the fields
this product and the official SDK touch. The SDK reads them to type record values (it needs
`data_type`, `api_name`, picklist `display_value`s and lookup modules).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .ids import MODULE_IDS, ORG_ID, ORG_ZGID

STANDARD_PIPELINE = "Standard (Standard)"

DEFAULT_PIPELINES: dict[str, list[str]] = {
    STANDARD_PIPELINE: [
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ],
    "Partner Pipeline": [
        "Partner Qualification",
        "Joint Proposal",
        "Partner Negotiation",
        "Closed Won",
        "Closed Lost",
    ],
}

LEAD_STATUSES = [
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
]

LEAD_SOURCES = [
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
    "Chat",
]


@dataclass(frozen=True)
class FieldDef:
    api_name: str
    data_type: str
    label: str
    mandatory: bool = False
    read_only: bool = False
    lookup_module: str | None = None
    picklist: tuple[str, ...] = ()

    @property
    def json_type(self) -> str:
        return JSON_TYPES.get(self.data_type, "string")


JSON_TYPES = {
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "boolean": "boolean",
    "currency": "double",
    "double": "double",
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

_PERSON = (
    FieldDef("First_Name", "text", "First Name"),
    FieldDef("Last_Name", "text", "Last Name", mandatory=True),
    FieldDef("Full_Name", "text", "Full Name", read_only=True),
    FieldDef("Email", "email", "Email"),
    FieldDef("Phone", "phone", "Phone"),
    FieldDef("Mobile", "phone", "Mobile"),
    FieldDef("Lead_Source", "picklist", "Lead Source", picklist=tuple(LEAD_SOURCES)),
    FieldDef("Description", "textarea", "Description"),
)


def module_fields(module: str, pipelines: dict[str, list[str]]) -> tuple[FieldDef, ...]:
    """The field definitions of a module; Deals' picklists follow the configured pipelines."""
    if module == "Leads":
        return (
            *_COMMON,
            *_PERSON,
            FieldDef("Company", "text", "Company"),
            FieldDef("Lead_Status", "picklist", "Lead Status", picklist=tuple(LEAD_STATUSES)),
            FieldDef("Annual_Revenue", "currency", "Annual Revenue"),
            FieldDef("Industry", "text", "Industry"),
            FieldDef("Country", "text", "Country"),
            FieldDef("Converted__s", "boolean", "Converted", read_only=True),
            FieldDef("Converted_Date_Time", "datetime", "Converted Date Time", read_only=True),
            FieldDef(
                "Converted_Contact", "lookup", "Converted Contact", read_only=True, lookup_module="Contacts"
            ),
            FieldDef(
                "Converted_Account", "lookup", "Converted Account", read_only=True, lookup_module="Accounts"
            ),
            FieldDef("Converted_Deal", "lookup", "Converted Deal", read_only=True, lookup_module="Deals"),
        )
    if module == "Contacts":
        return (
            *_COMMON,
            *_PERSON,
            FieldDef("Account_Name", "lookup", "Account Name", lookup_module="Accounts"),
        )
    if module == "Accounts":
        return (
            *_COMMON,
            FieldDef("Account_Name", "text", "Account Name", mandatory=True),
            FieldDef("Phone", "phone", "Phone"),
            FieldDef("Website", "website", "Website"),
            FieldDef("Description", "textarea", "Description"),
        )
    if module == "Deals":
        stages = dict.fromkeys(stage for stages in pipelines.values() for stage in stages)
        return (
            *_COMMON,
            FieldDef("Deal_Name", "text", "Deal Name", mandatory=True),
            FieldDef("Amount", "currency", "Amount"),
            FieldDef("Closing_Date", "date", "Closing Date", mandatory=True),
            FieldDef("Stage", "picklist", "Stage", mandatory=True, picklist=tuple(stages)),
            FieldDef("Pipeline", "picklist", "Pipeline", mandatory=True, picklist=tuple(pipelines)),
            FieldDef("Probability", "integer", "Probability (%)"),
            FieldDef("Lead_Source", "picklist", "Lead Source", picklist=tuple(LEAD_SOURCES)),
            FieldDef("Account_Name", "lookup", "Account Name", lookup_module="Accounts"),
            FieldDef("Contact_Name", "lookup", "Contact Name", lookup_module="Contacts"),
            FieldDef("Description", "textarea", "Description"),
        )
    if module == "Notes":
        return (
            *_COMMON[:5],
            FieldDef("Note_Title", "text", "Note Title"),
            FieldDef("Note_Content", "textarea", "Note Content"),
            FieldDef("Parent_Id", "lookup", "Parent ID", read_only=True),
        )
    raise KeyError(module)


def stable_id(*parts: str) -> str:
    """A 19-digit id derived from names, so metadata ids never change between runs."""
    digest = int(hashlib.sha256("/".join(parts).encode()).hexdigest(), 16)
    return str(4876876_000_000_000_000 + 10_000_000 + digest % 1_000_000)


def field_json(module: str, definition: FieldDef) -> dict[str, Any]:
    body: dict[str, Any] = {
        "api_name": definition.api_name,
        "id": stable_id(module, definition.api_name),
        "field_label": definition.label,
        "display_label": definition.label,
        "data_type": definition.data_type,
        "json_type": definition.json_type,
        "system_mandatory": definition.mandatory,
        "read_only": definition.read_only,
        "custom_field": False,
        "visible": True,
        "length": 120,
    }
    if definition.picklist:
        body["pick_list_values"] = [
            {
                "display_value": value,
                "actual_value": value,
                "id": stable_id(module, definition.api_name, value),
                "sequence_number": position,
                "type": "used",
            }
            for position, value in enumerate(definition.picklist, start=1)
        ]
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
    return body


def module_json(api_name: str) -> dict[str, Any]:
    """A module as Get Modules lists it."""
    singular = api_name.removesuffix("s")
    return {
        "api_name": api_name,
        "id": MODULE_IDS[api_name],
        "module_name": api_name,
        "singular_label": singular,
        "plural_label": api_name,
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
