"""Secrets scrubbed from whatever leaves the process: whole, cut short, or JSON-escaped."""

from __future__ import annotations

import json

from handlers import redaction
from handlers.platform.credentials import OAuthCredentials
from handlers.platform.secret_manager import SecretVersion
from handlers.zoho.access_token import AccessToken

TOKEN = "1000.4f9d2c7b1e8a6035f2d4c9b7e1a83f06d5c2b9e4a7f1d8c3b6e0a9f2d5c8b1e4"


def test_a_registered_secret_is_replaced_wherever_it_appears():
    redaction.register(TOKEN)

    assert redaction.redact(f"token={TOKEN}; again {TOKEN}") == "token=[redacted]; again [redacted]"


def test_a_secret_cut_short_is_scrubbed_from_its_twelfth_character_on():
    redaction.register(TOKEN)
    cut = TOKEN[:48]

    scrubbed = redaction.redact(f"INVALID_TOKEN {cut}")

    assert scrubbed == "INVALID_TOKEN [redacted]"
    assert redaction.redact(f"x{TOKEN[20:40]}y") == "x[redacted]y"


def test_short_runs_and_other_text_are_left_alone():
    redaction.register(TOKEN)

    assert redaction.redact(f"id {TOKEN[:11]} is fine") == f"id {TOKEN[:11]} is fine"


def test_a_secret_is_found_in_its_json_escaped_spelling():
    secret = 'clé "secrète" ü-0a1b2c3d'
    redaction.register(secret)

    assert secret[:5] not in redaction.redact(json.dumps({"echo": secret}))
    assert redaction.redact(json.dumps({"echo": secret})) == '{"echo": "[redacted]"}'


def test_credential_objects_do_not_show_their_secrets():
    credentials = OAuthCredentials("1000.CLIENT", "client-secret-value-0a1b", "1000.refresh-value-0a1b2c")
    token = AccessToken(TOKEN, 0.0, "https://www.zohoapis.com")
    version = SecretVersion("projects/p/secrets/s/versions/1", "secret-value-0a1b2c3d")

    shown = repr(credentials) + repr(token) + repr(version)

    assert "client-secret-value" not in shown
    assert "refresh-value" not in shown
    assert TOKEN[:12] not in shown
    assert "secret-value-0a1b" not in shown
    assert "1000.CLIENT" in shown  # the client id is not a secret
