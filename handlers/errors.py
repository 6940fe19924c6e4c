"""Every failure the function knows, as one hierarchy, and the kinds of outcome they become.

Each class says when it is raised and which outcome it becomes (`kind`), and carries what the
outcome needs as attributes (`code`, `status`, `error_name`, `public_reason`), so that
`handlers.engine.outcome.from_error`, the one place a failure becomes an outcome, reads them
without asking which class it has. `str(error)` is a message safe to show to the caller and the
log: it never holds a secret.

    Failure                      error (503)
    ├── Rejected                 rejected (4xx): the request itself, before any call to Zoho
    ├── Misconfigured            misconfigured (500): a setting or secret
    │   └── RulesError           the rules file (file, rule and key named)
    ├── RuleCannotConvert        failed: this rule cannot convert in this org (its leads only)
    ├── SecretUnavailable        error: Secret Manager, worth trying again
    └── ZohoError
        ├── ZohoUnavailable      error: Zoho unreachable or failing within the retry window
        │   ├── TokenThrottled   Zoho's token endpoint throttles the refresh token
        │   └── DeadlineExceeded the request's deadline passed mid-call
        ├── ZohoBadResponse      error: an answer this function cannot read
        ├── CredentialsRejected  misconfigured: the OAuth client or refresh token
        └── ZohoRefused          failed, deferred or misconfigured, by Zoho's code
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from handlers.redaction import redact


class Kind(StrEnum):
    """What became of a request or a lead: the `outcome` of every answer and log line."""

    CONVERTED = "converted"
    ALREADY_CONVERTED = "already_converted"
    SKIPPED = "skipped"
    DRY_RUN = "dry_run"
    NOT_FOUND = "not_found"
    DEFERRED = "deferred"
    HELD = "held"
    PAUSED = "paused"
    FAILED = "failed"
    ERROR = "error"
    REJECTED = "rejected"
    MISCONFIGURED = "misconfigured"


# Zoho codes that mean the token cannot do the job: a setup problem, not a problem of the lead.
SETUP_CODES = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH"})
SCOPE_CODE = "OAUTH_SCOPE_MISMATCH"
# Zoho codes of a lead in a state that passes (an approval or review process, a record lock, a
# merge in progress; docs/zoho-api.md, "Convert Lead"): the lead waits, it has not failed.
WAIT_CODES = frozenset({"NOT_APPROVED", "NOT_REVIEWED", "RECORD_LOCKED"})
# The profile of the token's user lacks a permission (docs/zoho-api.md, "The token's user and permissions").
PERMISSION_CODE = "NO_PERMISSION"
MESSAGE_CHARS = 500  # of Zoho's message quoted in a reason (scrubbed first, so no part survives)
PERMISSION_NAMES = {
    "Crm_Implied_Convert_Leads": "Convert (Leads)",
    "Crm_Implied_Mass_Convert_Leads": "Mass Convert (Leads)",
    "Crm_Implied_Manage_Workflow": "Manage Workflow",
}


class Failure(Exception):
    """Base class: a failure that becomes an outcome of `kind`."""

    default_kind: ClassVar[Kind] = Kind.ERROR
    code: str | None = None  # Zoho's error code, when Zoho gave one
    status: int | None = None  # the answer's HTTP status, when not its kind's

    @property
    def kind(self) -> Kind:
        return self.default_kind

    @property
    def reason(self) -> str:
        """The outcome's reason: what happened and, where it helps, what to do."""
        return str(self)

    @property
    def error_name(self) -> str | None:
        """The answer's `error` key: what kind of refusal or setup problem this is."""
        return Kind.MISCONFIGURED.value if self.kind is Kind.MISCONFIGURED else None

    @property
    def public_reason(self) -> str | None:
        """What a caller who has not authenticated is told instead of `reason` (None: the reason)."""
        return None


def reason_of(error: BaseException) -> str:
    """What may be said of any exception: a failure's own reason; of a bug, its type alone (its
    text may hold anything, a secret included)."""
    return error.reason if isinstance(error, Failure) else f"internal error ({error.__class__.__name__})"


class Rejected(Failure):
    """A request refused before any call to Zoho: its method, size, secret, lead id or options."""

    default_kind: ClassVar[Kind] = Kind.REJECTED

    def __init__(self, error: str, reason: str, status: int = 400):
        super().__init__(reason)
        self.error, self.status = error, status
        # What arrived, as safe to log: the content type and the body's keys (never a value).
        self.arrived: dict[str, Any] | None = None

    @property
    def error_name(self) -> str:
        return self.error


class Misconfigured(Failure):
    """A setting or secret is missing or invalid; the message names it and says how to fix it.

    `setting` names the environment variable at fault: all a caller who has not authenticated
    is told (the details go to the log line).
    """

    default_kind: ClassVar[Kind] = Kind.MISCONFIGURED

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting

    @property
    def public_reason(self) -> str:
        return f"misconfigured: {self.setting or 'a setting of the function'}"


class RuleCannotConvert(Failure):
    """The rule, as written, cannot convert in this org (a contact role the org lacks, a key its API
    version lacks): the lead fails without a call to Convert, and so do the rule's other leads,
    while the other rules' leads convert (a misconfiguration would stop a sweep's every Convert)."""

    default_kind: ClassVar[Kind] = Kind.FAILED


def in_rules(source: str, rule: str | None, key: str | None, message: str) -> str:
    """`rules.yaml: rule 'r': deal.Stage: message`: how every finding about a rules file reads."""
    where = [source]
    if rule is not None:
        where.append(f"rule {rule!r}")
    if key is not None:
        where.append(key)
    return f"{': '.join(where)}: {message}"


class RulesError(Misconfigured, ValueError):
    """A rules file Zoho or this function cannot work with; the message says where and why."""

    def __init__(self, source: str, message: str, rule: str | None = None, key: str | None = None):
        self.source, self.rule, self.key, self.problem = source, rule, key, message
        self.problems: tuple[RulesError, ...] = (self,)  # every problem of the file, this one first
        super().__init__(in_rules(source, rule, key, message), setting="RULES_FILE")

    @classmethod
    def of(cls, problems: list[RulesError]) -> RulesError:
        """One error for all the problems of a file: the first's fields, every problem's line."""
        first = problems[0]
        if len(problems) == 1:
            return first
        error = cls(first.source, first.problem, first.rule, first.key)
        error.problems = tuple(problems)
        error.args = ("\n".join(str(problem) for problem in problems),)
        return error


class SecretUnavailable(Failure):
    """Secret Manager could not be reached or answered an error; worth trying again later."""

    @property
    def public_reason(self) -> str:
        return "the function's secrets could not be read; try again later"  # no project, no name


class ZohoError(Failure):
    """Base class of what can go wrong talking to Zoho."""


class ZohoUnavailable(ZohoError):
    """Zoho could not be reached or kept failing within the retry deadline: try again later."""


class TokenThrottled(ZohoUnavailable):
    """Zoho's token endpoint answered "Access Denied": too many tokens were requested."""


class DeadlineExceeded(ZohoUnavailable):
    """The request's deadline (WEBHOOK_DEADLINE_SECONDS, RECONCILE_MAX_SECONDS) passed mid-call."""


class ZohoBadResponse(ZohoError):
    """Zoho answered something this function cannot read (not JSON, or an unexpected shape)."""


class CredentialsRejected(ZohoError):
    """Zoho refused the OAuth client or refresh token: a setup problem, not a transient one."""

    default_kind: ClassVar[Kind] = Kind.MISCONFIGURED


class ScopedCall(Protocol):
    """A call with the OAuth scope it needs (handlers.zoho.scopes.CallScope)."""

    @property
    def scope(self) -> str: ...

    @property
    def needed_for(self) -> str: ...


class ZohoRefused(ZohoError):
    """Zoho refused the request with an error code (top-level or per record inside `data[]`).

    A refusal of the lead's conversion is `failed`; one for a state that passes (WAIT_CODES) is
    `deferred`; a refusal of the token itself (SETUP_CODES) or of its user's profile
    (NO_PERMISSION) is `misconfigured`, because no lead can convert until the setup is fixed.
    """

    def __init__(self, code: str, message: str, details: Any = None, http_status: int = 400):
        """`http_status`: the status Zoho answered with (not the function's answer's)."""
        self.code: str = code
        self.message, self.details, self.http_status = message, details, http_status
        self.call: ScopedCall | None = None  # the refused call, when the client knows its scope
        super().__init__(f"{code}: {message}" + (f" {details}" if details else ""))

    def __str__(self) -> str:
        """Zoho's words are not trusted (an answer may echo the request): scrubbed like `reason`."""
        return redact(super().__str__())

    @property
    def kind(self) -> Kind:
        if self.code in SETUP_CODES or self.code == PERMISSION_CODE:
            return Kind.MISCONFIGURED
        return Kind.DEFERRED if self.code in WAIT_CODES else Kind.FAILED

    @property
    def reason(self) -> str:
        if self.code == SCOPE_CODE and self.call is not None:
            return (
                f"Zoho refused the access token's scope for {self.call.needed_for} ({self.code}): the token"
                f" needs {self.call.scope}; add it to the self-client's scopes and mint a new refresh token"
            )
        if self.code in SETUP_CODES:
            return (
                f"Zoho refused the access token ({self.code}): check the OAuth scopes"
                " (ZohoCRM.modules.ALL) and ZOHO_DC / ZOHO_API_DOMAIN"
            )
        if self.code == PERMISSION_CODE:
            return self._missing_permission()
        reason = f"{self.code}: {redact(self.message)[:MESSAGE_CHARS]}"
        details = self.details
        if isinstance(details, dict):
            duplicate = details.get("duplicate_record")
            if isinstance(duplicate, dict):
                module = (duplicate.get("module") or {}).get("api_name", "record")
                field = details.get("api_name")
                reason += f" (matches existing {module} record {duplicate.get('id')}"
                return reason + (f" on {field})" if field else ")")
        if details:
            # Zoho's text is not trusted: secrets are scrubbed before the cut, so no part survives.
            reason += " " + redact(json.dumps(details, separators=(",", ":"), sort_keys=True))[:300]
        return reason

    @property
    def about_setup(self) -> bool:
        """Whether the token or its user may not make this call at all (not this record's problem)."""
        return self.kind is Kind.MISCONFIGURED or self.http_status in (401, 403)

    @property
    def names_url_id(self) -> bool:
        """Whether the refusal is about the record id in the URL (deleted, merged, never there)."""
        return isinstance(self.details, dict) and "resource_path_index" in self.details

    def _missing_permission(self) -> str:
        listed = self.details.get("permissions") if isinstance(self.details, dict) else None
        names = [str(name) for name in listed] if isinstance(listed, list) else []
        named = ", ".join(
            f"{PERMISSION_NAMES[name]} ({name})" if name in PERMISSION_NAMES else redact(name)[:80]
            for name in names[:5]
        )
        return (
            f"NO_PERMISSION: the profile of the Zoho user whose refresh token the function uses lacks"
            f" {'the permission ' + named if named else 'a permission this call needs'}: give it in"
            " Setup > Users and Control > Security Control > Profiles, or use a user whose profile has it"
        )
