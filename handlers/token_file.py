"""The command line's access token, kept between runs in a file only its user can read.

Every run of the CLI is a new process; without a cache each one would ask Zoho for a token, and
ten runs in ten minutes trip Zoho's token throttle (docs/zoho-api.md, "OAuth and data centres")
for the deployed function too, since it shares the refresh token. The file holds the access
token, its expiry and API domain, never the refresh token; it is keyed by client id and accounts
server, so two orgs never share one; it is written atomically with mode 0600, and one readable by
others is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from handlers import redaction
from handlers.access_token import AccessToken

APP_DIRECTORY = "zoho-lead-converter"


def default_directory(env: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/zoho-lead-converter`, else `~/.cache/zoho-lead-converter`."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / APP_DIRECTORY


class FileTokenStore:
    def __init__(self, directory: Path, identity: Callable[[], tuple[str, str]]):
        """`identity`: the client id and accounts server the token belongs to (read when needed)."""
        self._directory = directory
        self._identity = identity

    def path(self) -> Path:
        client_id, accounts_url = self._identity()
        key = hashlib.sha256(f"{client_id}\n{accounts_url}".encode()).hexdigest()[:32]
        return self._directory / f"token-{key}.json"

    def load(self) -> AccessToken | None:
        path = self.path()
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                _warn(f"ignored {path}: readable by other users (it must be mode 0600)")
                return None
            record = json.loads(path.read_text(encoding="utf-8"))
            token = AccessToken(
                str(record["access_token"]), float(record["expires_at"]), record.get("api_domain")
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            _warn(f"ignored the cached access token in {path} ({error.__class__.__name__})")
            return None
        redaction.register(token.value)
        return token

    def save(self, token: AccessToken) -> None:
        path = self.path()
        record = {"access_token": token.value, "expires_at": token.expires_at, "api_domain": token.api_domain}
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(record, file)
            os.replace(partial, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                partial.unlink()
            _warn(f"could not keep the access token in {path} ({error.__class__.__name__})")

    def claim_refresh(self, seconds: float) -> bool:
        """Always this process's turn: one person's runs follow each other."""
        return True


def _warn(message: str) -> None:
    """On stderr: only the command line uses this store, and its stdout carries JSON."""
    print(f"warning: {redaction.redact(message)}", file=sys.stderr)
