"""Indexes the store keeps beside its records, so that one call costs the same at 100 records or
at 120,000: the records of each module COQL reads in numeric id order (keyset pages), records by
a field's value (conversion matches and unique-field checks), notes by parent.

They hold references to the store's live records; the store's lock guards them with the records.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterator
from typing import Any


class IdOrder:
    """Records kept sorted by their id as a number (Zoho's ids are digit strings)."""

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        """Ids are handed out in increasing order, so this is an append in practice."""
        key = int(record["id"])
        position = bisect.bisect_right(self._keys, key)
        self._keys.insert(position, key)
        self._records.insert(position, record)

    def remove(self, record: dict[str, Any]) -> None:
        """Forget a record (a deleted lead); a record it does not hold is ignored."""
        key = int(record["id"])
        position = bisect.bisect_left(self._keys, key)
        while position < len(self._keys) and self._keys[position] == key:
            if self._records[position] is record:
                del self._keys[position]
                del self._records[position]
                return
            position += 1

    def records(self, after: int | None = None, inclusive: bool = False) -> Iterator[dict[str, Any]]:
        """Records with an id above `after` (or equal when inclusive), lowest first: the
        store's own records, as COQL reads them (`coql.RecordSource`)."""
        records = self._records
        for position in range(self._start(after, inclusive), len(records)):
            yield records[position]

    def unconverted(self, after: int | None = None, inclusive: bool = False) -> Iterator[dict[str, Any]]:
        """Leads not yet converted with an id above `after` (or equal when inclusive), lowest
        first. (A loop of its own, not a filter over `records`: a sweep reads 100,000s.)"""
        records = self._records
        for position in range(self._start(after, inclusive), len(records)):
            if not records[position]["Converted__s"]:
                yield records[position]

    def _start(self, after: int | None, inclusive: bool) -> int:
        if after is None:
            return 0
        find = bisect.bisect_left if inclusive else bisect.bisect_right
        return find(self._keys, after)


class FieldIndex:
    """The records of one module by the value of one field, compared as Zoho compares them when
    matching and checking uniqueness: text case-insensitively, anything else by equality."""

    def __init__(self, api_name: str) -> None:
        self.api_name = api_name
        self._by_key: dict[Hashable, list[dict[str, Any]]] = {}
        self._unhashable: list[dict[str, Any]] = []  # e.g. lookup objects: found by scanning these

    def add(self, record: dict[str, Any]) -> None:
        value = record.get(self.api_name)
        if value is None:
            return
        key = _key(value)
        if key is None:
            self._unhashable.append(record)
        else:
            self._by_key.setdefault(key, []).append(record)

    def remove(self, record: dict[str, Any]) -> None:
        value = record.get(self.api_name)
        if value is None:
            return
        key = _key(value)
        bucket = self._unhashable if key is None else self._by_key.get(key, [])
        for position, candidate in enumerate(bucket):
            if candidate is record:
                del bucket[position]
                return

    def find(self, value: Any) -> list[dict[str, Any]]:
        """Records whose field equals `value`, in the order they were added."""
        if value is None:
            return []
        key = _key(value)
        if key is None:
            return [record for record in self._unhashable if record.get(self.api_name) == value]
        return list(self._by_key.get(key, []))


def same_value(left: Any, right: Any) -> bool:
    """Zoho compares text case-insensitively when matching and checking uniqueness."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return bool(left == right)


def _key(value: Any) -> Hashable | None:
    """The key under which `same_value` finds `value`; None when the value cannot be hashed."""
    if isinstance(value, str):
        return ("text", value.lower())
    if isinstance(value, Hashable):
        try:
            hash(value)
        except TypeError:
            return None
        return ("other", value)
    return None
