"""Where the access token is kept beyond one process, in one record format (`token_record`).

`SecretManagerTokenStore` is the deployed functions' cache: the token every instance shares,
as the latest version of one secret, with refresh claims kept as versions of a second one.
`FileTokenStore` is the command line's: every run of the CLI is a new process; without a cache
each one would ask Zoho for a token, and ten runs in ten minutes trip Zoho's token throttle
(docs/zoho-api.md, "OAuth and data centres") for the deployed function too, since it shares the
refresh token. Either holds the access token, its expiry, API domain and grant
(handlers.zoho.access_token.grant_fingerprint), never the refresh token; a token of another
grant is a miss.

The file is keyed by client id and accounts server, so two orgs never share one. Its directory
must be the user's own and writable by nobody else, or the command refuses to run: in a
directory others can write, they could swap the file or plant one. No symbolic link is
followed, neither the directory nor the file; every operation goes through a descriptor of the
directory checked just before. The file is written under a fresh random name, created with
O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, then renamed into place; a file readable by others, not
the user's, or not a regular file is ignored (and replaced on the next save).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from handlers import redaction
from handlers.errors import Misconfigured, SecretUnavailable
from handlers.platform import log
from handlers.platform.secret_manager import SecretManager, StoredVersion, version_number
from handlers.zoho.access_token import AccessToken, TokenStoreProblem

APP_DIRECTORY = "zoho-lead-converter"
CACHE_HOME = "XDG_CACHE_HOME"
MAX_FILE_BYTES = 64 * 1024  # a record is about 200 bytes


def default_directory(env: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/zoho-lead-converter`, else `~/.cache/zoho-lead-converter`."""
    environ = os.environ if env is None else env
    base = environ.get(CACHE_HOME, "").strip()
    return (Path(base) if base else Path.home() / ".cache") / APP_DIRECTORY


class FileTokenStore:
    def __init__(self, directory: Path, identity: Callable[[], tuple[str, str]], grant: Callable[[], str]):
        """`identity`: the client id and accounts server the token belongs to; `grant`: the
        configured refresh token's fingerprint (both read when needed). Use `open`, which
        checks the directory first."""
        self._directory = directory
        self._identity = identity
        self._grant = grant

    @classmethod
    def open(
        cls, directory: Path, identity: Callable[[], tuple[str, str]], grant: Callable[[], str]
    ) -> FileTokenStore:
        """The store, once its directory exists and is private (Misconfigured naming it otherwise)."""
        store = cls(directory, identity, grant)
        with store._opened_directory():
            pass
        return store

    def grant(self) -> str:
        return self._grant()

    def describe(self) -> str:
        return f"the cached access token in {self.path()}"

    def path(self) -> Path:
        return self._directory / self._name()

    def load(self) -> AccessToken | None:
        name = self._name()
        where = self._directory / name
        with self._opened_directory() as directory:
            try:
                descriptor = os.open(
                    name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=directory
                )
            except FileNotFoundError:
                return None
            except OSError as error:
                if error.errno == errno.ELOOP:
                    raise TokenStoreProblem(f"ignored {where}: a symbolic link, never followed") from None
                raise TokenStoreProblem(f"ignored {where} ({error.__class__.__name__})") from None
            with os.fdopen(descriptor, "rb") as file:
                problem = _file_problem(os.fstat(file.fileno()))
                if problem is not None:
                    raise TokenStoreProblem(f"ignored {where}: {problem}")
                data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise TokenStoreProblem(f"ignored {where}: larger than a token record")
        return token_from_record(data.decode("utf-8", "replace"), f"the cached access token in {where}")

    def save(self, token: AccessToken) -> None:
        name = self._name()
        data = token_record(token).encode("utf-8")
        partial = f".{name}.{secrets.token_hex(8)}.tmp"
        with self._opened_directory() as directory:
            try:
                descriptor = os.open(
                    partial,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o600,
                    dir_fd=directory,
                )
                with os.fdopen(descriptor, "wb") as file:
                    os.fchmod(file.fileno(), 0o600)  # whatever the umask
                    file.write(data)
                os.rename(partial, name, src_dir_fd=directory, dst_dir_fd=directory)
            except OSError as error:
                with contextlib.suppress(OSError):
                    os.unlink(partial, dir_fd=directory)
                kind = error.__class__.__name__
                where = self._directory / name
                raise TokenStoreProblem(f"could not keep the access token in {where} ({kind})") from None

    def claim_refresh(self, seconds: float) -> float | None:
        """Always this process's turn: one person's runs follow each other."""
        return None

    def release_claim(self) -> None:
        pass

    def warn(self, message: str) -> None:
        """On stderr: only the command line uses this store, and its stdout carries JSON."""
        print(f"warning: {redaction.redact(message)}", file=sys.stderr)

    def _name(self) -> str:
        client_id, accounts_url = self._identity()
        key = hashlib.sha256(f"{client_id}\n{accounts_url}".encode()).hexdigest()[:32]
        return f"token-{key}.json"

    @contextlib.contextmanager
    def _opened_directory(self) -> Iterator[int]:
        """A descriptor of the directory (created 0700 if missing), once it is known to be a real
        directory of this user that no one else can write; Misconfigured naming it otherwise."""
        directory = self._directory
        try:
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(directory, 0o700)
            descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR) and directory.is_symlink():
                raise _refused(directory, "it is a symbolic link, which is never followed") from None
            if error.errno == errno.ENOTDIR:
                raise _refused(directory, "it is not a directory") from None
            reason = error.strerror or error.__class__.__name__
            raise _refused(directory, f"it cannot be used ({reason})") from None
        try:
            info = os.fstat(descriptor)
            if info.st_uid != os.geteuid():
                raise _refused(directory, f"it belongs to another user (uid {info.st_uid})")
            if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise _refused(
                    directory,
                    f"other users can write to it (mode {stat.S_IMODE(info.st_mode):04o});"
                    f" make it yours alone (chmod 700 {directory})",
                )
            yield descriptor
        finally:
            os.close(descriptor)


def _file_problem(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_uid != os.geteuid():
        return f"it belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return "readable by other users (it must be mode 0600)"
    return None


def _refused(directory: Path, problem: str) -> Misconfigured:
    return Misconfigured(
        f"refusing the access-token directory {directory}: {problem}; or set {CACHE_HOME} to a"
        " directory of your own",
        CACHE_HOME,
    )


class SecretManagerTokenStore:
    """The token every instance shares: the latest version of one secret (`secret_name`), with
    refresh claims kept as versions of a second, data-less one (`claims_secret(secret_name)`).

    Only the pruner (`prunes`, ZOHO_ACCESS_TOKEN_PRUNE: the sweep, which Cloud Scheduler alone may
    call) destroys superseded token versions, so the internet-facing webhook needs nothing on the
    token's secret beyond adding and reading versions.
    """

    def __init__(
        self, manager: SecretManager, secret_name: str, grant: Callable[[], str], prunes: bool = False
    ):
        """`grant`: the fingerprint of the configured refresh token (read when needed)."""
        self._manager = manager
        self._secret = secret_name.rstrip("/")
        self._claims = claims_secret(self._secret)
        self._grant = grant
        self._prunes = prunes
        self._pruned_below = 0  # versions under this number were pruned by this process
        self._claim: str | None = None  # the claim version this process added, to give it back

    def grant(self) -> str:
        return self._grant()

    def describe(self) -> str:
        return "the shared access token"

    def load(self) -> AccessToken | None:
        try:
            version = self._manager.access(f"{self._secret}/versions/latest")
        except Misconfigured:
            return None  # no version yet (first refresh), or not readable: refresh instead
        except SecretUnavailable as error:
            raise TokenStoreProblem(f"shared access token unreadable ({error.__class__.__name__})") from None
        token = token_from_record(version.value, self.describe())
        self._prune_below(version_number(version.name))
        return token

    def save(self, token: AccessToken) -> None:
        try:
            version = self._manager.add_version(self._secret, token_record(token))
        except (Misconfigured, SecretUnavailable) as error:
            raise TokenStoreProblem(f"could not share the new access token: {error}") from None
        self._prune_below(version.number)

    def claim_refresh(self, seconds: float) -> float | None:
        """Claim the next refresh for `seconds`, or say when another instance's claim ends.

        Each claimant adds a version to the claims secret and lists the live ones: the lowest
        version number created within a lease of its own wins. Secret Manager numbers versions
        in order and stamps their creation with its own clock, so of instances racing for the
        claim exactly one wins whatever their clocks say; a loser destroys its version at once,
        and a crashed holder's claim lapses with its lease.
        """
        try:
            mine = self._manager.add_version(self._claims, "refresh claim")
            live = self._manager.live_versions(self._claims)
        except (Misconfigured, SecretUnavailable) as error:
            raise TokenStoreProblem(str(error)) from None
        current = [v for v in live if mine.created - seconds < v.created and v.number <= mine.number]
        holder = min(current, key=lambda v: v.number, default=mine)
        lapsed = [v for v in live if v.created <= mine.created - seconds]
        if holder.number == mine.number:
            self._claim = mine.name
            self._destroy_quietly(lapsed)
            return None
        self._destroy_quietly([mine, *lapsed])
        return time.time() + max(0.0, holder.created + seconds - mine.created)

    def release_claim(self) -> None:
        mine, self._claim = self._claim, None
        if mine is None:
            return
        try:
            self._manager.destroy(mine)
        except (Misconfigured, SecretUnavailable) as error:
            raise TokenStoreProblem(str(error)) from None

    def warn(self, message: str) -> None:
        log.write("WARNING", message, {"component": "token_cache"})

    def _prune_below(self, number: int) -> None:
        """As the pruner, destroy the token versions older than `number` (once per newer
        version seen): Secret Manager bills each version kept, one more an hour otherwise."""
        if not self._prunes or number <= self._pruned_below:
            return
        self._pruned_below = number
        try:
            older = [v for v in self._manager.live_versions(self._secret) if v.number < number]
            self._destroy(older)
        except (Misconfigured, SecretUnavailable) as error:
            self.warn(f"could not destroy the superseded versions of the shared access token: {error}")

    def _destroy(self, versions: list[StoredVersion]) -> None:
        for version in versions:
            self._manager.destroy(version.name)

    def _destroy_quietly(self, versions: list[StoredVersion]) -> None:
        """Claims that no longer count: left in place they only cost, so a failure is not worth a line."""
        with contextlib.suppress(Misconfigured, SecretUnavailable):
            self._destroy(versions)


def claims_secret(secret_name: str) -> str:
    """The secret whose versions are the refresh claims of the token cache `secret_name`."""
    return f"{secret_name}-claims"


def token_record(token: AccessToken) -> str:
    """How a store keeps a token: JSON with its expiry, API domain and grant, never a refresh token."""
    return json.dumps(
        {
            "access_token": token.value,
            "expires_at": token.expires_at,
            "api_domain": token.api_domain,
            "grant": token.grant,
        }
    )


def token_from_record(text: str, what: str) -> AccessToken:
    """The token a store's record holds; TokenStoreProblem ('ignored <what>: unreadable (...)')
    otherwise."""
    try:
        record = json.loads(text)
        value, grant, domain = record["access_token"], record.get("grant"), record.get("api_domain")
        if (
            not isinstance(value, str)
            or not isinstance(grant, str | None)
            or not isinstance(domain, str | None)
        ):
            raise TypeError("a field of the wrong type")
        token = AccessToken(value, float(record["expires_at"]), domain or None, grant)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise TokenStoreProblem(f"ignored {what}: unreadable ({error.__class__.__name__})") from None
    redaction.register(token.value)
    return token
