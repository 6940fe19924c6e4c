"""The webhook, end to end: the function (Flask test client) converts leads in the emulator over HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from handlers.engine.rules import parse_rules
from tests.conftest import CREDENTIALS, RIYA, ROOT, SAM, WEBHOOK_SECRET

CONVERT = r"/actions/convert$"


def post(client, body=None, *, secret=WEBHOOK_SECRET, **kwargs):
    headers = kwargs.pop("headers", {})
    if secret is not None:
        headers["X-Webhook-Secret"] = secret
    return client.post("/", json=body, headers=headers, **kwargs)


@pytest.fixture
def users(emulator):
    return {
        "sam": emulator.crm.add_user("Sam Seller", "sam@example.com", id=SAM),
        "riya": emulator.crm.add_user("Riya Rep", "riya@example.com", id=RIYA),
    }


@pytest.fixture
def partner_lead(emulator, users):
    return emulator.crm.add_lead(
        First_Name="Jane",
        Last_Name="Doe",
        Company="Globex",
        Email="jane.doe@globex.com",
        Lead_Status="Qualified",
        Lead_Source="Partner",
        Annual_Revenue=2500000,
        Owner=users["sam"],
        Tag=["VIP", "Hot"],
    )


@pytest.fixture
def web_lead(emulator, users):
    return emulator.crm.add_lead(
        First_Name="Maria",
        Last_Name="Garcia",
        Company="Umbrella Corp",
        Email="maria@umbrella.example",
        Lead_Status="Qualified",
        Lead_Source="Web",
        Owner=users["riya"],
        Tag=["Webinar"],
    )


def test_a_qualifying_lead_is_converted_by_the_first_matching_rule(client, emulator, partner_lead, log_lines):
    response = post(client, {"lead_id": partner_lead})

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "converted"
    assert answer["rule"] == "partner-enterprise"
    lead = emulator.crm.lead(partner_lead)
    assert lead["Converted__s"] is True
    assert answer["contact_id"] == lead["Converted_Contact"]["id"]
    assert answer["account_id"] == lead["Converted_Account"]["id"]
    assert answer["deal_id"] == lead["Converted_Deal"]["id"]
    deal = emulator.crm.deals[answer["deal_id"]]
    assert deal["Deal_Name"] == "Globex - Doe"
    assert deal["Stage"] == "Qualification"
    assert deal["Amount"] == 5000
    (sent,) = emulator.requests("POST", CONVERT)
    closing = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    item = sent.json["data"][0]
    assert item["Deals"] == {
        "Deal_Name": "Globex - Doe",
        "Stage": "Qualification",
        "Pipeline": "Standard (Standard)",
        "Amount": 5000,
        "Closing_Date": closing,
    }
    assert item["assign_to"]["id"] in (SAM, RIYA)
    assert item["carry_over_tags"] == {"Contacts": ["VIP"], "Deals": ["VIP", "Hot"]}
    assert item["move_attachments_to"] == {"api_name": "Deals"}
    assert item["notify_lead_owner"] is True
    (line,) = log_lines()
    assert line["severity"] == "INFO"
    assert line["outcome"] == "converted"
    assert line["lead_id"] == partner_lead
    assert line["rule"] == "partner-enterprise"
    assert line["deal_id"] == answer["deal_id"]
    assert line["attempts"] == 3  # the lead read, its conversion options, Convert
    assert line["duration_ms"] > 0


def test_the_lead_is_reread_from_zoho_so_fields_in_the_webhook_body_are_ignored(client, emulator, users):
    lead = emulator.crm.add_lead(
        Last_Name="Smith", Company="Initech", Lead_Status="Contacted", Owner=users["sam"]
    )

    response = post(client, {"lead_id": lead, "Lead_Status": "Qualified"})

    assert response.get_json()["outcome"] == "skipped"
    assert not emulator.requests("POST", CONVERT)


def test_lead_owner_becomes_owner_of_the_new_records(client, emulator, web_lead):
    answer = post(client, {"lead_id": web_lead}).get_json()

    assert answer["rule"] == "qualified"
    (sent,) = emulator.requests("POST", CONVERT)
    assert sent.json["data"][0]["assign_to"] == {"id": RIYA}
    assert emulator.crm.deals[answer["deal_id"]]["Owner"]["id"] == RIYA


def test_a_converted_lead_answers_already_converted_with_the_same_ids(
    client, emulator, partner_lead, log_lines
):
    first = post(client, {"lead_id": partner_lead}).get_json()
    second = post(client, {"lead_id": partner_lead})

    assert second.status_code == 200
    answer = second.get_json()
    assert answer["outcome"] == "already_converted"
    assert (answer["contact_id"], answer["account_id"], answer["deal_id"]) == (
        first["contact_id"],
        first["account_id"],
        first["deal_id"],
    )
    assert emulator.crm.conversions(partner_lead) == 1
    assert len(emulator.requests("POST", CONVERT)) == 1
    assert [line["severity"] for line in log_lines()] == ["INFO", "INFO"]


def test_no_matching_rule_skips_and_says_why(client, emulator, users):
    lead = emulator.crm.add_lead(
        Last_Name="Smith", Company="Initech", Lead_Status="Contacted", Owner=users["sam"]
    )

    response = post(client, {"lead_id": lead})

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "skipped"
    assert answer["rule"] is None
    assert "qualified: Lead_Status = 'Qualified' fails" in answer["reason"]
    assert "Contacted" not in answer["reason"]  # the lead's value: `explain` shows it
    assert not emulator.requests("POST", CONVERT)


PRIVATE = {
    "Last_Name": "Privatesurname",
    "First_Name": "Privatefirst",
    "Company": "Privateco Holdings",
    "Email": "private.person@privateco.example",
    "Phone": "+44 20 7946 0958",
}


def test_a_skip_reason_names_fields_and_verdicts_never_the_leads_values(client, emulator, users, log_lines):
    """Log lines keep no personal data: a skipped lead's reason, answered and logged, names each
    rule's failing condition without the lead's value."""
    lead = emulator.crm.add_lead(**PRIVATE, Lead_Status="Contacted", Lead_Source="Cold Call")

    answer = post(client, {"lead_id": lead}).get_json()

    (line,) = log_lines()
    assert answer["outcome"] == line["outcome"] == "skipped"
    assert "partner-enterprise: Lead_Status = 'Qualified' fails" in answer["reason"]
    written = json.dumps(answer) + json.dumps(line)
    for value in (*PRIVATE.values(), "Contacted", "Cold Call"):
        assert value not in written


def test_a_dry_run_answers_its_payload_and_logs_only_its_field_names(client, emulator, users, log_lines):
    """The authenticated caller asked for the payload (values rendered from the lead); the log line
    names its fields only."""
    lead = emulator.crm.add_lead(**PRIVATE, Lead_Status="Qualified", Lead_Source="Web")

    answer = post(client, {"lead_id": lead, "dry_run": True}).get_json()

    (line,) = log_lines()
    assert answer["outcome"] == line["outcome"] == "dry_run"
    assert answer["payload"]["data"][0]["Deals"]["Deal_Name"] == "Privateco Holdings"
    assert "payload" not in line
    assert "data.Deals.Deal_Name" in line["payload_fields"]
    assert not any(value in json.dumps(line) for value in PRIVATE.values())


def test_a_skip_rule_skips(client, emulator, users):
    lead = emulator.crm.add_lead(
        Last_Name="Test", Company="QA", Email="qa@test.invalid", Lead_Status="Qualified"
    )

    answer = post(client, {"lead_id": lead}).get_json()

    assert answer["outcome"] == "skipped"
    assert answer["rule"] == "never-convert-tests"
    assert "says skip" in answer["reason"]
    assert not emulator.requests("POST", CONVERT)


def test_a_merge_field_zoho_did_not_replace_is_named_with_what_to_write_instead(client, emulator, log_lines):
    response = post(client, {"lead_id": "${Leads.Lead Id}", "source": "web form"})

    answer = response.get_json()
    assert (response.status_code, answer["outcome"]) == (400, "rejected")
    assert answer["reason"] == (
        "lead_id: '${Leads.Lead Id}' looks like a Zoho merge field that was not replaced: insert the"
        " lead's id with the webhook's merge-field picker, or write ${!Leads.Id}"
    )
    line = log_lines()[-1]
    assert line["reason"] == answer["reason"]
    assert line["arrived"] == {
        "content_type": "application/json",
        "body_keys": ["lead_id", "source"],
        "query_keys": [],
    }
    assert "web form" not in json.dumps(line)  # keys, never values
    assert emulator.journal == []


def test_a_refused_body_logs_its_content_type_and_keys_only(client, log_lines):
    response = client.post(
        "/?lead_id=abc",
        data=b"--x\r\nContent-Disposition: form-data; name=lead_id\r\n\r\n1\r\n--x--\r\n",
        headers={"X-Webhook-Secret": WEBHOOK_SECRET, "Content-Type": "multipart/form-data; boundary=x"},
    )

    assert response.status_code == 400
    assert response.get_json()["reason"].startswith("a multipart body is not read: in the Zoho webhook")
    assert log_lines()[-1]["arrived"] == {
        "content_type": "multipart/form-data",
        "body_keys": [],
        "query_keys": ["lead_id"],
    }


def test_paused_answers_at_once_and_calls_nothing_in_zoho(serve, monkeypatch, emulator, web_lead, log_lines):
    monkeypatch.setenv("CONVERSION_MODE", "paused")
    client = serve()
    emulator.clear_journal()

    response = post(client, {"lead_id": web_lead})

    answer = response.get_json()
    assert (response.status_code, answer["outcome"], answer["lead_id"]) == (200, "paused", web_lead)
    assert "the sweep converts the lead once the mode is live again" in answer["reason"]
    assert emulator.journal == []
    assert not emulator.crm.lead(web_lead)["Converted__s"]
    assert log_lines()[-1]["outcome"] == "paused"


@pytest.mark.parametrize(
    "how",
    ["json", "json_string", "form", "query", "setting", "older_setting"],
    ids=lambda how: f"dry_run-by-{how}",
)
def test_dry_run_returns_the_payload_and_never_calls_convert(how, serve, monkeypatch, emulator, web_lead):
    if how == "setting":
        monkeypatch.setenv("CONVERSION_MODE", "dry_run")
    if how == "older_setting":
        monkeypatch.setenv("DRY_RUN", "true")
    client = serve()
    headers = {"X-Webhook-Secret": WEBHOOK_SECRET}
    if how == "json":
        response = client.post("/", json={"lead_id": web_lead, "dry_run": True}, headers=headers)
    elif how == "json_string":
        response = client.post("/", json={"lead_id": web_lead, "dry_run": "true"}, headers=headers)
    elif how == "form":
        response = client.post("/", data={"lead_id": web_lead, "dry_run": "true"}, headers=headers)
    elif how == "query":
        response = client.post(f"/?lead_id={web_lead}&dry_run=true", headers=headers)
    else:
        response = client.post("/", json={"lead_id": web_lead}, headers=headers)

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "dry_run"
    assert answer["payload"]["data"][0]["Deals"]["Deal_Name"] == "Umbrella Corp"
    assert not emulator.requests("POST", CONVERT)
    assert emulator.crm.lead(web_lead)["Converted__s"] is False


def test_every_log_line_names_the_rules_file_it_was_decided_by(client, emulator, log_lines):
    post(client, {"lead_id": "4876876000009999999"})

    version = parse_rules((ROOT / "rules.yaml").read_text()).version
    assert len(version) == 12
    assert log_lines()[-1]["rules_version"] == version


def test_an_unknown_lead_is_not_found_answered_200_so_zoho_sees_a_healthy_webhook(
    client, emulator, log_lines
):
    response = post(client, {"lead_id": "4876876000009999999"})

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "not_found"
    assert "awaiting approval" in response.get_json()["reason"]
    assert log_lines()[-1]["severity"] == "WARNING"


def test_zoho_refusing_the_conversion_is_failed_with_its_code(
    serve, monkeypatch, tmp_path, emulator, web_lead
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: wrong-stage\n    when: {Lead_Status: Qualified}\n"
        "    deal: {Deal_Name: x, Stage: Nonexistent Stage, Pipeline: Standard (Standard),"
        " Closing_Date: +1d}\n"
    )
    monkeypatch.setenv("RULES_FILE", str(rules))
    monkeypatch.setenv("FAILURE_NOTE", "false")

    response = post(serve(), {"lead_id": web_lead})

    assert response.status_code == 200  # handled: the outcome is in the body
    answer = response.get_json()
    assert answer["outcome"] == "failed"
    assert answer["rule"] == "wrong-stage"
    assert answer["reason"].startswith("MAPPING_MISMATCH: ")
    assert emulator.crm.lead(web_lead)["Converted__s"] is False


def test_a_missing_mandatory_deal_field_is_failed(serve, monkeypatch, tmp_path, emulator, web_lead):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: no-pipeline\n    when: {Lead_Status: Qualified}\n"
        "    deal: {Deal_Name: x, Stage: Qualification, Closing_Date: +1d}\n"
    )
    monkeypatch.setenv("RULES_FILE", str(rules))
    monkeypatch.setenv("FAILURE_NOTE", "false")

    answer = post(serve(), {"lead_id": web_lead}).get_json()

    assert answer["outcome"] == "failed"
    assert answer["code"] == "MANDATORY_NOT_FOUND"


def test_zoho_failing_past_the_retry_deadline_is_an_error(client, emulator, web_lead, log_lines):
    emulator.faults.fail_next(1000, status=500, code="INTERNAL_ERROR", path=CONVERT)

    response = post(client, {"lead_id": web_lead})

    assert response.status_code == 503
    answer = response.get_json()
    assert answer["outcome"] == "error"
    assert "HTTP 500 INTERNAL_ERROR" in answer["reason"]
    assert len(emulator.requests("POST", CONVERT)) > 1
    assert log_lines()[-1]["severity"] == "ERROR"


def test_a_scheduled_conversion_is_reported_as_converted(client, emulator, web_lead):
    emulator.faults.schedule_next_convert(1)

    response = post(client, {"lead_id": web_lead})

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "converted"
    assert answer["reason"] == "scheduled"
    assert answer["job_id"]


class TestAuthentication:
    def test_missing_secret_is_refused_without_calling_zoho(self, client, emulator, web_lead):
        response = post(client, {"lead_id": web_lead}, secret=None)

        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
        assert emulator.journal == []

    @pytest.mark.parametrize("wrong", ["nope", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1], "sécret-ü"])
    def test_wrong_secret_is_refused_without_calling_zoho(self, client, emulator, web_lead, wrong):
        response = client.post(
            "/", json={"lead_id": web_lead}, headers={"X-Webhook-Secret": wrong.encode().decode("latin-1")}
        )

        assert response.status_code == 401
        assert emulator.journal == []

    def test_a_secret_with_non_ascii_characters_matches_as_utf8_bytes(self, serve, monkeypatch, web_lead):
        secret = "clé-secrète-ünïcode-0a1b"
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
        client = serve()

        sent_as_utf8 = secret.encode("utf-8").decode("latin-1")  # what WSGI hands over
        accepted = client.post("/", json={"lead_id": web_lead}, headers={"X-Webhook-Secret": sent_as_utf8})
        almost = client.post(
            "/", json={"lead_id": web_lead}, headers={"X-Webhook-Secret": sent_as_utf8[:-1] + "c"}
        )

        assert (accepted.status_code, almost.status_code) == (200, 401)

    @pytest.mark.parametrize(
        "setting", ["short-secret", "a-good-long-secret-0a1b2c, short", "a-good-long-secret-0a1b2c,"]
    )
    def test_webhook_secrets_under_16_characters_or_empty_parts_are_refused_naming_why(
        self, serve, monkeypatch, emulator, web_lead, setting
    ):
        monkeypatch.setenv("WEBHOOK_SECRET", setting)

        response = post(serve(), {"lead_id": web_lead}, secret="a-good-long-secret-0a1b2c")

        assert response.status_code == 500
        assert response.get_json()["outcome"] == "misconfigured"
        assert emulator.journal == []

    def test_any_of_several_comma_separated_secrets_is_accepted(self, serve, monkeypatch, web_lead):
        monkeypatch.setenv("WEBHOOK_SECRET", "old-secret-0a1b2c3d4e, new-secret-5f6a7b8c9d")
        client = serve()

        assert post(client, {"lead_id": web_lead}, secret="old-secret-0a1b2c3d4e").status_code == 200
        assert post(client, {"lead_id": web_lead}, secret="new-secret-5f6a7b8c9d").status_code == 200
        assert (
            post(
                client, {"lead_id": web_lead}, secret="old-secret-0a1b2c3d4e, new-secret-5f6a7b8c9d"
            ).status_code
            == 401
        )


class TestInput:
    def test_only_post_is_allowed(self, client, emulator):
        response = client.get("/?lead_id=1", headers={"X-Webhook-Secret": WEBHOOK_SECRET})

        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"
        assert response.get_json()["error"] == "method_not_allowed"
        assert emulator.journal == []

    def test_a_body_over_64_kib_is_refused(self, client, emulator):
        response = post(
            client, data=b"lead_id=1&pad=" + b"x" * 70000, content_type="application/x-www-form-urlencoded"
        )

        assert response.status_code == 413
        assert response.get_json()["error"] == "payload_too_large"
        assert emulator.journal == []

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"lead_id": "../x"},
            {"lead_id": "12 34"},
            {"lead_id": ["123"]},
            {"lead_id": "1" * 26},
            {"lead_id": ""},
            {"lead_id": "١٢٣"},
            {"lead_id": True},
            {"lead_id": -5},
            {"lead_id": 1.5},
            {"lead_id": "123\n"},
            {"lead_id": "123", "id": "456"},
            ["123"],
        ],
        ids=repr,
    )
    def test_anything_but_1_to_25_ascii_digits_is_a_400_without_calling_zoho(self, client, emulator, body):
        response = post(client, body)

        assert response.status_code == 400
        assert response.get_json()["error"] == "bad_request"
        assert response.get_json()["reason"]
        assert emulator.journal == []

    def test_ten_megabytes_of_digits_is_refused(self, client, emulator):
        response = post(
            client, data=b'{"lead_id": "' + b"1" * 10_000_000 + b'"}', content_type="application/json"
        )

        assert response.status_code == 413
        assert emulator.journal == []

    def test_invalid_json_and_repeated_keys_are_named(self, client, emulator):
        broken = post(client, data=b'{"lead_id": ', content_type="application/json")
        repeated = post(client, data=b'{"lead_id": "1", "lead_id": "2"}', content_type="application/json")

        assert broken.get_json()["reason"] == "the body is not valid JSON"
        assert repeated.get_json()["reason"] == "the JSON body repeats the key 'lead_id'"
        assert emulator.journal == []

    def test_a_refusal_echoes_at_most_40_characters_of_the_callers_input(self, client, emulator, log_lines):
        """A 32 KB repeated key, a 9,000-character content type or a 5,000-character method is
        named in the refusal by its first 40 characters and its length, not reflected whole."""
        key = "k" * 32_000
        repeated = post(client, data=f'{{"{key}": 1, "{key}": 2}}', content_type="application/json")
        typed = post(client, data=b"lead_id 1", content_type="text/" + "p" * 9000)
        method = client.open("/", method="X" * 5000, headers={"X-Webhook-Secret": WEBHOOK_SECRET})

        assert repeated.get_json()["reason"] == (
            f"the JSON body repeats the key {'k' * 40!r}… (32,000 characters)"
        )
        assert typed.get_json()["reason"].startswith(
            f"cannot read a text/{'p' * 35}… (9,005 characters) body"
        )
        assert method.get_json()["reason"] == f"{'X' * 40}… (5,000 characters) is not allowed; send POST"
        for answer in (repeated, typed, method):
            assert len(answer.get_data()) < 1000
        assert all(len(json.dumps(line)) < 1500 for line in log_lines())
        assert emulator.journal == []

    @pytest.mark.parametrize(
        "send",
        [
            lambda client, lead: post(client, {"lead_id": lead}),
            lambda client, lead: post(client, {"id": lead}),
            lambda client, lead: post(client, {"lead_id": int(lead)}),
            lambda client, lead: post(client, data={"lead_id": lead}),
            lambda client, lead: post(client, data={"id": lead}),
            lambda client, lead: post(client, query_string={"lead_id": lead}),
            lambda client, lead: post(client, query_string={"id": lead}),
            lambda client, lead: post(client, data=f'{{"lead_id": "{lead}"}}', content_type="text/plain"),
        ],
        ids=["json", "json-id", "json-number", "form", "form-id", "query", "query-id", "untyped-json"],
    )
    def test_the_lead_id_is_read_from_json_form_or_query(self, client, emulator, web_lead, send):
        response = send(client, web_lead)

        assert response.get_json()["outcome"] == "converted"
        assert response.get_json()["lead_id"] == web_lead

    def test_a_body_and_a_query_string_naming_different_leads_are_refused(self, client, emulator, web_lead):
        response = post(client, {"lead_id": web_lead}, query_string={"lead_id": "42"})

        assert response.status_code == 400
        assert "names different leads" in response.get_json()["reason"]
        assert emulator.journal == []

    def test_a_body_and_a_query_string_naming_the_same_lead_agree(self, client, web_lead):
        response = post(client, {"lead_id": web_lead}, query_string={"lead_id": web_lead})

        assert response.get_json()["lead_id"] == web_lead


def test_missing_settings_answer_misconfigured_naming_them(serve, monkeypatch, emulator, web_lead, log_lines):
    monkeypatch.delenv("ZOHO_REFRESH_TOKEN")
    monkeypatch.delenv("ZOHO_CLIENT_SECRET")

    response = post(serve(), {"lead_id": web_lead})

    assert response.status_code == 500
    answer = response.get_json()
    assert answer["error"] == "misconfigured"
    assert "ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN" in answer["reason"]
    (line,) = log_lines()
    assert line["severity"] == "ERROR"
    assert line["outcome"] == "misconfigured"
    assert emulator.journal == []


def test_a_missing_webhook_secret_is_misconfigured_not_open(serve, monkeypatch, emulator, web_lead):
    monkeypatch.delenv("WEBHOOK_SECRET")

    response = post(serve(), {"lead_id": web_lead})

    assert response.status_code == 500
    assert "WEBHOOK_SECRET" in response.get_json()["reason"]
    assert emulator.journal == []


def test_wrong_oauth_credentials_are_misconfigured(serve, monkeypatch, web_lead):
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN", "1000.not-the-right-one")

    response = post(serve(), {"lead_id": web_lead})

    assert response.status_code == 500
    assert "Zoho refused the OAuth credentials" in response.get_json()["reason"]


def test_twenty_webhooks_need_one_token(client, emulator, users):
    leads = [
        emulator.crm.add_lead(Last_Name=f"L{n}", Company=f"C{n}", Lead_Status="Qualified", Owner=users["sam"])
        for n in range(20)
    ]

    outcomes = [post(client, {"lead_id": lead}).get_json()["outcome"] for lead in leads]

    assert outcomes == ["converted"] * 20
    assert emulator.token_requests == 1


def test_the_legacy_v2_shapes_are_sent_and_understood(serve, monkeypatch, emulator, web_lead):
    monkeypatch.setenv("ZOHO_API_VERSION", "v2")

    answer = post(serve(), {"lead_id": web_lead}).get_json()

    assert answer["outcome"] == "converted"
    (sent,) = emulator.requests("POST", CONVERT)
    assert sent.path == f"/crm/v2/Leads/{web_lead}/actions/convert"
    assert sent.json["data"][0]["assign_to"] == RIYA
    assert answer["deal_id"] == emulator.crm.lead(web_lead)["Converted_Deal"]["id"]


def test_the_log_line_carries_the_trace_when_a_project_is_configured(serve, monkeypatch, web_lead, log_lines):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    post(serve(), {"lead_id": web_lead}, headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})

    (line,) = log_lines()
    assert line["logging.googleapis.com/trace"] == f"projects/my-project/traces/{trace}"
    assert line["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert line["logging.googleapis.com/trace_sampled"] is True


def test_no_credential_appears_in_responses_or_log_lines(client, emulator, web_lead, log_lines):
    bodies = [
        post(client, {"lead_id": web_lead}).get_data(as_text=True),
        post(client, {"lead_id": web_lead}, secret="wrong").get_data(as_text=True),
        post(client, {"lead_id": "1"}).get_data(as_text=True),
    ]
    token = emulator.requests("GET", r"/Leads/")[0].headers["Authorization"].split()[-1]

    written = "\n".join(bodies) + "\n".join(map(str, log_lines()))
    for secret in (WEBHOOK_SECRET, CREDENTIALS.client_secret, CREDENTIALS.refresh_token, token):
        assert secret not in written


def test_a_bug_answers_json_with_one_error_line_and_no_traceback(client, monkeypatch, web_lead, log_lines):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the engine")

    monkeypatch.setattr("handlers.engine.conversion.plan_lead", broken)  # fault injection, not a fake Zoho

    response = post(client, {"lead_id": web_lead})

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["outcome"] == "error"
    assert response.get_json()["reason"] == "internal error (RuntimeError)"
    assert "Traceback" not in response.get_data(as_text=True)
    (line,) = log_lines()
    assert line["severity"] == "ERROR"
    assert "a bug in the engine" in line["warnings"][0]  # the traceback goes to the log only
    assert (line["lead_id"], line["attempts"]) == (web_lead, 1)  # the lead read before the bug


def test_a_lead_read_without_a_field_the_rules_read_is_misconfigured_not_skipped(
    client, emulator, web_lead, log_lines
):
    emulator.faults.hidden_fields = {"Lead_Status"}  # field-level security hides it from the token's user

    response = post(client, {"lead_id": web_lead})

    answer = response.get_json()
    assert (response.status_code, answer["outcome"]) == (500, "misconfigured")
    assert "has no Lead_Status field" in answer["reason"]
    assert "field-level security" in answer["reason"]
    (line,) = log_lines()
    assert line["severity"] == "ERROR"
    assert emulator.requests("POST", r"/actions/convert$") == []


def test_a_lead_whose_rule_field_is_empty_is_still_skipped(client, emulator, users):
    lead = emulator.crm.add_lead(Last_Name="Blank", Company="Blank Inc")  # Lead_Status empty, not hidden

    answer = post(client, {"lead_id": lead}).get_json()

    assert answer["outcome"] == "skipped"
