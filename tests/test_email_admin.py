"""Admins see emails that failed for good and send them again, through a real SMTP
server on loopback that refuses, then accepts."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.booking_helpers import book_via_http, make_session, person
from tests.conftest import post_form
from webapp.auth.models import AuditEntry, Role
from webapp.extensions import db
from webapp.jobs.models import DeliveryStatus, OutboundEmail


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "JOBS_MAX_ATTEMPTS": 1}


@pytest.fixture
def refusing(smtp_server):
    """The loopback server answers 550 to every message until `refusing.stop()`."""
    accept = smtp_server.handle_DATA

    async def refuse(server, session, envelope):
        return "550 Mailbox unavailable <script>alert(1)</script>"

    smtp_server.handle_DATA = refuse

    class Switch:
        @staticmethod
        def stop():
            smtp_server.handle_DATA = accept

    return Switch


def _statuses(app):
    with app.app_context():
        return [m.status for m in db.session.scalars(sa.select(OutboundEmail).order_by(OutboundEmail.id))]


def test_failed_email_is_listed_and_sent_again(app, client, login_as, smtp_server, refusing, run_jobs):
    session_id = make_session(app, title="South: afternoon briefing")
    assert book_via_http(client, session_id, person(1)).status_code == 302
    run_jobs()
    assert _statuses(app) == [DeliveryStatus.FAILED] and smtp_server.messages == []

    admin = login_as(Role.ADMIN)
    page = client.get("/organiser/emails")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "person1@example.org" in html and "Booking confirmation" in html and "South: afternoon briefing" in html
    assert "The mail server refused it (550)" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert '<dd class="govuk-summary-list__value" id="count-failed">1</dd>' in html
    assert 'href="/organiser/emails"' in html  # in the admin navigation

    with app.app_context():
        message_id = db.session.scalar(sa.select(OutboundEmail.id))
    refusing.stop()
    response = post_form(client, f"/organiser/emails/{message_id}/send-again", token_url="/organiser/emails")
    assert response.status_code == 302
    assert _statuses(app) == [DeliveryStatus.PENDING]
    assert run_jobs() == 1
    assert _statuses(app) == [DeliveryStatus.SENT]
    assert len(smtp_server.to("person1@example.org")) == 1
    html = client.get("/organiser/emails").get_data(as_text=True)
    assert "No email has failed." in html and "will be sent again" in html

    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "email.retried")).all()
        assert [(e.user_id, e.target, e.detail) for e in entries] == [
            (admin.id, f"email:{message_id}", "Booking confirmation")]

    # Pressed twice (two tabs, two admins): nothing is sent a second time.
    again = post_form(client, f"/organiser/emails/{message_id}/send-again", token_url="/organiser/emails")
    assert "no longer failed" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert run_jobs() == 0 and len(smtp_server.messages) == 1


def test_send_again_needs_the_csrf_token(app, client, login_as, refusing, run_jobs):
    book_via_http(client, make_session(app), person(2))
    run_jobs()
    login_as(Role.ADMIN)
    with app.app_context():
        message_id = db.session.scalar(sa.select(OutboundEmail.id))
    response = client.post(f"/organiser/emails/{message_id}/send-again")
    assert response.status_code in (302, 400)
    assert _statuses(app) == [DeliveryStatus.FAILED]


def test_failures_are_paginated(app, client, login_as):
    from webapp.jobs import services
    from webapp.jobs.models import EmailKind

    with app.app_context():
        db.session.add_all(OutboundEmail(kind=EmailKind.REMINDER, to_address=f"p{n}@example.org",
                                         status=DeliveryStatus.FAILED, last_error="refused", attempts=12)
                           for n in range(services.FAILURES_PER_PAGE + 3))
        db.session.commit()
    login_as(Role.ADMIN)
    first = client.get("/organiser/emails").get_data(as_text=True)
    assert "Page 1 of 2" in first and f"p{services.FAILURES_PER_PAGE + 2}@example.org" in first
    assert "p0@example.org" not in first
    second = client.get("/organiser/emails?page=2").get_data(as_text=True)
    assert "p0@example.org" in second and "Page 2 of 2" in second
    assert client.get("/organiser/emails?page=99").status_code == 200


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.VIEWER])
def test_only_admins_see_failed_emails(client, login_as, role):
    login_as(role)
    assert client.get("/organiser/emails").status_code == 403
    assert 'href="/organiser/emails"' not in client.get("/organiser/programmes").get_data(as_text=True)


def test_organisers_see_each_persons_latest_email(app, client, login_as, smtp_server, run_jobs):
    accept = smtp_server.handle_DATA

    async def refuse_one(server, session, envelope):
        if "person2@example.org" in envelope.rcpt_tos:
            return "550 No such mailbox here"
        return await accept(server, session, envelope)

    smtp_server.handle_DATA = refuse_one
    session_id = make_session(app)
    for n in (1, 2):
        book_via_http(client, session_id, person(n))
    run_jobs()
    book_via_http(client, session_id, person(3))  # not sent yet

    login_as(Role.ORGANISER)
    with app.app_context():
        from webapp.sessions.models import EventSession

        programme_id = db.session.get(EventSession, session_id).programme_id
    for url in (f"/organiser/programmes/{programme_id}/sessions/{session_id}",
                f"/organiser/programmes/{programme_id}/attendees"):
        html = client.get(url).get_data(as_text=True)
        rows = {n: row for row in html.split('<tr class="govuk-table__row">')
                for n in (1, 2, 3) if f"person{n}@example.org" in row}
        assert "Booking confirmation" in rows[1] and "Sent " in rows[1]
        assert "Failed" in rows[2] and "The mail server refused it (550): No such mailbox here" in rows[2]
        assert "Waiting to be sent" in rows[3] and "Sent " not in rows[3]
