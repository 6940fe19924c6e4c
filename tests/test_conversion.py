"""The conversion engine under faults, duplicates and bursts, seen through the webhook and Zoho's state."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from handlers.engine.rules import parse_rules
from tests.conftest import post_webhook

CONVERT = r"/actions/convert$"
NOTES = r"/Notes$"


def qualified_lead(emulator, n: int = 0, **fields) -> str:
    values = {
        "Last_Name": f"Lead{n}",
        "Company": f"Company {n}",
        "Email": f"lead{n}@example.com",
        "Lead_Status": "Qualified",
        "Lead_Source": "Web",
    }
    return emulator.crm.add_lead(**{**values, **fields})


def version_of(tmp_path) -> str:
    """The version the function gives the rules file written by `rules_file`."""
    return parse_rules((tmp_path / "rules.yaml").read_text()).version


def rules_file(tmp_path, monkeypatch, text: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    monkeypatch.setenv("RULES_FILE", str(path))


LINK_RULES = "rules:\n  - name: link\n    when: {Lead_Status: Qualified}\n    existing_records: link\n"
BAD_STAGE_RULES = (
    "rules:\n  - name: bad-stage\n    when: {Lead_Status: Qualified}\n"
    "    deal: {Deal_Name: x, Stage: Nope, Pipeline: Standard (Standard), Closing_Date: +1d}\n"
)


def test_a_convert_that_timed_out_after_zoho_converted_reads_back_as_already_converted(
    client, emulator, log_lines
):
    lead = qualified_lead(emulator)
    emulator.faults.hang_next(1, 3.0, path=CONVERT, after_processing=True)

    response = post_webhook(client, lead)

    answer = response.get_json()
    assert response.status_code == 200
    assert answer["outcome"] == "already_converted"
    assert answer["reason"] == "ID_ALREADY_CONVERTED"
    converted = emulator.crm.lead(lead)
    assert answer["deal_id"] == converted["Converted_Deal"]["id"]
    assert answer["contact_id"] == converted["Converted_Contact"]["id"]
    assert emulator.crm.conversions(lead) == 1
    assert log_lines()[-1]["severity"] == "INFO"


def test_twenty_concurrent_deliveries_convert_once(serve, emulator, log_lines):
    lead = qualified_lead(emulator)
    app_clients = [serve(), serve()]  # two instances: in-instance turns and Zoho's own check both count

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: post_webhook(app_clients[n % 2], lead).get_json(), range(20)))

    outcomes = sorted(answer["outcome"] for answer in answers)
    assert outcomes == ["already_converted"] * 19 + ["converted"]
    assert len({answer["deal_id"] for answer in answers}) == 1
    assert emulator.crm.conversions(lead) == 1
    assert len(emulator.crm.deals) == 1
    assert {line["severity"] for line in log_lines()} == {"INFO"}


class TestExistingRecords:
    @pytest.fixture
    def duplicate(self, emulator):
        emulator.crm.unique_fields["Contacts"] = ["Phone"]
        contact = emulator.crm.add_contact(
            Last_Name="Existing", Email="other@example.com", Phone="+1 555 0100"
        )
        lead = qualified_lead(emulator, Phone="+1 555 0100")
        return lead, contact

    def test_by_default_a_contact_matching_on_a_unique_field_is_converted_into(
        self, client, emulator, duplicate
    ):
        lead, contact = duplicate

        answer = post_webhook(client, lead).get_json()

        assert answer["outcome"] == "converted"
        assert answer["contact_id"] == contact
        assert answer["matched"]["Contacts"] == {"id": contact, "field": "Phone"}

    def test_with_create_a_duplicate_contact_fails_naming_the_matched_record(
        self, serve, monkeypatch, tmp_path, emulator, duplicate
    ):
        lead, contact = duplicate
        rules_file(tmp_path, monkeypatch, with_rules(MATCH_RULES, existing_records="create"))

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "failed"
        assert answer["code"] == "DUPLICATE_DATA"
        assert f"matches existing Contacts record {contact} on Phone" in answer["reason"]

    def test_link_converts_into_the_matching_contact(self, serve, monkeypatch, tmp_path, emulator, duplicate):
        lead, contact = duplicate
        rules_file(tmp_path, monkeypatch, LINK_RULES)

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "converted"
        assert answer["contact_id"] == contact
        first, second = emulator.requests("POST", CONVERT)
        assert "Contacts" not in first.json["data"][0]
        assert second.json["data"][0]["Contacts"] == {"id": contact}
        assert emulator.requests("GET", r"/__conversion_options$")

    def test_link_on_a_version_without_conversion_options_fails_naming_the_version(
        self, serve, monkeypatch, tmp_path, emulator, duplicate
    ):
        lead, _ = duplicate
        monkeypatch.setenv("ZOHO_API_VERSION", "v4")
        monkeypatch.setenv("FAILURE_NOTE", "false")
        rules_file(tmp_path, monkeypatch, LINK_RULES)

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "failed"
        assert answer["code"] == "DUPLICATE_DATA"
        assert (
            "existing_records: link needs Zoho API v5 or later (ZOHO_API_VERSION is v4)" in answer["reason"]
        )
        assert not emulator.requests("GET", r"/__conversion_options$")


MATCH_RULES = """
rules:
  - name: returning
    when: {Lead_Status: Qualified}
    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard), Closing_Date: +14d}
"""
OPTIONS = r"/__conversion_options$"


def with_rules(text: str, **top) -> str:
    """MATCH_RULES with keys added to the rule (a key of `deal.` into its deal)."""
    rules = yaml.safe_load(text)
    rule = rules["rules"][0]
    for key, value in top.items():
        if key.startswith("deal_"):
            rule["deal"][key.removeprefix("deal_")] = value
        else:
            rule[key] = value
    return json.dumps(rules)


class TestMatchingExistingRecords:
    """`existing_records: match` (the default): the webhook converts into what the org has."""

    @pytest.fixture
    def returning(self, emulator):
        """Jane Doe of Acme, a customer since last year, fills in the form again."""
        account = emulator.crm.add_account(Account_Name="Acme")
        contact = emulator.crm.add_contact(
            First_Name="Jane", Last_Name="Doe", Email="jane@acme.example", Account_Name=account
        )
        lead = qualified_lead(
            emulator, First_Name="Jane", Last_Name="Doe", Email="jane@acme.example", Company="Acme"
        )
        return lead, contact, account

    def test_a_returning_customer_converts_into_her_contact_and_account(
        self, serve, monkeypatch, tmp_path, emulator, log_lines, returning
    ):
        lead, contact, account = returning
        rules_file(tmp_path, monkeypatch, MATCH_RULES)

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "converted"
        assert (answer["contact_id"], answer["account_id"]) == (contact, account)
        assert answer["matched"] == {
            "Contacts": {"id": contact, "field": "Email"},
            "Accounts": {"id": account, "field": "Account_Name"},
        }
        assert (len(emulator.crm.contacts), len(emulator.crm.accounts), len(emulator.crm.deals)) == (1, 1, 1)
        (sent,) = emulator.requests("POST", CONVERT)
        assert sent.json["data"][0]["Contacts"] == {"id": contact}
        assert sent.json["data"][0]["Accounts"] == {"id": account}
        assert log_lines()[-1]["matched"] == answer["matched"]

    def test_before_v5_the_lead_is_looked_up_by_email_and_company_instead(
        self, serve, monkeypatch, tmp_path, emulator, returning
    ):
        lead, contact, account = returning
        rules_file(tmp_path, monkeypatch, MATCH_RULES)
        monkeypatch.setenv("ZOHO_API_VERSION", "v4")

        answer = post_webhook(serve(), lead).get_json()

        assert (answer["outcome"], answer["contact_id"], answer["account_id"]) == (
            "converted",
            contact,
            account,
        )
        assert not emulator.requests("GET", OPTIONS)
        queries = [entry.json["select_query"] for entry in emulator.requests("POST", r"/coql$")]
        assert [query.split(" from ")[1].split(" ")[0] for query in queries] == ["Contacts", "Accounts"]

    def test_a_lead_nobody_knows_converts_as_before_for_one_more_read(
        self, serve, monkeypatch, tmp_path, emulator
    ):
        rules_file(tmp_path, monkeypatch, MATCH_RULES)
        lead = qualified_lead(emulator)
        client = serve()
        emulator.clear_journal()

        answer = post_webhook(client, lead).get_json()

        assert answer["outcome"] == "converted"
        assert "matched" not in answer
        calls = [
            (entry.method, entry.path.rsplit("/", 1)[-1])
            for entry in emulator.journal
            if "oauth" not in entry.path
        ]
        assert calls == [("GET", lead), ("GET", "__conversion_options"), ("POST", "convert")]
        assert (len(emulator.crm.contacts), len(emulator.crm.accounts)) == (1, 1)

    def test_create_never_looks_and_zoho_makes_a_duplicate(
        self, serve, monkeypatch, tmp_path, emulator, returning
    ):
        lead, contact, account = returning
        rules_file(tmp_path, monkeypatch, with_rules(MATCH_RULES, existing_records="create"))

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "converted"
        assert answer["contact_id"] != contact
        assert answer["account_id"] != account
        assert not emulator.requests("GET", OPTIONS)
        assert len(emulator.crm.contacts) == 2

    def test_two_matching_accounts_hold_the_lead_with_one_note_listing_both(
        self, serve, monkeypatch, tmp_path, emulator, log_lines
    ):
        rules_file(tmp_path, monkeypatch, MATCH_RULES)
        first = emulator.crm.add_account(Account_Name="Acme")
        second = emulator.crm.add_account(Account_Name="ACME")
        lead = qualified_lead(emulator, Company="Acme")
        client = serve()

        answer = post_webhook(client, lead).get_json()
        again = post_webhook(client, lead).get_json()

        assert answer["outcome"] == again["outcome"] == "held"
        assert answer["reason"] == "held: 2 accounts match the lead"
        assert answer["matched"] == {
            "Accounts": [{"id": first, "field": "Account_Name"}, {"id": second, "field": "Account_Name"}]
        }
        assert not emulator.crm.lead(lead)["Converted__s"]
        assert not emulator.requests("POST", CONVERT)
        (note,) = emulator.crm.notes_of("Leads", lead)
        assert note["Note_Title"] == "Automatic conversion held"
        assert f'- Accounts {first} "Acme", matched on Account_Name' in note["Note_Content"]
        assert f'- Accounts {second} "ACME", matched on Account_Name' in note["Note_Content"]
        assert "Attempts: 2" in note["Note_Content"]
        assert log_lines()[-1]["severity"] == "WARNING"

    def test_newest_takes_the_most_recently_modified_contact(self, serve, monkeypatch, tmp_path, emulator):
        rules_file(tmp_path, monkeypatch, with_rules(MATCH_RULES, when_ambiguous="newest"))
        emulator.crm.add_contact(
            Last_Name="Doe", Email="jane@acme.example", Modified_Time="2026-01-01T00:00:00+00:00"
        )
        newer = emulator.crm.add_contact(
            Last_Name="Doe", Email="jane@acme.example", Modified_Time="2026-06-01T00:00:00+00:00"
        )
        lead = qualified_lead(emulator, Email="jane@acme.example")

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "converted"
        assert answer["contact_id"] == newer
        assert answer["matched"]["Contacts"] == {"id": newer, "field": "Email"}

    @pytest.mark.parametrize(("stage", "creates_a_deal"), [("Qualification", False), ("Closed Won", True)])
    def test_unless_open_deal_creates_no_second_open_deal(
        self, serve, monkeypatch, tmp_path, emulator, returning, stage, creates_a_deal
    ):
        lead, _, account = returning
        existing = emulator.crm.add_deal(
            Deal_Name="Acme renewal",
            Stage=stage,
            Pipeline="Standard (Standard)",
            Closing_Date="2026-12-31",
            Account_Name=account,
        )
        rules_file(tmp_path, monkeypatch, with_rules(MATCH_RULES, deal_unless_open_deal=True))

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "converted"
        assert (answer["deal_id"] is not None) == creates_a_deal
        assert len(emulator.crm.deals) == (2 if creates_a_deal else 1)
        if creates_a_deal:
            assert "open_deal" not in answer
        else:
            assert answer["open_deal"] == {"id": existing, "name": "Acme renewal", "stage": "Qualification"}
            (sent,) = emulator.requests("POST", CONVERT)
            assert "Deals" not in sent.json["data"][0]

    def test_a_dry_run_shows_the_matches_and_the_request_naming_them(
        self, serve, monkeypatch, tmp_path, emulator, returning
    ):
        lead, contact, account = returning
        rules_file(tmp_path, monkeypatch, MATCH_RULES)
        monkeypatch.setenv("CONVERSION_MODE", "dry_run")

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "dry_run"
        assert answer["matched"]["Contacts"] == {"id": contact, "field": "Email"}
        assert answer["payload"]["data"][0]["Accounts"] == {"id": account}
        assert not emulator.requests("POST", CONVERT)


class TestFailureNote:
    def test_a_refused_conversion_leaves_a_note_on_the_lead(self, serve, monkeypatch, tmp_path, emulator):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)
        modified = emulator.crm.lead(lead)["Modified_Time"]

        answer = post_webhook(serve(), lead).get_json()

        assert answer["outcome"] == "failed"
        (note,) = [note for note in emulator.crm.notes.values() if note["Parent_Id"]["id"] == lead]
        assert note["Note_Title"] == "Automatic conversion failed"
        assert "Rule: bad-stage" in note["Note_Content"]
        assert "Zoho code: MAPPING_MISMATCH" in note["Note_Content"]
        assert "Time: " in note["Note_Content"]
        assert emulator.crm.lead(lead)["Modified_Time"] == modified

    def test_a_configuration_refusal_quotes_the_rules_preflight_in_the_note(
        self, serve, monkeypatch, tmp_path, emulator
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)

        post_webhook(serve(), lead)

        (note,) = [note for note in emulator.crm.notes.values() if note["Parent_Id"]["id"] == lead]
        assert (
            "Preflight of the rule against the org (fix these in the rules file or in Zoho):\n"
            "- deal.Stage: 'Nope' is not a stage of pipeline 'Standard (Standard)'"
            " (its stages: Qualification," in note["Note_Content"]
        )

    def test_a_stage_removed_after_the_deploy_is_named_in_the_note(
        self, serve, monkeypatch, tmp_path, emulator
    ):
        rules_file(
            tmp_path,
            monkeypatch,
            "rules:\n  - name: standard\n    when: {Lead_Status: Qualified}\n    deal: {Deal_Name: x,"
            " Stage: Needs Analysis, Pipeline: Standard (Standard), Closing_Date: +1d}\n",
        )
        client = serve()
        emulator.crm.edit_pipelines(lambda book: book.remove_stage("Standard (Standard)", "Needs Analysis"))
        lead = qualified_lead(emulator)

        answer = post_webhook(client, lead).get_json()

        assert (answer["outcome"], answer["code"]) == ("failed", "MAPPING_MISMATCH")
        (note,) = emulator.crm.notes.values()
        assert (
            "- deal.Stage: 'Needs Analysis' is not a stage of pipeline 'Standard (Standard)'"
            in (note["Note_Content"])
        )

    @pytest.mark.parametrize(
        "metadata", [b'{"fields": [{"api_name": "Stage", "pick_list_values": 7}]}', b"[" * 100_000]
    )
    def test_the_note_is_written_when_the_org_check_itself_fails(
        self, serve, monkeypatch, tmp_path, emulator, metadata
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)
        emulator.faults.malformed_next(1, body=metadata, path=r"/settings/fields$")

        answer = post_webhook(serve(), lead).get_json()

        assert (answer["outcome"], answer["code"]) == ("failed", "MAPPING_MISMATCH")
        (note,) = emulator.crm.notes.values()
        assert "Zoho code: MAPPING_MISMATCH" in note["Note_Content"]
        assert "\nPreflight of the rule against the org could not run: " in note["Note_Content"]

    def test_a_slow_org_check_leaves_the_note_its_time_before_the_deadline(
        self, serve, monkeypatch, tmp_path, emulator
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        monkeypatch.setenv("WEBHOOK_DEADLINE_SECONDS", "8")
        monkeypatch.setenv("ZOHO_READ_TIMEOUT_SECONDS", "30")
        monkeypatch.setenv("ZOHO_RETRY_SECONDS", "30")  # only the deadline cuts the hanging reads
        lead = qualified_lead(emulator)
        emulator.faults.hang_next(10, seconds=30, path=r"/settings/")  # the preflight's metadata hangs

        started = time.monotonic()
        answer = post_webhook(serve(), lead).get_json()

        assert time.monotonic() - started < 8
        assert (answer["outcome"], answer["code"]) == ("failed", "MAPPING_MISMATCH")
        (note,) = emulator.crm.notes.values()
        assert "Preflight of the rule against the org could not run: " in note["Note_Content"]

    def test_a_refusal_unrelated_to_the_rule_reads_no_metadata(self, serve, monkeypatch, tmp_path, emulator):
        lead = qualified_lead(emulator)
        emulator.faults.fail_next(1, status=400, code="LIMIT_EXCEEDED", path=CONVERT)

        post_webhook(serve(), lead)

        assert "Preflight" not in next(iter(emulator.crm.notes.values()))["Note_Content"]
        assert not emulator.requests("GET", r"/settings/(fields|layouts|pipeline|tags)$")

    def test_a_lead_failing_again_gets_no_second_note(
        self, serve, monkeypatch, tmp_path, emulator, log_lines
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)
        client = serve()

        post_webhook(client, lead)
        post_webhook(client, lead)

        (note,) = emulator.crm.notes.values()
        assert log_lines()[-1]["warnings"] == [
            "the lead already has the failure note for this rule and code (attempt 2)"
        ]
        assert "\nAttempts: 2\n" in note["Note_Content"]  # counted on the note, for the sweep's backoff
        assert f"\nRules version: {version_of(tmp_path)}\n" in note["Note_Content"]

    def test_the_note_names_its_parent_lead_as_zoho_requires(self, serve, monkeypatch, tmp_path, emulator):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)

        post_webhook(serve(), lead)

        (created,) = emulator.requests("POST", NOTES)
        assert created.path == "/crm/v8/Notes"
        assert created.json["data"][0]["Parent_Id"] == {"module": {"api_name": "Leads"}, "id": lead}

    def test_a_lead_whose_note_is_past_the_first_page_gets_no_second_note(
        self, serve, monkeypatch, tmp_path, emulator
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        lead = qualified_lead(emulator)
        for n in range(250):  # Get Notes answers 200 per page, oldest first
            emulator.crm.add_note("Leads", lead, "Call", f"call {n}")
        client = serve()

        post_webhook(client, lead)
        post_webhook(client, lead)

        failure_notes = [
            n for n in emulator.crm.notes.values() if n["Note_Title"] == "Automatic conversion failed"
        ]
        assert len(failure_notes) == 1
        pages = [entry.query["page"] for entry in emulator.requests("GET", NOTES)]
        assert pages == [["1"], ["2"], ["1"], ["2"]]

    def test_the_note_can_be_turned_off(self, serve, monkeypatch, tmp_path, emulator):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        monkeypatch.setenv("FAILURE_NOTE", "false")

        assert post_webhook(serve(), qualified_lead(emulator)).get_json()["outcome"] == "failed"
        assert emulator.crm.notes == {}

    def test_a_note_that_cannot_be_written_is_logged_not_raised(
        self, serve, monkeypatch, tmp_path, emulator, log_lines
    ):
        rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
        emulator.faults.fail_next(1, status=400, code="INVALID_DATA", path=NOTES)

        response = post_webhook(serve(), qualified_lead(emulator))

        assert response.status_code == 502
        assert response.get_json()["outcome"] == "failed"
        (line,) = log_lines()
        assert line["warnings"] == ["could not add the failure note: INVALID_DATA: invalid data"]


def test_an_error_inside_a_200_answer_is_failed(client, emulator):
    emulator.faults.malformed_next(
        1,
        body=b'{"data":[{"code":"INVALID_DATA","details":{},"message":"invalid data","status":"error"}]}',
        status=200,
        path=CONVERT,
    )

    answer = post_webhook(client, qualified_lead(emulator)).get_json()

    assert answer["outcome"] == "failed"
    assert answer["code"] == "INVALID_DATA"


def test_a_malformed_answer_is_an_error_not_a_crash(client, emulator):
    emulator.faults.malformed_next(1, body=b"<html>502 Bad Gateway</html>", status=200, path=CONVERT)

    response = post_webhook(client, qualified_lead(emulator))

    assert response.status_code == 503
    assert response.get_json()["outcome"] == "error"
    assert "not JSON" in response.get_json()["reason"]


def test_a_burst_against_zoho_limits_converts_every_lead_exactly_once(
    serve, monkeypatch, emulator, log_lines
):
    monkeypatch.setenv("ZOHO_RETRY_SECONDS", "30")
    leads = [qualified_lead(emulator, n) for n in range(300)]
    emulator.faults.latency = 0.02
    emulator.faults.concurrency_limit = 10
    emulator.faults.fail_fraction(0.05, status=500, seed=7)
    app = serve()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda lead: post_webhook(app, lead).get_json(), leads))

    assert [answer["outcome"] for answer in answers] == ["converted"] * 300
    assert all(emulator.crm.conversions(lead) == 1 for lead in leads)
    assert len(emulator.crm.deals) == 300
    statuses = [entry.status for entry in emulator.journal]
    assert 429 in statuses
    assert 500 in statuses
    assert sum(line["attempts"] for line in log_lines()) > 600


def test_zohos_error_text_is_scrubbed_of_secrets_before_it_reaches_the_note(client, emulator, log_lines):
    warm_up = qualified_lead(emulator, 1)
    post_webhook(client, warm_up)  # the function now holds an access token
    (token,) = {entry.headers["Authorization"].split()[-1] for entry in emulator.requests(path=r"^/crm/")}
    echo = {
        "data": [
            {
                "code": "INVALID_DATA",
                "details": {"api_name": "Deal_Name", "seen": "x" * 250 + token},  # cut at 300 characters
                "message": f"invalid data for token {token}",
                "status": "error",
            }
        ]
    }
    lead = qualified_lead(emulator, 2)
    emulator.faults.malformed_next(1, body=json.dumps(echo).encode(), status=400, path=CONVERT)

    answer = post_webhook(client, lead).get_json()

    assert answer["outcome"] == "failed"
    (note,) = [n for n in emulator.crm.notes.values() if n["Parent_Id"]["id"] == lead]
    written = note["Note_Content"] + json.dumps(answer) + json.dumps(log_lines())
    assert token[:12] not in written
    assert all(token[start : start + 12] not in written for start in range(len(token) - 11))
    assert "[redacted]" in note["Note_Content"]


def test_a_note_whose_answer_was_lost_is_not_added_twice(serve, monkeypatch, tmp_path, emulator):
    rules_file(tmp_path, monkeypatch, BAD_STAGE_RULES)
    lead = qualified_lead(emulator)
    emulator.faults.hang_next(1, 3.0, path=NOTES, method="POST", after_processing=True)  # read timeout 0.5 s

    post_webhook(serve(), lead)

    assert [n["Note_Title"] for n in emulator.crm.notes.values()] == ["Automatic conversion failed"]


def test_a_profile_without_the_convert_permission_is_misconfigured_and_leaves_no_note(
    client, emulator, log_lines
):
    lead = qualified_lead(emulator)
    emulator.revoke_permissions("Crm_Implied_Convert_Leads")

    response = post_webhook(client, lead)

    answer = response.get_json()
    assert (response.status_code, answer["outcome"], answer["code"]) == (
        500,
        "misconfigured",
        "NO_PERMISSION",
    )
    assert answer["reason"].startswith(
        "NO_PERMISSION: the profile of the Zoho user whose refresh token the function uses lacks the"
        " permission Convert (Leads) (Crm_Implied_Convert_Leads)"
    )
    assert emulator.crm.notes == {}
    assert not emulator.crm.lead(lead)["Converted__s"]
    assert log_lines()[-1]["severity"] == "ERROR"


def test_a_lead_deleted_before_its_convert_is_not_found_and_gets_no_note(client, emulator):
    lead = qualified_lead(emulator)
    emulator.faults.delete_leads_before_next([lead], path=CONVERT)

    answer = post_webhook(client, lead).get_json()

    assert answer["outcome"] == "not_found"
    assert emulator.crm.notes == {}


class TestWaitStates:
    """A lead in a state that passes waits: deferred (200, WARNING, no note), tried again later."""

    @pytest.mark.parametrize("placement", ["wrapped", "root"])
    def test_a_locked_lead_is_deferred_without_a_note_and_converts_once_unlocked(
        self, client, emulator, log_lines, placement
    ):
        emulator.faults.wait_state_placement = placement
        lead = qualified_lead(emulator)
        emulator.crm.set_lead_state(lead, locked=True)

        response = post_webhook(client, lead)

        answer = response.get_json()
        assert (response.status_code, answer["outcome"], answer["code"]) == (200, "deferred", "RECORD_LOCKED")
        assert log_lines()[-1]["severity"] == "WARNING"
        assert emulator.crm.notes == {}

        emulator.crm.set_lead_state(lead, locked=False)
        assert post_webhook(client, lead).get_json()["outcome"] == "converted"

    @pytest.mark.parametrize(
        ("state", "waiting"),
        [
            ({"awaiting_approval": True}, "an approval process"),
            ({"awaiting_review": True}, "a review process"),
            ({"in_merge": True}, "a merge of duplicates"),
        ],
    )
    def test_a_lead_whose_read_shows_it_waiting_is_deferred_without_calling_convert(
        self, client, emulator, state, waiting
    ):
        lead = qualified_lead(emulator)
        emulator.crm.set_lead_state(lead, **state)

        answer = post_webhook(client, lead).get_json()

        assert (answer["outcome"], answer["reason"]) == ("deferred", f"the lead is waiting for {waiting}")
        assert emulator.requests("POST", CONVERT) == []
        (read,) = emulator.requests("GET", r"/Leads/\d+$")
        assert read.query["approved"] == ["both"]  # a lead awaiting approval is read, not hidden


def test_a_200_character_company_converts_with_its_deal_name_cut_to_zohos_maximum(
    serve, monkeypatch, tmp_path, emulator, log_lines
):
    rules_file(
        tmp_path,
        monkeypatch,
        "rules:\n  - name: named\n    when: {Lead_Status: Qualified}\n"
        '    deal: {Deal_Name: "{Company} - {Last_Name}", Stage: Qualification,'
        " Pipeline: Standard (Standard), Closing_Date: +7d}\n",
    )
    company = ("Consolidated Intercontinental Holdings " * 6)[:200]
    lead = qualified_lead(emulator, Company=company)

    answer = post_webhook(serve(), lead).get_json()

    assert answer["outcome"] == "converted"
    deal = emulator.crm.deals[answer["deal_id"]]
    assert deal["Deal_Name"] == (company + " - Lead0")[:120]
    assert log_lines()[-1]["warnings"] == ["deal.Deal_Name was cut to 120 characters, the most Zoho takes"]


@pytest.mark.parametrize(("reading", "converts"), [("display", True), ("actual", False)])
def test_a_stage_written_in_its_display_form_converts_where_zoho_takes_that_form(
    serve, monkeypatch, tmp_path, emulator, reading, converts
):
    """Which form of a renamed option Zoho takes is unsettled: the emulator plays either org."""
    rules_file(
        tmp_path,
        monkeypatch,
        "rules:\n  - name: display\n    when: {Lead_Status: Qualified}\n"
        "    deal: {Deal_Name: x, Stage: Identify Decision Makers, Pipeline: Standard (Standard),"
        " Closing_Date: +7d}\n",
    )
    emulator.faults.picklist_reading = reading
    lead = qualified_lead(emulator)

    answer = post_webhook(serve(), lead).get_json()

    assert answer["outcome"] == ("converted" if converts else "failed")
    if not converts:  # the note's preflight says what to try: the other form
        (note,) = emulator.crm.notes.values()
        assert "'Identify Decision Makers' is the display value of the stage" in note["Note_Content"]


def test_an_org_that_holds_deal_names_shorter_gets_them_cut_to_its_own_length(
    serve, monkeypatch, tmp_path, emulator, log_lines
):
    rules_file(
        tmp_path,
        monkeypatch,
        "rules:\n  - name: named\n    when: {Lead_Status: Qualified}\n"
        '    deal: {Deal_Name: "{Company}", Stage: Qualification, Pipeline: Standard (Standard),'
        " Closing_Date: +7d}\n",
    )
    emulator.crm.set_field_length("Deals", "Deal_Name", 60)
    lead = qualified_lead(emulator, Company="A" * 100)

    answer = post_webhook(serve(), lead).get_json()

    assert answer["outcome"] == "converted"
    assert emulator.crm.deals[answer["deal_id"]]["Deal_Name"] == "A" * 60
    assert [entry.status for entry in emulator.requests("POST", CONVERT)] == [400, 200]  # refused once
    assert log_lines()[-1]["warnings"] == ["deal.Deal_Name was cut to 60 characters, the most Zoho takes"]
