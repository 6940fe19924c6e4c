"""The JSON answer both entry points give: scrubbed of secrets, `Allow: POST` on a 405."""

from __future__ import annotations

import json
from typing import Any

import flask

from handlers.redaction import redact


def json_response(body: dict[str, Any], status: int = 200) -> flask.Response:
    response = flask.Response(
        redact(json.dumps(body, default=str)), status=status, mimetype="application/json"
    )
    if status == 405:
        response.headers["Allow"] = "POST"
    return response
