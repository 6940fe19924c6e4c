"""The rules held against the live org: what would fail a conversion, found before a lead does.

Each problem names the file, the rule and the key, like the loader's errors: a field that does
not exist (with a "did you mean" from the org's own API names), a picklist value the field does
not have, a comparison on a field of the wrong type, a stage outside its pipeline, a required
Deals field the rule leaves empty, an inactive user, an unknown tag, a missing OAuth scope.
Picklist values are checked against the options' actual values, what the API stores and
answers (docs/zoho-api.md, "Metadata"); a display value is named when it was probably meant.
"""

from __future__ import annotations

import difflib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from handlers.engine.contact_roles import FIELD as ROLE_FIELD
from handlers.engine.contact_roles import named_role
from handlers.engine.rules import COMPARISONS, Condition, Distribute, Rule, RuleSet, User
from handlers.engine.templates import Template, placeholders_in
from handlers.errors import in_rules
from handlers.platform import deadline
from handlers.zoho.metadata import Choice, DealLayout, FieldInfo, OrgMetadata, read_org

if TYPE_CHECKING:
    from handlers.zoho.client import ZohoClient

# Fields every lead has whatever the metadata lists, and Deals fields Convert fills itself.
ALWAYS_ON_LEADS = frozenset({"id"})
FILLED_BY_CONVERSION = frozenset({"Owner", "Contact_Name", "Account_Name", "Layout"})
CONVERT_BODY_DEAL_FIELDS = frozenset({"Closing_Date"})  # set by the rule, outside deal.fields
EXAMPLES = 8  # options listed in a message


class Caution(str):
    """A finding that is a warning, not a problem: the rule may well work, but something about it
    is unsettled (which form of a renamed picklist option Zoho's API takes)."""


@dataclass(frozen=True)
class Problem:
    """What the rules would fail on in the org (`level` "problem"), or what may (`"warning"`)."""

    source: str
    rule: str | None
    key: str | None
    message: str
    level: Literal["problem", "warning"] = "problem"

    def __str__(self) -> str:
        text = in_rules(self.source, self.rule, self.key, self.message)
        return f"warning: {text}" if self.level == "warning" else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_against_org(
    rules: RuleSet, org: OrgMetadata, trusted_api_domains: frozenset[str] = frozenset()
) -> list[Problem]:
    problems = [Problem(rules.source, None, None, note) for note in org.incomplete]
    problems += [
        Problem(
            rules.source,
            None,
            None,
            f"Zoho refused {missing.needed_for} with OAUTH_SCOPE_MISMATCH: the token needs {missing.scope};"
            " add it to the self-client's scopes and mint a new refresh token",
        )
        for missing in org.missing_scopes
    ]
    user = org.token_user
    if user is not None and not user.active:
        problems.append(
            Problem(
                rules.source,
                None,
                None,
                f"the user whose refresh token the function uses is not active ({user.describe()}):"
                " every call runs as this user; mint the token as an active user",
            )
        )
    domain = (org.api_domain or "").rstrip("/").lower()
    if domain and trusted_api_domains and domain not in trusted_api_domains:
        problems.append(
            Problem(
                rules.source,
                None,
                None,
                f"the API domain {org.api_domain} is not a Zoho API host of the configured ZOHO_DC",
            )
        )
    for rule in rules.rules:
        problems += [
            Problem(
                rules.source,
                rule.name,
                key,
                str(message),
                "warning" if isinstance(message, Caution) else "problem",
            )
            for key, message in _RuleCheck(rule, org).run()
        ]
    return problems


class _RuleCheck:
    def __init__(self, rule: Rule, org: OrgMetadata):
        self.rule = rule
        self.org = org

    def run(self) -> Iterator[tuple[str, str]]:
        yield from self.conditions()
        if self.rule.skip or self.rule.deal is None:
            return
        yield from self.deal_fields()
        yield from self.required_fields()
        yield from self.pipeline()
        yield from self.owners()
        yield from self.tags()

    def conditions(self) -> Iterator[tuple[str, str]]:
        fields = self.org.lead_fields
        if fields is None:
            return
        for condition in self.rule.when:
            key = f"when.{condition.field}"
            info = _lead_field(fields, condition.field)
            if info is None:
                if _checkable(condition.field):
                    yield key, _no_field("Leads", condition.field.split(".")[0], fields)
                continue
            yield from _comparison(key, condition, info)

    def deal_fields(self) -> Iterator[tuple[str, str]]:
        assert self.rule.deal is not None
        for name, value in (*self.rule.deal.fields, ("Closing_Date", None)):
            key = f"deal.{name}"
            if name == ROLE_FIELD:  # a Convert key naming a role, no Deals field
                yield from self.contact_role(key, value)
                continue
            for placeholder in placeholders_in(value):
                leads = self.org.lead_fields
                if leads is not None and _lead_field(leads, placeholder) is None and _checkable(placeholder):
                    yield (
                        key,
                        "the placeholder {"
                        + placeholder
                        + "}: "
                        + _no_field("Leads", placeholder.split(".")[0], leads),
                    )
            deals = self.org.deal_fields
            if deals is None:
                continue
            info = deals.get(name)
            if info is None:
                yield key, _no_field("Deals", name, deals)
            elif not info.writable:
                yield key, f"the Deals field {name} cannot be set through the API (read-only or computed)"
            elif info.is_picklist and name not in ("Stage", "Pipeline") and (text := _literal(value)):
                problem = _choice_problem(info, text)
                if problem:
                    yield key, problem

    def contact_role(self, key: str, value: Any) -> Iterator[tuple[str, str]]:
        roles = self.org.contact_roles
        name = _literal(value)
        if roles is None or name is None or name in roles or name in roles.values():
            return
        known = ", ".join(sorted(roles)) or "none"
        yield key, f"{name!r} is not a contact role of the org (its roles: {known})"

    def required_fields(self) -> Iterator[tuple[str, str]]:
        assert self.rule.deal is not None
        given = {name for name, _ in self.rule.deal.fields} | CONVERT_BODY_DEAL_FIELDS
        provided = given | FILLED_BY_CONVERSION | self.org.mapped_deal_fields
        for layout in self.org.deal_layouts or ():
            if layout.pipelines is not None:
                provided |= {"Pipeline"}  # the pipeline check says it is missing, and which exist
            for name in sorted(layout.required - provided):
                yield (
                    "deal",
                    f"the Deals layout {layout.name!r} requires {name}, which this rule does not set"
                    f" (add deal.{name}, or map a Leads field to it in Zoho's conversion mapping)",
                )

    def pipeline(self) -> Iterator[tuple[str, str]]:
        assert self.rule.deal is not None
        values = dict(self.rule.deal.fields)
        for layout in self.org.deal_layouts or ():
            if layout.pipelines is None:
                stage = _literal(values.get("Stage"))
                stages = self.org.deal_fields.get("Stage") if self.org.deal_fields else None
                if stage and stages is not None and stages.choices:
                    problem = _choice_problem(stages, stage)
                    if problem:
                        yield "deal.Stage", problem
                continue
            yield from self._pipeline_of(layout, values)

    def _pipeline_of(self, layout: DealLayout, values: dict[str, Any]) -> Iterator[tuple[str, str]]:
        assert layout.pipelines is not None
        names = ", ".join(pipeline.actual for pipeline in layout.pipelines)
        if "Pipeline" not in values:
            yield "deal.Pipeline", f"required: the org uses pipelines (Deals layout {layout.name!r}: {names})"
            return
        wanted = _literal(values["Pipeline"])
        if wanted is None:
            return  # a placeholder: known per lead only
        pipeline = next((p for p in layout.pipelines if wanted in (p.actual, p.display)), None)
        if pipeline is None:
            yield (
                "deal.Pipeline",
                f"{wanted!r} is not a pipeline of the Deals layout {layout.name!r}"
                f"{_did_you_mean(wanted, [p.actual for p in layout.pipelines])} (its pipelines: {names})",
            )
            return
        if pipeline.display != pipeline.actual:
            yield "deal.Pipeline", _unsettled("pipeline", wanted, Choice(pipeline.display, pipeline.actual))
        stage = _literal(values.get("Stage"))
        if stage is None:
            return
        option = next((s for s in pipeline.stages if stage in s.forms), None)
        if option is None:
            stages = ", ".join(_shown(s) for s in pipeline.stages[:EXAMPLES])
            more = ", …" if len(pipeline.stages) > EXAMPLES else ""
            yield (
                "deal.Stage",
                f"{stage!r} is not a stage of pipeline {pipeline.actual!r} (its stages: {stages}{more})",
            )
        elif option.ambiguous:
            yield "deal.Stage", _unsettled("stage", stage, option)

    def owners(self) -> Iterator[tuple[str, str]]:
        users = self.org.users
        if users is None:
            return
        owner = self.rule.assign_to
        ids = [owner.id] if isinstance(owner, User) else []
        if isinstance(owner, Distribute):
            ids = [user for user, _ in owner.weights]
        key = "assign_to.distribute" if isinstance(owner, Distribute) else "assign_to"
        for user_id in ids:
            user = users.get(user_id)
            if user is None:
                yield key, f"{user_id} is not a user of the org"
            elif user.status != "active":
                yield key, f"{user_id} ({user.name}) is not an active user (status {user.status!r})"
            elif not user.confirmed:
                yield key, f"{user_id} ({user.name}) has not accepted the invitation to the org"

    def tags(self) -> Iterator[tuple[str, str]]:
        existing = self.org.lead_tags
        if existing is None:
            return
        for module, names in self.rule.carry_over_tags:
            if names == "all":
                continue
            for name in names:
                if name in existing:
                    continue
                same_but_case = [tag for tag in existing if tag.lower() == name.lower()]
                hint = (
                    f" (the org has {same_but_case[0]!r})" if same_but_case else _did_you_mean(name, existing)
                )
                yield f"carry_over_tags.{module}", f"no Leads tag named {name!r} in the org{hint}"


def _comparison(key: str, condition: Condition, info: FieldInfo) -> Iterator[tuple[str, str]]:
    if condition.operator in COMPARISONS:
        if _is_number(condition.expected) and not info.is_numeric:
            yield key, f"compares with a number, but {info.api_name} is a {info.data_type} field"
        elif not _is_number(condition.expected) and not info.is_date:
            yield key, f"compares with a date, but {info.api_name} is a {info.data_type} field"
        return
    if not info.is_picklist or condition.operator not in ("equals", "in", "not_in", "not"):
        return
    values = condition.expected if isinstance(condition.expected, tuple) else (condition.expected,)
    for value in values:
        problem = _choice_problem(info, str(value)) if isinstance(value, str) else None
        if problem:
            yield key, problem


def _choice_problem(info: FieldInfo, value: str) -> str | None:
    """Why `value` is not one of the field's picklist options, if it is not (any of an option's
    forms names it); a Caution when it is one whose forms differ."""
    option = next((choice for choice in info.choices if value in choice.forms), None)
    if option is not None:
        if not option.used:
            return f"{value!r} is an unused option of {info.api_name}"
        return _unsettled(f"{info.api_name} option", value, option) if option.ambiguous else None
    options = [choice.actual for choice in info.choices]
    listed = ", ".join(options[:EXAMPLES]) + (", …" if len(options) > EXAMPLES else "")
    hint = _did_you_mean(value, [form for choice in info.choices for form in choice.forms])
    return f"{value!r} is not an option of {info.api_name}{hint} (its options: {listed})"


def _unsettled(what: str, value: str, option: Choice) -> Caution:
    """A value naming an option whose forms differ: Zoho's documentation does not settle which
    form its API takes and answers (docs/zoho-api.md, "Metadata"), so say how to find out."""
    forms = f"display {option.display!r}, actual {option.actual!r}"
    if option.reference and option.reference not in (option.display, option.actual):
        forms += f", reference {option.reference!r}"
    which = [name for name, form in (("display", option.display), ("actual", option.actual)) if form == value]
    return Caution(
        f"{value!r} is the {' and '.join(which) or 'reference'} value of the {what} ({forms}); Zoho's"
        " documentation does not settle which form the API takes: convert one lead by hand"
        " (zoho-lead-converter convert LEAD_ID) and keep the form that works"
    )


def _lead_field(fields: dict[str, FieldInfo], path: str) -> FieldInfo | None:
    """The Leads field a condition or placeholder path reads (`Owner.id` reads Owner)."""
    return fields.get(path.split(".")[0])


def _checkable(path: str) -> bool:
    root = path.split(".")[0]
    return root not in ALWAYS_ON_LEADS and not root.startswith("$")


def _no_field(module: str, name: str, fields: dict[str, FieldInfo]) -> str:
    return f"{module} has no field {name!r}{_did_you_mean(name, fields)}"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    """The closest option: by spelling, ignoring case, or the one that starts with the word."""
    options = list(choices)
    lowered = {option.lower(): option for option in options}
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6) or [
        lowered[match] for match in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    ]
    if not close:
        close = [option for option in options if option.lower().startswith(word.lower())][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _literal(value: Any) -> str | None:
    """The text of a rule value without placeholders; None when it depends on the lead."""
    if isinstance(value, Template) and all(isinstance(part, str) for part in value.parts):
        return "".join(str(part) for part in value.parts)
    if isinstance(value, str):
        return value
    return None


def _shown(choice: Choice) -> str:
    return (
        choice.actual if choice.display == choice.actual else f"{choice.actual} (shown as {choice.display})"
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class OrgReport:
    """One preflight of the rules against the org, and what reading the org cost."""

    problems: tuple[Problem, ...]
    calls: int
    credits: int
    api_domain: str | None
    lead_fields: dict[str, FieldInfo] | None = None  # None when they could not be read

    def for_rule(self, name: str) -> list[Problem]:
        """The problems that concern the rule: its own and the org-wide ones (scopes, domain)."""
        return [problem for problem in self.problems if problem.rule in (name, None)]


class OrgCheck:
    """The preflight, run at most once per `max_age` seconds per instance (metadata is cached).

    The sweep reports its problems every run (`rules_problems`), so a stage renamed in Zoho after
    the deploy raises the alert before leads fail; a failed conversion's note quotes its rule's.
    """

    def __init__(
        self,
        rules: RuleSet,
        zoho: ZohoClient,
        trusted_api_domains: frozenset[str] = frozenset(),
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        probe_scopes: bool = False,
    ):
        self._rules = rules
        self._zoho = zoho
        self._trusted = trusted_api_domains
        self._max_age = max_age
        self._clock = clock
        self._probe_scopes = probe_scopes
        self._lock = threading.Lock()
        self._report: tuple[float, OrgReport] | None = None

    def describe_rule(self, name: str) -> str:
        """The rule's problems in this org, as the lines a failure note appends."""
        problems = self.report().for_rule(name)
        if not problems:
            return "\nPreflight of the rule against the org: no problem found."
        lines = "".join(
            f"\n- {problem.key + ': ' if problem.key else ''}{problem.message}" for problem in problems
        )
        return f"\nPreflight of the rule against the org (fix these in the rules file or in Zoho):{lines}"

    def problems_and_lead_fields(self) -> tuple[list[str], dict[str, FieldInfo] | None]:
        """The problems (warnings left out) and the Leads fields of a report, for the sweep."""
        report = self.report()
        return [str(p) for p in report.problems if p.level == "problem"], report.lead_fields

    def last_lead_fields(self) -> dict[str, FieldInfo] | None:
        """The Leads fields of the last report made, however old (the sweep's queries use them
        when a new check fails: a field's type does not change often)."""
        return self._report[1].lead_fields if self._report is not None else None

    def report(self) -> OrgReport:
        """The cached report, or a new one when it is older than `max_age` (Zoho failures raise).

        One thread reads at a time; another waits no longer than its request's deadline."""
        with deadline.holding(self._lock):
            now = self._clock()
            if self._report is not None and now - self._report[0] < self._max_age:
                return self._report[1]
            roles = any(named_role(rule) is not None for rule in self._rules.rules)
            org = read_org(self._zoho, probe_scopes=self._probe_scopes, contact_roles=roles)
            report = OrgReport(
                tuple(check_against_org(self._rules, org, self._trusted)),
                org.calls,
                org.credits,
                org.api_domain,
                org.lead_fields,
            )
            self._report = (now, report)
            return report
