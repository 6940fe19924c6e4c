"""Scrubbing of credentials from anything the function writes out (log lines, answers, notes, errors).

Every secret value the function learns (webhook secrets, OAuth credentials, access tokens) is
registered here; `redact` replaces each occurrence, and also every run of 12 or more characters
of a secret, so that a secret cut short (a truncated error detail, a partial echo from Zoho) is
scrubbed too. Secrets are also registered in their JSON-escaped spellings, since answers and log
lines are JSON. This is a last line of defence: the code never puts secrets into messages on purpose.
"""

from __future__ import annotations

import json
import threading

PLACEHOLDER = "[redacted]"
PARTIAL = 12  # runs of this many characters of a secret are scrubbed wherever they appear

_CHUNK = PARTIAL // 2  # every run of PARTIAL characters holds one of a secret's aligned chunks

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
    for secret in sorted((s for s in _secrets if s in text), key=len, reverse=True):
        text = text.replace(secret, PLACEHOLDER)
    spans = _partial_spans(text)
    if not spans:
        return text
    parts, position = [], 0
    for start, end in _merged(spans):
        parts += [text[position:start], PLACEHOLDER]
        position = end
    return "".join([*parts, text[position:]])


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
    """The value as is and as it appears inside JSON strings (escaped, ASCII-only or not)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
