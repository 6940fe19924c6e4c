"""The OAuth token endpoint (tokens.py, gateway.py) answers as Zoho's accounts server does."""

from __future__ import annotations

import pytest
import requests

from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import token_form


def test_refresh_token_grant_issues_a_bearer_token_for_the_emulator_domain(emulator):
    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"].startswith("1000.")
    assert body == {
        "access_token": body["access_token"],
        "api_domain": emulator.url,
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def test_token_parameters_may_come_in_the_query_string(emulator):
    answer = requests.post(
        f"{emulator.url}/oauth/v2/token", params=token_form(emulator.credentials), timeout=5
    )

    assert "access_token" in answer.json()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_id": "1000.OTHER"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"refresh_token": "1000.revoked"}, "invalid_code"),
    ],
)
def test_wrong_credentials_are_refused_with_http_200_as_zoho_does(emulator, override, error):
    form = token_form(emulator.credentials, **override)

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)

    assert answer.status_code == 200
    assert answer.json() == {"error": error}


def test_the_eleventh_token_within_ten_minutes_is_access_denied(emulator):
    form = token_form(emulator.credentials)
    answers = [requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5) for _ in range(11)]

    assert all("access_token" in answer.json() for answer in answers[:10])
    assert answers[10].status_code == 200
    assert answers[10].json() == {
        "error_description": (
            "You have made too many requests continuously. Please try again after some time."
        ),
        "error": "Access Denied",
        "status": "failure",
    }
    assert emulator.token_requests == 11


def test_token_throttle_fault_denies_tokens_until_switched_off(emulator):
    form = token_form(emulator.credentials)
    emulator.faults.token_throttle = True

    denied = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)
    emulator.faults.token_throttle = False
    granted = requests.post(f"{emulator.url}/oauth/v2/token", data=form, timeout=5)

    assert denied.json()["error"] == "Access Denied"
    assert "access_token" in granted.json()


def test_token_throttle_can_answer_with_http_400_as_some_clients_observed(emulator):
    emulator.faults.token_throttle = True
    emulator.faults.token_throttle_status = 400

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error"] == "Access Denied"


def test_token_down_fault_answers_an_html_503(emulator):
    emulator.faults.token_down = True

    answer = requests.post(f"{emulator.url}/oauth/v2/token", data=token_form(emulator.credentials), timeout=5)

    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("text/html")
