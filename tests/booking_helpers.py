"""Small factories and a loopback SMTP server for the booking tests. A fixture module:
tests/conftest.py registers it in pytest_plugins, so tests ask for `smtp_server` without importing it."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from datetime import time as clock_time, timedelta

import pytest
from aiosmtpd.controller import Controller

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession
from webapp.timezones import london_to_utc, to_local


def make_session(app, capacity: int = 10, is_open: bool = True, days_ahead: int = 14, programme_id=None,
                 **fields) -> int:
    """An open programme (or the given one) with one session; returns the session id."""
    with app.app_context():
        if programme_id is None:
            programme = Programme(slug=f"p-{utcnow().timestamp()}-{id(fields)}", title="Inspection briefings",
                                  is_open=is_open)
            db.session.add(programme)
            db.session.flush()
            programme_id = programme.id
        # 10:00 to 12:00, London time: a session that began late in the evening would end the
        # next day, which the session form (one day, two clock times) rightly refuses.
        start = london_to_utc(to_local(utcnow() + timedelta(days=days_ahead)).date(), clock_time(10))
        values = dict(title="North East: morning briefing", starts_at=start, ends_at=start + timedelta(hours=2),
                      venue="Easterhouse Hub", address="1 Main Street, Glasgow", locality="North East",
                      capacity=capacity)
        values.update(fields)
        session = EventSession(programme_id=programme_id, **values)
        db.session.add(session)
        db.session.commit()
        return session.id


def person(n: int | str = 1, **overrides) -> dict:
    data = {
        "name": f"Person {n}",
        "email": f"person{n}@example.org",
        "job_role": "Social worker",
        "team": "Children and families",
        "locality": "North East",
        "organisation": "Glasgow City Council",
        "access_requirements": "",
    }
    data.update(overrides)
    return data


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def book_via_http(client, session_id: int, data: dict):
    url = f"/sessions/{session_id}/register"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.peers: list[tuple] = []  # the client's address and port: one per connection

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.peers.append(session.peer)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address: str, count: int, seconds: float = 15) -> list:
        """The messages to `address` once there are `count` of them: a job worker sends
        them a moment after the page that caused them."""
        deadline = time.monotonic() + seconds
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(address)


class InboxRelay:
    """The handler of a test process's one SMTP server: each message goes to the inbox of
    the test running now. (A server per test gave each test its own port, so settings of
    its own, so a new app: tests/conftest.py's KeptApp hands an app on only to a test with
    the same settings.)"""

    def __init__(self):
        self.inbox = Inbox()

    async def handle_DATA(self, server, session, envelope):
        return await self.inbox.handle_DATA(server, session, envelope)  # a test may replace the inbox's


@pytest.fixture(scope="session")
def _smtp_relay():
    relay = InboxRelay()
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    relay.port = controller.port
    yield relay
    controller.stop()


@pytest.fixture
def smtp_server(_smtp_relay):
    """A real SMTP server on loopback with an empty inbox of this test's own."""
    inbox = _smtp_relay.inbox = Inbox()
    inbox.port = _smtp_relay.port
    yield inbox
    _smtp_relay.inbox = Inbox()  # what is sent after the test reaches no other test's inbox
