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


def test_the_blank_booking_form_is_rendered_once_and_a_filled_in_one_never_from_the_cache(app):
    from flask import get_template_attribute

    from tests.booking_helpers import csrf_from, make_session, person
    from webapp.bookings.forms import BookingForm

    session_id = make_session(app)
    url = f"/sessions/{session_id}/register"
    client = app.test_client()
    pages = [client.get(url).get_data(as_text=True) for _ in range(2)]
    with app.test_request_context(url):
        afresh = str(get_template_attribute("bookings/_person_fields.html", "person_fields")(BookingForm()))
    assert 'name="email"' in afresh and all(afresh in page for page in pages)
    assert len(app.extensions["bounded_caches"]["booking_fields_html"]) == 1

    typed = person(1, name="Ann <b>Typed</b>", email="not an address")
    page = client.post(url, data={"csrf_token": csrf_from(pages[0]), **typed}).get_data(as_text=True)
    assert "Ann &lt;b&gt;Typed&lt;/b&gt;" in page and 'value="not an address"' in page
    assert "govuk-error-message" in page and afresh not in page
