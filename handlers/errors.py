"""Every failure the function knows, as one hierarchy.

Each class says when it is raised and which outcome it becomes (`kind`); `handlers.engine.outcome.
from_error` turns any of them into an outcome, in one place. `str(error)` is a message safe to
show to the caller and the log: it never holds a secret.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, Protocol

from handlers.redaction import redact

FailureKind = Literal["rejected", "misconfigured", "not_found", "failed", "deferred", "error"]

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
}


class Failure(Exception):
    """Base class: a failure that becomes an outcome of `kind`."""

    default_kind: ClassVar[FailureKind] = "error"

    @property
    def kind(self) -> FailureKind:
        return self.default_kind

    @property
    def reason(self) -> str:
        """The outcome's reason: what happened and, where it helps, what to do."""
        return str(self)


def reason_of(error: BaseException) -> str:
    """What may be said of any exception: a failure's own reason; of a bug, its type alone (its
    text may hold anything, a secret included)."""
    return error.reason if isinstance(error, Failure) else f"internal error ({error.__class__.__name__})"


class Rejected(Failure):
    """A request refused before any call to Zoho: its method, size, secret, lead id or options."""

    default_kind: ClassVar[FailureKind] = "rejected"

    def __init__(self, error: str, reason: str, http_status: int = 400):
        super().__init__(reason)
        self.error, self.http_status = error, http_status


class Misconfigured(Failure):
    """A setting or secret is missing or invalid; the message names it and says how to fix it.

    `setting` names the environment variable at fault: all a caller who has not authenticated
    is told (the details go to the log line).
    """

    default_kind: ClassVar[FailureKind] = "misconfigured"

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting


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
        super().__init__(in_rules(source, rule, key, message), setting="RULES_FILE")


class SecretUnavailable(Failure):
    """Secret Manager could not be reached or answered an error; worth trying again later."""


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

    default_kind: ClassVar[FailureKind] = "misconfigured"


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
        self.code, self.message, self.details, self.http_status = code, message, details, http_status
        self.call: ScopedCall | None = None  # the refused call, when the client knows its scope
        super().__init__(f"{code}: {message}" + (f" {details}" if details else ""))

    def __str__(self) -> str:
        """Zoho's words are not trusted (an answer may echo the request): scrubbed like `reason`."""
        return redact(super().__str__())

    @property
    def kind(self) -> FailureKind:
        if self.code in SETUP_CODES or self.code == PERMISSION_CODE:
            return "misconfigured"
        return "deferred" if self.code in WAIT_CODES else "failed"

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
        return self.kind == "misconfigured" or self.http_status in (401, 403)

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
