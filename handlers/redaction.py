"""Scrubbing of credentials from anything the function writes out (log lines, answers, notes, errors).

Every secret value the function learns (webhook secrets, OAuth credentials, access tokens) is
registered here; `redact` replaces each occurrence, and also every run of 12 or more characters
of a secret, so that a secret cut short (a truncated error detail, a partial echo from Zoho) is
scrubbed too. Letters match whatever their case (an echo may upper-case what it repeats), and
secrets are also registered in their JSON-escaped and URL-encoded spellings, since answers and log
lines are JSON and a form body echoed back is URL-encoded. This is a last line of defence: the
code never puts secrets into messages on purpose.
"""

from __future__ import annotations

import io
import json
import string
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

PLACEHOLDER = "[redacted]"
PARTIAL = 12  # runs of this many characters of a secret are scrubbed wherever they appear

_CHUNK = PARTIAL // 2  # every run of PARTIAL characters holds one of a secret's aligned chunks
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # keeps every index in place

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_chunks: dict[str, tuple[tuple[str, int], ...]] = {}  # aligned chunk -> (secret, offset) it is from


def register(*values: str | None) -> None:
    global _secrets, _chunks
    if all(value in _secrets for value in values if value):
        return  # the common case: credentials registered again on every request
    fresh = {spelling for value in values if value for spelling in _spellings(value)}
    if fresh <= _secrets:
        return
    with _lock:
        chunks = dict(_chunks)
        for secret in fresh - _secrets:
            for offset in range(0, len(secret) - _CHUNK + 1, _CHUNK):
                piece = secret[offset : offset + _CHUNK]
                chunks[piece] = (*chunks.get(piece, ()), (secret, offset))
        _secrets, _chunks = _secrets | fresh, chunks


def redact(text: str) -> str:
    folded = text.translate(_FOLD)
    spans = [span for secret in _secrets if secret in folded for span in _occurrences(folded, secret)]
    spans += _partial_spans(folded)
    if not spans:
        return text
    parts, position = [], 0
    for start, end in _merged(spans):
        parts += [text[position:start], PLACEHOLDER]
        position = end
    return "".join([*parts, text[position:]])


def _occurrences(text: str, secret: str) -> list[tuple[int, int]]:
    spans, found = [], text.find(secret)
    while found != -1:
        spans.append((found, found + len(secret)))
        found = text.find(secret, found + 1)
    return spans


def _partial_spans(text: str) -> list[tuple[int, int]]:
    """Where a run of PARTIAL or more characters of a secret stands in the text.

    Such a run contains a whole chunk of the secret cut at a multiple of _CHUNK, so the text is
    searched for those chunks (a fast substring search each) and every hit extended both ways.
    """
    spans = []
    for piece, origins in _chunks.items():
        found = text.find(piece)
        while found != -1:
            for secret, offset in origins:
                before = _common_before(text, found, secret, offset)
                after = _common_after(text, found + _CHUNK, secret, offset + _CHUNK)
                if before + _CHUNK + after >= PARTIAL:
                    spans.append((found - before, found + _CHUNK + after))
            found = text.find(piece, found + 1)
    return spans


def _common_before(text: str, at: int, secret: str, offset: int) -> int:
    length = 0
    while length < offset and length < at and text[at - length - 1] == secret[offset - length - 1]:
        length += 1
    return length


def _common_after(text: str, at: int, secret: str, offset: int) -> int:
    length = 0
    while (
        offset + length < len(secret)
        and at + length < len(text)
        and text[at + length] == secret[offset + length]
    ):
        length += 1
    return length


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _spellings(value: str) -> set[str]:
    """The value as is, inside JSON strings (escaped, ASCII-only or not) and URL-encoded, each with
    its letters in lower case (texts are searched folded the same way)."""
    spellings = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
    }
    return {spelling.translate(_FOLD) for spelling in spellings}


class ScrubbedStream(io.TextIOBase):
    """A text stream whose every write is scrubbed, and written whatever it holds (a lone surrogate
    from a lead's field is escaped, not an error): the command line's stdout and stderr. Each write
    is scrubbed whole, so a secret is caught unless a single line is written in pieces."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True


@contextmanager
def scrubbed_output() -> Iterator[None]:
    """stdout and stderr scrubbed inside the block (the streams are put back after it)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ScrubbedStream(sys.stdout), ScrubbedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
