"""The journal: every request the emulated Zoho received, so tests assert on what was sent."""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from .protocol import Headers, Request


@dataclass
class JournalEntry:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    json: Any
    form: dict[str, list[str]] | None
    started: float  # time.time() when the request was read
    status: int | None = None  # None while in flight; 0 when the connection was reset
    duration_ms: float | None = None
    # The credit meter (zoho-crm-api.md §14.7, credits.py): the endpoint and what the call cost.
    endpoint: str = ""
    credits: int = 0

    @classmethod
    def of(cls, request: Request, started: float, endpoint: str = "", credits: int = 0) -> JournalEntry:
        content_type = request.headers.get("Content-Type", "")
        form = None
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return cls(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            body=request.body,
            json=request.json(),
            form=form,
            started=started,
            endpoint=endpoint,
            credits=credits,
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly view for the control endpoint (the body as text)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "body": self.body.decode("utf-8", "replace"),
            "json": self.json,
            "form": self.form,
            "status": self.status,
            "started": self.started,
            "duration_ms": self.duration_ms,
            "endpoint": self.endpoint,
            "credits": self.credits,
        }


class Journal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def finish(self, entry: JournalEntry, status: int, duration_ms: float) -> None:
        with self._lock:
            entry.status = status
            entry.duration_ms = duration_ms

    def entries(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Copies of the entries in arrival order, optionally filtered (path is a regex)."""
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            return [
                dataclasses.replace(entry)
                for entry in self._entries
                if (method is None or entry.method == method.upper())
                and (pattern is None or pattern.search(entry.path))
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
