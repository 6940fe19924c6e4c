"""The token's user (crm.py, metadata_endpoints.py, control.py): who every call runs as, read
with `GET /users?type=CurrentUser` (zoho-crm-api.md §14.8, §13.4), and changed by a test."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.zoho_emulator.metadata import stable_id
from tests.zoho_emulator.testing import ADMIN, Zoho
from tests.zoho_emulator.testing import demo as demo
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def control(emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emulator.url}/__emulator/{path}", json=body, timeout=5)


def current_user(zoho) -> dict[str, Any]:
    answer = zoho.get("users", params={"type": "CurrentUser"})
    assert answer.status_code == 200, answer.text
    users: list[dict[str, Any]] = answer.json()["users"]
    assert len(users) == 1
    return users[0]


def test_the_current_user_is_the_default_admin_who_authorised_the_token(demo):
    user = current_user(Zoho(demo))

    assert demo.crm.current_user_id == ADMIN
    assert {key: user[key] for key in ("id", "full_name", "email", "status", "confirm")} == {
        "id": ADMIN,
        "full_name": "Ava Admin",
        "email": "ava.admin@emulated-org.example",
        "status": "active",
        "confirm": True,
    }
    assert user["role"] == {"name": "CEO", "id": stable_id("role", "CEO")}
    assert user["profile"] == {"name": "Administrator", "id": stable_id("profile", "Administrator")}
    assert user["type__s"] == "Regular User"
    assert user["zuid"]


def test_a_test_changes_the_current_users_profile_role_and_status(emulator, zoho):
    changed = emulator.crm.update_user(
        emulator.crm.current_user_id, profile="Integration", role="Sales Manager", status="inactive"
    )

    user = current_user(zoho)

    assert changed.profile == "Integration"
    assert user["profile"] == {"name": "Integration", "id": stable_id("profile", "Integration")}
    assert user["role"] == {"name": "Sales Manager", "id": stable_id("role", "Sales Manager")}
    assert user["status"] == "inactive"
    assert zoho.get("users", params={"type": "AdminUsers"}).status_code == 204  # no Administrator left


def test_control_changes_the_current_user(emulator, zoho):
    answer = control(emulator, "POST", "users/current", {"profile": "Standard", "confirm": False})

    user = current_user(zoho)

    assert answer.status_code == 200
    assert answer.json()["profile"]["name"] == "Standard"
    assert (user["profile"]["name"], user["role"]["name"], user["confirm"]) == ("Standard", "Manager", False)


def test_control_changes_another_user_by_id(demo):
    sam = "4876876000000002002"

    answer = control(demo, "POST", f"users/{sam}", {"status": "disabled", "role": "Sales Rep"})
    listed = {user["id"]: user for user in control(demo, "GET", "users").json()}

    assert answer.status_code == 200
    assert (listed[sam]["status"], listed[sam]["role"]["name"]) == ("disabled", "Sales Rep")
    assert listed[ADMIN]["status"] == "active"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"profile": "Standard", "status": "away"}, "status"),
        ({"profile": ""}, "profile"),
        ({"role": 5}, "role"),
        ({"confirm": "yes"}, "confirm"),
        ({"type": "Robot"}, "type"),
        ({"id": "4876876000000002009"}, "id"),
    ],
)
def test_control_refuses_a_user_change_naming_the_key_and_changes_nothing(emulator, zoho, body, key):
    answer = control(emulator, "POST", "users/current", body)

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{key}: ")
    user = current_user(zoho)
    assert (user["profile"]["name"], user["status"], user["confirm"]) == ("Administrator", "active", True)


def test_control_answers_404_for_an_unknown_user(emulator):
    assert control(emulator, "POST", "users/4876876000000002999", {"status": "inactive"}).status_code == 404


def test_reset_restores_the_current_user(emulator, zoho):
    emulator.crm.update_user(emulator.crm.current_user_id, profile="Integration", status="inactive")

    emulator.reset()

    user = current_user(zoho)
    assert (user["profile"]["name"], user["status"]) == ("Administrator", "active")
