"""A hostile Zoho on loopback: every request is refused with an error that echoes the request back.

Zoho's own errors have echoed what the client sent; a client that prints Zoho's message must not
print its own secrets with it. Each answer is a Zoho-shaped error (`{"code", "message", "details",
"status"}`; the token endpoint's `{"error", "error_description"}`) whose message is the request's
`Authorization` header and form body, written as `mode` says: `raw`, `upper` (upper-cased), `cut`
(the first 20 characters of each value) or `quoted` (URL-encoded again).
"""

from __future__ import annotations

import json
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.zoho_emulator.local_http import LoopbackServer

MODES = ("raw", "upper", "cut", "quoted")


class EchoServer(LoopbackServer):
    def __init__(self, mode: str = "raw") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.seen: list[str] = []  # what was echoed, as sent back
        self.tokens: set[str] = set()  # the access tokens that came in Authorization headers
        super().__init__(self._handler())

    def echo(self, value: str) -> str:
        if self.mode == "upper":
            return value.upper()
        if self.mode == "cut":
            return value[:20]
        if self.mode == "quoted":
            return urllib.parse.quote(value, safe="")
        return value

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._refuse()

            def do_POST(self) -> None:
                self._refuse()

            def _refuse(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                sent = [self.headers.get("Authorization", "")]
                if sent[0].startswith("Zoho-oauthtoken "):
                    server.tokens.add(sent[0].split()[-1])
                sent += [value for _, value in urllib.parse.parse_qsl(body)]
                echoed = " ".join(server.echo(value) for value in sent if value)
                server.seen.append(echoed)
                answer: dict[str, Any]
                if self.path.startswith("/oauth/"):
                    answer = {"error": f"invalid_client {echoed}", "error_description": echoed}
                    status = 200
                else:
                    answer = {"code": "INVALID_DATA", "message": echoed, "details": {"sent": echoed}}
                    answer["status"] = "error"
                    status = 400
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        return Handler
