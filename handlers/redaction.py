"""Scrubbing of credentials from anything the function writes out (log lines, responses, errors).

Every secret value the function learns (webhook secrets, OAuth credentials, access tokens) is
registered here; `redact` replaces each occurrence. This is a last line of defence: the code
never puts secrets into messages on purpose.
"""

from __future__ import annotations

import threading

PLACEHOLDER = "[redacted]"
_MIN_LENGTH = 6  # shorter values would redact ordinary words; secrets are far longer

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()


def register(*values: str | None) -> None:
    global _secrets
    fresh = {value for value in values if value and len(value) >= _MIN_LENGTH}
    if fresh <= _secrets:
        return
    with _lock:
        _secrets = _secrets | fresh


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, PLACEHOLDER)
    return text
