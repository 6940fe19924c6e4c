"""HTTP/1.1 framing: keep-alive, exact Content-Length, one write per response, TCP_NODELAY.

Each response goes out in a single `sendall` (head and body together) on a TCP_NODELAY socket,
so a client never waits on a delayed ACK between the two. Everything Zoho-specific is in the
`app` callable this server hands each request to.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from .local_http import KeepAliveHandler, TrackingHTTPServer
from .protocol import Headers, Request, Response

App = Callable[[Request], Response | None]  # None: reset the connection, answer nothing
MAX_BODY_BYTES = 32 * 1024 * 1024


class EmulatorHTTPServer(TrackingHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        verbose: bool = False,
        stopping: threading.Event | None = None,
    ) -> None:
        self.app = app
        self.verbose = verbose
        self.stopping = stopping or threading.Event()  # set on stop: trickling answers end
        super().__init__(address, _Handler)


class _Handler(KeepAliveHandler):
    server_version = "ZohoEmulator/1.0"
    timeout = 120  # seconds an idle keep-alive connection is kept
    server: EmulatorHTTPServer

    def parse_request(self) -> bool:
        """The request line has been read: the emulator's time on this request starts."""
        self._received = time.perf_counter()
        return super().parse_request()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(Response(HTTPStatus.BAD_REQUEST))
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=Headers(list(self.headers.items())),
            body=body,
            received=self._received,
        )
        response = self.server.app(request)
        if response is None:
            self._reset()
        else:
            self._write(response)
            if response.written is not None:
                response.written(time.perf_counter())
        if self.server.verbose:
            status = response.status if response else "RST"
            sys.stderr.write(f"{self.command} {self.path} -> {status}\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _read_body(self) -> bytes | None:
        """The request body, or None when its framing is invalid."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0], 16)
            except ValueError:
                return None
            total += size
            if size < 0 or total > MAX_BODY_BYTES:
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: Response) -> None:
        status = HTTPStatus(response.status)
        head = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        if status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            head.append(f"Content-Length: {len(response.body)}")
        if response.content_type:
            head.append(f"Content-Type: {response.content_type}")
        head.extend(f"{name}: {value}" for name, value in response.headers.items())
        if self.close_connection:
            head.append("Connection: close")
        payload = "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + response.body
        try:
            if response.trickle_seconds:
                self._trickle(payload, response.trickle_seconds)
            else:
                self.connection.sendall(payload)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout passed)

    def _trickle(self, payload: bytes, seconds_per_byte: float) -> None:
        for index in range(len(payload)):
            self.connection.sendall(payload[index : index + 1])
            if self.server.stopping.wait(seconds_per_byte):
                return

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the peer gets a TCP RST instead of an answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
