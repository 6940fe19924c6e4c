"""Profile permissions of the token's user (permissions.py, router.py): Convert needs
Crm_Implied_Convert_Leads, Mass Convert and its status Crm_Implied_Mass_Convert_Leads (which needs
Convert Leads); without one the call is 403 NO_PERMISSION (zoho-crm-api.md §14.1, §14.2, §14.8)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.zoho_emulator import ZohoEmulator
from tests.zoho_emulator.permissions import CONVERT_LEADS, MANAGE_WORKFLOW, MASS_CONVERT_LEADS
from tests.zoho_emulator.testing import ADMIN, DEAL, Zoho, add_lead
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def no_permission(name: str) -> dict[str, object]:
    """zoho-crm-api.md §14.1 (Convert) and §14.2 (Mass Convert): the 403 root object."""
    return {
        "code": "NO_PERMISSION",
        "details": {"permissions": [name]},
        "message": "Permission denied to create",
        "status": "error",
    }


def mass_convert(zoho: Zoho, lead_ids: list[str]) -> requests.Response:
    return zoho.post("Leads/actions/mass_convert", json={"ids": lead_ids, "assign_to": {"id": ADMIN}})


def poll(zoho: Zoho, job_id: str) -> requests.Response:
    return zoho.get("Leads/actions/mass_convert", params={"job_id": job_id})


def untouched(emulator: ZohoEmulator, *lead_ids: str) -> bool:
    counts = emulator.crm.counts()
    return (
        all(not emulator.crm.lead(lead_id)["Converted__s"] for lead_id in lead_ids)
        and counts["contacts"] == counts["accounts"] == counts["deals"] == 0
    )


def test_both_conversion_permissions_are_granted_by_default(emulator, zoho):
    lead_id = add_lead(emulator)

    assert emulator.permissions == {CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW}
    assert zoho.convert(lead_id, {"Deals": DEAL}).status_code == 200


def test_convert_without_convert_leads_is_403_no_permission_and_changes_nothing(emulator, zoho):
    """zoho-crm-api.md §14.1: NO_PERMISSION, 403, root, details.permissions[]."""
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(CONVERT_LEADS)

    answer = zoho.convert(lead_id, {"Deals": DEAL})
    legacy = Zoho(emulator, version="v2", token=zoho.token).convert(lead_id)

    assert (answer.status_code, answer.json()) == (403, no_permission(CONVERT_LEADS))
    assert (legacy.status_code, legacy.json()) == (403, no_permission(CONVERT_LEADS))
    assert untouched(emulator, lead_id)
    assert emulator.crm.conversions(lead_id) == 0


def test_mass_convert_without_convert_leads_is_refused_naming_mass_convert(emulator, zoho):
    """zoho-crm-api.md §14.8: Mass Convert needs Convert Leads; §14.2: the 403 names Mass Convert."""
    emulator.faults.mass_convert_seconds = 0.05
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(CONVERT_LEADS)

    answer = mass_convert(zoho, [lead_id])
    time.sleep(0.2)  # a job, had one been scheduled, would have run by now

    assert (answer.status_code, answer.json()) == (403, no_permission(MASS_CONVERT_LEADS))
    assert untouched(emulator, lead_id)


def test_mass_convert_without_its_permission_is_refused_and_nothing_is_scheduled(emulator, zoho):
    """zoho-crm-api.md §14.2: 403 NO_PERMISSION {permissions: [Crm_Implied_Mass_Convert_Leads]}."""
    emulator.faults.mass_convert_seconds = 0.05
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(MASS_CONVERT_LEADS)

    answer = mass_convert(zoho, [lead_id])
    time.sleep(0.2)

    assert (answer.status_code, answer.json()) == (403, no_permission(MASS_CONVERT_LEADS))
    assert untouched(emulator, lead_id)


def test_a_refused_status_poll_does_not_cancel_a_scheduled_job(emulator, zoho):
    """zoho-crm-api.md §14.2: the poll is 403 NO_PERMISSION too; the job's leads still convert."""
    emulator.faults.mass_convert_seconds = 0.3
    lead_ids = [add_lead(emulator, Email=f"{n}@acme.example") for n in range(2)]
    job_id = mass_convert(zoho, lead_ids).json()["details"]["job_id"]
    emulator.revoke_permissions(MASS_CONVERT_LEADS)

    refused = poll(zoho, job_id)
    deadline = time.monotonic() + 5
    while not all(emulator.crm.lead(lead_id)["Converted__s"] for lead_id in lead_ids):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    emulator.grant_permissions(MASS_CONVERT_LEADS)
    allowed = poll(zoho, job_id)

    assert (refused.status_code, refused.json()) == (403, no_permission(MASS_CONVERT_LEADS))
    assert allowed.status_code == 200
    assert allowed.json()["data"][0]["Converted_Count"] == 2


def test_single_convert_needs_no_mass_convert_permission(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(MASS_CONVERT_LEADS)

    assert zoho.convert(lead_id).status_code == 200


def test_the_permission_is_checked_after_the_token_and_the_scope_and_before_the_body(emulator, zoho):
    """A token without the scope still gets OAUTH_SCOPE_MISMATCH (401) first; a bad token
    INVALID_TOKEN; only then NO_PERMISSION, whatever the body holds."""
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(CONVERT_LEADS, MASS_CONVERT_LEADS)

    malformed = zoho.post(f"Leads/{lead_id}/actions/convert", data="not json")
    no_ids = zoho.post("Leads/actions/mass_convert", json={})
    bad_token = Zoho(emulator, token="1000.not-a-token").convert(lead_id)
    emulator.grant_scopes(["ZohoCRM.modules.ALL"])
    no_scope = mass_convert(zoho, [lead_id])
    no_scope_poll = poll(zoho, "1")

    assert (malformed.status_code, malformed.json()["code"]) == (403, "NO_PERMISSION")
    assert (no_ids.status_code, no_ids.json()["code"]) == (403, "NO_PERMISSION")
    assert (bad_token.status_code, bad_token.json()["code"]) == (401, "INVALID_TOKEN")
    assert (no_scope.status_code, no_scope.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert (no_scope_poll.status_code, no_scope_poll.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")


def test_other_endpoints_need_neither_permission(emulator, zoho):
    lead_id = add_lead(emulator)
    emulator.revoke_permissions(CONVERT_LEADS, MASS_CONVERT_LEADS)

    read = zoho.get(f"Leads/{lead_id}")
    query = zoho.post("coql", json={"select_query": "select id from Leads where id is not null"})

    assert (read.status_code, query.status_code) == (200, 200)


def test_reset_grants_both_permissions_again(emulator, zoho):
    emulator.revoke_permissions(CONVERT_LEADS, MASS_CONVERT_LEADS)

    emulator.reset()

    assert emulator.permissions == {CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW}
    assert zoho.convert(add_lead(emulator)).status_code == 200


def test_an_unknown_permission_name_changes_nothing(emulator):
    with pytest.raises(ValueError, match="Crm_Implied_Delete"):
        emulator.revoke_permissions(CONVERT_LEADS, "Crm_Implied_Delete")

    assert emulator.permissions == {CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW}
