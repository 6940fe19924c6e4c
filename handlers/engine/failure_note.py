"""The failure note: what a refused conversion leaves on its lead, and when the sweep tries again.

The note is the only state the product keeps, so it survives restarts and redeploys and needs no
infrastructure: it names the rule, Zoho's code, the rules file's version, how many attempts failed
and when the last one was. A lead that failed is tried again with backoff (after 1 hour, then 4,
then a day, then daily), at once when the rules file changes or the lead is edited since, and
whenever an admin asks (`retry_failed`): a stuck lead costs a few credits a day, not one Convert
every sweep.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.zoho.lead import zoho_time

TITLE = "Automatic conversion failed"
# A lead held because several existing records match it gets the same kind of note, with its own
# title, and the same backoff: it is not held (and noted) again on every sweep.
HELD_TITLE = "Automatic conversion held"
HELD_CODE = "HELD"  # the code a held lead's note stands for (Zoho gave none)
BACKOFF = (dt.timedelta(hours=1), dt.timedelta(hours=4), dt.timedelta(days=1))  # then daily
_FIELD = re.compile(r"^(Rule|Zoho code|Held|Rules version|Attempts|Last attempt): (.*)$", re.MULTILINE)
HELD_LINE = "several existing records match the lead"


def signature(rule: str | None, code: str | None) -> str:
    """How a note begins: one note per lead, rule and code."""
    if code == HELD_CODE:
        return f"Rule: {rule}\nHeld: {HELD_LINE}\n"
    return f"Rule: {rule}\nZoho code: {code}\n"


def title(code: str | None) -> str:
    return HELD_TITLE if code == HELD_CODE else TITLE


def render(
    rule: str | None,
    code: str | None,
    rules_version: str,
    attempts: int,
    last_attempt: dt.datetime,
    message: str,
    first_time: str | None = None,
    appendix: str = "",
) -> str:
    """The note's text (`message` and `appendix` already scrubbed of secrets)."""
    last = last_attempt.isoformat(timespec="seconds")
    said = "Why" if code == HELD_CODE else "Zoho message"
    return (
        f"{signature(rule, code)}Rules version: {rules_version}\nAttempts: {attempts}\n"
        f"Last attempt: {last}\n{said}: {message}\nTime: {first_time or last}{appendix}"
    )


@dataclass(frozen=True)
class FailureNote:
    """A failure note as read back: which rule failed with which code, how often, and when last."""

    note_id: str | None
    lead_id: str | None
    rule: str
    code: str
    rules_version: str | None
    attempts: int
    last_attempt: dt.datetime
    first_time: str | None

    def due(self, now: dt.datetime, rules_version: str, modified: dt.datetime | None = None) -> bool:
        """Whether the lead may be tried again: its backoff has passed, the rules file changed, or
        the lead was edited after the last attempt."""
        if self.rules_version != rules_version:
            return True
        if modified is not None and modified > self.last_attempt:
            return True
        wait = BACKOFF[min(self.attempts, len(BACKOFF)) - 1] if self.attempts >= 1 else dt.timedelta(0)
        return now >= self.last_attempt + wait


def parse(note: Mapping[str, Any]) -> FailureNote | None:
    """A note read from Zoho, when it is a failure note this product wrote; None otherwise."""
    content = note.get("Note_Content")
    if note.get("Note_Title") not in (TITLE, HELD_TITLE) or not isinstance(content, str):
        return None
    fields = dict(_FIELD.findall(content))
    if note.get("Note_Title") == HELD_TITLE and "Held" in fields:
        fields["Zoho code"] = HELD_CODE
    if "Rule" not in fields or "Zoho code" not in fields:
        return None
    last = (
        zoho_time(fields.get("Last attempt"))
        or zoho_time(_time_line(content))
        or zoho_time(note.get("Created_Time"))
    )
    if last is None:
        return None
    attempts = fields.get("Attempts", "1")
    return FailureNote(
        note_id=str(note["id"]) if note.get("id") else None,
        lead_id=_parent_lead(note.get("Parent_Id")),
        rule=fields["Rule"],
        code=fields["Zoho code"],
        rules_version=fields.get("Rules version"),
        attempts=int(attempts) if attempts.isdigit() else 1,
        last_attempt=last,
        first_time=_time_line(content),
    )


def _time_line(content: str) -> str | None:
    found = re.search(r"^Time: (.*)$", content, re.MULTILINE)
    return found[1] if found else None


def _parent_lead(parent: Any) -> str | None:
    """The lead a note belongs to (`Parent_Id` as v3+ answers it), or None for another module's."""
    if not isinstance(parent, Mapping):
        return None
    module = parent.get("module")
    if isinstance(module, Mapping) and module.get("api_name") not in (None, "Leads"):
        return None
    return str(parent["id"]) if parent.get("id") else None
