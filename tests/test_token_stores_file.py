"""The command line's access-token file (handlers/zoho/token_stores.py): one token request for many runs,
a file only its user can read, in a directory only its user can write, never the refresh token,
never a token of another grant; no symbolic link followed."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import time

import pytest

from handlers.doors.cli import main
from handlers.zoho.access_token import AccessToken, grant_fingerprint
from handlers.zoho.token_stores import FileTokenStore
from tests.conftest import CREDENTIALS, ROOT, Written, mint_access_token

READ_ONLY_GRANT = "1000.rt-readonly-5e0c9a7d31b4"  # a second refresh token of the same client
UMASK_0_CLI = "import os, sys; os.umask(0); from handlers.doors.cli import main; sys.exit(main())"


@pytest.fixture
def cache_home(tmp_path, monkeypatch, function_env):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "zoho-lead-converter"


@pytest.fixture
def lead(emulator):
    return emulator.crm.add_lead(Last_Name="Doe", Company="Globex", Lead_Status="Contacted")


@pytest.fixture
def cli(cache_home):
    """The command line as a process, in this test's environment (XDG_CACHE_HOME included)."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "handlers", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        Written.text.append(done.stdout + done.stderr)
        return done

    return run


def grant(refresh_token: str = CREDENTIALS.refresh_token):
    return lambda: grant_fingerprint(refresh_token)


def file_name(emulator) -> str:
    """The token file's name for the test credentials and the emulator as accounts server."""
    key = hashlib.sha256(f"{CREDENTIALS.client_id}\n{emulator.url}".encode()).hexdigest()[:32]
    return f"token-{key}.json"


def minted(emulator, refresh_token: str = CREDENTIALS.refresh_token) -> dict[str, object]:
    """A live access token from the emulator's token endpoint, as a token file record."""
    return {
        "access_token": mint_access_token(emulator, refresh_token),
        "expires_at": time.time() + 3600,
        "api_domain": emulator.url,
        "grant": grant_fingerprint(refresh_token),
    }


def test_twenty_cli_runs_in_a_row_make_one_token_request(emulator, cache_home, lead, capsys):
    for _ in range(20):
        assert main(["explain", lead]) == 0

    assert emulator.token_requests == 1
    assert capsys.readouterr().out.count(f"Lead {lead}:") == 20


def test_the_file_is_private_and_holds_the_grant_but_no_refresh_token(emulator, cache_home, lead):
    main(["explain", lead])

    (path,) = cache_home.glob("token-*.json")
    record = json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert set(record) == {"access_token", "expires_at", "api_domain", "grant"}
    assert record["grant"] == grant_fingerprint(CREDENTIALS.refresh_token)
    assert CREDENTIALS.refresh_token not in path.read_text()
    assert CREDENTIALS.client_secret not in path.read_text()
    assert [entry.name for entry in cache_home.iterdir()] == [path.name]  # no temporary file left


def test_tokens_are_kept_apart_by_client_id_and_accounts_server(tmp_path):
    token = AccessToken(
        "1000.a1b2c3d4e5f6a7b8c9d0", time.time() + 3600, "https://www.zohoapis.com", grant()()
    )
    FileTokenStore.open(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.com"), grant()).save(token)

    assert (
        FileTokenStore.open(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.com"), grant()).load()
        == token
    )
    assert (
        FileTokenStore.open(tmp_path, lambda: ("1000.TWO", "https://accounts.zoho.com"), grant()).load()
        is None
    )
    assert (
        FileTokenStore.open(tmp_path, lambda: ("1000.ONE", "https://accounts.zoho.eu"), grant()).load()
        is None
    )


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

    assert f"warning: ignored the cached access token in {path}: unreadable (JSONDecodeError)" in (
        capsys.readouterr().err
    )
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
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SECRET_MANAGER_ENDPOINT", secret_manager.url)

    for _ in range(20):
        assert main(["--project", "acme-crm", "explain", lead]) == 0

    assert emulator.token_requests == 1
    (shared, *_) = [
        v for v in secret_manager.versions(f"{deployed}-zoho-access-token") if v.state == "ENABLED"
    ]
    assert json.loads(shared.value)["grant"] == grant_fingerprint(CREDENTIALS.refresh_token)
    assert not list(cache_home.glob("token-*.json"))  # the shared cache, not a local file


# --- the file trusts nothing around it ----------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777, 0o720])
def test_a_directory_others_can_write_is_refused_in_one_line(emulator, cache_home, lead, cli, mode):
    cache_home.mkdir()
    cache_home.chmod(mode)

    done = cli("explain", lead)

    assert done.returncode == 2
    assert done.stderr == (
        f"misconfigured: refusing the access-token directory {cache_home}: other users can write to"
        f" it (mode {mode:04o}); make it yours alone (chmod 700 {cache_home}); or set XDG_CACHE_HOME"
        " to a directory of your own\n"
    )
    assert emulator.token_requests == 0
    assert list(cache_home.iterdir()) == []


def test_the_attack_on_a_shared_directory_overwrites_nothing(emulator, cache_home, lead):
    """The replay: in a directory others can write, a symbolic link planted where the token is
    written (its temporary name was the file's name and the writer's process id) and a file
    planted 0666 where the token is kept. The command refuses the directory and touches neither."""
    cache_home.mkdir()
    cache_home.chmod(0o777)
    victim = cache_home.parent / "victim.txt"
    victim.write_text("the user's own file\n")
    planted = cache_home / file_name(emulator)
    planted.write_text("")
    planted.chmod(0o666)
    process = subprocess.Popen(
        [sys.executable, "-m", "handlers", "explain", lead],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    (cache_home / f"{planted.stem}.{process.pid}.tmp").symlink_to(victim)
    stdout, stderr = process.communicate(timeout=60)
    Written.text.append(stdout + stderr)

    assert process.returncode == 2, stderr
    assert "refusing the access-token directory" in stderr
    assert "Traceback" not in stderr
    assert victim.read_text() == "the user's own file\n"
    assert planted.read_text() == ""
    assert emulator.token_requests == 0


def test_a_directory_that_is_a_symbolic_link_is_refused(emulator, cache_home, lead, cli):
    elsewhere = cache_home.parent / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    cache_home.symlink_to(elsewhere)

    done = cli("explain", lead)

    assert done.returncode == 2
    assert done.stderr == (
        f"misconfigured: refusing the access-token directory {cache_home}: it is a symbolic link,"
        " which is never followed; or set XDG_CACHE_HOME to a directory of your own\n"
    )
    assert list(elsewhere.iterdir()) == []
    assert emulator.token_requests == 0


def test_a_token_file_that_is_a_symbolic_link_is_not_followed(emulator, cache_home, lead, cli):
    assert cli("explain", lead).returncode == 0
    path = cache_home / file_name(emulator)
    target = cache_home.parent / "planted.json"
    target.write_text(json.dumps(minted(emulator)))  # a live token, of the right grant even
    target.chmod(0o600)
    path.unlink()
    path.symlink_to(target)
    before = target.read_text()
    emulator.clear_journal()

    done = cli("explain", lead)

    assert done.returncode == 0, done.stderr
    assert f"warning: ignored {path}: a symbolic link, never followed; refreshing instead" in done.stderr
    assert emulator.token_requests == 1  # the planted token was not used
    assert target.read_text() == before  # nor its file written
    assert not path.is_symlink()
    assert stat.S_IMODE(path.lstat().st_mode) == 0o600


def test_the_file_is_created_0600_whatever_the_umask(emulator, cache_home, lead):
    done = subprocess.run(
        [sys.executable, "-c", UMASK_0_CLI, "explain", lead],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    Written.text.append(done.stdout + done.stderr)

    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((cache_home / file_name(emulator)).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700


def test_a_token_of_another_grant_is_not_used(emulator, cache_home, cli):
    """The replay: a run with a read-only refresh token of the same client once converted a lead
    with the token another grant had left in the file. Now it gets its own, which cannot."""
    lead = emulator.crm.add_lead(Last_Name="Doe", Company="Globex", Lead_Status="Qualified")
    emulator.grant_scopes(["ZohoCRM.modules.leads.READ"], refresh_token=READ_ONLY_GRANT)
    Written.secrets.add(READ_ONLY_GRANT)
    assert cli("explain", lead).returncode == 0  # the full grant's token is now in the file

    done = cli("convert", lead, ZOHO_REFRESH_TOKEN=READ_ONLY_GRANT)

    answer = json.loads(done.stdout)
    assert answer["outcome"] == "misconfigured", answer
    assert emulator.crm.conversions(lead) == 0
    forms = [entry.form for entry in emulator.requests("POST", r"/oauth/v2/token$")]
    assert [form["refresh_token"] for form in forms] == [[CREDENTIALS.refresh_token], [READ_ONLY_GRANT]]
    record = json.loads((cache_home / file_name(emulator)).read_text())
    assert record["grant"] == grant_fingerprint(READ_ONLY_GRANT)
