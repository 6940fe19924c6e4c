"""Which OAuth scope each call the product makes needs (handlers/zoho/scopes.py)."""

from __future__ import annotations

import pytest

from handlers.zoho.scopes import CALLS, CONVERT, LEAD_READ, scope_for


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", "/Leads/4876876000000100001", LEAD_READ),
        ("POST", "/Leads/4876876000000100001/actions/convert", CONVERT),
        ("DELETE", "/Leads/4876876000000100001", None),
        ("GET", "/Leads/4876876000000100001/extra", None),
    ],
)
def test_a_call_is_found_by_method_and_whole_path(method: str, path: str, call: object) -> None:
    assert scope_for(method, path) is call


def test_every_call_names_a_scope_an_admin_can_type_and_what_it_is_for() -> None:
    for call in CALLS:
        assert call.scope.startswith("ZohoCRM."), call
        assert call.needed_for, call
