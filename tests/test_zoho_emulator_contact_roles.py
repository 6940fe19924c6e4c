"""Contact roles (GET Contacts/roles, Convert's Deals.Contact_Role, zoho-crm-api.md §1.2) and
portal user types (Mass Convert's portal_user_type, §3.1, §14.2)."""

from __future__ import annotations

import time

from tests.zoho_emulator.metadata import stable_id
from tests.zoho_emulator.testing import DEAL, Zoho, add_lead, control, record_error
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho

DECISION_MAKER = stable_id("contact_role", "Decision Maker")


def test_every_org_has_zohos_default_contact_roles(emulator, zoho):
    emulator.grant_scopes(["ZohoCRM.settings.contact_roles.READ"])

    roles = zoho.get("Contacts/roles").json()["contact_roles"]

    assert [role["name"] for role in roles] == [
        "Purchasing",
        "Component Engineer",
        "Decision Maker",
        "Developer/Evaluator",
        "Economic Decision Maker",
        "Executive Sponsor",
        "Influencer",
        "Technical Buyer",
        "Other",
    ]
    assert [role["sequence_number"] for role in roles] == list(range(1, 10))
    assert roles[2] == {"id": DECISION_MAKER, "name": "Decision Maker", "sequence_number": 3}


def test_the_roles_list_needs_a_settings_scope_that_the_default_grant_lacks(emulator, zoho):
    """UNVERIFIED scope (not in the reference): a settings scope, the riskier reading."""
    refused = zoho.get("Contacts/roles")
    emulator.grant_scopes(["ZohoCRM.settings.ALL"])
    allowed = zoho.get("Contacts/roles")

    assert (refused.status_code, refused.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert allowed.status_code == 200


def test_the_roles_list_is_v2_1_and_later(emulator, zoho):
    v2 = Zoho(emulator, version="v2", token=zoho.token)

    assert v2.get("Contacts/roles").json()["code"] == "INVALID_URL_PATTERN"


def test_an_orgs_own_role_is_added_through_the_control_api(emulator, zoho):
    emulator.grant_scopes(["ZohoCRM.settings.contact_roles.READ"])

    added = control(emulator, "POST", "contact_roles", {"name": "Champion"})
    again = control(emulator, "POST", "contact_roles", {"name": "Champion"})

    assert added.status_code == 201
    assert zoho.get("Contacts/roles").json()["contact_roles"][-1] == {
        "id": added.json()["id"],
        "name": "Champion",
        "sequence_number": 10,
    }
    assert again.status_code == 400


def test_a_contact_role_id_converts_and_shows_on_the_deal(emulator, zoho):
    lead_id = add_lead(emulator)

    answer = zoho.convert(lead_id, {"Deals": {**DEAL, "Contact_Role": DECISION_MAKER}})
    details = answer.json()["data"][0]["details"]
    deal = control(emulator, "GET", f"deals/{details['Deals']['id']}").json()

    assert answer.status_code == 200
    assert deal["Contact_Roles"] == [
        {"contact": details["Contacts"], "role": {"id": DECISION_MAKER, "name": "Decision Maker"}}
    ]
    assert "Contact_Role" not in deal


def test_an_orgs_own_role_converts_too(emulator, zoho):
    champion = emulator.crm.add_contact_role("Champion")

    answer = zoho.convert(add_lead(emulator), {"Deals": {**DEAL, "Contact_Role": champion}})

    assert answer.status_code == 200
    (deal,) = emulator.crm.deals.values()
    assert deal["Contact_Roles"][0]["role"] == {"id": champion, "name": "Champion"}


def test_an_unknown_role_id_is_refused_and_nothing_is_created(emulator, zoho):
    lead_id = add_lead(emulator)

    error = record_error(zoho.convert(lead_id, {"Deals": {**DEAL, "Contact_Role": "4876876000099999999"}}))

    assert error["code"] == "INVALID_DATA"
    assert error["details"] == {"api_name": "Contact_Role", "json_path": "$.data[0].Deals.Contact_Role"}
    assert emulator.crm.lead(lead_id)["Converted__s"] is False
    assert emulator.crm.contacts == {}


def test_a_contact_role_before_v5_is_refused(emulator, zoho):
    """§1.2: Contact_Role is v5+; whether v4 ignores it is UNVERIFIED, so it is refused."""
    v4 = Zoho(emulator, version="v4", token=zoho.token)
    lead_id = add_lead(emulator)

    error = record_error(v4.convert(lead_id, {"Deals": {**DEAL, "Contact_Role": DECISION_MAKER}}))

    assert error["details"] == {"api_name": "Contact_Role", "json_path": "$.data[0].Deals.Contact_Role"}
    assert emulator.crm.lead(lead_id)["Converted__s"] is False


def test_mass_convert_refuses_a_contact_role(emulator, zoho):
    """UNVERIFIED: §1.2 documents Contact_Role for single Convert only."""
    answer = zoho.mass_convert([add_lead(emulator)], Deals={**DEAL, "Contact_Role": DECISION_MAKER})

    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_DATA"
    assert answer.json()["details"] == {"api_name": "Contact_Role", "json_path": "$.Deals.Contact_Role"}


def test_mass_convert_takes_a_portal_user_type_of_the_org(emulator, zoho):
    emulator.faults.mass_convert_seconds = 0.05
    added = control(emulator, "POST", "portal_user_types", {"name": "Partners", "api_name": "Partners"})
    type_id = added.json()["id"]
    lead_id = add_lead(emulator)

    job = zoho.mass_convert([lead_id], portal_user_type={"id": type_id, "api_name": "Partners"})
    zoho.finished_job(job.json()["details"]["job_id"])
    contact_id = emulator.crm.lead(lead_id)["Converted_Contact"]["id"]

    assert added.status_code == 201
    assert job.status_code == 202
    assert emulator.crm.contacts[contact_id]["Portal_User_Type"] == {"id": type_id, "api_name": "Partners"}


def test_mass_convert_refuses_a_portal_user_type_the_org_lacks(emulator, zoho):
    type_id = emulator.crm.add_portal_user_type("Partners", "Partners")
    lead_id = add_lead(emulator)

    unknown = zoho.mass_convert([lead_id], portal_user_type={"id": "4876876000015999999", "api_name": "X"})
    mismatch = zoho.mass_convert([lead_id], portal_user_type={"id": type_id, "api_name": "Customers"})
    not_an_object = zoho.mass_convert([lead_id], portal_user_type="Partners")

    for answer in (unknown, mismatch, not_an_object):
        assert answer.status_code == 400
        assert answer.json()["code"] == "INVALID_DATA"
        assert answer.json()["details"]["json_path"] == "$.portal_user_type.id"
    time.sleep(0.05)
    assert emulator.crm.lead(lead_id)["Converted__s"] is False


def test_an_org_has_no_portal_user_types_by_default(emulator, zoho):
    answer = zoho.mass_convert([add_lead(emulator)], portal_user_type={"id": "4876876000015000001"})

    assert control(emulator, "GET", "portal_user_types").json() == []
    assert answer.json()["details"]["json_path"] == "$.portal_user_type.id"


def test_single_convert_refuses_portal_user_type(emulator, zoho):
    type_id = emulator.crm.add_portal_user_type("Partners", "Partners")

    error = record_error(zoho.convert(add_lead(emulator), {"portal_user_type": {"id": type_id}}))

    assert error["code"] == "INVALID_DATA"
    assert error["details"]["json_path"] == "$.data[0].portal_user_type"
