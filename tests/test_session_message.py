"""An organiser's message to everyone booked on a session: queued in one operation,
sent by the worker through a real SMTP server on loopback, counted on the session page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import neighbours
from tests.booking_helpers import book_via_http, make_session, person
from tests.conftest import post_form
from webapp.auth.models import AuditEntry, Role
from webapp.extensions import db
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail
from webapp.sessions.models import EventSession

PAYLOAD = 'Room 2 now.\n<a href="https://evil.example/">Click</a>\nhttps://evil.example/phish\n<script>alert(1)</script>'


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "PUBLIC_BASE_URL": "https://briefings.example.org"}


@pytest.fixture
def booked(app, client, run_jobs):
    """A session with two places taken and one person waiting; their booking emails sent."""
    session_id = make_session(app, capacity=2)
    for n in (1, 2, 3):
        assert book_via_http(client, session_id, person(n)).status_code == 302
    run_jobs()
    with app.app_context():
        programme_id = db.session.get(EventSession, session_id).programme_id
    return f"/organiser/programmes/{programme_id}/sessions/{session_id}"


def _messages(app):
    with app.app_context():
        return db.session.scalars(sa.select(OutboundEmail).where(OutboundEmail.kind == EmailKind.ORGANISER_MESSAGE)
                                  .order_by(OutboundEmail.id)).all()


def test_message_is_queued_sent_counted_and_escaped(app, client, login_as, booked, smtp_server, run_jobs):
    organiser = login_as(Role.ORGANISER)
    assert "Email everyone booked" in client.get(booked).get_data(as_text=True)
    smtp_server.messages.clear()
    response = post_form(client, f"{booked}/message", {"message": PAYLOAD, "audience": "confirmed"},
                         token_url=f"{booked}/message")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your message will be emailed to 2 people" in page
    assert "2 waiting to be sent" in page and smtp_server.messages == []  # nothing sent inside the request
    assert [m.to_address for m in _messages(app)] == ["person1@example.org", "person2@example.org"]

    assert run_jobs() == 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["person1@example.org", "person2@example.org"]
    message = smtp_server.to("person1@example.org")[0]
    assert message["Subject"] == "Message from the organisers: North East: morning briefing"
    assert PAYLOAD in message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert '<a href="https://evil.example' not in html and "<script>" not in html
    assert "&lt;a href=&#34;https://evil.example/&#34;&gt;Click&lt;/a&gt;" in html
    assert "https://evil.example/phish" in html  # shown, as text
    with app.app_context():
        from webapp.bookings.models import Registration
        token = db.session.scalar(neighbours.registrations_here().with_only_columns(Registration.booking_token)
                                  .where(Registration.email == "person1@example.org"))
    assert f'<a href="https://briefings.example.org/booking/{token}"' in html  # our own link still works

    page = client.get(booked).get_data(as_text=True)
    assert "2 sent, 0 waiting to be sent, 0 failed" in page
    with app.app_context():
        [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "session.message")).all()
        assert entry.user_id == organiser.id
        assert "person" not in entry.detail and "Room 2" not in entry.detail and "2 emails queued" in entry.detail


def test_message_can_include_the_waiting_list(app, client, login_as, booked, run_jobs):
    login_as(Role.ORGANISER)
    post_form(client, f"{booked}/message", {"message": "Parking\r\nis at the back.", "audience": "everyone"},
              token_url=f"{booked}/message")
    assert [m.context["message"] for m in _messages(app)] == ["Parking\nis at the back."] * 3
    run_jobs()
    assert [m.status for m in _messages(app)] == [DeliveryStatus.SENT] * 3


def test_message_is_checked_and_kept_when_wrong(client, login_as, booked, app):
    login_as(Role.ORGANISER)
    empty = post_form(client, f"{booked}/message", {"message": "  ", "audience": "confirmed"},
                      token_url=f"{booked}/message")
    assert empty.status_code == 200 and "Enter the message to send" in empty.get_data(as_text=True)
    long = post_form(client, f"{booked}/message", {"message": "x" * 2001, "audience": "confirmed"},
                     token_url=f"{booked}/message")
    assert "Message must be 2,000 characters or fewer" in long.get_data(as_text=True)
    assert "x" * 2001 in long.get_data(as_text=True)
    post_form(client, f"{booked}/message", {"message": "Bring\x00 ID\x1b", "audience": "confirmed"},
              token_url=f"{booked}/message")
    assert {m.context["message"] for m in _messages(app)} == {"Bring ID"}


def test_someone_who_cancelled_since_gets_no_message(app, client, login_as, booked, smtp_server, run_jobs):
    from webapp.bookings import services as bookings
    from webapp.bookings.models import Registration

    login_as(Role.ORGANISER)
    post_form(client, f"{booked}/message", {"message": "Room 2.", "audience": "confirmed"},
              token_url=f"{booked}/message")
    with app.app_context():
        registration = db.session.scalar(neighbours.registrations_here().where(Registration.email == "person1@example.org"))
        bookings.cancel(registration)
    smtp_server.messages.clear()
    run_jobs()
    statuses = {m.to_address: m.status for m in _messages(app)}
    assert statuses["person1@example.org"] == DeliveryStatus.CANCELLED
    assert [m["To"] for m in smtp_server.messages if m["Subject"].startswith("Message")] == ["person2@example.org"]


def test_booking_emails_escape_what_people_typed(app, client, smtp_server, run_jobs):
    """The HTML part used to take the plain text as markup: a name with tags went out raw."""
    session_id = make_session(app, notes="<img src=x>")
    book_via_http(client, session_id, person(7, name="<b>Ada</b>"))
    run_jobs()
    html = smtp_server.to("person7@example.org")[0].get_body(("html",)).get_content()
    assert "<b>Ada" not in html and "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html
