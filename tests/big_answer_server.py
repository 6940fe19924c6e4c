"""A Zoho that answers too much, on loopback: every request gets `size` bytes of JSON-looking text.

The answer is generated as it is sent (this process never holds it), in one of three framings:
`announced` (a Content-Length the client can refuse before reading), `chunked`, and `unannounced`
(no length: the answer ends when the connection closes, as HTTP/1.1 allows). With the last two the
client learns the size only by reading.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

FRAMINGS = ("announced", "chunked", "unannounced")
_PIECE = b"a" * (1024 * 1024)


class BigAnswerServer:
    def __init__(self, size: int, framing: str = "chunked") -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}")
        self.size, self.framing = size, framing
        self.sent: list[int] = []  # bytes written per answer before the client went away
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> BigAnswerServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

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
