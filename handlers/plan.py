"""Deciding a lead: the rule that applies and the exact Convert request, or why nothing is sent.

The webhook, `explain`, `convert --dry-run` and the sweep all decide through `plan_lead`, so they
cannot disagree about a lead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from handlers.lead import Lead, is_converted
from handlers.matching import Decision, decide
from handlers.payload import ConvertRequest, build_convert_request
from handlers.rules import Rule, RuleSet

Action = Literal["convert", "skip", "already_converted"]


@dataclass(frozen=True)
class Plan:
    """What to do with one lead. `request` is set when the action is "convert"; `reason` otherwise."""

    action: Action
    decision: Decision | None  # every rule evaluated up to the winner; None for a converted lead
    rule: Rule | None = None
    request: ConvertRequest | None = None
    reason: str | None = None


def plan_lead(rules: RuleSet, lead_id: str, lead: Lead, now: dt.datetime, *, legacy: bool) -> Plan:
    """`legacy`: build the request in the v2/v2.1 shapes (ApiVersion.legacy_shapes)."""
    if is_converted(lead):
        return Plan("already_converted", None, reason="the lead was converted before")
    decision = decide(rules, lead)
    rule = decision.rule
    if rule is None:
        return Plan("skip", decision, reason=decision.no_match_reason())
    if rule.skip:
        return Plan("skip", decision, rule, reason=f"rule {rule.name!r} says skip")
    return Plan("convert", decision, rule, build_convert_request(rule, lead_id, lead, now, legacy=legacy))
