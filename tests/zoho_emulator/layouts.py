"""The org's layouts as Get Layouts answers them (zoho-crm-api.md §13.2).

One "Standard" layout for Leads, Contacts and Accounts; Deals has "Standard", which leads convert
into and which holds the pipelines, and "Renewals", a custom layout without a pipeline (and so
without the Pipeline field). Layouts carry what Get Fields leaves out: the layout's `required`
flag per field, the layout's picklist options (used ones only) and, on the Leads layout, the
`convert_mapping` naming the target layouts and the Deals fields a conversion must fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ids import LAYOUT_IDS
from .metadata import PROFILES, FieldDef, field_json, module_fields, stable_id
from .pipelines import PipelineBook

LAYOUT_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
LAYOUT_MODES = ("all", "business_card", "quick_create")  # zoho-crm-api.md §13.2 `mode`
# The Deals fields a conversion's form shows (convert_mapping.Deals.fields, §13.2 sample).
CONVERSION_DEAL_FIELDS = ("Deal_Name", "Amount", "Closing_Date", "Stage", "Pipeline")
CREATED = "2025-01-06T09:00:00+00:00"


@dataclass(frozen=True)
class Layout:
    module: str
    name: str
    api_name: str
    generated_type: str = "system"
    has_pipelines: bool = False
    left_out: frozenset[str] = frozenset()  # fields of the module this layout does not hold

    @property
    def id(self) -> str:
        return LAYOUT_IDS[(self.module, self.name)]

    def fields(self, book: PipelineBook | None = None) -> tuple[FieldDef, ...]:
        return tuple(
            definition
            for definition in module_fields(self.module, book)
            if definition.used and definition.api_name not in self.left_out
        )

    def reference(self) -> dict[str, str]:
        return {"display_label": self.name, "name": self.name, "id": self.id}


LAYOUTS = (
    Layout("Leads", "Standard", "Standard__s"),
    Layout("Contacts", "Standard", "Standard__s"),
    Layout("Accounts", "Standard", "Standard__s"),
    Layout("Deals", "Standard", "Standard__s", has_pipelines=True),
    Layout("Deals", "Renewals", "Renewals", generated_type="custom", left_out=frozenset({"Pipeline"})),
)
# The layouts a conversion creates records in (the Leads layout's convert_mapping).
CONVERSION_TARGETS = {layout.module: layout for layout in LAYOUTS if layout.name == "Standard"}


def layouts_of(module: str) -> list[Layout]:
    return [layout for layout in LAYOUTS if layout.module == module]


def layout_by_id(layout_id: str) -> Layout | None:
    return next((layout for layout in LAYOUTS if layout.id == layout_id), None)


def layout_associations(module: str, api_name: str) -> list[dict[str, str]]:
    """The layouts that hold a field, as Get Fields' `layout_associations` (v7+) lists them."""
    return [
        {"api_name": layout.api_name, "name": layout.name, "id": layout.id}
        for layout in layouts_of(module)
        if any(definition.api_name == api_name for definition in layout.fields())
    ]


def layout_json(
    layout: Layout, book: PipelineBook, admin: dict[str, str], hidden: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One layout of Get Layouts (zoho-crm-api.md §13.2); `admin` is created_by/modified_by."""
    is_default = layout.name == "Standard"
    return {
        "id": layout.id,
        "name": layout.name,
        "api_name": layout.api_name,
        "display_label": layout.name,
        "status": "active",
        "visible": True,
        "generated_type": layout.generated_type,
        "source": "crm",
        "mode": "all",
        "show_business_card": False,
        "has_more_profiles": False,
        "created_time": CREATED,
        "modified_time": CREATED,
        "created_by": admin,
        "modified_by": admin,
        "created_for": None,
        "profiles": [
            {
                "name": profile,
                "id": stable_id("profile", profile),
                "default": is_default,
                "_default_view": {"name": layout.name, "id": layout.id, "type": "layout"},
            }
            for profile in PROFILES
        ],
        "actions_allowed": {
            "edit": True,
            "rename": layout.generated_type == "custom",
            "clone": True,
            "downgrade": False,
            "delete": layout.generated_type == "custom",
            "deactivate": layout.generated_type == "custom",
            "set_layout_permissions": True,
        },
        "convert_mapping": _convert_mapping(book) if layout.module == "Leads" else None,
        "sections": _sections(layout, book, hidden),
    }


def _sections(layout: Layout, book: PipelineBook, hidden: frozenset[str]) -> list[dict[str, Any]]:
    fields = layout.fields(book)
    singular = layout.module.removesuffix("s")
    groups = [
        (f"{singular} Information", [d for d in fields if d.api_name != "Description"]),
        ("Description Information", [d for d in fields if d.api_name == "Description"]),
    ]
    sections = []
    for number, (name, definitions) in enumerate(groups, start=1):
        section_id = stable_id("section", layout.id, name)
        sections.append(
            {
                "id": section_id,
                "api_name": name.replace(" ", "_"),
                "name": name,
                "display_label": name,
                "sequence_number": number,
                "column_count": 2 if number == 1 else 1,
                "tab_traversal": "left_to_right",
                "isSubformSection": False,
                "type": "used",
                "generated_type": "default",
                "fields": [
                    _section_field(layout, definition, section_id, book, definition.api_name in hidden)
                    for definition in definitions
                ],
            }
        )
    return sections


def _section_field(
    layout: Layout, definition: FieldDef, section_id: str, book: PipelineBook, hidden: bool
) -> dict[str, Any]:
    """The field with the layout's `required` and only the options this layout offers."""
    body = field_json(layout.module, definition, hidden=hidden, book=book if layout.has_pipelines else None)
    body["pick_list_values"] = [value for value in body["pick_list_values"] if value["type"] == "used"]
    body.update(
        required=definition.required,
        section_id=section_id,
        default_value=None,
        validation_rule=None,
        static_values=None,
    )
    return body


def _convert_mapping(book: PipelineBook) -> dict[str, Any]:
    deals = CONVERSION_TARGETS["Deals"]
    by_name = {definition.api_name: definition for definition in deals.fields(book)}
    fields = [
        {
            "api_name": api_name,
            "field_label": by_name[api_name].label,
            "id": stable_id("Deals", api_name),
            "required": by_name[api_name].required,
        }
        for api_name in CONVERSION_DEAL_FIELDS
    ]
    return {
        "Contacts": CONVERSION_TARGETS["Contacts"].reference(),
        "Accounts": CONVERSION_TARGETS["Accounts"].reference(),
        "Deals": {**deals.reference(), "fields": fields},
    }
