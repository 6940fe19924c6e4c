"""The /__emulator/ control endpoints (control.py)."""

from __future__ import annotations

import pytest
import requests

from tests.zoho_emulator.scopes import DEFAULT_GRANT
from tests.zoho_emulator.testing import (
    ADMIN,
    DEAL,
    add_lead,
    control,
    lead_parent,
    record_error,
    token_form,
)
from tests.zoho_emulator.testing import demo as demo
from tests.zoho_emulator.testing import emulator as emulator
from tests.zoho_emulator.testing import zoho as zoho


def test_control_endpoints_set_up_state_and_report_it(emulator, zoho):
    control = f"{emulator.url}/__emulator"

    created = requests.post(f"{control}/leads", json={"Last_Name": "Roe", "Company": "Initech"}, timeout=5)
    lead_id = created.json()["id"]
    raw = requests.get(f"{control}/leads/{lead_id}", timeout=5).json()
    zoho.convert(lead_id)
    state = requests.get(f"{control}/state", timeout=5).json()
    journal = requests.get(f"{control}/journal", timeout=5).json()

    assert created.status_code == 201
    assert raw["Company"] == "Initech"
    assert state == {
        "leads": 1,
        "converted_leads": 1,
        "contacts": 1,
        "accounts": 1,
        "deals": 0,
        "notes": 0,
        "token_requests": 1,
    }
    assert [entry["path"] for entry in journal] == [
        "/oauth/v2/token",
        f"/crm/v8/Leads/{lead_id}/actions/convert",
    ]


def test_control_endpoint_adds_leads_in_bulk(emulator):
    control = f"{emulator.url}/__emulator/leads"
    leads = [{"Last_Name": f"Bulk {n}", "Company": f"Bulk Co {n}", "Tag": ["Imported"]} for n in range(3)]

    created = requests.post(control, json=leads, timeout=5)
    ids = created.json()["ids"]
    refused = requests.post(control, json=[{"Last_Name": "Fine"}, {"Company": "No last name"}], timeout=5)
    not_objects = requests.post(control, json=[{"Last_Name": "Never"}, "Roe"], timeout=5)

    assert created.status_code == 201
    assert [emulator.crm.lead(lead_id)["Last_Name"] for lead_id in ids] == ["Bulk 0", "Bulk 1", "Bulk 2"]
    assert [int(lead_id) for lead_id in ids] == sorted(int(lead_id) for lead_id in ids)
    assert emulator.crm.lead(ids[0])["Tag"][0]["name"] == "Imported"
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("leads[1]: ")
    assert [emulator.crm.lead(lead_id)["Last_Name"] for lead_id in refused.json()["ids"]] == ["Fine"]
    assert not_objects.status_code == 400
    assert not_objects.json()["error"] == "leads[1]: expected a JSON object"
    assert emulator.crm.counts()["leads"] == 4


def test_control_endpoint_sets_faults(emulator, zoho):
    control = f"{emulator.url}/__emulator/faults"

    requests.post(control, json={"fail_next": {"n": 1, "status": 502}, "latency": 0.01}, timeout=5)
    failed = zoho.get("users")
    requests.post(control, json={"revoke_tokens": True}, timeout=5)
    revoked = zoho.get("users")
    refused = requests.post(control, json={"no_such_fault": 1}, timeout=5)

    assert failed.status_code == 502
    assert revoked.json()["code"] == "INVALID_TOKEN"
    assert emulator.faults.latency == 0.01
    assert refused.status_code == 400


def test_control_reset_returns_to_the_seeded_state(demo):
    control = f"{demo.url}/__emulator"
    requests.post(f"{control}/leads", json={"Last_Name": "Extra"}, timeout=5)
    demo.faults.latency = 1.0

    requests.post(f"{control}/reset", timeout=5)

    assert requests.get(f"{control}/state", timeout=5).json()["leads"] == 5
    assert demo.faults.latency == 0.0


def test_unknown_control_endpoints_are_not_found(emulator):
    assert requests.get(f"{emulator.url}/__emulator/nothing", timeout=5).status_code == 404


def test_control_endpoint_sets_hidden_fields_and_trickles(emulator, zoho):
    lead_id = emulator.crm.add_lead(Last_Name="Hidden", Lead_Status="Qualified")
    requests.post(
        f"{emulator.url}/__emulator/faults",
        json={
            "hidden_fields": ["Lead_Status"],
            "trickle_next": {"n": 1, "seconds_per_byte": 0.0, "path": "x"},
        },
        timeout=5,
    ).raise_for_status()

    (lead,) = zoho.get(f"Leads/{lead_id}").json()["data"]

    assert "Lead_Status" not in lead
    assert emulator.faults.hidden_fields == {"Lead_Status"}


# --- metadata, records and scopes ---------------------------------------------------------------


def test_control_adds_users_with_a_status_confirmation_and_type(emulator, zoho):
    added = control(
        emulator,
        "POST",
        "users",
        {"full_name": "Old Timer", "email": "old@example.com", "status": "inactive", "type": "Team User"},
    )
    invited = control(
        emulator, "POST", "users", {"full_name": "New Hire", "email": "new@example.com", "confirm": False}
    )
    listed = {user["id"]: user for user in control(emulator, "GET", "users").json()}
    inactive = zoho.get("users", params={"type": "DeactiveUsers"}).json()["users"]

    assert added.status_code == invited.status_code == 201
    old, new = added.json()["id"], invited.json()["id"]
    assert (listed[old]["status"], listed[old]["type__s"]) == ("inactive", "Team User")
    assert (listed[new]["status"], listed[new]["confirm"]) == ("active", False)
    assert [user["id"] for user in inactive] == [old]


@pytest.mark.parametrize(
    "body",
    [
        {"full_name": "A"},
        {"full_name": "A", "email": "a@example.com", "status": "away"},
        {"full_name": "A", "email": "a@example.com", "profile": "Owner"},
        {"full_name": "A", "email": "a@example.com", "id": "4876876000000002001"},  # Ava's
        {"full_name": "A", "email": "a@example.com", "role": "CEO"},
    ],
)
def test_control_refuses_a_user_it_cannot_add(emulator, body):
    answer = control(emulator, "POST", "users", body)

    assert answer.status_code == 400
    assert answer.json()["error"]
    assert len(emulator.crm.users) == 1


def test_control_adds_org_tags_to_a_modules_list(emulator, zoho):
    added = control(emulator, "POST", "tags", {"module": "Leads", "names": ["Expo", "Expo", "Q3"]})
    refused = control(emulator, "POST", "tags", {"module": "Notes", "name": "X"})

    names = [tag["name"] for tag in zoho.get("settings/tags", params={"module": "Leads"}).json()["tags"]]

    assert added.status_code == 201
    assert [tag["name"] for tag in added.json()["tags"]] == ["Expo", "Expo", "Q3"]
    assert names == ["Expo", "Q3"]
    assert refused.status_code == 400


def pipeline_stages(zoho) -> dict[str, list[tuple[str, str, str]]]:
    answer = zoho.get("settings/pipeline", params={"layout_id": "4876876000000091023"}).json()
    return {
        pipeline["display_value"]: [
            (s["display_value"], s["actual_value"], s["id"]) for s in pipeline["maps"]
        ]
        for pipeline in answer["pipeline"]
    }


def test_control_removes_a_stage_from_a_pipeline_so_a_deploy_time_rule_no_longer_converts(emulator, zoho):
    lead_id = add_lead(emulator)
    before = zoho.convert(add_lead(emulator), {"Deals": DEAL})

    edited = control(
        emulator, "POST", "pipelines", {"pipeline": "Standard (Standard)", "remove_stages": ["Qualification"]}
    )
    after = zoho.convert(lead_id, {"Deals": DEAL})

    assert before.status_code == 200
    assert edited.status_code == 200
    assert "Qualification" not in [s[1] for s in pipeline_stages(zoho)["Standard (Standard)"]]
    assert edited.json()["pipeline"][0]["maps"][0]["actual_value"] == "Needs Analysis"
    assert record_error(after)["code"] == "MAPPING_MISMATCH"
    assert emulator.crm.pipelines["Standard (Standard)"][0] == "Needs Analysis"


def test_control_renames_stages_everywhere_and_renames_pipelines(emulator, zoho):
    ids_before = {s[1]: s[2] for s in pipeline_stages(zoho)["Partner Pipeline"]}

    answer = control(
        emulator,
        "POST",
        "pipelines",
        {
            "pipeline": "Partner Pipeline",
            "rename_stages": {"Closed Won": {"display_value": "Won", "actual_value": "Closed Won (Partner)"}},
            "add_stages": ["Partner Onboarding"],
            "rename": "Channel Pipeline",
        },
    )
    stages = pipeline_stages(zoho)

    assert answer.status_code == 200
    assert list(stages) == ["Standard (Standard)", "Channel Pipeline"]
    channel = stages["Channel Pipeline"]
    assert ("Won", "Closed Won (Partner)", ids_before["Closed Won"]) in channel
    assert ("Won", "Closed Won (Partner)", ids_before["Closed Won"]) in stages["Standard (Standard)"]
    assert channel[-1][:2] == ("Partner Onboarding", "Partner Onboarding")


@pytest.mark.parametrize(
    "body",
    [
        {"pipeline": "No Such Pipeline", "remove_stages": ["Qualification"]},
        {"pipeline": "Standard (Standard)", "remove_stages": ["Qualification", "Joint Proposal"]},
        {"pipeline": "Standard (Standard)", "rename_stages": {"Qualification": "Closed Lost"}},
        {"pipeline": "Standard (Standard)", "rename": "Partner Pipeline"},
        {"pipeline": "Standard (Standard)", "drop": True},
        {"remove_stages": ["Qualification"]},
    ],
)
def test_a_pipeline_edit_that_cannot_be_made_changes_nothing(emulator, zoho, body):
    before = pipeline_stages(zoho)

    answer = control(emulator, "POST", "pipelines", body)

    assert answer.status_code == 400
    assert answer.json()["error"]
    assert pipeline_stages(zoho) == before


def test_control_sets_and_reads_the_granted_scopes(emulator, zoho):
    narrowed = control(emulator, "POST", "scopes", {"scopes": ["ZohoCRM.users.READ"]})
    granted = control(emulator, "GET", "scopes").json()
    refused = zoho.get("settings/fields", params={"module": "Leads"})
    allowed = zoho.get("users")
    bad = control(emulator, "POST", "scopes", {"scopes": "ZohoCRM.users.READ"})
    control(emulator, "POST", "scopes", {"scopes": ["ZohoCRM.coql.READ"], "refresh_token": "1000.other"})
    other = requests.get(
        f"{emulator.url}/__emulator/scopes", params={"refresh_token": "1000.other"}, timeout=5
    )

    assert narrowed.json() == granted == {"scopes": ["ZohoCRM.users.READ"]}
    assert (refused.status_code, refused.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    assert allowed.status_code == 200
    assert bad.status_code == 400
    assert other.json() == {"scopes": ["ZohoCRM.coql.READ"]}


def test_control_reads_the_records_a_conversion_created_and_the_notes_of_a_lead(emulator, zoho):
    lead_id = add_lead(emulator)
    details = zoho.convert(lead_id, {"Deals": DEAL, "carry_over_tags": {"Deals": ["VIP"]}}).json()["data"][0][
        "details"
    ]
    noted = add_lead(emulator)
    zoho.post(
        "Notes",
        json={"data": [{"Note_Title": "Why", "Note_Content": "Because", "Parent_Id": lead_parent(noted)}]},
    )

    deals = control(emulator, "GET", "deals").json()
    deal = control(emulator, "GET", f"deals/{details['Deals']['id']}").json()
    contact = control(emulator, "GET", f"contacts/{details['Contacts']['id']}").json()
    accounts = control(emulator, "GET", "accounts").json()
    missing = control(emulator, "GET", "deals/4876876000003999999")
    notes = control(emulator, "GET", f"leads/{noted}/notes").json()

    assert [record["id"] for record in deals] == [details["Deals"]["id"]]
    assert (deal["Deal_Name"], deal["Stage"], deal["Pipeline"]) == (
        DEAL["Deal_Name"],
        "Qualification",
        DEAL["Pipeline"],
    )
    assert (deal["Closing_Date"], deal["Owner"]["id"]) == (DEAL["Closing_Date"], ADMIN)
    assert [tag["name"] for tag in deal["Tag"]] == ["VIP"]
    assert contact["Last_Name"] == "Doe"
    assert [account["Account_Name"] for account in accounts] == ["Acme"]
    assert (missing.status_code, missing.json()) == (404, {"error": "no such deal"})
    assert [(note["Note_Title"], note["Note_Content"]) for note in notes] == [("Why", "Because")]


def test_control_reset_empties_the_token_throttle_and_restores_the_grant(emulator):
    form = token_form(emulator.credentials)
    url = f"{emulator.url}/oauth/v2/token"
    for _ in range(10):
        requests.post(url, data=form, timeout=5)
    throttled = requests.post(url, data=form, timeout=5).json()
    control(emulator, "POST", "scopes", {"scopes": []})

    control(emulator, "POST", "reset")
    fresh = requests.post(url, data=form, timeout=5).json()

    assert throttled["error"] == "Access Denied"
    assert "access_token" in fresh
    assert control(emulator, "GET", "scopes").json()["scopes"] == sorted(DEFAULT_GRANT)


# --- seeding contacts, accounts and deals --------------------------------------------------------

UNKNOWN_ACCOUNT = "4876876000002999999"
UNKNOWN_CONTACT = "4876876000001999999"


def test_control_adds_an_account_a_contact_in_it_and_a_deal_of_both(emulator, zoho):
    seller = emulator.crm.add_user("Sam Seller", "sam@example.com")
    account = control(
        emulator,
        "POST",
        "accounts",
        {"Account_Name": "Acme", "Owner": seller, "Modified_Time": "2026-11-20T09:00:00+00:00"},
    )
    account_id = account.json()["id"]
    contact = control(
        emulator,
        "POST",
        "contacts",
        {"First_Name": "Ann", "Last_Name": "Lee", "Email": "ann@acme.example", "Account_Name": account_id},
    )
    contact_id = contact.json()["id"]
    deal = control(
        emulator,
        "POST",
        "deals",
        {
            "Deal_Name": "Acme renewal",
            "Pipeline": "Standard (Standard)",
            "Stage": "Identify Decision Makers",  # the display value; the actual one is stored
            "Closing_Date": "2026-12-31",
            "Amount": 5000,
            "Account_Name": account_id,
            "Contact_Name": contact_id,
        },
    )

    assert (account.status_code, contact.status_code, deal.status_code) == (201, 201, 201)
    stored_account = control(emulator, "GET", f"accounts/{account_id}").json()
    assert (stored_account["Owner"]["id"], stored_account["Modified_Time"]) == (
        seller,
        "2026-11-20T09:00:00+00:00",
    )
    stored_contact = control(emulator, "GET", f"contacts/{contact_id}").json()
    assert stored_contact["Full_Name"] == "Ann Lee"
    assert stored_contact["Account_Name"] == {"name": "Acme", "id": account_id}
    rows = zoho.coql(
        f"select Deal_Name, Stage, Pipeline, Amount, Account_Name, Contact_Name from Deals "  # noqa: S608
        f"where Account_Name = '{account_id}'"
    ).json()["data"]
    assert rows == [
        {
            "id": deal.json()["id"],
            "Deal_Name": "Acme renewal",
            "Stage": "Id. Decision Makers",
            "Pipeline": "Standard (Standard)",
            "Amount": 5000,
            "Account_Name": {"id": account_id},
            "Contact_Name": {"id": contact_id},
        }
    ]


@pytest.mark.parametrize("stage", ["Closed Won", "Closed Lost", "Negotiation/Review"])
def test_a_seeded_deals_stage_says_through_get_pipelines_whether_it_is_open(emulator, zoho, stage):
    deal_id = control(emulator, "POST", "deals", {**DEAL, "Stage": stage}).json()["id"]

    stored = control(emulator, "GET", f"deals/{deal_id}").json()
    pipelines = zoho.get("settings/pipeline", params={"layout_id": "4876876000000091023"}).json()
    forecast = {
        s["actual_value"]: s["forecast_type"] for pipeline in pipelines["pipeline"] for s in pipeline["maps"]
    }

    assert forecast[stored["Stage"]] == ("Open" if stage == "Negotiation/Review" else stage)


@pytest.mark.parametrize("kind", ["contacts", "accounts", "deals"])
def test_control_adds_records_in_bulk_and_a_refused_one_stops_there(emulator, kind):
    account_id = emulator.crm.add_account(Account_Name="Existing")
    valid = {
        "contacts": {"Last_Name": "Roe", "Account_Name": account_id},
        "accounts": {"Account_Name": "Initech"},
        "deals": {**DEAL, "Account_Name": account_id},
    }[kind]
    module = kind.capitalize()
    before = len(getattr(emulator.crm, kind))

    created = control(emulator, "POST", kind, [valid, valid])
    refused = control(emulator, "POST", kind, [valid, {**valid, "Owner": "4876876000000002999"}, valid])
    not_objects = control(emulator, "POST", kind, [valid, "Roe"])

    assert created.status_code == 201
    ids = created.json()["ids"]
    assert [int(record_id) for record_id in ids] == sorted(int(record_id) for record_id in ids)
    assert all(emulator.crm.has_record(module, record_id) for record_id in ids)
    assert (refused.status_code, refused.json()["error"]) == (
        400,
        f"{kind}[1]: Owner: no user with id '4876876000000002999'",
    )
    assert len(refused.json()["ids"]) == 1
    assert (not_objects.status_code, not_objects.json()) == (
        400,
        {"error": f"{kind}[1]: expected a JSON object"},
    )
    assert len(getattr(emulator.crm, kind)) == before + 3


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        ("contacts", {"Email": "roe@example.com"}, "Contacts need Last_Name"),
        (
            "contacts",
            {"Last_Name": "Roe", "Account_Name": UNKNOWN_ACCOUNT},
            f"Account_Name: no Accounts record with id '{UNKNOWN_ACCOUNT}'",
        ),
        (
            "contacts",
            {"Last_Name": "Roe", "Account_Name": {"id": "1"}},
            "Account_Name: expected an id of Accounts, not {'id': '1'}",
        ),
        (
            "contacts",
            {"Last_Name": "Roe", "Modified_Time": "yesterday"},
            "Modified_Time: expected an ISO 8601 date-time, not 'yesterday'",
        ),
        ("contacts", {"Last_Name": "Roe", "id": "1"}, "id: the emulated org gives each record its id"),
        ("accounts", {"Phone": "555-0100"}, "Accounts need Account_Name"),
        ("accounts", {"Account_Name": "Acme", "Owner": "sam"}, "Owner: no user with id 'sam'"),
        ("accounts", "Acme", "expected a JSON object"),
        *(
            ("deals", {key: value for key, value in DEAL.items() if key != missing}, f"Deals need {missing}")
            for missing in DEAL
        ),
        (
            "deals",
            {**DEAL, "Closing_Date": "31/12/2026"},
            "Closing_Date: expected an ISO date (2026-12-31), not '31/12/2026'",
        ),
        (
            "deals",
            {**DEAL, "Pipeline": "Nope"},
            "Pipeline: no pipeline 'Nope'; the pipelines are ['Standard (Standard)', 'Partner Pipeline']",
        ),
        (
            "deals",
            {**DEAL, "Stage": "Joint Proposal"},
            "Stage: pipeline 'Standard (Standard)' has no stage 'Joint Proposal'",
        ),
        ("deals", {**DEAL, "Stage": 10}, "Stage: expected a string, not 10"),
        ("deals", {**DEAL, "Amount": "lots"}, "Amount: expected a number, not 'lots'"),
        (
            "deals",
            {**DEAL, "Account_Name": UNKNOWN_ACCOUNT},
            f"Account_Name: no Accounts record with id '{UNKNOWN_ACCOUNT}'",
        ),
        (
            "deals",
            {**DEAL, "Contact_Name": UNKNOWN_CONTACT},
            f"Contact_Name: no Contacts record with id '{UNKNOWN_CONTACT}'",
        ),
    ],
)
def test_control_refuses_a_record_naming_what_is_wrong_and_adds_nothing(emulator, kind, body, error):
    answer = control(emulator, "POST", kind, body)

    assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert emulator.crm.counts()[kind] == 0


# --- profile permissions (zoho-crm-api.md §14.8) ------------------------------------------------

CONVERT_LEADS = "Crm_Implied_Convert_Leads"
MASS_CONVERT_LEADS = "Crm_Implied_Mass_Convert_Leads"
MANAGE_WORKFLOW = "Crm_Implied_Manage_Workflow"


def test_control_revokes_and_grants_profile_permissions(emulator, zoho):
    lead_id = add_lead(emulator)

    revoked = control(emulator, "POST", "permissions", {"revoke": [CONVERT_LEADS]})
    refused = zoho.convert(lead_id)
    read = control(emulator, "GET", "permissions")
    granted = control(
        emulator, "POST", "permissions", {"grant": [CONVERT_LEADS], "revoke": [MASS_CONVERT_LEADS]}
    )
    converted = zoho.convert(lead_id)

    assert (revoked.status_code, revoked.json()) == (
        200,
        {"permissions": [MANAGE_WORKFLOW, MASS_CONVERT_LEADS]},
    )
    assert read.json() == {"permissions": [MANAGE_WORKFLOW, MASS_CONVERT_LEADS]}
    assert (refused.status_code, refused.json()["details"]) == (403, {"permissions": [CONVERT_LEADS]})
    assert granted.json() == {"permissions": [CONVERT_LEADS, MANAGE_WORKFLOW]}
    assert converted.status_code == 200


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"revoke": [CONVERT_LEADS], "drop": [MASS_CONVERT_LEADS]}, "drop"),
        ({"revoke": CONVERT_LEADS}, "revoke"),
        ({"revoke": [CONVERT_LEADS], "grant": [5]}, "grant"),
        ({"revoke": [CONVERT_LEADS, "Crm_Implied_Delete_Leads"]}, "revoke"),
        ({"revoke": [CONVERT_LEADS], "grant": [CONVERT_LEADS]}, "grant"),
    ],
)
def test_a_permission_edit_with_a_wrong_key_is_refused_naming_it_and_changes_nothing(emulator, body, key):
    answer = control(emulator, "POST", "permissions", body)

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{key}: ")
    assert control(emulator, "GET", "permissions").json() == {
        "permissions": [CONVERT_LEADS, MANAGE_WORKFLOW, MASS_CONVERT_LEADS]
    }


def test_control_reset_grants_the_permissions_again(emulator):
    control(emulator, "POST", "permissions", {"revoke": [CONVERT_LEADS, MASS_CONVERT_LEADS]})

    control(emulator, "POST", "reset")

    assert control(emulator, "GET", "permissions").json()["permissions"] == [
        CONVERT_LEADS,
        MANAGE_WORKFLOW,
        MASS_CONVERT_LEADS,
    ]


# --- deleting leads -----------------------------------------------------------------------------


def test_control_deletes_a_lead_and_an_unknown_one_is_not_found(emulator, zoho):
    lead_id = add_lead(emulator)

    deleted = control(emulator, "DELETE", f"leads/{lead_id}")
    again = control(emulator, "DELETE", f"leads/{lead_id}")
    stored = control(emulator, "GET", f"leads/{lead_id}")

    assert (deleted.status_code, deleted.json()) == (200, {"deleted": lead_id})
    assert (again.status_code, again.json()) == (404, {"error": "no such lead"})
    assert stored.status_code == 404
    assert zoho.get(f"Leads/{lead_id}").status_code == 204
    assert control(emulator, "GET", "state").json()["leads"] == 0


def test_control_schedules_leads_to_be_deleted_before_the_next_matching_call(emulator, zoho):
    kept, gone = add_lead(emulator), add_lead(emulator, Email="gone@acme.example")

    scheduled = control(
        emulator,
        "POST",
        "faults",
        {
            "delete_leads_before_next": {
                "lead_ids": [gone],
                "path": "/actions/mass_convert$",
                "method": "POST",
            }
        },
    )
    read = zoho.get(f"Leads/{gone}")
    submitted = zoho.post(
        "Leads/actions/mass_convert", json={"ids": [kept, gone], "assign_to": {"id": ADMIN}}
    )

    assert scheduled.status_code == 200
    assert read.status_code == 200  # not a matching call: the lead is still there
    assert (submitted.status_code, submitted.json()["details"]["json_path"]) == (400, "$.ids[1]")
    assert zoho.get(f"Leads/{gone}").status_code == 204


# --- malformed fault settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"latency": "abc"}, "latency"),
        ({"latency": -1}, "latency"),
        ({"latency": True}, "latency"),
        ({"concurrency_limit": 0}, "concurrency_limit"),
        ({"concurrency_limit": 2.5}, "concurrency_limit"),
        ({"concurrency_limit": "3"}, "concurrency_limit"),
        ({"token_throttle": "yes"}, "token_throttle"),
        ({"token_down": 1}, "token_down"),
        ({"token_throttle_status": "x"}, "token_throttle_status"),
        ({"token_throttle_status": 999}, "token_throttle_status"),
        ({"mass_convert_seconds": None}, "mass_convert_seconds"),
        ({"coql_offset_ceiling": "5"}, "coql_offset_ceiling"),
        ({"coql_offset_ceiling": 0}, "coql_offset_ceiling"),
        ({"mass_convert_fail_ids": "123"}, "mass_convert_fail_ids"),
        ({"mass_convert_fail_ids": ["123", 456]}, "mass_convert_fail_ids"),
        ({"hidden_fields": 5}, "hidden_fields"),
        ({"hidden_fields": "Lead_Status"}, "hidden_fields"),
        ({"clear": "yes"}, "clear"),
        ({"revoke_tokens": 1}, "revoke_tokens"),
        ({"fail_next": 1}, "fail_next"),
        ({"fail_next": [1]}, "fail_next"),
        ({"fail_next": {}}, "fail_next"),
        ({"fail_next": {"n": 1, "times": 2}}, "fail_next"),
        ({"fail_next": {"n": "1"}}, "fail_next"),
        ({"fail_next": {"n": 0}}, "fail_next"),
        ({"fail_next": {"n": 1, "status": 7}}, "fail_next"),
        ({"fail_next": {"n": 1, "code": 500}}, "fail_next"),
        ({"fail_next": {"n": 1, "path": "(unclosed"}}, "fail_next"),
        ({"fail_next": {"n": 1, "method": "FETCH"}}, "fail_next"),
        ({"fail_next": {"n": 1, "after": -1}}, "fail_next"),
        ({"fail_fraction": {"fraction": 1.5}}, "fail_fraction"),
        ({"fail_fraction": {"fraction": 0.5, "method": "GET"}}, "fail_fraction"),
        ({"reset_next": {"n": 1, "path": "["}}, "reset_next"),
        ({"hang_next": {"n": 1}}, "hang_next"),
        ({"hang_next": {"n": 1, "seconds": "2"}}, "hang_next"),
        ({"hang_next": {"n": 1, "seconds": 1, "after_processing": "yes"}}, "hang_next"),
        ({"malformed_next": {"n": 1, "body": 5}}, "malformed_next"),
        ({"trickle_next": {"n": 1, "seconds_per_byte": -0.1}}, "trickle_next"),
        ({"schedule_next_convert": {"n": 1, "path": "x"}}, "schedule_next_convert"),
        ({"delete_leads_before_next": {"lead_ids": "4876876000000100001"}}, "delete_leads_before_next"),
        ({"delete_leads_before_next": {"lead_ids": [4876876000000100001]}}, "delete_leads_before_next"),
        ({"delete_leads_before_next": {"path": "coql"}}, "delete_leads_before_next"),
        ({"delete_leads_before_next": {"lead_ids": ["1"], "path": "*"}}, "delete_leads_before_next"),
    ],
)
def test_a_malformed_fault_setting_is_refused_naming_its_key_and_nothing_is_applied(
    emulator, zoho, settings, key
):
    lead_id = add_lead(emulator)
    # Every other key is fine: the one wrong key must keep them all from being applied.
    body = {"latency": 0.01, "fail_next": {"n": 1, "status": 503}, "hidden_fields": ["Email"], **settings}

    answer = control(emulator, "POST", "faults", body)
    read = zoho.get(f"Leads/{lead_id}")

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{key}: "), answer.json()
    assert read.status_code == 200  # no fail_next was scheduled; the emulator serves on
    assert read.json()["data"][0]["Email"] == "jane@acme.example"
    assert emulator.faults.latency == 0.0
    assert emulator.faults.hidden_fields == set()


def test_after_a_refused_fault_setting_the_emulator_serves_and_takes_good_settings(emulator, zoho):
    refused = control(emulator, "POST", "faults", {"fail_next": {"n": 1, "path": "(unclosed"}})
    served = zoho.get("users")
    accepted = control(
        emulator,
        "POST",
        "faults",
        {"fail_next": {"n": 1, "status": 503, "path": "users$", "method": "get"}, "concurrency_limit": None},
    )
    failed = zoho.get("users")

    assert refused.status_code == 400
    assert refused.json() == {
        "error": "fail_next: path: invalid regular expression '(unclosed': "
        "missing ), unterminated subpattern at position 0"
    }
    assert served.status_code == 200
    assert accepted.status_code == 200
    assert failed.status_code == 503
