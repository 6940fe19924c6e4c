"""The Zoho client against the emulator: tokens, retries, deadlines and Zoho's error shapes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from itertools import pairwise

import pytest

from handlers.errors import (
    CredentialsRejected,
    TokenThrottled,
    ZohoBadResponse,
    ZohoRefused,
    ZohoUnavailable,
)
from tests.conftest import CREDENTIALS, make_client

LEAD_READ = r"/Leads/\d+$"
CONVERT = r"/actions/convert$"
TOKEN = r"^/oauth/v2/token$"
CONVERT_BODY = {
    "data": [
        {
            "Deals": {
                "Deal_Name": "D",
                "Stage": "Qualification",
                "Pipeline": "Standard (Standard)",
                "Closing_Date": "2027-01-01",
            }
        }
    ]
}


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(
        Last_Name="Doe", Company="Globex", Email="doe@globex.example", Lead_Status="Qualified"
    )


@pytest.fixture
def zoho(emulator):
    return make_client(emulator)


class TestTokens:
    def test_the_token_request_is_a_form_post_with_the_refresh_grant(self, emulator, zoho, lead):
        zoho.get_lead(lead)

        (request,) = emulator.requests("POST", TOKEN)
        assert request.form == {
            "grant_type": ["refresh_token"],
            "client_id": [CREDENTIALS.client_id],
            "client_secret": [CREDENTIALS.client_secret],
            "refresh_token": [CREDENTIALS.refresh_token],
        }
        (read,) = emulator.requests("GET", LEAD_READ)
        assert read.headers["Authorization"].startswith("Zoho-oauthtoken 1000.")

    def test_a_revoked_token_is_refreshed_once_and_the_call_retried_once(self, emulator, zoho, lead):
        zoho.get_lead(lead)
        emulator.faults.revoke_tokens()

        assert zoho.get_lead(lead)["id"] == lead
        assert emulator.token_requests == 2
        statuses = [entry.status for entry in emulator.requests("GET", LEAD_READ)]
        assert statuses == [200, 401, 200]

    def test_concurrent_calls_with_a_revoked_token_cause_one_refresh(self, emulator, zoho, lead):
        zoho.get_lead(lead)
        emulator.faults.revoke_tokens()
        errors: list[Exception] = []

        def read() -> None:
            try:
                zoho.get_lead(lead)
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=read) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert emulator.token_requests == 2

    def test_a_token_that_is_refused_again_after_refreshing_is_not_retried_forever(
        self, emulator, zoho, lead
    ):
        zoho.get_lead(lead)
        emulator.faults.fail_next(2, status=401, code="INVALID_TOKEN", path=LEAD_READ)

        with pytest.raises(ZohoRefused) as refused:
            zoho.get_lead(lead)

        assert refused.value.code == "INVALID_TOKEN"
        assert emulator.token_requests == 2

    @pytest.mark.parametrize("status", [200, 400])
    def test_the_token_throttle_is_not_retried_and_cools_down(self, emulator, zoho, lead, status):
        emulator.faults.token_throttle = True
        emulator.faults.token_throttle_status = status

        with pytest.raises(TokenThrottled, match="Access Denied"):
            zoho.get_lead(lead)
        with pytest.raises(TokenThrottled, match="not asking again"):
            zoho.get_lead(lead)

        assert emulator.token_requests == 1
        assert emulator.requests("GET", LEAD_READ) == []

    def test_after_the_cool_down_the_token_is_asked_for_again(self, emulator, lead):
        zoho = make_client(emulator, token_cooldown_seconds=0.3)
        emulator.faults.token_throttle = True
        with pytest.raises(TokenThrottled):
            zoho.get_lead(lead)
        emulator.faults.token_throttle = False
        time.sleep(0.35)

        assert zoho.get_lead(lead)["id"] == lead
        assert emulator.token_requests == 2

    def test_a_token_endpoint_that_is_down_fails_with_a_clear_reason(self, emulator, zoho, lead):
        emulator.faults.token_down = True

        with pytest.raises(ZohoUnavailable, match="token endpoint answered HTTP 503 without JSON"):
            zoho.get_lead(lead)
        assert emulator.token_requests == 1

    def test_a_slow_token_endpoint_is_abandoned_after_the_read_timeout(self, emulator, zoho, lead):
        emulator.faults.hang_next(1, 3.0, path=TOKEN)
        started = time.monotonic()

        with pytest.raises(ZohoUnavailable, match=r"unreachable for a token \(ReadTimeout"):
            zoho.get_lead(lead)
        assert time.monotonic() - started < 2.0

    def test_a_token_answer_that_is_not_json_fails_with_a_clear_reason(self, emulator, zoho, lead):
        emulator.faults.malformed_next(1, body=b"<html>maintenance</html>", status=200, path=TOKEN)

        with pytest.raises(ZohoUnavailable, match="without JSON"):
            zoho.get_lead(lead)

    def test_wrong_credentials_are_a_setup_problem(self, emulator, lead):
        with pytest.raises(CredentialsRejected, match="invalid_code"):
            make_client(emulator, refresh_token="1000.wrong").get_lead(lead)


class TestRetries:
    @pytest.mark.parametrize(
        ("status", "code"),
        [(429, "TOO_MANY_REQUESTS"), (500, "INTERNAL_ERROR"), (503, "SERVICE_UNAVAILABLE")],
    )
    def test_transient_answers_are_retried_until_zoho_recovers(self, emulator, zoho, lead, status, code):
        emulator.faults.fail_next(3, status=status, code=code, path=CONVERT)

        result = zoho.convert_lead(lead, CONVERT_BODY)

        assert result.records.deal_id is not None
        assert [entry.status for entry in emulator.requests("POST", CONVERT)] == [status] * 3 + [200]
        assert emulator.crm.conversions(lead) == 1

    def test_connection_resets_are_retried(self, emulator, zoho, lead):
        emulator.faults.reset_next(2, path=LEAD_READ)

        assert zoho.get_lead(lead)["id"] == lead
        assert len(emulator.requests("GET", LEAD_READ)) == 3

    def test_read_timeouts_are_retried(self, emulator, zoho, lead):
        emulator.faults.hang_next(1, 2.0, path=LEAD_READ)

        assert zoho.get_lead(lead)["id"] == lead

    def test_retries_stop_at_the_deadline_with_an_error(self, emulator, lead):
        zoho = make_client(emulator, retry_seconds=1.0)
        emulator.faults.fail_next(1000, status=429, code="TOO_MANY_REQUESTS", path=LEAD_READ)
        started = time.monotonic()

        with pytest.raises(
            ZohoUnavailable, match=r"still failing after \d+ attempts .*HTTP 429 TOO_MANY_REQUESTS"
        ):
            zoho.get_lead(lead)
        assert time.monotonic() - started < 1.5
        assert len(emulator.requests("GET", LEAD_READ)) > 2

    def test_backoff_waits_grow_but_stay_under_the_ceiling(self, emulator, lead):
        zoho = make_client(emulator, backoff_seconds=0.05, backoff_max_seconds=0.1, retry_seconds=5)
        emulator.faults.fail_next(6, status=500, path=LEAD_READ)

        zoho.get_lead(lead)

        started = [entry.started for entry in emulator.requests("GET", LEAD_READ)]
        gaps = [later - earlier for earlier, later in pairwise(started)]
        assert len(gaps) == 6
        assert all(gap < 0.1 + 0.1 for gap in gaps)

    def test_permanent_errors_are_not_retried(self, emulator, zoho, lead):
        with pytest.raises(ZohoRefused) as refused:
            zoho.convert_lead(lead, {"data": [{"Deals": {"Deal_Name": "D"}}]})

        assert refused.value.code == "MANDATORY_NOT_FOUND"
        assert len(emulator.requests("POST", CONVERT)) == 1

    def test_calls_are_counted_per_context(self, emulator, zoho, lead):
        emulator.faults.fail_next(1, status=500, path=LEAD_READ)

        with zoho.counting_calls() as calls:
            zoho.get_lead(lead)

        assert calls.count == 2


class TestAnswers:
    def test_an_error_inside_a_200_answer_is_an_error_not_a_success(self, emulator, zoho, lead):
        body = (
            b'{"data":[{"code":"INVALID_DATA","details":{"api_name":"Stage"},'
            b'"message":"invalid data","status":"error"}]}'
        )
        emulator.faults.malformed_next(1, body=body, status=200, path=CONVERT)

        with pytest.raises(ZohoRefused) as refused:
            zoho.convert_lead(lead, CONVERT_BODY)

        assert refused.value.code == "INVALID_DATA"
        assert refused.value.details == {"api_name": "Stage"}

    @pytest.mark.parametrize(
        "body", [b"<html>oops</html>", b'{"data": "nope"}', b"[]", b'{"data": [{"status": "success"}]}']
    )
    def test_malformed_or_unexpected_answers_are_bad_responses(self, emulator, zoho, lead, body):
        emulator.faults.malformed_next(1, body=body, status=200, path=CONVERT)

        with pytest.raises(ZohoBadResponse):
            zoho.convert_lead(lead, CONVERT_BODY)

    def test_an_unknown_lead_reads_as_none_after_checking_converted_leads(self, emulator, zoho):
        assert zoho.get_lead("4876876000000999999") is None
        assert [entry.query.get("converted") for entry in emulator.requests("GET", LEAD_READ)] == [
            ["both"],
            ["true"],
        ]

    def test_a_converted_lead_is_read_with_its_converted_records(self, emulator, zoho, lead):
        result = zoho.convert_lead(lead, CONVERT_BODY)

        record = zoho.get_lead(lead)

        assert record["Converted__s"] is True
        assert record["Converted_Deal"]["id"] == result.records.deal_id
        assert len(emulator.requests("GET", LEAD_READ)) == 1


class TestConvertedLeads:
    """Converted leads are listed with Get Records, newest first, until one is older than `since`."""

    def test_they_are_read_newest_first_and_the_reading_stops_at_the_first_older_one(self, emulator, zoho):
        old, recent = (emulator.crm.add_lead(Last_Name=name) for name in ("Old", "Recent"))
        emulator.crm.convert(old)
        emulator.clock.advance(3600)
        since = emulator.clock.now()
        emulator.crm.convert(recent)
        emulator.crm.add_lead(Last_Name="Unconverted")

        leads = list(zoho.converted_leads(["Last_Name"], since))

        assert [lead["Last_Name"] for lead in leads] == ["Recent"]
        (read,) = emulator.requests("GET", r"/Leads$")
        assert read.query == {
            "fields": ["Modified_Time,Last_Name"],
            "converted": ["true"],
            "sort_by": ["Modified_Time"],
            "sort_order": ["desc"],
            "per_page": ["200"],
            "page": ["1"],
        }

    def test_past_2000_leads_the_page_token_reads_on(self, emulator, zoho):
        for n in range(2001):
            emulator.crm.convert(emulator.crm.add_lead(Last_Name=f"L{n}"))

        leads = list(zoho.converted_leads(["Last_Name"], emulator.clock.now() - dt.timedelta(days=1)))

        assert len(leads) == 2001
        reads = emulator.requests("GET", r"/Leads$")
        assert [read.query.get("page") for read in reads[:10]] == [[str(n)] for n in range(1, 11)]
        assert "page_token" in reads[10].query
        assert "page" not in reads[10].query


def nested(levels: int) -> bytes:
    """A lead read's answer whose record holds a value `levels` containers deep in all."""
    inner = levels - 3  # the answer object, data[] and the record are three
    return b'{"data":[{"id":"1","Deep":' + b"[" * inner + b"]" * inner + b"}]}"


class TestUnrepresentableJson:
    """JSON that parses as text but cannot be held is refused with a reason, never a crash."""

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"[" * 100_000 + b"]" * 100_000, "JSON nested deeper than 64 levels"),
            (b"[" * 100_000, "JSON nested deeper than 64 levels"),  # never closed
            (nested(65), "JSON nested deeper than 64 levels"),
            (b'{"data":[{"id":"1","Amount":NaN}]}', r"a number that cannot be represented \(NaN\)"),
            (b'{"data":[{"id":"1","Amount":Infinity}]}', r"a number that cannot be represented \(Infinity\)"),
            (
                b'{"data":[{"id":"1","Amount":-Infinity}]}',
                r"a number that cannot be represented \(-Infinity\)",
            ),
            (
                b'{"data":[{"id":"1","Amount":1e400}]}',
                r"a number that cannot be represented \(a float of magnitude",
            ),
            (
                b'{"data":[{"id":"1","Amount":-1' + b"0" * 400 + b".5}]}",
                r"a number that cannot be represented \(a float of magnitude beyond 1\.8e308\)",
            ),
            (
                b'{"data":[{"id":"1","Amount":1' + b"0" * 5000 + b"}]}",
                r"a number that cannot be represented \(an integer of more than 4300 digits\)",
            ),
        ],
    )
    def test_is_a_bad_response_naming_what_is_wrong(self, emulator, zoho, lead, body, reason):
        emulator.faults.malformed_next(1, body=body, status=200, path=LEAD_READ)

        with pytest.raises(ZohoBadResponse, match=rf"^GET /Leads/\d+ answered HTTP 200 with {reason}"):
            zoho.get_lead(lead)
        assert len(emulator.requests("GET", LEAD_READ)) == 1  # not worth a retry

    def test_brackets_inside_strings_are_text_not_nesting(self, emulator, zoho, lead):
        text = '\\"' + "[{" * 100 + "\\\\"
        body = b'{"data":[{"id":"1","Description":"' + text.encode() + b'"}]}'
        emulator.faults.malformed_next(1, body=body, status=200, path=LEAD_READ)

        assert zoho.get_lead(lead)["Description"] == '"' + "[{" * 100 + "\\"

    def test_nesting_up_to_the_bound_is_read(self, emulator, zoho, lead):
        emulator.faults.malformed_next(1, body=nested(64), status=200, path=LEAD_READ)

        value, depth = zoho.get_lead(lead)["Deep"], 4  # the answer, data[], the record, Deep
        while value:
            (value,), depth = value, depth + 1
        assert depth == 64

    def test_a_huge_integer_in_one_lead_leaves_the_coql_page_readable(self, emulator, zoho):
        huge = 10**400 + 7
        body = (
            b'{"data":[{"id":"1","Annual_Revenue":'
            + str(huge).encode()
            + b'},{"id":"2","Annual_Revenue":5}],'
            b'"info":{"count":2,"more_records":false}}'
        )
        emulator.faults.malformed_next(1, body=body, status=200, path=r"/coql$")

        records, more = zoho.query("select id, Annual_Revenue from Leads where id is not null limit 2")

        assert [record["Annual_Revenue"] for record in records] == [huge, 5]
        assert more is False

    def test_a_failed_answer_too_deep_to_read_its_code_is_still_retried(self, emulator, zoho, lead):
        emulator.faults.malformed_next(1, body=b"[" * 100_000, status=503, path=LEAD_READ)

        assert zoho.get_lead(lead)["id"] == lead
        assert [entry.status for entry in emulator.requests("GET", LEAD_READ)] == [503, 200]

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b'{"access_token":"1000.x","expires_in":NaN}', r"a number that cannot be represented \(NaN\)"),
            (
                b'{"access_token":"1000.x","expires_in":1' + b"0" * 400 + b"}",
                r"a number that cannot be represented \(an integer of magnitude beyond 1\.8e308\)",
            ),
            (
                b'{"access_token":"1000.x","x":' + b"[" * 5000 + b"]" * 5000 + b"}",
                "JSON nested deeper than 64 levels",
            ),
        ],
    )
    def test_a_token_answer_that_cannot_be_held_is_a_bad_response(self, emulator, zoho, lead, body, reason):
        emulator.faults.malformed_next(1, body=body, status=200, path=TOKEN)

        with pytest.raises(ZohoBadResponse, match=f"^Zoho token endpoint answered HTTP 200 with {reason}"):
            zoho.get_lead(lead)
        assert emulator.requests("GET", LEAD_READ) == []
