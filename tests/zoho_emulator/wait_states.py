"""Per-lead wait states: an approval process, a review process, a record lock, a merge in progress
(zoho-crm-api.md §14.1). A state passes on Zoho's side; while it lasts, Convert refuses the lead
and record reads show it.

What each state does:

- awaiting_approval: reads show `$approved` false, `$approval_state` "approval_process_pending"
  and `$approval` with approve / reject; Convert answers NOT_APPROVED; Get Record and Get Records
  leave the lead out unless `approved=false` or `both` (§14.3), COQL leaves it out.
- awaiting_review: `$approval_state` "review_process_pending", `$review_process` with approve /
  reject; Convert answers NOT_REVIEWED.
- in_merge: `$in_merge` true, `$approval_state` "merge_pending"; Convert answers RECORD_LOCKED.
- locked: `Locked__s` true, `GET Leads/{id}/Locking_Information__s` answers the lock; Convert
  answers RECORD_LOCKED.

Any state makes `$editable` false. The values of these keys in each state are UNVERIFIED (§14.1):
the `$approval_state` names are values of OAS-new's `approval_state` enum, the rest the emulator's
choice. Whether the refusals come wrapped in data[] or as a root object is UNVERIFIED too (§14.11
item 1): `faults.wait_state_placement` ("wrapped", the default, or "root") picks one, HTTP 400
either way. A lead in several states is refused for the first of approval, review, merge, lock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .protocol import ApiError, record_error, top_level_error

PLACEMENTS = ("wrapped", "root")  # zoho-crm-api.md §14.1 "Read both placements"
LOCK_SOURCES = ("Manual", "Automatic")  # OAS-new Lock_Source__s (also "Both")
FLAGS = ("awaiting_approval", "awaiting_review", "locked", "in_merge")
KEYS = (*FLAGS, "lock_source", "lock_reason")


@dataclass(frozen=True)
class WaitState:
    awaiting_approval: bool = False
    awaiting_review: bool = False
    locked: bool = False
    in_merge: bool = False
    lock_source: str = "Manual"  # Manual: a user locked it; Automatic: a locking rule did
    lock_reason: str | None = None  # Locked_Reason__s; null for an automatic lock (OAS-new)
    # Set by the store when the lead is locked (not settable): Locking_Information__s's id, time.
    lock_id: str | None = None
    locked_time: str | None = None

    @property
    def waiting(self) -> bool:
        return any(getattr(self, flag) for flag in FLAGS)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def changed(self, changes: dict[str, Any]) -> WaitState:
        """A copy with `changes` applied; ValueError naming the first key that is wrong (and
        nothing changes)."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in KEYS:
                raise ValueError(f"{key}: unknown lead state; known: {', '.join(KEYS)}")
            if key in FLAGS and not isinstance(value, bool):
                raise ValueError(f"{key}: expected true or false, not {value!r}")
            if key == "lock_source" and value not in LOCK_SOURCES:
                raise ValueError(f"lock_source: expected one of {', '.join(LOCK_SOURCES)}, not {value!r}")
            if key == "lock_reason" and value is not None and not isinstance(value, str):
                raise ValueError(f"lock_reason: expected a string or null, not {value!r}")
            checked[key] = value
        return replace(self, **checked)

    @property
    def approval_state(self) -> str:
        """`$approval_state`: a value of OAS-new's approval_state enum (UNVERIFIED per state)."""
        if self.awaiting_approval:
            return "approval_process_pending"
        if self.awaiting_review:
            return "review_process_pending"
        if self.in_merge:
            return "merge_pending"
        return "approved"

    def record_keys(self) -> dict[str, Any]:
        """The keys a record read adds for the lead (zoho-crm-api.md §14.1 "Record flags"):
        `$approval_state`, `$approved`, `$approval`, `$review_process`, `$in_merge`, `$editable`,
        and `Locked__s` (not in the reference: public payloads of records show it)."""
        return {
            "$approved": not self.awaiting_approval,
            "$approval_state": self.approval_state,
            "$approval": {
                "delegate": False,
                "approve": self.awaiting_approval,  # the token's user is the approver
                "reject": self.awaiting_approval,
                "resubmit": False,
            },
            "$review_process": {
                "approve": self.awaiting_review,
                "reject": self.awaiting_review,
                "resubmit": False,
            },
            "$in_merge": self.in_merge,
            "$editable": not self.waiting,
            "Locked__s": self.locked,
        }

    def convert_refusal(self, lead_id: str, placement: str) -> ApiError | None:
        """zoho-crm-api.md §14.1: the refusal Convert gives a lead in this state, or None.
        Messages: NOT_APPROVED's is DOC-v7's; the others are the emulator's choice (UNVERIFIED)."""
        if self.awaiting_approval:
            return _refusal(
                "NOT_APPROVED", "cannot convert record that is not approved yet", {"id": lead_id}, placement
            )
        if self.awaiting_review:
            return _refusal(
                "NOT_REVIEWED",
                "cannot convert record that is still in review process",
                {"id": lead_id},
                placement,
            )
        return self.lock_refusal(lead_id, placement, locks=True)

    def options_refusal(self, lead_id: str, placement: str) -> ApiError | None:
        """zoho-crm-api.md §2: conversion options answer NOT_APPROVED and RECORD_LOCKED (merge in
        progress); a review or a record lock is not documented to refuse them, so they do not."""
        if self.awaiting_approval:
            return _refusal(
                "NOT_APPROVED", "cannot convert record that is not approved yet", {"id": lead_id}, placement
            )
        return self.lock_refusal(lead_id, placement, locks=False)

    def lock_refusal(self, lead_id: str, placement: str, locks: bool) -> ApiError | None:
        """RECORD_LOCKED for a merge in progress, and (with `locks`) for a record lock; the lock
        carries `details{action: "record_locking", id}` as record APIs give it (§14.1)."""
        if self.in_merge:
            return _refusal(
                "RECORD_LOCKED",
                "merge duplicates is in progress for this record",
                {"action": "merge", "id": lead_id},
                placement,
            )
        if locks and self.locked:
            return _refusal(
                "RECORD_LOCKED",
                "the record is locked",
                {"action": "record_locking", "id": lead_id},
                placement,
            )
        return None


NO_WAIT = WaitState()


def _refusal(code: str, message: str, details: dict[str, Any], placement: str) -> ApiError:
    if placement == "root":
        return top_level_error(400, code, message, details)
    return record_error(code, message, details)
