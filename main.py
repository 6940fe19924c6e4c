"""Cloud Function entry points: a thin door into handlers/."""

import sys
from pathlib import Path

import flask
import functions_framework

from handlers.doors import body, webhook
from handlers.errors import RulesError
from handlers.runtime import Runtime

try:
    RUNTIME = Runtime.start(default_rules=Path(__file__).with_name("rules.yaml"))
except RulesError as error:  # one line naming file, rule and key; the instance does not start
    sys.exit(f"refusing to start: {error}")


@functions_framework.http
def zoho_webhook(request: flask.Request) -> flask.Response:
    """Zoho workflow webhook: convert the lead named in the request."""
    return webhook.handle(request, RUNTIME)


@functions_framework.http
def reconcile(request: flask.Request) -> flask.Response:
    """Scheduled sweep: convert qualifying leads no webhook delivered (a private function)."""
    from handlers.doors import reconcile as sweep_door  # the sweep's modules load only where a sweep runs

    try:
        return sweep_door.handle(request, RUNTIME)
    finally:
        body.leave_body_unread(request)  # as the webhook does: functions-framework would read it all
