"""The one bounded cache: least recently used entries go first, each app has its own."""
from __future__ import annotations

import threading

from webapp.caching import BoundedCache, app_cache


def test_the_least_recently_used_entry_goes_first():
    cache: BoundedCache[str] = BoundedCache(maxsize=2)
    made = []

    def make(value):
        return lambda: made.append(value) or value

    assert cache.get_or_make("a", make("A")) == "A"
    assert cache.get_or_make("b", make("B")) == "B"
    assert cache.get_or_make("a", make("again")) == "A"  # kept, and now the most recent
    cache.get_or_make("c", make("C"))  # full: "b" was used least recently
    assert len(cache) == 2
    assert cache.get_or_make("b", make("B2")) == "B2"
    assert made == ["A", "B", "C", "B2"]


def test_threads_share_it_safely():
    cache: BoundedCache[int] = BoundedCache(maxsize=50)

    def hammer(offset: int):
        for number in range(2000):
            key = (number + offset) % 120
            assert cache.get_or_make(key, lambda key=key: key * 2) == key * 2

    threads = [threading.Thread(target=hammer, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


def test_an_app_keeps_one_cache_per_name(app):
    with app.app_context():
        things = app_cache("things", 4)
        things.get_or_make("k", lambda: "v")
        assert app_cache("things", 4) is things
        assert app_cache("other things", 4) is not things
        assert things.get_or_make("k", lambda: "new") == "v"
