"""ZohoEmulator: a stateful Zoho CRM (accounts server and API domain) on a local port."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from . import credits, scopes
from .activity_endpoints import ActivityEndpoints
from .automation import Automation
from .automation_endpoints import AutomationEndpoints
from .bulk_endpoints import BulkEndpoints
from .clock import Clock
from .control import ControlEndpoints
from .crm import CrmStore
from .faults import Faults
from .gateway import TOKEN_PATH, Gateway
from .journal import Journal, JournalEntry
from .lead_endpoints import LeadEndpoints
from .mass_convert import MassConvertJobs
from .metadata_endpoints import MetadataEndpoints
from .notes_endpoints import NotesEndpoints
from .permissions import ProfilePermissions
from .router import Router
from .seed import apply_seed
from .server import EmulatorHTTPServer
from .tokens import Credentials, TokenAuthority


class ZohoEmulator:
    """Serves Zoho's token endpoint and CRM API from one base URL, on background threads.

    `crm` is the state, `faults` the fault injection, `journal` what clients sent, `clock` the
    org's time (the real time until moved), `automation` the webhooks and workflow rules and
    the deliveries of the rules that fired (zoho-crm-api.md §15).

    `automation=True` grants the refresh token `scopes.AUTOMATION_GRANT` besides `DEFAULT_GRANT`
    (what `reset()` goes back to): the scopes of the setup commands that create, change and
    delete webhooks and rules. Without it the token only reads webhooks and their failures, as
    the README's self-client scopes do.
    """

    def __init__(
        self,
        credentials: Credentials,
        seed: str | None = None,
        latency: float = 0.0,
        concurrency_limit: int | None = None,
        verbose: bool = False,
        automation: bool = False,
    ) -> None:
        self.credentials = credentials
        self.seed = seed
        self.verbose = verbose
        self.clock = Clock()  # the org's time: moved by clock.advance() or clock_offset_seconds
        self.crm = CrmStore(self.clock)
        self.automation = Automation(self.clock)
        self.crm.on_lead_saved(self.automation.lead_saved)  # workflow rules run on lead saves
        self._automation_grant = automation
        self._tokens = TokenAuthority(credentials)
        self._permissions = ProfilePermissions()
        self.faults = Faults(self._tokens, clock=self.clock)
        self._initial_latency = latency
        self._initial_concurrency_limit = concurrency_limit
        self._journal = Journal()
        self._stopping = threading.Event()
        self._jobs = MassConvertJobs(self.crm, self.faults, self._stopping)
        self._server: EmulatorHTTPServer | None = None
        self._url: str | None = None
        self.reset()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; port 0 picks a free port. Returns the base URL."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        router = Router(
            self._tokens,
            [
                *LeadEndpoints(self.crm, self.faults).routes(),
                *NotesEndpoints(self.crm, self.faults).routes(),
                *ActivityEndpoints(self.crm, self.faults).routes(),
                *MetadataEndpoints(self.crm, self.faults).routes(),
                *BulkEndpoints(self.crm, self._jobs, self.faults).routes(),
                *AutomationEndpoints(self.crm, self.automation).routes(),
            ],
            self._permissions,
        )
        gateway = Gateway(
            router=router,
            tokens=self._tokens,
            faults=self.faults,
            journal=self._journal,
            control=ControlEndpoints(self),
            delete_leads=self.crm.delete_leads,
            base_url=lambda: self.url,
            stopping=self._stopping,
        )
        self._stopping.clear()
        self._server = EmulatorHTTPServer(
            (host, port), gateway, verbose=self.verbose, stopping=self._stopping
        )
        self._url = self._server.start("zoho-emulator")
        return self._url

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes requests sleeping in latency or hang faults
        self._server.stop()
        self._server = None
        self.automation.stop()  # the webhook worker; queued deliveries are dropped

    def __enter__(self) -> ZohoEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of both the accounts server and the API domain."""
        if self._url is None:
            raise RuntimeError("the emulator has not been started")
        return self._url

    def reset(self) -> None:
        """Back to the seeded state with the constructor's faults and an empty journal (so an
        empty credit meter); the refresh token's scopes back to DEFAULT_GRANT (extra refresh
        tokens forgotten), the token throttle's window emptied, every profile permission granted
        again, every page token expired and the clock back to the real time. The store's clear
        forgets lead wait states, field lengths and changes to users; webhooks, workflow rules,
        deliveries and webhook failures are forgotten (queued deliveries dropped).

        Access tokens already issued stay valid, so a running client is not logged out.
        """
        self._tokens.reset_grants()
        if self._automation_grant:
            self._tokens.grant_scopes(scopes.DEFAULT_GRANT | scopes.AUTOMATION_GRANT)
        self._tokens.clear_throttle()
        self._permissions.reset()
        self._jobs.clear()
        self.automation.clear()  # before the seed: no rule runs on the seeded leads
        self.faults.expire_page_tokens()
        self.clock.reset()  # before the seed, which dates its leads a day before now
        self.crm.clear()
        apply_seed(self.crm, self.seed)
        self.faults.clear()
        self.faults.latency = self._initial_latency
        self.faults.concurrency_limit = self._initial_concurrency_limit
        self._journal.clear()

    # --- scopes (zoho-crm-api.md §13.7) -----------------------------------------------------

    def grant_scopes(self, scopes: Iterable[str], refresh_token: str | None = None) -> None:
        """Grant `scopes` to the refresh token (or to another refresh token of the client, which
        is then accepted by the token endpoint too); calls its access tokens make outside them
        answer 401 OAUTH_SCOPE_MISMATCH."""
        self._tokens.grant_scopes(scopes, refresh_token)

    def granted_scopes(self, refresh_token: str | None = None) -> frozenset[str]:
        return self._tokens.granted_scopes(refresh_token)

    # --- profile permissions of the token's user (zoho-crm-api.md §14.8) -----------------------

    @property
    def permissions(self) -> frozenset[str]:
        """The permissions the token's user's profile has (every known one by default: Convert
        Leads, Mass Convert Leads, Manage Workflow)."""
        return self._permissions.granted()

    def revoke_permissions(self, *names: str) -> None:
        """Take permissions (`permissions.CONVERT_LEADS`, `permissions.MASS_CONVERT_LEADS`,
        `permissions.MANAGE_WORKFLOW`) from the profile: the calls that need one answer 403
        NO_PERMISSION. ValueError for an unknown name (nothing changes)."""
        self._permissions.revoke(*names)

    def grant_permissions(self, *names: str) -> None:
        self._permissions.grant(*names)

    def update_permissions(self, grant: Iterable[str] = (), revoke: Iterable[str] = ()) -> None:
        """Grant and revoke in one step, all or nothing."""
        self._permissions.update(grant, revoke)

    # --- journal ---------------------------------------------------------------------------

    @property
    def journal(self) -> list[JournalEntry]:
        return self._journal.entries()

    def requests(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Journal entries filtered by method and by a regex searched in the path."""
        return self._journal.entries(method, path)

    @property
    def token_requests(self) -> int:
        """POST /oauth/v2/token calls received since the journal was last cleared."""
        return len(self._journal.entries("POST", f"^{TOKEN_PATH}$"))

    def clear_journal(self) -> None:
        self._journal.clear()

    # --- the credit meter (zoho-crm-api.md §14.7) -------------------------------------------------

    def credits(self) -> dict[str, Any]:
        """The CRM credits the calls since the last reset or journal clear cost (credits.py):
        `{"total", "calls", "endpoints": {"POST Leads/{id}/actions/convert": {"calls",
        "credits"}, ...}}`, endpoints in the order first called, the token endpoint at 0."""
        return credits.summary([(entry.endpoint, entry.credits) for entry in self._journal.entries()])
