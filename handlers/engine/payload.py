"""The Convert Lead request body a rule produces for a lead, in the shape of the API version used."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from handlers.engine.rules import ALL_TAGS, Distribute, LeadOwner, RelativeDate, Rule, User
from handlers.engine.templates import render_value
from handlers.zoho.lead import Lead, owner_id, tag_names

# The longest text single Convert takes in a Deals text field (docs/zoho-api.md, "Convert Lead");
# a rendered value past it is cut, or Zoho would refuse the whole conversion (INVALID_DATA with
# maximum_length). Mass Convert allows a longer Deal_Name; both paths cut to these, so that a lead
# makes the same deal whichever converts it. Picklists are never cut: a cut option is no option.
DEAL_TEXT_LENGTHS = {"Deal_Name": 120, "Next_Step": 200, "Description": 32000}


@dataclass(frozen=True)
class ConvertRequest:
    """The exact body to send; the placeholders that rendered empty for want of a lead value; the
    deal fields cut to Zoho's maximum length."""

    body: dict[str, Any]
    missing_fields: tuple[str, ...]
    cut_fields: tuple[str, ...] = ()
    cut_to: Mapping[str, int] = field(default_factory=dict)  # an org's shorter limits, from Zoho

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"deal.{name} was cut to {self.cut_to.get(name, DEAL_TEXT_LENGTHS[name])} characters,"
            " the most Zoho takes"
            for name in self.cut_fields
        )


def build_convert_request(
    rule: Rule, lead_id: str, lead: Lead, now: dt.datetime, *, legacy: bool
) -> ConvertRequest:
    """`legacy`: the v2/v2.1 shapes (plain id strings instead of {"id": ...} objects)."""
    item: dict[str, Any] = {
        "overwrite": rule.overwrite,
        "notify_lead_owner": rule.notify_lead_owner,
        "notify_new_entity_owner": rule.notify_new_entity_owner,
    }
    missing: list[str] = []
    cut: list[str] = []
    owner = choose_owner(rule, lead_id, lead)
    if owner is not None:
        item["assign_to"] = owner if legacy else {"id": owner}
    if rule.deal is not None:
        deal = render_value(rule.deal.values, lead, missing)
        for name, longest in DEAL_TEXT_LENGTHS.items():
            if isinstance(deal.get(name), str) and len(deal[name]) > longest:
                deal[name] = deal[name][:longest]
                cut.append(name)
        deal["Closing_Date"] = closing_date(rule, now).isoformat()
        item["Deals"] = deal
    tags = carried_tags(rule, lead)
    if tags:
        item["carry_over_tags"] = tags
    if rule.move_attachments_to is not None:
        item["move_attachments_to"] = {"api_name": rule.move_attachments_to}
    return ConvertRequest({"data": [item]}, tuple(dict.fromkeys(missing)), tuple(cut))


def cut_to_refused_length(request: ConvertRequest, details: Any) -> ConvertRequest | None:
    """The request with the deal text Zoho refused as too long (`details`: `api_name` and
    `maximum_length`, an org's own shorter limit) cut to that length; None when the refusal is
    not about a deal text of the request, or the text is no longer than that."""
    if not isinstance(details, dict):
        return None
    name, longest = details.get("api_name"), details.get("maximum_length")
    item = dict(request.body["data"][0])
    deal = dict(item.get("Deals") or {})
    value = deal.get(name) if isinstance(name, str) else None
    if name not in DEAL_TEXT_LENGTHS or not isinstance(value, str) or not isinstance(longest, int):
        return None
    if longest < 1 or len(value) <= longest:
        return None
    deal[name], item["Deals"] = value[:longest], deal
    cut = tuple(dict.fromkeys([*request.cut_fields, name]))
    return ConvertRequest({"data": [item]}, request.missing_fields, cut, {**request.cut_to, name: longest})


def with_existing_records(
    request: ConvertRequest, contact_id: str | None, account_id: str | None, *, legacy: bool
) -> ConvertRequest:
    """The same request, linking the lead to an existing contact and/or account instead of creating them."""
    item = dict(request.body["data"][0])
    for module, record_id in (("Contacts", contact_id), ("Accounts", account_id)):
        if record_id is not None:
            item[module] = record_id if legacy else {"id": record_id}
    return ConvertRequest({"data": [item]}, request.missing_fields, request.cut_fields, request.cut_to)


def without_deal(request: ConvertRequest) -> ConvertRequest:
    """The same request converting the lead without creating a deal."""
    item = {key: value for key, value in request.body["data"][0].items() if key != "Deals"}
    tags = item.get("carry_over_tags")
    if isinstance(tags, dict) and "Deals" in tags:
        item["carry_over_tags"] = {module: names for module, names in tags.items() if module != "Deals"}
        if not item["carry_over_tags"]:
            del item["carry_over_tags"]
    if item.get("move_attachments_to") == {"api_name": "Deals"}:
        del item["move_attachments_to"]
    return ConvertRequest({"data": [item]}, ())  # only the deal renders lead values


def choose_owner(rule: Rule, lead_id: str, lead: Lead) -> str | None:
    """The user id owning the new records; None lets Zoho keep the lead owner."""
    owner = rule.assign_to
    if isinstance(owner, LeadOwner):
        return owner_id(lead)
    if isinstance(owner, User):
        return owner.id
    return distribute(owner, lead_id)


def distribute(owner: Distribute, lead_id: str) -> str:
    """A user chosen by a stable hash of the lead id: same lead, same user; many leads, spread by weight."""
    bounds = list(accumulate(weight for _, weight in owner.weights))
    digest = hashlib.blake2b(lead_id.encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") % bounds[-1]
    return owner.weights[bisect.bisect_right(bounds, point)][0]


def closing_date(rule: Rule, now: dt.datetime) -> dt.date:
    assert rule.deal is not None
    closing = rule.deal.closing_date
    if isinstance(closing, RelativeDate):
        return now.astimezone(rule.zone).date() + dt.timedelta(days=closing.days)
    return closing


def carried_tags(rule: Rule, lead: Lead) -> dict[str, list[str]]:
    """Per module, the rule's tags the lead actually has (`all` = every tag on the lead)."""
    if not rule.carry_over_tags:
        return {}
    on_lead = tag_names(lead)
    carried: dict[str, list[str]] = {}
    for module, selection in rule.carry_over_tags:
        names = list(on_lead) if selection == ALL_TAGS else [t for t in selection if t in on_lead]
        if names:
            carried[module] = names
    return carried
