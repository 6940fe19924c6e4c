"""Telling the caller what happened: the outcome's log line (handlers.platform.log) and its JSON answer,
scrubbed of every known secret (handlers.redaction) just before it leaves the process; and the
trace fields that tie a request's line to its trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

import flask

from handlers.engine.outcome import Outcome
from handlers.platform.log import write
from handlers.redaction import redact

_TRACEPARENT = re.compile(r"00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-([0-9a-f]{2})")
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/([0-9]{1,20}))?(?:;o=([01]))?")


def respond(outcome: Outcome, log_fields: Mapping[str, Any] | None = None) -> flask.Response:
    """Log the outcome's line (with `log_fields` added) and answer its JSON."""
    write(outcome.severity, outcome.message(), {**outcome.log_fields(), **(log_fields or {})})
    return json_response(outcome.response(), outcome.status)


def json_response(body: Mapping[str, Any], status: int = 200) -> flask.Response:
    response = flask.Response(
        redact(json.dumps(body, default=str)), status=status, mimetype="application/json"
    )
    if status == 405:
        response.headers["Allow"] = "POST"
    return response


class _Headers(Protocol):
    def get(self, key: str, default: str) -> str: ...


def trace_fields(headers: _Headers, project_id: str | None) -> dict[str, Any]:
    """Trace correlation from `traceparent`, else `X-Cloud-Trace-Context`; nothing without a project."""
    if not project_id:
        return {}
    if match := _TRACEPARENT.fullmatch(headers.get("traceparent", "").strip()):
        trace, span, sampled = match[1], match[2], bool(int(match[3], 16) & 1)
    elif match := _CLOUD_TRACE.fullmatch(headers.get("X-Cloud-Trace-Context", "").strip()):
        trace, sampled = match[1].lower(), match[3] == "1"
        span = f"{int(match[2]):016x}" if match[2] and 0 < int(match[2]) < 2**64 else None
    else:
        return {}
    fields: dict[str, Any] = {
        "logging.googleapis.com/trace": f"projects/{project_id}/traces/{trace}",
        "logging.googleapis.com/trace_sampled": sampled,
    }
    if span:
        fields["logging.googleapis.com/spanId"] = span
    return fields
