"""The log line's trace correlation, from either header Cloud Run forwards."""

from __future__ import annotations

from handlers.report import trace_fields

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
