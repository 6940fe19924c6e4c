"""What one function instance keeps between requests.

The rules are loaded when the instance starts (a broken file stops the start-up with a precise
message). Settings, secrets and the Zoho client are built on first use, so a missing setting
answers each request with a clear `misconfigured` error instead of crashing the instance, and is
picked up as soon as it is fixed.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.engine.conversion import Converter, utc_now
from handlers.engine.rules import RuleSet, load_rules
from handlers.platform import log
from handlers.platform.credentials import Credentials, OAuthCredentials
from handlers.platform.secret_manager import SecretManager
from handlers.platform.settings import (
    RULES_FILE,
    ZOHO_REFRESH_TOKEN,
    ZOHO_SETUP_REFRESH_TOKEN,
    Settings,
    env_text,
)

if TYPE_CHECKING:
    from handlers.checks.preflight import OrgCheck
    from handlers.sweep.failed_deliveries import FailedDeliveries
    from handlers.sweep.options import SweepOptions
    from handlers.sweep.run import Progress, SweepSummary
    from handlers.zoho.access_token import TokenStore
    from handlers.zoho.client import ZohoClient


class Runtime:
    def __init__(
        self,
        rules: RuleSet,
        env: Mapping[str, str] = os.environ,
        token_directory: Path | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ):
        """`token_directory`: keep the access token in a file there (the command line's cache)
        when no shared Secret Manager cache is configured. `clock`: the time the converter and
        the sweep go by (a benchmark or a test moves it; deployed, the real time)."""
        self.rules = rules
        self.clock = clock
        log.describe_rules(rules.version)
        self._env = env
        self._token_directory = token_directory
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._credentials: Credentials | None = None
        self._manager: SecretManager | None = None
        self._converter: Converter | None = None
        self._org_check: OrgCheck | None = None
        self._failed_deliveries: FailedDeliveries | None = None

    @classmethod
    def start(
        cls,
        default_rules: Path,
        env: Mapping[str, str] = os.environ,
        token_directory: Path | None = None,
        relative_to: Path | None = None,
    ) -> Runtime:
        """Load the rules file named by RULES_FILE, or the default. A relative RULES_FILE is taken
        from `relative_to`: the source folder for the deployed function (where Terraform puts the
        file), the current folder for the command line (as its FILE arguments are)."""
        configured = env_text(env, RULES_FILE)
        path = (relative_to or default_rules.parent) / configured if configured else default_rules
        return cls(load_rules(path), env, token_directory)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env(self._env)
        return self._settings

    def credentials(self) -> Credentials:
        with self._lock:
            if self._credentials is None:
                settings = self.settings()
                self._credentials = Credentials(
                    self._env, self._secret_manager(), settings.secret_cache_seconds
                )
            return self._credentials

    def converter(self) -> Converter:
        if self._converter is not None:
            return self._converter
        credentials = self.credentials()
        with self._lock:
            if self._converter is None:
                settings = self.settings()
                client = self._client(credentials.oauth, self._token_store(settings, credentials))
                self._converter = Converter(
                    self.rules,
                    client,
                    failure_note=settings.failure_note,
                    clock=self.clock,
                    describe_rule=lambda name: self.org_check().describe_rule(name),
                )
            return self._converter

    def setup_client(self) -> ZohoClient:
        """A client for the setup commands (connect, verify, disconnect): the configured client
        with ZOHO_SETUP_REFRESH_TOKEN when set (an admin's token with the setup scopes), else the
        function's own refresh token. Its access token is kept only in the command line's file,
        never in the deployed functions' shared cache."""
        credentials = self.credentials()
        setup_token = env_text(self._env, ZOHO_SETUP_REFRESH_TOKEN)

        def oauth() -> OAuthCredentials:
            own = credentials.oauth()
            return replace(own, refresh_token=setup_token) if setup_token else own

        store = None
        if self._token_directory is not None:
            from handlers.zoho.access_token import grant_fingerprint
            from handlers.zoho.token_stores import FileTokenStore

            settings = self.settings()
            store = FileTokenStore.open(
                self._token_directory,
                lambda: (oauth().client_id, settings.accounts_url),
                lambda: grant_fingerprint(oauth().refresh_token),
            )
        return self._client(oauth, store)

    def _client(self, oauth: Callable[[], OAuthCredentials], store: TokenStore | None) -> ZohoClient:
        from handlers.zoho.client import ZohoClient, ZohoConfig  # imports requests: first use only

        settings = self.settings()
        return ZohoClient(
            ZohoConfig(
                accounts_url=settings.accounts_url,
                api_version=settings.api_version,
                api_domain=settings.api_domain,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                retry_seconds=settings.retry_seconds,
                token_cooldown_seconds=settings.token_cooldown_seconds,
                pool_size=max(settings.request_threads, settings.reconcile_concurrency + 1),
                trusted_api_domains=settings.trusted_api_domains,
            ),
            credentials=oauth,
            token_store=store,
        )

    def org_check(self) -> OrgCheck:
        """The rules held against the org (metadata cached for an hour), built on first use: a
        webhook instance loads the preflight only when a refusal needs it explained."""
        converter = self.converter()
        with self._lock:
            if self._org_check is None:
                from handlers.checks.preflight import OrgCheck

                trusted = self.settings().trusted_api_domains
                self._org_check = OrgCheck(self.rules, converter.zoho, trusted)
            return self._org_check

    def sweep(self, options: SweepOptions, progress: Progress | None = None) -> SweepSummary:
        """One sweep with these options, the rules held against the org first (cached for an hour
        per instance), on the converter's clock (the runtime's)."""
        from handlers.sweep.run import SweepRun  # the sweep's modules load only where a sweep runs

        converter = self.converter()
        run = SweepRun(
            converter,
            options,
            org_check=self.org_check(),
            failed_deliveries=self.failed_deliveries(),
            progress=progress,
            clock=self.clock,
        )
        return run.run()

    def failed_deliveries(self) -> FailedDeliveries:
        """The reader of the webhook's failed deliveries, one per instance (it reads at most hourly)."""
        from handlers.sweep.failed_deliveries import FailedDeliveries

        converter = self.converter()
        with self._lock:
            if self._failed_deliveries is None:
                name = self.settings().webhook_name
                self._failed_deliveries = FailedDeliveries(converter.zoho, name, clock=self.clock)
            return self._failed_deliveries

    def _token_store(self, settings: Settings, credentials: Credentials) -> TokenStore | None:
        """Where the access token is kept beyond this instance: the shared Secret Manager cache,
        else the command line's file (its directory checked now: a command refuses to start on
        an unsafe one). Either hands out only tokens of the configured refresh token's grant."""
        from handlers.zoho.access_token import grant_fingerprint
        from handlers.zoho.token_stores import FileTokenStore, SecretManagerTokenStore

        def grant() -> str:
            (refresh_token,) = credentials.values(ZOHO_REFRESH_TOKEN)
            return grant_fingerprint(refresh_token)

        if settings.access_token_secret:
            return SecretManagerTokenStore(
                self._secret_manager(), settings.access_token_secret, grant, settings.prunes_access_tokens
            )
        if self._token_directory is not None:
            return FileTokenStore.open(
                self._token_directory, lambda: (credentials.oauth().client_id, settings.accounts_url), grant
            )
        return None

    def _secret_manager(self) -> SecretManager:
        """One Secret Manager client per instance (callers hold the lock)."""
        if self._manager is None:
            self._manager = SecretManager(self.settings().secret_manager_endpoint)
        return self._manager
