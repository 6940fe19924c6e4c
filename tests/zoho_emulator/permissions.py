"""Profile permissions of the token's user (zoho-crm-api.md §14.8), and the 403 NO_PERMISSION a
call gets when the profile lacks one (§14.1, §14.2, §15.0).

Every call runs as the user who authorised the refresh token; the emulated user's profile grants
every known permission by default (the two conversion ones and Manage Workflow). A test revokes
one to see what an org whose integration user lacks it answers. The check comes after
authentication and the scope check (router.py), before the request itself is looked at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .protocol import ApiError, top_level_error

CONVERT_LEADS = "Crm_Implied_Convert_Leads"
MASS_CONVERT_LEADS = "Crm_Implied_Mass_Convert_Leads"
# zoho-crm-api.md §15.0: every webhook, workflow rule, webhook failure and workflow
# configuration call needs Manage Workflow (the sweep reads the webhook's failures with it).
MANAGE_WORKFLOW = "Crm_Implied_Manage_Workflow"
KNOWN = (CONVERT_LEADS, MASS_CONVERT_LEADS, MANAGE_WORKFLOW)
# zoho-crm-api.md §14.8: Mass Convert needs Convert Leads; without it a Mass Convert call is
# refused as if Mass Convert itself were missing (the 403 names the Mass Convert permission).
NEEDS = {MASS_CONVERT_LEADS: (CONVERT_LEADS,)}


class ProfilePermissions:
    """The permissions of the token's user's profile; all granted until revoked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._granted = set(KNOWN)

    def granted(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._granted)

    def grant(self, *names: str) -> None:
        self.update(grant=names)

    def revoke(self, *names: str) -> None:
        self.update(revoke=names)

    def update(self, grant: Iterable[str] = (), revoke: Iterable[str] = ()) -> None:
        """Grant and revoke in one step; all or nothing (ValueError for an unknown name or one
        named on both sides)."""
        grant, revoke = set(_known(grant)), set(_known(revoke))
        if both := grant & revoke:
            raise ValueError(f"granted and revoked at once: {sorted(both)}")
        with self._lock:
            self._granted = (self._granted | grant) - revoke

    def reset(self) -> None:
        with self._lock:
            self._granted = set(KNOWN)

    def check(self, required: Iterable[str]) -> None:
        """Raise NO_PERMISSION naming the first permission of `required` the user lacks, itself
        or through one it needs (zoho-crm-api.md §14.8)."""
        with self._lock:
            granted = set(self._granted)
        for name in required:
            if name not in granted or any(needed not in granted for needed in NEEDS.get(name, ())):
                raise no_permission(name)


def no_permission(name: str) -> ApiError:
    """zoho-crm-api.md §14.1 / §14.2: HTTP 403, a root object naming the permission; the
    message is the one DOC-v7 gives ("Permission denied to create"), for the status poll too;
    Manage Workflow's is §15.0's "permission denied"."""
    message = "permission denied" if name == MANAGE_WORKFLOW else "Permission denied to create"
    return top_level_error(403, "NO_PERMISSION", message, {"permissions": [name]})


def _known(names: Iterable[str]) -> list[str]:
    names = list(names)
    for name in names:
        if name not in KNOWN:
            raise ValueError(f"unknown permission {name!r}; known: {', '.join(KNOWN)}")
    return names
