"""The access token shared by all instances, kept as the latest version of one Secret Manager secret.

Cloud Functions start many instances with separate memories; each refreshing its own token would
exhaust Zoho's 10 tokens per 10 minutes. With `ZOHO_ACCESS_TOKEN_SECRET` set, an instance first
reads the shared token and refreshes only when it is missing or about to expire; a new token is
added as a new version and the older versions are disabled. Which instance refreshes is settled
by a claim written into the secret's annotations (see `claim_refresh`).
"""

from __future__ import annotations

import json
import time

from handlers import logs, redaction
from handlers.secret_manager import SecretManager, SecretUnavailable
from handlers.settings import MisconfiguredError
from handlers.tokens import AccessToken

CLAIM_ANNOTATION = "refresh-claimed-until"  # epoch seconds until which one instance may refresh


class SecretManagerTokenStore:
    def __init__(self, manager: SecretManager, secret_name: str):
        self._manager = manager
        self._secret = secret_name.rstrip("/")

    def load(self) -> AccessToken | None:
        try:
            version = self._manager.access(f"{self._secret}/versions/latest")
            record = json.loads(version.value)
            token = AccessToken(
                str(record["access_token"]),
                float(record["expires_at"]),
                record.get("api_domain"),
            )
        except MisconfiguredError:
            return None  # no version yet (first refresh), or not readable: refresh instead
        except (SecretUnavailable, ValueError, KeyError, TypeError) as error:
            _warn(f"shared access token unreadable, refreshing instead ({error.__class__.__name__})")
            return None
        redaction.register(token.value)
        return token

    def save(self, token: AccessToken) -> None:
        record = {
            "access_token": token.value,
            "expires_at": token.expires_at,
            "api_domain": token.api_domain,
        }
        try:
            version = self._manager.add_version(self._secret, json.dumps(record))
            self._manager.retire_older_versions(self._secret, keep=version)
        except (MisconfiguredError, SecretUnavailable) as error:
            _warn(f"could not share the new access token: {error}")

    def claim_refresh(self, seconds: float) -> bool:
        """Claim the next refresh for `seconds`; False while another instance's claim runs.

        The claim is written only if the secret is unchanged since it was read (its etag), so of
        instances racing for it exactly one wins. When Secret Manager fails the answer is True:
        refreshing here beats waiting on a coordination mechanism that is down.
        """
        try:
            annotations, etag = self._manager.get_secret(self._secret)
            now = time.time()
            if _claimed_until(annotations) > now:
                return False
            claim = {**annotations, CLAIM_ANNOTATION: f"{now + seconds:.3f}"}
            return self._manager.update_annotations(self._secret, claim, etag)
        except (MisconfiguredError, SecretUnavailable) as error:
            _warn(f"could not claim the token refresh, refreshing anyway: {error}")
            return True


def _claimed_until(annotations: dict[str, str]) -> float:
    """The claim's end; an unreadable value counts as no claim, so it cannot block refreshes."""
    try:
        return float(annotations.get(CLAIM_ANNOTATION, "0"))
    except ValueError:
        return 0.0


def _warn(message: str) -> None:
    logs.write("WARNING", message, {"component": "token_store"})
