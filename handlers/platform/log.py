"""The log line: one JSON object per line on stdout (or the stream `logs_to` names), scrubbed.

Cloud Logging turns `severity`, `message` and the `logging.googleapis.com/*` keys of a JSON line
into the log entry's own fields; every other key lands in `jsonPayload`, where log-based metrics
and alerts count outcomes, and where `version` tells which release wrote the line. Every line is
scrubbed of every known secret (handlers.redaction) just before it leaves the process. No web
framework here: the Zoho client and the token stores write warnings through this module too.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from handlers import __version__
from handlers.redaction import redact

_write_lock = threading.Lock()
# Cloud Logging refuses an entry past 256 KB. The lines are bounded where they are built (the sweep's
# summary: handlers.sweep.run.SUMMARY_ITEMS); past this, whatever made one longer, the line keeps its
# small fields and says which it dropped, rather than being lost.
MAX_LINE_CHARS = 200_000
_KEPT_FIELD_CHARS = 1_000
_log_stream: list[TextIO] = []  # where log lines go instead of stdout (the command line: stderr)
_rules_version: list[str] = []  # the loaded rules file's version, once an instance has one


def describe_rules(version: str) -> None:
    """Every later log line names the rules file it was decided by (`rules_version`)."""
    _rules_version[:] = [version]


def write(severity: str, message: str, fields: Mapping[str, Any]) -> None:
    entry = {"severity": severity, "message": message, "version": __version__}
    entry.update({"rules_version": _rules_version[0]} if _rules_version else {}, **fields)
    # ASCII-only JSON: U+2028, U+2029 and lone surrogates become \u escapes, so each entry stays one
    # line of valid JSON for every reader (splitlines() splits on U+2028) and the write cannot fail.
    line = redact(json.dumps(entry, default=str, separators=(",", ":")))
    if len(line) > MAX_LINE_CHARS:  # ASCII-only: characters are bytes
        line = _shortened(entry, len(line))
    stream = _log_stream[-1] if _log_stream else sys.stdout
    with _write_lock:
        stream.write(line + "\n")
        stream.flush()


def _shortened(entry: Mapping[str, Any], chars: int) -> str:
    """The entry without its large fields (each kept one is at most _KEPT_FIELD_CHARS of JSON), its
    message cut, and `truncated` saying how long it was and what was dropped."""
    kept: dict[str, Any] = {}
    dropped = []
    for key, value in entry.items():
        if key == "message":
            kept[key] = redact(str(value))[:_KEPT_FIELD_CHARS]  # scrubbed before it is cut
        elif len(json.dumps(value, default=str)) <= _KEPT_FIELD_CHARS:
            kept[key] = value
        else:
            dropped.append(key)
    kept["truncated"] = {"chars": chars, "dropped": dropped}
    return redact(json.dumps(kept, default=str, separators=(",", ":")))


@contextmanager
def logs_to(stream: TextIO) -> Iterator[None]:
    """Log lines go to `stream` inside the block: the command line keeps stdout for its output
    (`--json` documents), and its log lines (a token cache warning, say) go to stderr."""
    _log_stream.append(stream)
    try:
        yield
    finally:
        _log_stream.remove(stream)
