"""The webhook on the wire: served by functions-framework's gunicorn as deployed (one worker,
THREADS threads), with clients that send their bodies slowly, hugely or not at all.

functions-framework reads the whole body after every answer (an after-request hook), without a
bound in time or size; gunicorn reads headers and bodies with blocking reads. These tests hold
the function to reading only what it needs, within a deadline, and leaving the rest unread.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import requests

from tests.conftest import WEBHOOK_SECRET, Written
from tests.served_function import ServedFunction

HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}
THREADS = 10  # as deployed (terraform: webhook_concurrency)


class Trickler(threading.Thread):
    """A client that sends a POST's headers and then its body a byte every `every` seconds,
    until stopped, the body is all sent or the server closes; it records the server's answer."""

    def __init__(self, port: int, *, secret: str | None = None, length: int = 10_000, every: float = 0.2):
        super().__init__(daemon=True)
        self.port, self.secret, self.length, self.every = port, secret, length, every
        self.stop = threading.Event()
        self.answer = b""
        self.answered_after: float | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port)) as connection:
            head = (
                "POST / HTTP/1.1\r\nHost: function\r\nContent-Type: application/json\r\n"
                f"Content-Length: {self.length}\r\n"
            )
            if self.secret:
                head += f"X-Webhook-Secret: {self.secret}\r\n"
            connection.sendall(head.encode() + b"\r\n{")
            self.connected.set()
            connection.settimeout(self.every)
            sent = 1
            while not self.stop.is_set() and sent < self.length:
                try:
                    data = connection.recv(65536)
                    if not data:
                        break
                    if self.answered_after is None:
                        self.answered_after = time.monotonic() - started
                    self.answer += data
                except TimeoutError:
                    pass
                except OSError:
                    break
                try:
                    connection.sendall(b" ")
                    sent += 1
                except OSError:
                    break
        Written.text.append(self.answer.decode("latin-1"))


def trickle(port: int, count: int, **options: object) -> list[Trickler]:
    clients = [Trickler(port, **options) for _ in range(count)]  # type: ignore[arg-type]
    for client in clients:
        client.start()
        client.connected.wait(5)
    time.sleep(0.5)  # each reaches the function (or gunicorn's read) before the next request
    return clients


def legitimate(served: ServedFunction, lead_id: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = requests.post(
        served.url, json={"lead_id": lead_id, "dry_run": True}, headers=HEADERS, timeout=20
    )
    return answer, time.monotonic() - started


@pytest.fixture
def lead_id(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Globex", Lead_Status="Qualified")


def test_strangers_trickling_bodies_do_not_hold_the_threads(function_env, lead_id):
    """Ten connections without the secret trickle a body into the ten threads of an instance: each
    is refused at once, and a legitimate webhook is still answered (before: it waited for as long
    as they trickled, here more than 20 s)."""
    with ServedFunction(threads=THREADS) as served:
        strangers = trickle(served.port, THREADS)
        try:
            answer, seconds = legitimate(served, lead_id)
        finally:
            for stranger in strangers:
                stranger.stop.set()

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "dry_run"
    assert seconds < 12  # gunicorn drains what is left of a refused body for at most 5 s
    for stranger in strangers:
        assert stranger.answer.startswith(b"HTTP/1.1 401 "), stranger.answer
        assert b'"error": "unauthorized"' in stranger.answer
        assert stranger.answered_after is not None
        assert stranger.answered_after < 3


def test_a_body_still_trickling_after_the_secret_is_cut_at_its_deadline(function_env, lead_id, monkeypatch):
    """A client with the secret that trickles its body holds a thread until the body's deadline
    (BODY_SECONDS, 10 s, or less when the webhook's deadline is nearer; 3 s here), then hears
    408; the other threads answer meanwhile."""
    monkeypatch.setenv("WEBHOOK_DEADLINE_SECONDS", "3")
    with ServedFunction(threads=2) as served:
        (slow,) = trickle(served.port, 1, secret=WEBHOOK_SECRET, every=0.1)
        try:
            answer, seconds = legitimate(served, lead_id)
            slow.join(15)
        finally:
            slow.stop.set()

    assert answer.status_code == 200, answer.text
    assert seconds < 5  # not held behind the slow body (a loaded machine takes a second or two)
    assert slow.answer.startswith(b"HTTP/1.1 408 "), slow.answer
    # what was left of the 3 s deadline once the secret was checked
    assert re.search(rb'"reason": "the body did not arrive within (3|2\.\d) s"', slow.answer), slow.answer
    assert b'"error": "request_timeout"' in slow.answer
    assert slow.answered_after is not None
    assert 2.5 < slow.answered_after < 6


@pytest.mark.parametrize(("framing", "status"), [("announced", b"413"), ("chunked", b"401")])
def test_a_strangers_large_body_is_not_read_into_memory(function_env, framing, status):
    """A 32 MiB body (Cloud Run's largest HTTP/1 request) from a stranger is refused unread: the
    worker does not hold it (before: functions-framework read it whole after the answer, so ten
    of them took an instance past its 256 MB)."""
    size = 32 * 1024 * 1024
    framing_header = f"Content-Length: {size}" if framing == "announced" else "Transfer-Encoding: chunked"
    with ServedFunction(threads=2) as served:
        before = served.worker_memory_kib()["VmRSS"]
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as connection:
            connection.sendall(
                b"POST / HTTP/1.1\r\nHost: function\r\nContent-Type: application/json\r\n"
                + f"{framing_header}\r\n\r\n".encode()
            )
            sender = threading.Thread(target=_send_body, args=(connection, size, framing), daemon=True)
            sender.start()
            answer = connection.recv(65536)
            sender.join(20)
        time.sleep(0.5)
        memory = served.worker_memory_kib()

    Written.text.append(answer.decode("latin-1"))
    assert answer.startswith(b"HTTP/1.1 " + status), answer
    assert memory["VmHWM"] - before < 16 * 1024, (before, memory)


def _send_body(connection: socket.socket, size: int, framing: str) -> None:
    piece = b" " * (1024 * 1024)
    if framing == "chunked":
        piece = b"%x\r\n%s\r\n" % (len(piece), piece)
    try:
        for _ in range(size // (1024 * 1024)):
            connection.sendall(piece)
        if framing == "chunked":
            connection.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection: the body was not wanted


# --- what gunicorn answers itself -----------------------------------------------------------------
# gunicorn refuses a request it cannot frame before the function runs, with its own small HTML page
# (README, Security: why this is left as it is). These hold what that page may and may not be.

BODY = b'{"lead_id": "4876876000000100001"}'
SECRET_HEADER = b"X-Webhook-Secret: " + WEBHOOK_SECRET.encode() + b"\r\n"
MALFORMED = {
    "negative length": b"Content-Length: -1\r\n" + SECRET_HEADER,
    "length and chunked": b"Content-Length: 34\r\nTransfer-Encoding: chunked\r\n" + SECRET_HEADER,
    "two lengths": b"Content-Length: 34\r\nContent-Length: 35\r\n" + SECRET_HEADER,
    "a 9,000-byte header": b"X-Big: <script>" + b"a" * 9000 + b"\r\nContent-Length: 34\r\n" + SECRET_HEADER,
    "a header name with markup": b"X-<script>: 1\r\nContent-Length: 34\r\n" + SECRET_HEADER,
}


@pytest.mark.parametrize("headers", MALFORMED.values(), ids=MALFORMED.keys())
def test_gunicorn_refuses_a_malformed_request_before_the_function_without_echoing_it(
    function_env, emulator, headers
):
    with ServedFunction(threads=2) as served:
        answer = served.raw(b"POST / HTTP/1.1\r\nHost: function\r\n" + headers + b"\r\n" + BODY)
        lines = served.log_lines()

    head, _, page = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0]
    assert status in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 431 Request Header Fields Too Large")
    assert b"Connection: close" in head
    assert b"Content-Type: text/html" in head
    assert len(page) < 300
    assert b"<script>" not in page  # what it quotes of the request is escaped
    assert WEBHOOK_SECRET.encode() not in answer
    assert lines == []  # the function never ran
    assert emulator.journal == []
