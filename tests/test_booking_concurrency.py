"""Never overbooked: 60 people press "Book" at the same moment against a live, threaded
server for a session with 10 places. Exactly 10 get a place, the rest the waiting list,
and nobody sees an error page. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from tests.booking_helpers import csrf_from, make_session, person
from tests.conftest import served
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.sessions.models import EventSession

PEOPLE = 60
PLACES = 10


@pytest.fixture
def app_config():
    # Every request here comes from 127.0.0.1; each person has their own device, so the
    # default limits let all of them through.
    return {}


@pytest.fixture
def live_server(app):
    with served(app) as base_url:
        yield base_url


def test_simultaneous_bookings_never_overbook(app, live_server):
    session_id = make_session(app, capacity=PLACES)
    url = f"{live_server}/sessions/{session_id}/register"
    openers, tokens = [], []
    for _ in range(PEOPLE):  # each person has their own cookie and CSRF token, like a phone
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url, timeout=30) as response:
            tokens.append(csrf_from(response.read().decode()))
        openers.append(opener)

    start = threading.Barrier(PEOPLE)
    outcomes: list[tuple[int, str]] = [None] * PEOPLE

    def book(n: int) -> None:
        body = urllib.parse.urlencode({"csrf_token": tokens[n], **person(n)}).encode()
        start.wait()
        try:
            with openers[n].open(url, data=body, timeout=60) as response:
                outcomes[n] = (response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            outcomes[n] = (error.code, error.read().decode())

    threads = [threading.Thread(target=book, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Every POST was redirected to the same "check your email" page; nobody saw an error.
    statuses = sorted({status for status, _ in outcomes})
    assert statuses == [200], [(s, body[:200]) for s, body in outcomes if s != 200]
    assert all("Check your email" in body for _, body in outcomes)

    with app.app_context():
        counts = dict(db.session.execute(
            sa.select(Registration.status, sa.func.count()).where(Registration.session_id == session_id)
            .group_by(Registration.status)).all())
        assert counts == {"confirmed": PLACES, "waiting": PEOPLE - PLACES}
        assert db.session.get(EventSession, session_id).confirmed_count == PLACES
