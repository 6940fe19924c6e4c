"""A Zoho that answers too much, on loopback: every request gets `size` bytes of JSON-looking text.

The answer is generated as it is sent (this process never holds it), in one of three framings:
`announced` (a Content-Length the client can refuse before reading), `chunked`, and `unannounced`
(no length: the answer ends when the connection closes, as HTTP/1.1 allows). With the last two the
client learns the size only by reading.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.zoho_emulator.local_http import LoopbackServer

FRAMINGS = ("announced", "chunked", "unannounced")
_PIECE = b"a" * (1024 * 1024)


class BigAnswerServer(LoopbackServer):
    def __init__(self, size: int, framing: str = "chunked") -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}")
        self.size, self.framing = size, framing
        self.sent: list[int] = []  # bytes written per answer before the client went away
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if server.framing == "announced":
                    self.send_header("Content-Length", str(server.size))
                elif server.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                sent = 0
                try:
                    while sent < server.size:
                        piece = _PIECE[: server.size - sent]
                        if server.framing == "chunked":
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        else:
                            self.wfile.write(piece)
                        sent += len(piece)
                    if server.framing == "chunked":
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client stopped reading: what this server is for
                server.sent.append(sent)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        return Handler
