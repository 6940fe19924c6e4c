"""handlers.transport: kept-alive connections, a connection the server dropped, timeouts, errors."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from handlers import transport


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.startswith("/slow"):
            self.server.release.wait(5)
        with self.server.lock:
            self.server.ports.add(self.client_address[1])
        payload = json.dumps(
            {"path": self.path, "body": body.decode(), "type": self.headers.get("Content-Type")}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if self.path.startswith("/drop"):
            self.close_connection = True  # closes after answering, without saying so

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.ports: set[int] = set()  # client ports seen, one per connection
        self.release = threading.Event()
        self.closed = threading.Event()  # set whenever the server has closed a connection

    def shutdown_request(self, request: socket.socket) -> None:
        super().shutdown_request(request)
        self.closed.set()


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


def url(server: _Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_requests_reuse_one_kept_alive_connection(server):
    session = transport.Session()

    answers = [session.request("GET", url(server, "/a"), timeout=(2, 2)).json() for _ in range(3)]

    assert [answer["path"] for answer in answers] == ["/a"] * 3
    assert len(server.ports) == 1


def test_query_parameters_json_and_form_bodies_are_encoded_as_requests_did(server):
    session = transport.Session()

    query = session.request("GET", url(server, "/q"), params={"ids": "1,2", "x": "a b"}, timeout=(2, 2))
    sent_json = session.request("POST", url(server, "/j"), json={"data": [{"a": 1}]}, timeout=(2, 2))
    form = session.post(url(server, "/f"), data={"grant_type": "refresh_token"}, timeout=(2, 2))

    assert query.json()["path"] == "/q?ids=1%2C2&x=a+b"
    assert json.loads(sent_json.json()["body"]) == {"data": [{"a": 1}]}
    assert sent_json.json()["type"] == "application/json"
    assert form.json()["body"] == "grant_type=refresh_token"
    assert form.json()["type"] == "application/x-www-form-urlencoded"
    assert query.headers.get("content-type") == "application/json"


def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error(server):
    session = transport.Session()
    session.request("GET", url(server, "/drop"), timeout=(2, 2))
    assert server.closed.wait(5)

    answer = session.request("GET", url(server, "/after"), timeout=(2, 2))

    assert answer.json()["path"] == "/after"
    assert len(server.ports) == 2


def test_no_answer_within_the_read_timeout_is_a_read_timeout(server):
    session = transport.Session()

    with pytest.raises(transport.ReadTimeout):
        session.request("GET", url(server, "/slow"), timeout=(2, 0.2))
    server.release.set()
    assert session.request("GET", url(server, "/next"), timeout=(2, 2)).json()["path"] == "/next"


def test_a_refused_connection_is_a_connection_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        with pytest.raises(transport.ConnectionFailed, match="ConnectionRefusedError"):
            transport.Session().request("GET", f"http://127.0.0.1:{port}/", timeout=(2, 2))


def test_a_body_that_is_not_json_raises_value_error():
    answer = transport.Response(200, http.client.HTTPMessage(), b"<html>")

    with pytest.raises(ValueError, match="Expecting value"):
        answer.json()
