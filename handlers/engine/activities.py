"""The lead's activities handed to the new records' owner when a lead converts singly.

Mass Convert does it itself: its `related_modules` give the lead's Tasks, Events (Meetings) and
Calls to `assign_to`. Single Convert has no such key (docs/zoho-api.md, "Activities"), so the
webhook reaches the same end state another way: before Convert it finds the lead's activities of
the rule's modules (one COQL query a module, `What_Id` the lead), and after Convert it sets their
owner, 100 records a call. The ids are read first because where Zoho files a converted lead's
activities is not documented; ids do not change when a record moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.engine.lookup import query_rows
from handlers.errors import ZohoRefused
from handlers.zoho.coql import Criterion

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

MAX_UPDATE = 100  # records a single Update Records call takes


@dataclass(frozen=True)
class HandedOver:
    """How many of each module's activities now belong to the new owner, and what Zoho refused."""

    moved: dict[str, int] = field(default_factory=dict)
    refused: tuple[str, ...] = ()


def related_ids(zoho: ZohoClient, lead_id: str, modules: tuple[str, ...]) -> dict[str, list[str]]:
    """The ids of the lead's activities, per module (only the modules that have some)."""
    found = {}
    for module in modules:
        rows = query_rows(zoho, module, ("id",), Criterion("What_Id", "=", (lead_id,)))
        ids = [str(row["id"]) for row in rows if str(row.get("id", "")).isdigit()]
        if ids:
            found[module] = ids
    return found


def hand_over(zoho: ZohoClient, ids: dict[str, list[str]], owner_id: str) -> HandedOver:
    """Give every listed activity to `owner_id`; what Zoho refuses (a record, or a whole call) is
    told, not retried, and the other modules go on."""
    moved: dict[str, int] = {}
    refused: list[str] = []
    for module, module_ids in ids.items():
        for start in range(0, len(module_ids), MAX_UPDATE):
            chunk = module_ids[start : start + MAX_UPDATE]
            try:
                answers = zoho.update_records(
                    module, [{"id": one, "Owner": {"id": owner_id}} for one in chunk]
                )
            except ZohoRefused as refusal:  # the whole call: its records keep their owner
                refused.append(f"{module} ({len(chunk)}): {refusal.reason}")
                continue
            for record_id, answer in zip(chunk, answers, strict=True):
                if answer.get("status") == "success":
                    moved[module] = moved.get(module, 0) + 1
                else:
                    refused.append(f"{module} {record_id}: {_reason(answer)}")
    return HandedOver(moved, tuple(refused))


def _reason(answer: dict[str, Any]) -> str:
    return f"{answer.get('code')}: {str(answer.get('message') or '')[:120]}"
