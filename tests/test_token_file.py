"""The command line's access-token file (handlers/token_file.py): one token request for many runs,
a file only its user can read, never the refresh token."""

from __future__ import annotations

import json
import stat
import time

import pytest

from handlers.access_token import AccessToken
from handlers.cli import main
from handlers.token_file import FileTokenStore
from tests.conftest import CREDENTIALS


@pytest.fixture
def cache_home(tmp_path, monkeypatch, function_env):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "zoho-lead-converter"


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Globex", Lead_Status="Contacted")


def test_twenty_cli_runs_in_a_row_make_one_token_request(emulator, cache_home, lead, capsys):
    for _ in range(20):
        assert main(["explain", lead]) == 0

    assert emulator.token_requests == 1
    assert capsys.readouterr().out.count(f"Lead {lead}:") == 20


def test_the_file_is_private_and_holds_no_refresh_token(emulator, cache_home, lead):
    main(["explain", lead])

    (path,) = cache_home.glob("token-*.json")
    record = json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert set(record) == {"access_token", "expires_at", "api_domain"}
    assert CREDENTIALS.refresh_token not in path.read_text()
    assert CREDENTIALS.client_secret not in path.read_text()


def test_tokens_are_kept_apart_by_client_id_and_accounts_server(tmp_path):
    token = AccessToken("1000.a1b2c3d4e5f6a7b8c9d0", time.time() + 3600, "https://www.zohoapis.com")
    FileTokenStore(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.com")).save(token)

    assert FileTokenStore(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.com")).load() == token
    assert FileTokenStore(tmp_path, lambda: ("1000.TWO", "https://accounts.zoho.com")).load() is None
    assert FileTokenStore(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.eu")).load() is None


def test_a_file_others_can_read_is_ignored_and_replaced(emulator, cache_home, lead, capsys):
    main(["explain", lead])
    (path,) = cache_home.glob("token-*.json")
    path.chmod(0o644)

    main(["explain", lead])

    assert emulator.token_requests == 2
    assert "readable by other users (it must be mode 0600)" in capsys.readouterr().err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_forged_file_pointing_elsewhere_is_not_used(emulator, cache_home, lead, capsys):
    main(["explain", lead])
    (path,) = cache_home.glob("token-*.json")
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "api_domain": "https://attacker.example"}))

    assert main(["explain", lead]) == 0

    assert emulator.token_requests == 2
    assert not [entry for entry in emulator.journal if "attacker" in entry.path]


def test_a_corrupt_file_is_ignored_with_a_warning(emulator, cache_home, lead, capsys):
    main(["explain", lead])
    (path,) = cache_home.glob("token-*.json")
    path.write_text("{not json")

    assert main(["explain", lead]) == 0

    assert "ignored the cached access token" in capsys.readouterr().err
    assert emulator.token_requests == 2


def test_with_project_the_cli_reads_the_deployed_credentials_and_shares_their_token(
    emulator, cache_home, lead, secret_manager, monkeypatch
):
    deployed = "projects/acme-crm/secrets/zoho-lead"
    for name, value in (
        ("zoho-client-id", CREDENTIALS.client_id),
        ("zoho-client-secret", CREDENTIALS.client_secret),
        ("zoho-refresh-token", CREDENTIALS.refresh_token),
    ):
        secret_manager.set(f"{deployed}-{name}", value)
    secret_manager.create(f"{deployed}-zoho-access-token")
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)

    for _ in range(20):
        assert main(["--project", "acme-crm", "explain", lead]) == 0

    assert emulator.token_requests == 1
    assert len(secret_manager.versions(f"{deployed}-zoho-access-token")) >= 1
    assert not list(cache_home.glob("token-*.json"))  # the shared cache, not a local file
