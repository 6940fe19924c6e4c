"""Every failure and the outcome it becomes (handlers/errors.py): the kind, and what may be said."""

from __future__ import annotations

import pytest

from handlers.errors import (
    CredentialsRejected,
    DeadlineExceeded,
    Kind,
    Misconfigured,
    Rejected,
    RulesError,
    SecretUnavailable,
    ZohoBadResponse,
    ZohoRefused,
    ZohoUnavailable,
    reason_of,
)
from handlers.redaction import register


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (Rejected("bad_request", "no lead id"), Kind.REJECTED),
        (Misconfigured("ZOHO_DC is unknown", setting="ZOHO_DC"), Kind.MISCONFIGURED),
        (RulesError("rules.yaml", "unknown key", rule="r", key="deal.Stag"), Kind.MISCONFIGURED),
        (SecretUnavailable("Secret Manager unavailable"), Kind.ERROR),
        (ZohoUnavailable("Zoho unreachable"), Kind.ERROR),
        (DeadlineExceeded("the deadline passed"), Kind.ERROR),
        (ZohoBadResponse("not JSON"), Kind.ERROR),
        (CredentialsRejected("invalid_client"), Kind.MISCONFIGURED),
        (ZohoRefused("MANDATORY_NOT_FOUND", "required field not found"), Kind.FAILED),
        (ZohoRefused("NOT_APPROVED", "record not approved"), Kind.DEFERRED),
        (ZohoRefused("RECORD_LOCKED", "record locked"), Kind.DEFERRED),
        (ZohoRefused("OAUTH_SCOPE_MISMATCH", "invalid oauth scope", http_status=401), Kind.MISCONFIGURED),
        (ZohoRefused("NO_PERMISSION", "permission denied", http_status=403), Kind.MISCONFIGURED),
    ],
)
def test_each_failure_becomes_its_kind(failure: Exception, kind: Kind) -> None:
    assert failure.kind is kind


def test_what_an_outcome_needs_is_carried_by_the_failure() -> None:
    rejected = Rejected("payload_too_large", "the body is larger than 65536 bytes", 413)
    refused = ZohoRefused("DUPLICATE_DATA", "duplicate data")

    assert (rejected.status, rejected.error_name, rejected.code) == (413, "payload_too_large", None)
    assert (refused.status, refused.error_name, refused.code) == (None, None, "DUPLICATE_DATA")
    assert Misconfigured("x", setting="ZOHO_DC").public_reason == "misconfigured: ZOHO_DC"
    assert Misconfigured("x").error_name == "misconfigured"


def test_a_rules_error_names_file_rule_and_key() -> None:
    error = RulesError("rules.yaml", "unknown key", rule="partners", key="deal.Stag")

    assert str(error) == "rules.yaml: rule 'partners': deal.Stag: unknown key"


def test_zohos_words_are_scrubbed_in_every_form_they_take() -> None:
    register("1000.echoed-token-5e0c9a7d31b4aa07")
    refused = ZohoRefused(
        "INVALID_DATA",
        "bad header Zoho-oauthtoken 1000.echoed-token-5e0c9a7d31b4aa07",
        {"echo": "1000.echoed-token-5e0c9a7d31b4aa07"},
    )

    for text in (str(refused), refused.reason, reason_of(refused)):
        assert "echoed-token" not in text


def test_a_duplicate_names_the_record_it_matches() -> None:
    details = {"api_name": "Email", "duplicate_record": {"id": "42", "module": {"api_name": "Contacts"}}}

    reason = ZohoRefused("DUPLICATE_DATA", "duplicate data", details).reason

    assert reason == "DUPLICATE_DATA: duplicate data (matches existing Contacts record 42 on Email)"


def test_a_missing_permission_is_named_with_where_to_give_it() -> None:
    refused = ZohoRefused(
        "NO_PERMISSION", "permission denied", {"permissions": ["Crm_Implied_Convert_Leads"]}, 403
    )

    assert "lacks the permission Convert (Leads) (Crm_Implied_Convert_Leads)" in refused.reason
    assert "Setup > Users and Control > Security Control > Profiles" in refused.reason


def test_of_a_bug_only_its_type_is_said() -> None:
    assert reason_of(KeyError("Authorization: Bearer 1000.secret")) == "internal error (KeyError)"
