"""An action-plan update emailed to the people who attended, through the real queue and
a real SMTP server on loopback."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.booking_helpers import make_session, person
from webapp.actions import services
from webapp.actions.models import Action
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.sessions.models import EventSession


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "PUBLIC_BASE_URL": "https://briefings.example.org"}


def test_an_update_is_emailed_once_to_each_person_who_attended(app, demo, smtp_server, run_jobs):
    with app.app_context():
        first = make_session(app, capacity=5, days_ahead=3, programme_id=demo)
        second = make_session(app, capacity=5, days_ahead=4, programme_id=demo)
        for session_id, numbers in ((first, (1, 2, 3)), (second, (1, 4))):
            session = db.session.get(EventSession, session_id)
            for n in numbers:
                bookings.book(session, **person(n))
        for registration in db.session.scalars(sa.select(Registration)
                                               .where(Registration.session_id.in_([first, second]))):
            if registration.email != "person2@example.org":  # person 2 did not come
                bookings.check_in(registration, None)
    run_jobs()  # the booking confirmations
    before = len(smtp_server.messages)
    with app.app_context():
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        update, queued = services.add_update(action, "Shared <b>chronologies</b> are live", date(2027, 2, 1),
                                             status="done", notify_attendees=True)
        assert queued == 3  # persons 1, 3 and 4; person 1 once though they came twice
        assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))
                                 .where(OutboundEmail.kind == EmailKind.ACTION_UPDATE)) == 3
        slug = action.area.programme.slug
    run_jobs()
    sent = smtp_server.messages[before:]
    assert sorted(m["To"] for m in sent) == ["person1@example.org", "person3@example.org", "person4@example.org"]
    text = sent[0].get_body(("plain",)).get_content()
    assert "1 February 2027: Shared <b>chronologies</b> are live" in text and "Status: Done" in text
    assert f"https://briefings.example.org/programmes/{slug}/you-said-we-did" in text
    html = sent[0].get_body(("html",)).get_content()
    assert "<b>chronologies" not in html and "&lt;b&gt;chronologies" in html


def test_an_update_removed_before_sending_is_not_emailed(app, demo, smtp_server, run_jobs):
    with app.app_context():
        session = db.session.get(EventSession, make_session(app, capacity=5, days_ahead=3, programme_id=demo))
        bookings.book(session, **person(1))
        bookings.check_in(db.session.scalars(sa.select(Registration).where(Registration.session_id == session.id))
                          .one(), None)
    run_jobs()
    before = len(smtp_server.messages)
    with app.app_context():
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        update, queued = services.add_update(action, "Oops", date(2027, 2, 1), notify_attendees=True)
        assert queued == 1
        services.remove_update(update)
    run_jobs()
    assert smtp_server.messages[before:] == []
