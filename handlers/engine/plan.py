"""Deciding a lead: the rule that applies and the exact Convert request, or why nothing is sent.

The webhook, `explain`, `convert --dry-run` and the sweep all decide through `plan_lead`, so they
cannot disagree about a lead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from handlers.engine.lookup import LeadKeys
from handlers.engine.matching import Decision, decide
from handlers.engine.payload import ConvertRequest, build_convert_request
from handlers.engine.rules import Rule, RuleSet
from handlers.engine.templates import placeholders_in
from handlers.errors import Misconfigured
from handlers.zoho.lead import Lead, is_converted

Action = Literal["convert", "skip", "already_converted"]


@dataclass(frozen=True)
class Plan:
    """What to do with one lead. `request` is set when the action is "convert"; `reason` otherwise."""

    action: Action
    decision: Decision | None  # every rule evaluated up to the winner; None for a converted lead
    rule: Rule | None = None
    request: ConvertRequest | None = None
    reason: str | None = None
    keys: LeadKeys | None = None  # what the lead is looked up by among existing records


def plan_lead(rules: RuleSet, lead_id: str, lead: Lead, now: dt.datetime, *, legacy: bool) -> Plan:
    """`legacy`: build the request in the v2/v2.1 shapes (ApiVersion.legacy_shapes).

    A lead read without a field the rules read is Misconfigured, not a lead that matches no rule:
    Zoho leaves out the fields the token's user may not see, so every lead would look the same.
    """
    if is_converted(lead):
        return Plan("already_converted", None, reason="the lead was converted before")
    return plan_rules(rules, lead_id, lead, now, legacy=legacy)


def plan_rules(rules: RuleSet, lead_id: str, lead: Lead, now: dt.datetime, *, legacy: bool) -> Plan:
    """What the rules decide for the lead, whether it is converted or not: `plan_lead` for a lead
    still to convert; the backtest also shows which rule would have converted a converted one."""
    absent = absent_fields(rules, lead)
    if absent:
        raise Misconfigured(
            f"the lead read from Zoho has no {', '.join(absent)} field, which the rules read: most"
            " likely field-level security hides it from the user whose refresh token the function"
            " uses (Setup > Security Control > Profiles > Field-level access), or the API name is wrong"
        )
    return plan_decision(decide(rules, lead), lead_id, lead, now, legacy=legacy)


def plan_decision(decision: Decision, lead_id: str, lead: Lead, now: dt.datetime, *, legacy: bool) -> Plan:
    """The plan for a lead once its rule is decided (by `plan_lead`, or by the sweep from a row)."""
    rule = decision.rule
    if rule is None:
        return Plan("skip", decision, reason=decision.no_match_reason())
    if rule.skip:
        return Plan("skip", decision, rule, reason=f"rule {rule.name!r} says skip")
    hidden = [path.split(".")[0] for path in placeholders_in(rule.deal.values)] if rule.deal else []
    absent = [name for name in dict.fromkeys(hidden) if name not in lead]
    if absent:
        raise Misconfigured(
            f"rule {rule.name!r} fills the deal from {', '.join(absent)}, which the lead read from Zoho"
            " does not have: most likely field-level security hides it from the function's user"
        )
    request = build_convert_request(rule, lead_id, lead, now, legacy=legacy)
    return Plan("convert", decision, rule, request, keys=LeadKeys.of(lead))


def absent_fields(rules: RuleSet, lead: Lead) -> list[str]:
    """The fields the rules' conditions read that the lead record lacks (absent, not empty)."""
    read = dict.fromkeys(condition.field.split(".")[0] for rule in rules.rules for condition in rule.when)
    return [name for name in read if name not in lead and not name.startswith("$")]
