"""Running the workflow rules (automation.py, delivery.py, criteria.py): when a lead is created
or edited, every active rule on Leads whose trigger and criteria match fires its webhook, an
HTTP request to a receiver, as zoho-crm-api.md §15.2 and §15.4 describe; failed deliveries are
read back through Get Webhook Failures (§15.7). A lead is edited as a salesperson would, through
the control API's `PATCH /__emulator/leads/{id}` (or `emu.crm.update_lead`)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.zoho_emulator import ZohoEmulator
from tests.zoho_emulator.ids import MODULE_IDS
from tests.zoho_emulator.testing import CREDENTIALS, DEAL, WebhookReceiver, Zoho, add_lead, control
from tests.zoho_emulator.testing import webhook_receiver as webhook_receiver
from tests.zoho_emulator.testing import zoho as zoho

WEBHOOKS = "settings/automation/webhooks"
RULES = "settings/automation/workflow_rules"
FAILURES = "settings/automation/webhook_failures"
LEADS = {"api_name": "Leads", "id": MODULE_IDS["Leads"]}
SECRET = "s3cret-for-the-function"
QUALIFIED = {"field": {"api_name": "Lead_Status"}, "comparator": "in", "value": ["Qualified"]}


@pytest.fixture
def emulator() -> Iterator[ZohoEmulator]:
    """An empty org whose token may call the automation APIs; deliveries time out after 2 s."""
    with ZohoEmulator(credentials=CREDENTIALS, automation=True) as emu:
        emu.automation.delivery_timeout = 2.0
        yield emu


def connect(
    zoho: Zoho,
    url: str,
    repeat: bool = False,
    trigger: str = "create_or_edit",
    criteria: Any = QUALIFIED,
    **webhook: Any,
) -> tuple[str, str]:
    """What the product's `connect` makes (§15.8): its webhook (POST, the secret header, the lead
    id in a raw JSON body) and a rule firing it for qualified leads. Returns their ids."""
    body = {
        "name": "Lead converter",
        "module": LEADS,
        "url": url,
        "http_method": "POST",
        "feature_type": "workflow",
        "authentication": {"type": "general"},
        "headers": {
            "module_parameters": [],
            "custom_parameters": [{"name": "X-Webhook-Secret", "value": SECRET}],
        },
        "body": {"type": "raw", "format": "JSON", "raw_data_content": '{"lead_id": "${!Leads.Id}"}'},
        **webhook,
    }
    created = zoho.post(WEBHOOKS, json={"webhooks": [body]})
    assert created.status_code == 201, created.text
    webhook_id = created.json()["webhooks"][0]["details"]["id"]
    details: dict[str, Any] = {"repeat": repeat}
    if trigger == "field_update":
        details = {"criteria": criteria, "repeat": repeat}
    rule = {
        "name": "Lead converter qualified leads",
        "module": LEADS,
        "execute_when": {"type": trigger, "details": details},
        "conditions": [
            {
                "sequence_number": 1,
                "criteria_details": {"criteria": None if trigger == "field_update" else criteria},
                "instant_actions": {"actions": [{"type": "webhooks", "id": webhook_id}]},
            }
        ],
    }
    created = zoho.post(RULES, json={"workflow_rules": [rule]})
    assert created.status_code == 201, created.text
    return webhook_id, created.json()["workflow_rules"][0]["details"]["id"]


def edit(emulator: ZohoEmulator, lead_id: str, **fields: Any) -> requests.Response:
    """A salesperson saves the lead in Zoho's UI, then the deliveries it fired are sent."""
    answer = control(emulator, "PATCH", f"leads/{lead_id}", fields)
    assert emulator.automation.wait_for_deliveries(10)
    return answer


def new_lead(emulator: ZohoEmulator, **fields: Any) -> str:
    """A lead added through the control API (a create), then its deliveries sent."""
    answer = control(emulator, "POST", "leads", {"Last_Name": "Doe", "Company": "Acme", **fields})
    assert answer.status_code == 201, answer.text
    assert emulator.automation.wait_for_deliveries(10)
    return str(answer.json()["id"])


# --- the product's webhook, end to end ------------------------------------------------------------


def test_a_lead_edited_to_qualified_fires_the_webhook_once_with_the_secret_and_the_lead_id(
    emulator, zoho, webhook_receiver
):
    connect(zoho, f"{webhook_receiver.url}/convert")
    lead_id = new_lead(emulator, Lead_Status="Contacted")
    before = list(webhook_receiver.requests)

    edited = edit(emulator, lead_id, Lead_Status="Qualified")
    edit(emulator, lead_id, Description="called back, still qualified")

    assert before == []
    assert edited.status_code == 200
    assert edited.json()["Lead_Status"] == "Qualified"
    (request,) = webhook_receiver.requests
    assert (request.method, request.path) == ("POST", "/convert")
    assert request.header("X-Webhook-Secret") == SECRET
    assert json.loads(request.body) == {"lead_id": lead_id}
    # zoho-crm-api.md §15.11 item 3: the Content-Type is unverified; the emulator sends the riskier one.
    assert request.header("Content-Type") == "text/plain;charset=UTF-8"


def test_with_repeat_every_save_of_a_matching_lead_fires_again(emulator, zoho, webhook_receiver):
    connect(zoho, webhook_receiver.url, repeat=True)
    lead_id = new_lead(emulator, Lead_Status="Contacted")

    edit(emulator, lead_id, Lead_Status="Qualified")
    edit(emulator, lead_id, Description="called back")
    edit(emulator, lead_id, Lead_Status="Contacted")

    assert [json.loads(request.body)["lead_id"] for request in webhook_receiver.requests] == [lead_id] * 2


def test_without_repeat_a_lead_that_stops_matching_and_matches_again_does_not_fire_again(
    emulator, zoho, webhook_receiver
):
    """CHOSEN (§15.4 leaves "first time" open): once per rule and lead, ever."""
    connect(zoho, webhook_receiver.url, repeat=False)
    lead_id = new_lead(emulator, Lead_Status="Qualified")

    edit(emulator, lead_id, Lead_Status="Contacted")
    edit(emulator, lead_id, Lead_Status="Qualified")

    assert len(webhook_receiver.requests) == 1


def test_a_lead_created_qualified_fires_a_create_or_edit_rule(emulator, zoho, webhook_receiver):
    connect(zoho, webhook_receiver.url)

    lead_id = new_lead(emulator, Lead_Status="Qualified")

    assert [json.loads(request.body) for request in webhook_receiver.requests] == [{"lead_id": lead_id}]


def test_a_lead_that_does_not_match_fires_nothing(emulator, zoho, webhook_receiver):
    connect(zoho, webhook_receiver.url, repeat=True)
    lead_id = new_lead(emulator, Lead_Status="Contacted")

    edit(emulator, lead_id, Description="still only contacted")

    assert webhook_receiver.requests == []
    assert emulator.automation.deliveries == []


def test_an_inactive_rule_never_fires(emulator, zoho, webhook_receiver):
    _, rule_id = connect(zoho, webhook_receiver.url, repeat=True)
    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": False}}]})

    lead_id = new_lead(emulator, Lead_Status="Qualified")
    edit(emulator, lead_id, Description="edited")

    assert webhook_receiver.requests == []


def test_a_rule_activated_again_fires_on_the_next_matching_save(emulator, zoho, webhook_receiver):
    _, rule_id = connect(zoho, webhook_receiver.url, repeat=True)
    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": False}}]})
    lead_id = new_lead(emulator, Lead_Status="Qualified")

    zoho.put(f"{RULES}/{rule_id}", json={"workflow_rules": [{"status": {"active": True}}]})
    edit(emulator, lead_id, Description="edited")

    assert len(webhook_receiver.requests) == 1


def test_a_deleted_rule_no_longer_fires(emulator, zoho, webhook_receiver):
    _, rule_id = connect(zoho, webhook_receiver.url, repeat=True)
    zoho.delete(f"{RULES}/{rule_id}")

    new_lead(emulator, Lead_Status="Qualified")

    assert webhook_receiver.requests == []


@pytest.mark.parametrize(
    ("trigger", "fires_on_create", "fires_on_edit"),
    [("create", True, False), ("edit", False, True), ("create_or_edit", True, True)],
)
def test_each_trigger_fires_on_its_own_events(
    emulator, zoho, webhook_receiver, trigger, fires_on_create, fires_on_edit
):
    connect(zoho, webhook_receiver.url, repeat=True, trigger=trigger)

    created = new_lead(emulator, Lead_Status="Qualified")
    on_create = len(webhook_receiver.requests)
    edit(emulator, created, Description="edited")

    assert (on_create, len(webhook_receiver.requests) - on_create) == (
        int(fires_on_create),
        int(fires_on_edit),
    )


def test_a_field_update_rule_fires_only_when_the_field_changes_to_the_value(emulator, zoho, webhook_receiver):
    criteria = {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "Qualified"}
    connect(zoho, webhook_receiver.url, repeat=True, trigger="field_update", criteria=criteria)
    lead_id = new_lead(emulator, Lead_Status="Qualified")  # a create: no field update
    other = new_lead(emulator, Lead_Status="Contacted")

    edit(emulator, lead_id, Description="still qualified, status untouched")
    edit(emulator, other, Lead_Status="Pre-Qualified")
    edit(emulator, other, Lead_Status="Qualified")

    assert [json.loads(request.body)["lead_id"] for request in webhook_receiver.requests] == [other]


def test_a_field_update_rule_on_any_value_fires_on_every_change_of_the_field(
    emulator, zoho, webhook_receiver
):
    """`${ANYVALUE}` as the value of `equal` (its placement is UNVERIFIED, §15.11 item 5)."""
    any_change = {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "${ANYVALUE}"}
    connect(zoho, webhook_receiver.url, repeat=True, trigger="field_update", criteria=any_change)
    lead_id = new_lead(emulator, Lead_Status="Not Contacted")

    edit(emulator, lead_id, Lead_Status="Contacted")
    edit(emulator, lead_id, Description="not the status")
    edit(emulator, lead_id, Lead_Status="Qualified")

    assert len(webhook_receiver.requests) == 2


def test_rules_also_run_for_leads_added_and_edited_from_python(emulator, zoho, webhook_receiver):
    connect(zoho, webhook_receiver.url, repeat=True)

    lead_id = add_lead(emulator, Lead_Status="Qualified")
    emulator.crm.update_lead(lead_id, Phone="+1 555 0100")
    assert emulator.automation.wait_for_deliveries(10)

    assert [delivery.lead_id for delivery in emulator.automation.deliveries] == [lead_id, lead_id]


def test_a_picklist_criterion_given_as_the_display_value_matches_the_stored_actual_value(
    emulator, zoho, webhook_receiver
):
    """CHOSEN (§14.5): either form of an option names it; the lead stores the actual value."""
    houston = {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Houston"}
    connect(zoho, webhook_receiver.url, repeat=True, criteria=houston)

    matching = new_lead(emulator, Lead_Source="Houston Showroom")
    new_lead(emulator, Lead_Source="Web")

    assert [json.loads(request.body)["lead_id"] for request in webhook_receiver.requests] == [matching]


def test_criteria_groups_and_empty_tests_are_evaluated(emulator, zoho, webhook_receiver):
    criteria = {
        "group_operator": "AND",
        "group": [
            QUALIFIED,
            {"field": {"api_name": "Email"}, "comparator": "equal", "value": "${NOTEMPTY}"},
        ],
    }
    connect(zoho, webhook_receiver.url, repeat=True, criteria=criteria)

    with_email = new_lead(emulator, Lead_Status="Qualified", Email="a@acme.example")
    new_lead(emulator, Lead_Status="Qualified")
    new_lead(emulator, Lead_Status="Contacted", Email="b@acme.example")

    assert [json.loads(request.body)["lead_id"] for request in webhook_receiver.requests] == [with_email]


# --- what a delivery sends --------------------------------------------------------------------------


def test_module_parameters_become_headers_with_the_lead_s_values(emulator, zoho, webhook_receiver):
    headers = {
        "module_parameters": [{"name": "X-Lead-Email", "value": "${!Leads.Email}"}],
        "custom_parameters": [{"name": "X-Webhook-Secret", "value": SECRET}],
    }
    connect(zoho, f"{webhook_receiver.url}/leads/${{!Leads.Id}}", headers=headers)

    lead_id = new_lead(emulator, Lead_Status="Qualified", Email="jane@acme.example")

    (request,) = webhook_receiver.requests
    assert request.path == f"/leads/{lead_id}"
    assert request.header("X-Lead-Email") == "jane@acme.example"
    assert request.header("X-Webhook-Secret") == SECRET


def test_a_get_webhook_sends_its_url_parameters_in_the_query_and_no_body(emulator, zoho, webhook_receiver):
    parameters = {"module_parameters": [{"name": "lead_id", "value": "${!Leads.Id}"}]}
    connect(
        zoho,
        webhook_receiver.url + "/hook",
        http_method="GET",
        headers=None,
        body=None,
        url_parameters=parameters,
    )

    lead_id = new_lead(emulator, Lead_Status="Qualified")

    (request,) = webhook_receiver.requests
    assert (request.method, request.path, request.body) == ("GET", f"/hook?lead_id={lead_id}", b"")


def test_an_updated_webhook_is_what_the_next_delivery_uses(emulator, zoho, webhook_receiver):
    """§15.3: rotating the URL or the secret is one PUT, even while a rule uses the webhook."""
    webhook_id, _ = connect(zoho, webhook_receiver.url, repeat=True)
    lead_id = new_lead(emulator, Lead_Status="Qualified")
    current = zoho.get(f"{WEBHOOKS}/{webhook_id}").json()["webhooks"][0]
    rotated = {key: current[key] for key in ("name", "module", "url", "http_method", "feature_type", "body")}
    rotated.update(
        authentication={"type": "general"},
        headers={
            "module_parameters": [],
            "custom_parameters": [{"name": "X-Webhook-Secret", "value": "new"}],
        },
    )

    updated = zoho.put(f"{WEBHOOKS}/{webhook_id}", json={"webhooks": [rotated]})
    edit(emulator, lead_id, Description="edited")

    assert updated.status_code == 200
    assert [request.header("X-Webhook-Secret") for request in webhook_receiver.requests] == [SECRET, "new"]


# --- failures (§15.7) ---------------------------------------------------------------------------------


def test_a_receiver_answering_404_makes_a_page_notfound_failure_naming_the_lead(
    emulator, zoho, webhook_receiver
):
    webhook_receiver.status = 404
    webhook_id, rule_id = connect(zoho, webhook_receiver.url)

    lead_id = new_lead(emulator, First_Name="Jane", Last_Name="Doe", Lead_Status="Qualified")
    answer = zoho.get(FAILURES, params={"webhook_id": webhook_id, "module": "Leads"})

    assert answer.status_code == 200
    (failure,) = answer.json()["webhook_failures"]
    assert failure["failure_reason"] == "page_notfound"
    assert failure["webhook"] == {"name": "Lead converter", "id": webhook_id}
    assert failure["workflow_rule"] == {"name": "Lead converter qualified leads", "id": rule_id}
    assert failure["entity_details"] == {"module": LEADS, "name": "Jane Doe", "id": lead_id}
    assert failure["id"].isdigit()
    assert answer.json()["info"] == {"per_page": 200, "count": 1, "page": 1, "more_records": False}
    (delivery,) = emulator.automation.deliveries
    assert (delivery.status, delivery.failure_reason, delivery.delivered) == (404, "page_notfound", False)


@pytest.mark.parametrize(("status", "reason"), [(500, "internal_server_error"), (403, "client_error")])
def test_other_answers_than_2xx_are_failures_with_chosen_reasons(
    emulator, zoho, webhook_receiver, status, reason
):
    webhook_receiver.status = status
    connect(zoho, webhook_receiver.url)

    new_lead(emulator, Lead_Status="Qualified")

    (failure,) = zoho.get(FAILURES).json()["webhook_failures"]
    assert failure["failure_reason"] == reason


def test_a_receiver_that_is_not_there_is_a_connection_failure(emulator, zoho):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connect(zoho, f"http://127.0.0.1:{port}/hook")

    new_lead(emulator, Lead_Status="Qualified")

    (delivery,) = emulator.automation.deliveries
    assert (delivery.status, delivery.failure_reason) == (None, "connection_failure")
    assert delivery.error is not None


def test_a_receiver_slower_than_the_timeout_is_a_timeout_failure(emulator, zoho):
    emulator.automation.delivery_timeout = 0.2
    with WebhookReceiver(delay=1.0) as slow:
        connect(zoho, slow.url)

        new_lead(emulator, Lead_Status="Qualified")

    (failure,) = zoho.get(FAILURES).json()["webhook_failures"]
    assert failure["failure_reason"] == "timeout"


def test_failures_older_than_30_days_are_not_read(emulator, zoho, webhook_receiver):
    webhook_receiver.status = 404
    connect(zoho, webhook_receiver.url, repeat=True)
    new_lead(emulator, Lead_Status="Qualified")
    fresh = zoho.get(FAILURES).status_code
    emulator.clock.advance(30 * 24 * 3600)

    stale = zoho.get(FAILURES)
    asked = zoho.get(FAILURES, params={"from": "2000-01-01"})

    assert fresh == 200
    assert (stale.status_code, asked.status_code) == (204, 204)


def test_a_saving_thread_does_not_wait_for_a_slow_receiver(emulator, zoho):
    emulator.automation.delivery_timeout = 5
    with WebhookReceiver(delay=2.0) as slow:
        connect(zoho, slow.url, repeat=True)
        lead_id = add_lead(emulator, Lead_Status="Contacted")
        saved = threading.Event()

        def save() -> None:
            emulator.crm.update_lead(lead_id, Lead_Status="Qualified")
            saved.set()

        threading.Thread(target=save).start()

        assert saved.wait(1.0)  # the receiver answers only after two seconds
        assert zoho.get(f"Leads/{lead_id}").status_code == 200  # nor is the store locked meanwhile
        assert emulator.automation.wait_for_deliveries(10)


# --- the control API, the meter, reset and stop ---------------------------------------------------------


def test_deliveries_are_neither_api_calls_nor_credits(emulator, zoho, webhook_receiver):
    connect(zoho, webhook_receiver.url)
    emulator.clear_journal()

    new_lead(emulator, Lead_Status="Qualified")

    assert len(webhook_receiver.requests) == 1
    assert emulator.journal == []
    assert emulator.credits()["total"] == 0


def test_the_control_api_lists_the_deliveries_after_waiting_for_them(emulator, zoho, webhook_receiver):
    webhook_id, rule_id = connect(zoho, webhook_receiver.url)
    lead_id = control(emulator, "POST", "leads", {"Last_Name": "Roe", "Lead_Status": "Qualified"}).json()[
        "id"
    ]

    answer = control(emulator, "GET", "deliveries?wait=10")
    bad_wait = control(emulator, "GET", "deliveries?wait=forever")

    (delivery,) = answer.json()
    assert {
        key: delivery[key] for key in ("rule_id", "webhook_id", "lead_id", "method", "status", "delivered")
    } == {
        "rule_id": rule_id,
        "webhook_id": webhook_id,
        "lead_id": lead_id,
        "method": "POST",
        "status": 200,
        "delivered": True,
    }
    assert delivery["headers"]["X-Webhook-Secret"] == SECRET
    assert json.loads(delivery["body"]) == {"lead_id": lead_id}
    assert bad_wait.status_code == 400


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Lead_Stage": "Qualified"}, "Lead_Stage: "),
        ({"Full_Name": "Jane Roe"}, "Full_Name: "),
        ({"Created_Time": "2026-01-01T00:00:00+00:00"}, "Created_Time: "),
        ({"Owner": "4876876000000009999"}, "Owner: "),
        ({"Last_Name": ""}, "Last_Name: "),
    ],
)
def test_an_edit_naming_a_field_a_user_cannot_set_is_400_naming_it_and_changes_nothing(
    emulator, fields, message
):
    lead_id = add_lead(emulator, Lead_Status="Contacted")
    before = emulator.crm.lead(lead_id)

    answer = control(emulator, "PATCH", f"leads/{lead_id}", {"Lead_Status": "Qualified", **fields})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)
    assert emulator.crm.lead(lead_id) == before


def test_an_edit_of_an_unknown_or_converted_lead_is_refused(emulator, zoho):
    converted = add_lead(emulator)
    zoho.convert(converted, {"Deals": DEAL})

    unknown = control(emulator, "PATCH", "leads/4876876000000199999", {"Description": "x"})
    refused = control(emulator, "PATCH", f"leads/{converted}", {"Description": "x"})

    assert (unknown.status_code, unknown.json()) == (404, {"error": "no such lead"})
    assert refused.status_code == 400


def test_an_edit_changes_full_name_and_modified_time(emulator):
    lead_id = add_lead(
        emulator, First_Name="Jane", Last_Name="Doe", Modified_Time="2026-01-01T00:00:00+00:00"
    )

    edited = control(emulator, "PATCH", f"leads/{lead_id}", {"Last_Name": "Roe"}).json()

    assert edited["Full_Name"] == "Jane Roe"
    assert edited["Modified_Time"] != "2026-01-01T00:00:00+00:00"


def test_reset_forgets_webhooks_rules_deliveries_and_failures(emulator, zoho, webhook_receiver):
    webhook_receiver.status = 404
    connect(zoho, webhook_receiver.url, repeat=True)
    new_lead(emulator, Lead_Status="Qualified")

    emulator.reset()
    new_lead(emulator, Lead_Status="Qualified")

    assert zoho.get(WEBHOOKS).status_code == 204
    assert zoho.get(RULES).status_code == 204
    assert zoho.get(FAILURES).status_code == 204
    assert emulator.automation.deliveries == []
    assert len(webhook_receiver.requests) == 1  # the one before the reset


def test_stop_ends_the_delivery_worker(webhook_receiver):
    with ZohoEmulator(credentials=CREDENTIALS, automation=True) as emulator:
        connect(Zoho(emulator), webhook_receiver.url)
        new_lead(emulator, Lead_Status="Qualified")
        running = [thread for thread in threading.enumerate() if thread.name == "zoho-emulator-webhooks"]

    assert running
    assert not any(thread.is_alive() for thread in running)
