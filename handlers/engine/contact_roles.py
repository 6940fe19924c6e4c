"""The converted contact's role on the new deal: `deal.Contact_Role`, named in the rules file.

Zoho's Convert takes the role's id inside `Deals` (v5 and later; docs/zoho-api.md, "Contact
roles"); the rules file names the role as an admin sees it, so the name is looked up among the
org's roles. A role the org does not have fails the lead before Convert, naming the rule, the key
and the roles there are (the deal must not silently lose the role); other rules convert on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from handlers.engine.payload import ConvertRequest
from handlers.engine.rules import Rule
from handlers.errors import RuleCannotConvert

FIELD = "Contact_Role"
MIN_VERSION = 5  # Convert takes a contact role in Deals from v5 on


def named_role(rule: Rule) -> str | None:
    """The role the rule names for the converted contact, if any."""
    if rule.deal is None:
        return None
    value = dict(rule.deal.fields).get(FIELD)
    return str(value) if value is not None else None


def with_role_id(request: ConvertRequest, rule: Rule, roles: Mapping[str, str]) -> ConvertRequest:
    """The request with the role's name replaced by its id (an id given as such stays)."""
    item = request.body["data"][0]
    deal = item.get("Deals")
    if not isinstance(deal, dict) or FIELD not in deal:
        return request
    given = str(deal[FIELD])
    if given in roles.values():
        return request
    if given not in roles:
        known = ", ".join(sorted(roles)) or "none"
        raise RuleCannotConvert(
            f"rule {rule.name!r}: deal.{FIELD}: {given!r} is not a contact role of the org"
            f" (its roles: {known})"
        )
    body = {"data": [{**item, "Deals": {**deal, FIELD: roles[given]}}]}
    return replace(request, body=body)
