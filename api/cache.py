"""In-process response cache for read endpoints, keyed by the index version.

A key always starts with the index version, so a new version never serves old answers; the
cache is emptied when the version changes. Entries that depend on a customer's preferences
carry the customer id so a preferences write can drop exactly those.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ResponseCache:
    """A thread-safe LRU of encoded response bodies."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._version: str | None = None
        self._lock = threading.Lock()

    def get(self, version: str, key: tuple[Hashable, ...]) -> Any | None:
        with self._lock:
            if version != self._version:
                self._data.clear()
                self._version = version
                return None
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, version: str, key: tuple[Hashable, ...], value: Any) -> None:
        with self._lock:
            if version != self._version:
                self._data.clear()
                self._version = version
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def drop_customer(self, customer_id: str) -> int:
        """Remove every entry whose key names this customer; returns how many."""
        return self.drop_where(lambda key: any(customer_id in str(part) for part in key))

    def drop_where(self, stale: Callable[[tuple[Hashable, ...]], bool]) -> int:
        """Remove every entry whose key ``stale`` says; returns how many."""
        with self._lock:
            keys = [k for k in self._data if stale(k)]
            for k in keys:
                del self._data[k]
            return len(keys)

    def __len__(self) -> int:
        return len(self._data)
