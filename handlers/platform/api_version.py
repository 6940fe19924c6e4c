"""What each Zoho CRM API version offers, decided once from ZOHO_API_VERSION.

The facts and their sources are in docs/zoho-api.md ("API versions"). Where a version's
behaviour is not documented, the stricter figure applies, so the function never depends on a
capability Zoho may lack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

API_VERSIONS = ("v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8")
_NUMBERS = {"v2": 2.0, "v2.1": 2.1, "v3": 3.0, "v4": 4.0, "v5": 5.0, "v6": 6.0, "v7": 7.0, "v8": 8.0}


@dataclass(frozen=True)
class ApiVersion:
    name: str

    def __post_init__(self) -> None:
        if self.name not in _NUMBERS:
            raise ValueError(f"unknown Zoho API version {self.name!r} (known: {', '.join(API_VERSIONS)})")

    @property
    def number(self) -> float:
        return _NUMBERS[self.name]

    @property
    def legacy_shapes(self) -> bool:
        """v2 and v2.1 take and answer plain id strings where v3 and later use {"id": ...} objects."""
        return self.number < 3

    @property
    def mass_convert(self) -> bool:
        """Mass Convert and its status exist from v4 (v3 is unverified, so it counts as absent)."""
        return self.number >= 4

    @property
    def conversion_options(self) -> bool:
        """`__conversion_options` (existing contacts and accounts to link) exists from v5."""
        return self.number >= 5

    @property
    def coql_page_size(self) -> int:
        """COQL's largest LIMIT: 2,000 on v7 and v8, 200 documented for v2 and assumed in between."""
        return 2000 if self.number >= 7 else 200

    def needs(self, capability: Literal["mass_convert", "conversion_options"]) -> str:
        """The sentence explaining that this version lacks a capability (for errors and check-rules)."""
        first = {"mass_convert": "v4", "conversion_options": "v5"}[capability]
        return f"needs Zoho API {first} or later (ZOHO_API_VERSION is {self.name})"
