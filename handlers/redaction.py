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

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_runs: frozenset[str] = frozenset()  # every PARTIAL-character substring of a registered secret


def register(*values: str | None) -> None:
    global _secrets, _runs
    fresh = {spelling for value in values if value for spelling in _spellings(value)}
    if fresh <= _secrets:
        return
    with _lock:
        _secrets = _secrets | fresh
        _runs = _runs | {s[i : i + PARTIAL] for s in fresh for i in range(len(s) - PARTIAL + 1)}


def redact(text: str) -> str:
    for secret in sorted((s for s in _secrets if s in text), key=len, reverse=True):
        text = text.replace(secret, PLACEHOLDER)
    runs = _runs
    if not runs or len(text) < PARTIAL:
        return text
    covered = [False] * len(text)
    found = False
    for start in range(len(text) - PARTIAL + 1):
        if text[start : start + PARTIAL] in runs:
            covered[start : start + PARTIAL] = [True] * PARTIAL
            found = True
    if not found:
        return text
    parts: list[str] = []
    for position, character in enumerate(text):
        if not covered[position]:
            parts.append(character)
        elif position == 0 or not covered[position - 1]:
            parts.append(PLACEHOLDER)
    return "".join(parts)


def _spellings(value: str) -> set[str]:
    """The value as is and as it appears inside JSON strings (escaped, ASCII-only or not)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
