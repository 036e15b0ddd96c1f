"""The one bounded cache the app keeps in memory: least recently used entries go first.

Each worker process keeps small, hot things (the phone form a room is loading, its
blank questions' HTML, compressed static files) so the next request need not build them
again. Entries are keyed by their content or version, so nothing kept can be stale; the
bound only stops memory growing. cachetools gives the LRU policy; the lock makes it safe
for gunicorn's threaded workers (cachetools' caches are not thread-safe on their own).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache
from flask import current_app

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    def __init__(self, maxsize: int):
        self._entries: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The value kept for `key`, or `make()`'s, kept for next time. `make` runs
        outside the lock: two threads may both build a missing value (both are right)."""
        with self._lock:
            found = self._entries.get(key, _MISSING)
        if found is not _MISSING:
            return found
        value = make()
        with self._lock:
            self._entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)


_MISSING = object()


def app_cache(name: str, maxsize: int) -> BoundedCache:
    """The current app's cache called `name` (each app in a process, e.g. each test's, has
    its own)."""
    caches = current_app.extensions.setdefault("bounded_caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, BoundedCache(maxsize))
    return cache
