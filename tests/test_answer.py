"""The answer (handlers/doors/answer.py): the JSON a door sends, scrubbed, with the trace fields
that tie its log line to the request's trace, from either header Cloud Run forwards."""

from __future__ import annotations

from handlers.doors.answer import json_response, trace_fields
from handlers.redaction import register

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_traceparent_gives_trace_span_and_sampling():
    assert trace_fields({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-00"}, "p") == {
        "logging.googleapis.com/trace": f"projects/p/traces/{TRACE}",
        "logging.googleapis.com/trace_sampled": False,
        "logging.googleapis.com/spanId": "00f067aa0ba902b7",
    }


def test_cloud_trace_context_is_the_fallback_with_its_decimal_span_in_hex():
    assert trace_fields({"X-Cloud-Trace-Context": f"{TRACE.upper()}/1234;o=1"}, "p") == {
        "logging.googleapis.com/trace": f"projects/p/traces/{TRACE}",
        "logging.googleapis.com/trace_sampled": True,
        "logging.googleapis.com/spanId": "00000000000004d2",
    }


def test_nothing_without_a_project_or_with_malformed_headers():
    assert trace_fields({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}, None) == {}
    assert trace_fields({"traceparent": "00-zz-yy-01", "X-Cloud-Trace-Context": "nonsense"}, "p") == {}
    assert trace_fields({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}, "p") == {}


def test_an_answer_is_scrubbed_of_every_known_secret_and_a_405_says_what_is_allowed():
    register("1000.secret-in-an-answer-0a1b2c3d")

    response = json_response({"reason": "Zoho said 1000.secret-in-an-answer-0a1b2c3d"}, 405)

    assert "1000.secret-in-an-answer-0a1b2c3d" not in response.get_data(as_text=True)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
