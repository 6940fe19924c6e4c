"""What each Zoho API version has (handlers/platform/api_version.py), as docs/zoho-api.md says."""

from __future__ import annotations

import pytest

from handlers.platform.api_version import API_VERSIONS, ApiVersion

# name: (legacy shapes, Mass Convert, conversion options, COQL page size)
CAPABILITIES = {
    "v2": (True, False, False, 200),
    "v2.1": (True, False, False, 200),
    "v3": (False, False, False, 200),
    "v4": (False, True, False, 200),
    "v5": (False, True, True, 200),
    "v6": (False, True, True, 200),
    "v7": (False, True, True, 2000),
    "v8": (False, True, True, 2000),
}


def test_every_known_version_is_in_the_table() -> None:
    assert set(API_VERSIONS) == set(CAPABILITIES)


@pytest.mark.parametrize(("name", "expected"), CAPABILITIES.items())
def test_what_a_version_has(name: str, expected: tuple[bool, bool, bool, int]) -> None:
    version = ApiVersion(name)

    assert (
        version.legacy_shapes,
        version.mass_convert,
        version.conversion_options,
        version.coql_page_size,
    ) == expected


def test_an_unknown_version_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown Zoho API version 'v9' \(known: v2, v2.1, v3"):
        ApiVersion("v9")


def test_a_missing_capability_names_the_first_version_that_has_it() -> None:
    assert ApiVersion("v3").needs("mass_convert") == "needs Zoho API v4 or later (ZOHO_API_VERSION is v3)"
