"""The contact and account a lead converts into when the org already has them.

Zoho's Convert creates a new contact, and an account from the lead's Company, unless the request
names existing ones; it refuses only a duplicate on a unique field (docs/zoho-api.md, "Lead
Conversion Options"). The candidates come from Zoho's conversion options (the webhook) or from a
lookup by the same criteria (handlers.engine.lookup); `choose` decides between them the same way
for both, so the webhook and the sweep cannot pick different records for one lead.

A contact is a candidate when it matched on a unique field or on the lead's Email; an account when
it matched on a unique field or on its name against the lead's Company. A contact that matched on
its name alone is never used: two people share a name far more often than an email address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from handlers.zoho.lead import zoho_time

WhenAmbiguous = Literal["hold", "newest", "create"]
NAME_FIELDS = frozenset({"Full_Name", "First_Name", "Last_Name"})
OWN_ACCOUNT = "Contacts.Account_Name"  # how a contact's own account "matched"


@dataclass(frozen=True)
class Match:
    """A record that matches the lead, and the fields of the record that matched it."""

    module: Literal["Contacts", "Accounts"]
    id: str
    name: str | None
    fields: tuple[str, ...]
    account: tuple[str, str | None] | None = None  # a contact's own account: (id, name)
    modified: dt.datetime | None = None

    def as_json(self) -> dict[str, str]:
        """How the outcome and the log line show it: `{"id": ..., "field": "Email"}`."""
        return {"id": self.id, "field": ", ".join(self.fields)}

    def describe(self) -> str:
        name = f' "{self.name}"' if self.name else ""
        return f"{self.module} {self.id}{name}, matched on {', '.join(self.fields)}"


@dataclass(frozen=True)
class Matches:
    """The lead's candidates per module. `name_only`: contacts Zoho matched on the name alone."""

    contacts: tuple[Match, ...] = ()
    accounts: tuple[Match, ...] = ()
    name_only: tuple[Match, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.contacts and not self.accounts

    def with_modified(self, times: Mapping[str, dt.datetime | None]) -> Matches:
        """The same candidates, their Modified_Time taken from `times` (by record id)."""

        def dated(matches: tuple[Match, ...]) -> tuple[Match, ...]:
            return tuple(replace(match, modified=times.get(match.id, match.modified)) for match in matches)

        return Matches(dated(self.contacts), dated(self.accounts), self.name_only)

    def undated(self, when_ambiguous: WhenAmbiguous) -> dict[str, list[str]]:
        """The ids whose Modified_Time `newest` needs and does not have, per module."""
        if when_ambiguous != "newest":
            return {}
        missing: dict[str, list[str]] = {}
        for module, matches in (("Contacts", self.contacts), ("Accounts", self.accounts)):
            if len(matches) > 1 and any(match.modified is None for match in matches):
                missing[module] = [match.id for match in matches]
        return missing


@dataclass(frozen=True)
class Link:
    """Convert into these records (None: let Zoho create one); `warnings` for the log line."""

    contact: Match | None = None
    account: Match | None = None
    warnings: tuple[str, ...] = ()

    def matched(self) -> dict[str, dict[str, str]]:
        chosen = (("Contacts", self.contact), ("Accounts", self.account))
        return {module: match.as_json() for module, match in chosen if match is not None}


@dataclass(frozen=True)
class Held:
    """Not converted: a person must choose between the candidates (why, and the candidates)."""

    reason: str
    candidates: tuple[Match, ...]

    def matched(self) -> dict[str, list[dict[str, str]]]:
        listed: dict[str, list[dict[str, str]]] = {}
        for match in self.candidates:
            listed.setdefault(match.module, []).append(match.as_json())
        return listed


def choose(matches: Matches, when_ambiguous: WhenAmbiguous) -> Link | Held:
    """The records to convert into.

    One candidate in a module is used. Several are ambiguous: `hold` holds the lead, `newest`
    takes the most recently modified (the highest id on a tie), `create` lets Zoho create a new
    record. A chosen contact brings its own account, which wins over the accounts matched by name
    when it is among them or none matched; when the lead's Company names only other accounts, the
    contact and the lead point at different companies: `hold` holds the lead, the others convert
    into the contact and its own account (never a contact of one company with another's account).
    """
    contact = _pick(matches.contacts, when_ambiguous)
    if isinstance(contact, Held):
        return contact
    if contact is None or contact.account is None:
        account = _pick(matches.accounts, when_ambiguous)
        if isinstance(account, Held):
            return account
        return Link(contact, account)
    own_id, own_name = contact.account
    own = Match("Accounts", own_id, own_name, (OWN_ACCOUNT,))
    if not matches.accounts:
        return Link(contact, own)
    named = next((match for match in matches.accounts if match.id == own_id), None)
    if named is not None:
        return Link(contact, named)
    others = ", ".join(match.describe() for match in matches.accounts)
    if when_ambiguous == "hold":
        return Held(
            f"the contact that matched ({contact.describe()}) belongs to account {own_id}, but the"
            f" lead's company matches another account ({others})",
            (contact, own, *matches.accounts),
        )
    warning = (
        f"converted into the contact's own account {own_id}; the lead's company matches another"
        f" account ({others})"
    )
    return Link(contact, own, (warning,))


def _pick(matches: tuple[Match, ...], when_ambiguous: WhenAmbiguous) -> Match | Held | None:
    if len(matches) <= 1:
        return matches[0] if matches else None
    if when_ambiguous == "create":
        return None
    if when_ambiguous == "newest":
        return max(matches, key=_recency)
    module = matches[0].module
    return Held(f"{len(matches)} {module.lower()} match the lead", matches)


def _recency(match: Match) -> tuple[dt.datetime, int]:
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return match.modified or oldest, int(match.id) if match.id.isdigit() else 0


# --- from Zoho's answers ------------------------------------------------------------------------


def from_conversion_options(options: Mapping[str, Any] | None) -> Matches:
    """The candidates in a Lead Conversion Options answer (None: Zoho answered 204, no match).

    The answer lists each module's records and, apart, the (field, lead value) pairs that matched;
    a record matched on the fields whose value it carries. A record that shows none of them
    matched on a field the abbreviated record leaves out (a unique field): those fields are named.
    The name is named only when nothing else matched.
    """
    if not options:
        return Matches()
    matched = options.get("preference_field_matched_value")
    matched = matched if isinstance(matched, Mapping) else {}
    contacts = _options_of(options, matched, "Contacts")
    accounts = _options_of(options, matched, "Accounts")
    usable = tuple(match for match in contacts if not set(match.fields) <= NAME_FIELDS)
    name_only = tuple(match for match in contacts if set(match.fields) <= NAME_FIELDS)
    return Matches(usable, accounts, name_only)


def _options_of(
    options: Mapping[str, Any], matched: Mapping[str, Any], module: Literal["Contacts", "Accounts"]
) -> tuple[Match, ...]:
    pairs = [
        (str(item["field"]["api_name"]), item.get("matched_lead_value"))
        for item in matched.get(module) or []
        if isinstance(item, Mapping)
        and isinstance(item.get("field"), Mapping)
        and item["field"].get("api_name")
    ]
    found = []
    for record in options.get(module) or []:
        if not isinstance(record, Mapping) or not record.get("id"):
            continue
        fields = [name for name, value in pairs if _same(record.get(name), value)]
        if not fields:
            fields = [name for name, _ in pairs if name not in record] or ["unknown"]
        stronger = [name for name in fields if name not in NAME_FIELDS]
        fields = stronger or fields  # a name is worth naming only when nothing else matched
        found.append(_match(module, record, fields))
    return tuple(found)


def from_records(
    module: Literal["Contacts", "Accounts"], records: Iterable[Mapping[str, Any]], field: str
) -> tuple[Match, ...]:
    """Candidates from records read by a lookup on `field` (handlers.engine.lookup)."""
    return tuple(_match(module, record, [field]) for record in records if record.get("id"))


def _match(module: Literal["Contacts", "Accounts"], record: Mapping[str, Any], fields: list[str]) -> Match:
    name_field = "Full_Name" if module == "Contacts" else "Account_Name"
    name = record.get(name_field)
    account = record.get("Account_Name") if module == "Contacts" else None
    return Match(
        module,
        str(record["id"]),
        str(name) if isinstance(name, str) and name else None,
        tuple(dict.fromkeys(fields)),
        _account(account),
        zoho_time(record.get("Modified_Time")),
    )


def _account(value: Any) -> tuple[str, str | None] | None:
    """A contact's Account_Name lookup: `{"name", "id"}` (v3+), `{"id"}` (COQL) or an id (v2)."""
    if isinstance(value, Mapping):
        name = value.get("name")
        return (str(value["id"]), str(name) if name else None) if value.get("id") else None
    return (str(value), None) if isinstance(value, str | int) and str(value).isdigit() else None


def _same(left: Any, right: Any) -> bool:
    """Zoho matches text without regard to case."""
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    return left is not None and left == right
