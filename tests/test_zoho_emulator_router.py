"""Routing of /crm/{version}/ calls (router.py): authentication, unknown URLs, wrong methods."""

from __future__ import annotations

import pytest
import requests

from tests.zoho_emulator.testing import Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

# --- authentication of API calls ---------------------------------------------------------------


def test_an_api_call_without_a_token_is_an_authentication_failure(emulator):
    answer = requests.get(f"{emulator.url}/crm/v8/users", timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {
        "code": "AUTHENTICATION_FAILURE",
        "details": {},
        "message": "Authentication failed",
        "status": "error",
    }


def test_an_unknown_token_is_invalid(emulator):
    answer = requests.get(
        f"{emulator.url}/crm/v8/users",
        headers={"Authorization": "Zoho-oauthtoken 1000.made-up"},
        timeout=5,
    )

    assert answer.status_code == 401
    assert answer.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_revoked_tokens_are_invalid_and_a_fresh_token_works_again(emulator, zoho):
    emulator.faults.revoke_tokens()

    refused = zoho.get("users")
    fresh = Zoho(emulator)

    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_TOKEN"
    assert fresh.get("users").status_code == 200


# --- URLs and methods --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/crm/v9/users", "/crm/v8/Gadgets/1", "/somewhere"])
def test_unknown_urls_are_invalid_url_pattern(emulator, zoho, path):
    answer = zoho.session.get(f"{emulator.url}{path}", timeout=5)

    assert answer.status_code == 404
    assert answer.json()["code"] == "INVALID_URL_PATTERN"


def test_a_wrong_method_on_a_known_path_is_invalid_request_method(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.session.delete(f"{emulator.url}/crm/v8/Leads/{lead_id}", timeout=5)

    assert answer.status_code == 405
    assert answer.json()["code"] == "INVALID_REQUEST_METHOD"
