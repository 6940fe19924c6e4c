"""The rules file: its typed model, and a loader that rejects what Zoho would refuse.

Every problem is reported as one `RulesError` naming the file, the rule and the key, so a broken
rules file fails the deploy (the module is imported at start-up) instead of failing leads later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from handlers.engine.existing import WhenAmbiguous
from handlers.engine.templates import JsonObject, Template, TemplateError
from handlers.errors import RulesError

MODULES = ("Contacts", "Accounts", "Deals")
REQUIRED_DEAL_FIELDS = ("Deal_Name", "Stage", "Closing_Date")
DEAL_OPTIONS = ("unless_open_deal",)  # keys of `deal:` that are no Deals field
EXISTING_RECORDS = ("match", "link", "create")
WHEN_AMBIGUOUS = ("hold", "newest", "create")
ExistingRecords = Literal["match", "link", "create"]
Operator = Literal["equals", "in", "not_in", "not", "gt", "gte", "lt", "lte", "matches", "exists"]
COMPARISONS: tuple[Operator, ...] = ("gt", "gte", "lt", "lte")
OPERATORS: tuple[Operator, ...] = ("in", "not_in", "not", *COMPARISONS, "matches", "exists")
INHERITABLE_KEYS = (
    "notify_lead_owner",
    "notify_new_entity_owner",
    "overwrite",
    "timezone",
    "assign_to",
    "carry_over_tags",
    "move_attachments_to",
    "existing_records",
    "when_ambiguous",
    "reassign_activities",
)
# The lead's activities a rule can hand to the new owner, by module API name (Meetings are Events).
ACTIVITY_MODULES = ("Tasks", "Events", "Calls")
RULE_KEYS = ("name", "when", "skip", "deal", "portal_user_type", *INHERITABLE_KEYS)
FIELD_PATH = re.compile(r"[A-Za-z$][A-Za-z0-9_$]*(?:\.[A-Za-z0-9_$]+)*")
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
USER_ID = re.compile(r"[0-9]{1,25}")
RELATIVE_DATE = re.compile(r"\+([0-9]{1,4})d")

Scalar = str | int | float | bool
T = TypeVar("T")


@dataclass(frozen=True)
class Condition:
    """One test on a lead field: `field operator expected` (`equals` when the rule gives a value)."""

    field: str
    operator: Operator
    expected: Any

    def describe(self) -> str:
        if self.operator == "equals":
            return f"{self.field} = {self.expected!r}"
        if self.operator == "matches":
            return f"{self.field} matches '{self.expected.pattern}'"
        return f"{self.field} {self.operator} {self.expected!r}"


@dataclass(frozen=True)
class LeadOwner:
    """The new records belong to the lead's current owner."""


@dataclass(frozen=True)
class User:
    id: str


@dataclass(frozen=True)
class Distribute:
    """Spread leads over users by a stable hash of the lead id, proportionally to the weights."""

    weights: tuple[tuple[str, int], ...]


Owner = LeadOwner | User | Distribute
_LEAD_OWNER: Owner = LeadOwner()


@dataclass(frozen=True)
class RelativeDate:
    days: int


ClosingDate = RelativeDate | dt.date


@dataclass(frozen=True)
class Deal:
    """The deal to create: `fields` pairs Deals API names with templates or literal values."""

    fields: tuple[tuple[str, Any], ...]
    closing_date: ClosingDate
    unless_open_deal: bool = False  # no deal when the matched account has an open one

    @property
    def values(self) -> JsonObject:
        return JsonObject(self.fields)


ALL_TAGS: Literal["all"] = "all"
TagSelection = tuple[str, ...] | Literal["all"]


@dataclass(frozen=True)
class Rule:
    name: str
    when: tuple[Condition, ...]
    skip: bool = False
    deal: Deal | None = None
    assign_to: Owner = LeadOwner()
    carry_over_tags: tuple[tuple[str, TagSelection], ...] = ()  # (module, tags) pairs
    move_attachments_to: str | None = None
    notify_lead_owner: bool = False
    notify_new_entity_owner: bool = False
    overwrite: bool = False
    timezone: str = "UTC"
    # match: convert into the contact and account the org has (conversion options, before
    # Convert); link: only after Zoho refuses a duplicate; create: never look.
    existing_records: ExistingRecords = "match"
    when_ambiguous: WhenAmbiguous = "hold"
    # The lead's related activities handed to the new records' owner (handlers.engine.activities).
    reassign_activities: tuple[str, ...] = ()
    # The customer-portal user type of the new contact, as Mass Convert takes it: (id, api_name).
    portal_user_type: tuple[str, str] | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class RuleSet:
    source: str
    rules: tuple[Rule, ...]
    version: str = ""  # a short hash of the file's text: it changes whenever the file does


class _StrictLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML loading that refuses duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: the base constructor reports it
                continue
            if duplicate:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


# Dates stay text, so the loader (not PyYAML) judges them and names the rule and key when one is wrong.
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_str)


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rules file; raise RulesError with file, rule and key on any problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(source, f"cannot read the rules file ({exc.__class__.__name__}: {exc})") from None
    return parse_rules(text, source)


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as exc:
        raise RulesError(source, f"not valid YAML: {_yaml_problem(exc, text)}") from None
    except RecursionError:
        raise RulesError(source, "not valid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise RulesError(source, f"not valid YAML: {exc}") from None
    ruleset = _Validator(source).ruleset(document)
    return dataclasses.replace(
        ruleset, version=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    )


# What a YAML parser's words usually mean in a rules file, and what to do.
_YAML_HINTS = (
    (
        "unknown escape character",
        "a backslash inside double quotes starts an escape: write a regular"
        " expression in single quotes, e.g. '@acme\\.com$'",
    ),
    ("mapping values are not allowed", "check the indentation, or quote a value holding ': '"),
    ("expected <block end>", "check the indentation: the keys of one mapping start in the same column"),
    ("did not find expected key", "check the indentation: the keys of one mapping start in the same column"),
    ("did not find expected '-' indicator", "check the indentation of the list's items"),
)


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number] if 0 <= number < len(lines) else ""


def _yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """The parser's problem, where it is, and a hint of what to do (a tab, an indentation, an
    escape in double quotes)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    hint = next((hint for words, hint in _YAML_HINTS if words in problem), None)
    if mark is not None and "\t" in _line(text, mark.line)[: mark.column + 1]:
        hint = "a tab: YAML indents with spaces only"
    said = f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem
    return f"{said}: {hint}" if hint else said


class _Validator:
    """Turns the parsed YAML document into a RuleSet, or one RulesError listing every problem:
    each key's problem is kept (with the value the key would have had without it) and the
    reading goes on, so a file with four mistakes is told all four in one run."""

    def __init__(self, source: str):
        self.source = source
        self.rule: str | None = None
        self.found: list[RulesError] = []

    def error(self, key: str | None, message: str) -> RulesError:
        return RulesError(self.source, message, rule=self.rule, key=key)

    def kept(self, read: Callable[[], T], instead: T) -> T:
        """What `read` gives; when it finds a problem, the problem is kept and `instead` given."""
        try:
            return read()
        except RulesError as problem:
            self.found.append(problem)
            return instead

    def ruleset(self, document: Any) -> RuleSet:
        if not isinstance(document, dict):
            raise self.error(
                None, "the file must be a mapping with a `rules:` list (and optional `defaults:`)"
            )
        self.known_keys(document, ("defaults", "rules"), None)
        defaults = document.get("defaults") or {}
        if not isinstance(defaults, dict):
            self.found.append(self.error("defaults", "must be a mapping of rule keys"))
            defaults = {}
        self.known_keys(defaults, INHERITABLE_KEYS, "defaults")
        defaults = self.valid_defaults(defaults)
        raw_rules = document.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise RulesError.of([*self.found, self.error("rules", "must be a non-empty list of rules")])
        rules: list[Rule] = []
        names: set[str] = set()
        for index, raw in enumerate(raw_rules, start=1):
            self.rule = None
            rule = self.kept(functools.partial(self.rule_, raw, index, defaults), None)
            if rule is None:
                continue
            if rule.name in names:
                self.found.append(self.error("name", "duplicate rule name (names must be unique)"))
            names.add(rule.name)
            rules.append(rule)
        if self.found:
            raise RulesError.of(self.found)
        return RuleSet(source=self.source, rules=tuple(rules))

    def valid_defaults(self, defaults: dict[Any, Any]) -> dict[str, Any]:
        """The defaults whose values are valid; each problem is told once, as `defaults.<key>`,
        not again in every rule that inherits the key."""
        valid = {}
        for key, value in defaults.items():
            if key not in INHERITABLE_KEYS:
                continue
            before = len(self.found)
            self.kept(functools.partial(self.inheritable, key, value), None)
            if len(self.found) == before:
                valid[key] = value
            for at, problem in enumerate(self.found[before:], start=before):
                self.found[at] = RulesError(self.source, problem.problem, None, f"defaults.{problem.key}")
        return valid

    def inheritable(self, key: str, value: Any) -> None:
        """Check one value of a key a rule may inherit from `defaults`."""
        if key in ("notify_lead_owner", "notify_new_entity_owner", "overwrite"):
            self.boolean({key: value}, key, default=False)
        elif key == "assign_to":
            self.owner(value)
        elif key == "carry_over_tags":
            self.tags(value)
        elif key == "move_attachments_to":
            self.module(value)
        elif key == "timezone":
            self.timezone(value)
        elif key == "existing_records":
            self.choice(value, key, EXISTING_RECORDS)
        elif key == "when_ambiguous":
            self.choice(value, key, WHEN_AMBIGUOUS)
        elif key == "reassign_activities":
            self.activities(value)

    def rule_(self, raw: Any, index: int, defaults: dict[str, Any]) -> Rule:
        if not isinstance(raw, dict):
            raise self.error(f"rules[{index}]", "each rule must be a mapping with `name` and `when`")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.error(f"rules[{index}].name", "required: a non-empty text naming the rule")
        self.rule = name
        self.known_keys(raw, RULE_KEYS, None)
        raw = {key: value for key, value in raw.items() if key in RULE_KEYS}
        if "when" not in raw:
            self.found.append(
                self.error("when", "required: a rule without conditions would convert every lead")
            )
        skip = self.kept(lambda: self.boolean(raw, "skip", default=False), False)
        if skip:
            for key in (
                "deal",
                "assign_to",
                "carry_over_tags",
                "move_attachments_to",
                "reassign_activities",
                "portal_user_type",
            ):
                if key in raw:
                    self.found.append(
                        self.error(key, "a `skip: true` rule converts nothing; remove this key")
                    )
        merged = {**defaults, **raw}
        deal = self.kept(lambda: self.deal(raw["deal"]) if raw.get("deal") is not None else None, None)
        if deal is not None and deal.unless_open_deal and merged.get("existing_records", "match") != "match":
            self.found.append(
                self.error(
                    "deal.unless_open_deal",
                    "needs `existing_records: match`: only a matched account's open deals are looked for",
                )
            )
        return Rule(
            name=name,
            when=self.kept(lambda: self.conditions(raw["when"]), ()) if "when" in raw else (),
            skip=skip,
            deal=deal,
            assign_to=self.kept(lambda: self.owner(merged.get("assign_to", "lead_owner")), _LEAD_OWNER),
            carry_over_tags=self.kept(lambda: self.tags(merged.get("carry_over_tags")), ()),
            move_attachments_to=self.kept(lambda: self.module(merged.get("move_attachments_to")), None),
            reassign_activities=self.kept(lambda: self.activities(merged.get("reassign_activities")), ()),
            portal_user_type=self.kept(lambda: self.portal(raw.get("portal_user_type"), merged, deal), None),
            notify_lead_owner=self.kept(
                lambda: self.boolean(merged, "notify_lead_owner", default=False), False
            ),
            notify_new_entity_owner=self.kept(
                lambda: self.boolean(merged, "notify_new_entity_owner", default=False), False
            ),
            overwrite=self.kept(lambda: self.boolean(merged, "overwrite", default=False), False),
            timezone=self.kept(lambda: self.timezone(merged.get("timezone", "UTC")), "UTC"),
            existing_records=self.kept(
                lambda: self.choice(
                    merged.get("existing_records", "match"), "existing_records", EXISTING_RECORDS
                ),
                "match",
            ),
            when_ambiguous=self.kept(lambda: self.when_ambiguous(raw, merged), "hold"),
        )

    def when_ambiguous(self, raw: dict[str, Any], merged: dict[str, Any]) -> Any:
        """Only `existing_records: match` chooses between several matches."""
        if "when_ambiguous" in raw and merged.get("existing_records", "match") != "match":
            raise self.error(
                "when_ambiguous", "applies only with `existing_records: match`; remove it or match"
            )
        return self.choice(merged.get("when_ambiguous", "hold"), "when_ambiguous", WHEN_AMBIGUOUS)

    def known_keys(self, mapping: dict[Any, Any], allowed: tuple[str, ...], where: str | None) -> None:
        """Every unknown key is a problem kept (the reading goes on without it)."""
        for key in mapping:
            if key not in allowed:
                path = f"{where}.{key}" if where else str(key)
                self.found.append(self.error(path, f"unknown key{_did_you_mean(str(key), allowed)}"))

    def boolean(self, mapping: dict[str, Any], key: str, default: bool, where: str = "") -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{where}{key}", f"must be true or false, not {value!r}")
        return value

    def choice(self, value: Any, key: str, allowed: tuple[str, ...]) -> Any:
        if value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def timezone(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self.error(
                "timezone", f"must be an IANA time zone name such as Europe/Berlin, not {value!r}"
            )
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(
                "timezone", f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value

    def conditions(self, raw: Any) -> tuple[Condition, ...]:
        if not isinstance(raw, dict) or not raw:
            raise self.error("when", "must be a non-empty mapping of lead fields to conditions")
        conditions: list[Condition] = []
        for field, test in raw.items():
            key = f"when.{field}"
            if not isinstance(field, str) or not FIELD_PATH.fullmatch(field):
                raise self.error(key, "must be a Lead field API name, dotted for lookups (e.g. Owner.id)")
            if isinstance(test, dict):
                if not test:
                    raise self.error(key, f"empty condition; use an operator: {', '.join(OPERATORS)}")
                for operator, expected in test.items():
                    conditions.append(self.operator(field, str(operator), expected))
            elif isinstance(test, list):
                raise self.error(key, f"a list is ambiguous; write {{in: {test!r}}} to match any of them")
            elif test is None:
                raise self.error(key, "null never matches; write {exists: false} for an empty field")
            else:
                conditions.append(Condition(field, "equals", self.scalar(test, key)))
        return tuple(conditions)

    def operator(self, field: str, given: str, expected: Any) -> Condition:
        key = f"when.{field}.{given}"
        operator = next((known for known in OPERATORS if known == given), None)
        if operator is None:
            raise self.error(key, f"unknown operator{_did_you_mean(given, OPERATORS)}")
        if operator in ("in", "not_in"):
            if not isinstance(expected, list) or not expected:
                raise self.error(key, "must be a non-empty list of values")
            return Condition(field, operator, tuple(self.scalar(v, key) for v in expected))
        if operator == "matches":
            if not isinstance(expected, str):
                raise self.error(key, "must be a regular expression in quotes")
            try:
                return Condition(field, operator, re.compile(expected))
            except re.error as exc:
                raise self.error(key, f"invalid regular expression {expected!r}: {exc}") from None
        if operator == "exists":
            if not isinstance(expected, bool):
                raise self.error(key, "must be true or false")
            return Condition(field, operator, expected)
        if operator in COMPARISONS:
            if isinstance(expected, bool) or not isinstance(expected, (int, float, str)):
                raise self.error(key, f"must be a number or a date to compare with, not {expected!r}")
            if isinstance(expected, str) and not _number_or_date(expected):
                raise self.error(
                    key,
                    f"{expected!r} is neither a number nor an ISO date (write 1000000, not 1M or"
                    " 1,000,000; a date as 2026-01-31 or 2026-01-31T09:00:00+00:00); it would never match",
                )
            return Condition(field, operator, expected)
        return Condition(field, operator, self.scalar(expected, key))

    def scalar(self, value: Any, key: str) -> Scalar:
        if not isinstance(value, (str, int, float, bool)):
            raise self.error(key, f"must be a single value (text, number or true/false), not {value!r}")
        return value

    def deal(self, raw: Any) -> Deal:
        if not isinstance(raw, dict):
            raise self.error("deal", "must be a mapping of Deals field API names to values")
        for field in REQUIRED_DEAL_FIELDS:
            if raw.get(field) in (None, ""):
                raise self.error(f"deal.{field}", "required: Zoho refuses to create a deal without it")
        fields: dict[str, Any] = {}
        unless_open_deal = self.boolean(raw, "unless_open_deal", default=False, where="deal.")
        for field, value in raw.items():
            if field in DEAL_OPTIONS:
                continue
            key = f"deal.{field}"
            if not isinstance(field, str) or not API_NAME.fullmatch(field):
                raise self.error(key, "must be a Deals field API name (letters, digits, underscores)")
            if field == "Contact_Role" and not (
                isinstance(value, str) and value.strip() and "{" not in value
            ):
                raise self.error(
                    key, "must be the name of a contact role as the org lists it (Decision Maker, ...)"
                )
            if field != "Closing_Date":
                fields[field] = self.template_value(value, key)
        return Deal(
            fields=tuple(fields.items()),
            closing_date=self.closing_date(raw["Closing_Date"]),
            unless_open_deal=unless_open_deal,
        )

    def template_value(self, value: Any, key: str) -> Any:
        """Strings become templates ({Field} placeholders); containers are walked; scalars stay."""
        if isinstance(value, str):
            try:
                return Template.parse(value)
            except TemplateError as exc:
                raise self.error(key, str(exc)) from None
        if isinstance(value, dict):
            return JsonObject(tuple((k, self.template_value(v, f"{key}.{k}")) for k, v in value.items()))
        if isinstance(value, list):
            return tuple(self.template_value(v, f"{key}[{i}]") for i, v in enumerate(value))
        if value is None or isinstance(value, (int, float, bool)):
            return value
        raise self.error(key, f"unsupported value {value!r}")

    def closing_date(self, value: Any) -> ClosingDate:
        if isinstance(value, str):
            if match := RELATIVE_DATE.fullmatch(value.strip()):
                return RelativeDate(int(match[1]))
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(
            "deal.Closing_Date",
            f"must be +Nd (days from today) or a date YYYY-MM-DD, not {value!r}",
        )

    def owner(self, value: Any) -> Owner:
        if value == "lead_owner":
            return LeadOwner()
        if isinstance(value, dict):
            self.known_keys(value, ("distribute",), "assign_to")
            return self.distribute(value.get("distribute"))
        return User(self.user_id(value, "assign_to"))

    def distribute(self, value: Any) -> Distribute:
        key = "assign_to.distribute"
        if isinstance(value, list) and value:
            return Distribute(tuple((self.user_id(v, key), 1) for v in value))
        if isinstance(value, dict) and value:
            weights = []
            for user, weight in value.items():
                if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
                    raise self.error(f"{key}.{user}", f"weight must be a whole number >= 1, not {weight!r}")
                weights.append((self.user_id(user, key), weight))
            return Distribute(tuple(weights))
        raise self.error(key, "must be a non-empty list of user ids, or a mapping of user id to weight")

    def user_id(self, value: Any, key: str) -> str:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not USER_ID.fullmatch(text):
            raise self.error(
                key,
                f"must be lead_owner, a Zoho user id (digits), or {{distribute: ...}}, not {value!r}",
            )
        return text

    def tags(self, value: Any) -> tuple[tuple[str, TagSelection], ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.error(
                "carry_over_tags",
                "must map Contacts/Accounts/Deals to a list of tag names or `all`",
            )
        self.known_keys(value, MODULES, "carry_over_tags")
        selection: list[tuple[str, TagSelection]] = []
        for module, tags in value.items():
            key = f"carry_over_tags.{module}"
            if tags == ALL_TAGS:
                selection.append((str(module), ALL_TAGS))
            elif isinstance(tags, list) and all(isinstance(t, str) and t for t in tags):
                selection.append((str(module), tuple(tags)))
            else:
                raise self.error(key, f"must be a list of tag names or `all`, not {tags!r}")
        return tuple(selection)

    def portal(self, value: Any, merged: dict[str, Any], deal: Deal | None) -> tuple[str, str] | None:
        """`{id, api_name}` of a portal user type. Only Mass Convert takes one, so the rule must be
        one Mass Convert can convert whole: every problem is named here, not found at run time."""
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"id", "api_name"}:
            raise self.error("portal_user_type", "must be {id: <the type's id>, api_name: <its API name>}")
        type_id, api_name = str(value["id"]), value["api_name"]
        if not USER_ID.fullmatch(type_id) or not isinstance(api_name, str) or not api_name.strip():
            raise self.error("portal_user_type", "id must be digits and api_name a text")
        why = " (only Mass Convert takes a portal user type: the sweep converts these leads)"
        if merged.get("existing_records", "match") != "create":
            raise self.error(
                "portal_user_type",
                f"needs `existing_records: create`{why}, and Mass Convert cannot link existing records",
            )
        for option in ("notify_lead_owner", "notify_new_entity_owner", "overwrite"):
            if merged.get(option) is True:
                raise self.error(
                    "portal_user_type",
                    f"cannot go with `{option}: true`{why}, and Mass Convert has no {option}",
                )
        tags = merged.get("carry_over_tags")
        if isinstance(tags, dict) and any(selection != ALL_TAGS for selection in tags.values()):
            raise self.error("portal_user_type", f"carries only whole modules' tags (`all`){why}")
        if deal is not None and "Contact_Role" in dict(deal.fields):
            raise self.error(
                "portal_user_type", f"cannot go with deal.Contact_Role{why}, which does not take a role"
            )
        return type_id, api_name

    def activities(self, value: Any) -> tuple[str, ...]:
        """`all`, or a list of Tasks, Events and Calls (Meetings are Events in the API)."""
        if value is None or value == []:
            return ()
        if value == "all":
            return ACTIVITY_MODULES
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(
                "reassign_activities",
                f"must be `all` or a list of {', '.join(ACTIVITY_MODULES)}, not {value!r}",
            )
        for item in value:
            if item not in ACTIVITY_MODULES:
                hint = " (Meetings are Events in the API)" if item == "Meetings" else ""
                raise self.error(
                    "reassign_activities", f"{item!r} is not one of {', '.join(ACTIVITY_MODULES)}{hint}"
                )
        return tuple(module for module in ACTIVITY_MODULES if module in value)

    def module(self, value: Any) -> str | None:
        if value is None:
            return None
        return str(self.choice(value, "move_attachments_to", MODULES))


def _number_or_date(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        pass
    try:
        dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (allowed: {', '.join(choices)})"
