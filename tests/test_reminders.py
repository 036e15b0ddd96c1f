"""Emails driven by the clock: reminders before a session, the waiting list's update,
and the emails after it; sent through the real queue and a real SMTP server."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.booking_helpers import make_session, person
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import reminders
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail
from webapp.sessions import services as sessions
from webapp.sessions.models import EventSession


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "PUBLIC_BASE_URL": "https://briefings.example.org"}


@pytest.fixture
def booked(app):
    """A session 10 days ahead with 2 places: two booked, one waiting."""
    session_id = make_session(app, capacity=2, days_ahead=10)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        for n in (1, 2, 3):
            bookings.book(session, **person(n))
        # They booked a while ago (before any reminder time).
        db.session.execute(sa.update(Registration).where(Registration.session_id == session_id)
                           .values(created_at=utcnow() - timedelta(days=5)))
        db.session.commit()
    return session_id


def _ours(session_id: int):
    """This session's emails. The clock queues every programme's at once, so the
    neighbouring programme's past session has its own after-session emails too."""
    return OutboundEmail.registration_id.in_(sa.select(Registration.id).where(Registration.session_id == session_id))


def _queue_due(session_id: int, now) -> int:
    """reminders.queue_due, counting the emails it queued for this session."""
    before = db.session.scalar(sa.select(sa.func.count(OutboundEmail.id)).where(_ours(session_id)))
    reminders.queue_due(now=now)
    return db.session.scalar(sa.select(sa.func.count(OutboundEmail.id)).where(_ours(session_id))) - before


def _kinds(kind: EmailKind, session_id: int | None = None) -> list[OutboundEmail]:
    query = sa.select(OutboundEmail).where(OutboundEmail.kind == kind)
    if session_id is not None:
        query = query.where(_ours(session_id))
    return list(db.session.scalars(query.order_by(OutboundEmail.id)))


def test_reminders_go_out_a_week_and_a_day_before_once_each(app, booked, smtp_server, run_jobs):
    run_jobs()  # the booking emails
    with app.app_context():
        session = db.session.get(EventSession, booked)
        start = session.starts_at
        assert reminders.upcoming_reminders(session) == [start - timedelta(days=7), start - timedelta(days=1)]
        assert _queue_due(booked, now=start - timedelta(days=7, minutes=1)) == 0
        assert _queue_due(booked, now=start - timedelta(days=7) + timedelta(minutes=1)) == 2
        # Every minute after, and a second worker at the same minute: nothing new.
        assert _queue_due(booked, now=start - timedelta(days=7) + timedelta(minutes=2)) == 0
        assert _queue_due(booked, now=start - timedelta(days=6)) == 0
    run_jobs()
    week = [m for m in smtp_server.messages if m["Subject"].startswith("Reminder:")]
    assert sorted(m["To"] for m in week) == ["person1@example.org", "person2@example.org"]
    text = week[0].get_body(("plain",)).get_content()
    assert "in 7 days" in text and "cancel" in text and "https://briefings.example.org/booking/" in text
    assert [p for p in week[0].iter_attachments() if p.get_content_type() == "text/calendar"]

    with app.app_context():
        # The day before: the booked get their second reminder, the waiting are told they still wait.
        assert _queue_due(booked, now=start - timedelta(hours=23)) == 3
        assert _queue_due(booked, now=start - timedelta(hours=22)) == 0
    run_jobs()
    still = [m for m in smtp_server.messages if m["Subject"].startswith("Still on the waiting list")]
    assert [m["To"] for m in still] == ["person3@example.org"]
    # (the neighbouring programme's session six days later has its week-before reminders now)
    ours = {"person1@example.org", "person2@example.org"}
    assert len([m for m in smtp_server.messages if m["Subject"].startswith("Reminder:") and m["To"] in ours]) == 4


def test_a_worker_back_after_a_long_stop_sends_one_reminder_not_two(app, booked):
    with app.app_context():
        start = db.session.get(EventSession, booked).starts_at
        assert _queue_due(booked, now=start - timedelta(hours=3)) == 3  # only the day-before slot
        assert {m.context["slot_hours"] for m in _kinds(EmailKind.REMINDER, booked)} == {24}


def test_someone_who_booked_after_a_reminder_time_is_not_sent_that_reminder(app, booked):
    with app.app_context():
        session = db.session.get(EventSession, booked)
        week_before = session.starts_at - timedelta(days=7)
        late = db.session.scalar(sa.select(Registration).where(Registration.session_id == booked,
                                                       Registration.email == "person2@example.org"))
        late.created_at = week_before + timedelta(hours=1)  # booked six days ahead
        db.session.commit()
        _queue_due(booked, now=week_before + timedelta(hours=2))
        assert [m.to_address for m in _kinds(EmailKind.REMINDER, booked)] == ["person1@example.org"]
        _queue_due(booked, now=session.starts_at - timedelta(hours=20))  # but the day before, yes
        assert sorted(m.to_address for m in _kinds(EmailKind.REMINDER, booked)) == [
            "person1@example.org", "person1@example.org", "person2@example.org"]


def test_moving_a_session_reminds_people_of_the_new_time_and_drops_the_old(app, booked, smtp_server, run_jobs):
    with app.app_context():
        session = db.session.get(EventSession, booked)
        old_start = session.starts_at
        _queue_due(booked, now=old_start - timedelta(days=7) + timedelta(minutes=1))
        assert {m.status for m in _kinds(EmailKind.REMINDER, booked)} == {DeliveryStatus.PENDING}
        new_start = old_start + timedelta(days=3)
        fields = dict(title=session.title, starts_at=new_start, ends_at=new_start + timedelta(hours=2),
                      venue=session.venue, address=session.address, capacity=session.capacity)
        update = sessions.update_session(session, None, **fields)
        assert update.changes == ["the time"]
        assert {m.status for m in _kinds(EmailKind.REMINDER, booked)} == {DeliveryStatus.CANCELLED}
        assert reminders.upcoming_reminders(session)[0] == new_start - timedelta(days=7)
        assert _queue_due(booked, now=new_start - timedelta(days=7) + timedelta(minutes=1)) == 2
    run_jobs()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects.count("Reminder: North East: morning briefing") == 2


def test_a_cancelled_session_sends_no_reminders(app, booked):
    with app.app_context():
        session = db.session.get(EventSession, booked)
        start = session.starts_at
        _queue_due(booked, now=start - timedelta(days=7) + timedelta(minutes=1))
        sessions.cancel_session(session, None)
        assert {m.status for m in _kinds(EmailKind.REMINDER, booked)} == {DeliveryStatus.CANCELLED}
        assert reminders.upcoming_reminders(session) == []
        assert _queue_due(booked, now=start - timedelta(hours=2)) == 0


def test_a_programme_without_reminders_sends_none(app, booked):
    with app.app_context():
        session = db.session.get(EventSession, booked)
        session.programme.reminder_hours = ""
        db.session.commit()
        assert _queue_due(booked, now=session.starts_at - timedelta(hours=2)) == 0


def test_after_the_session_those_who_came_get_the_feedback_link_and_the_others_a_note(
        app, booked, smtp_server, run_jobs):
    run_jobs()
    with app.app_context():
        session = db.session.get(EventSession, booked)
        later = make_session(app, capacity=5, days_ahead=40, programme_id=session.programme_id,
                             title="Mop-up briefing")
        came = db.session.scalar(sa.select(Registration).where(Registration.session_id == booked,
                                                       Registration.email == "person1@example.org"))
        bookings.check_in(came, None)
        ended = session.ends_at + timedelta(minutes=5)
        assert _queue_due(booked, now=ended) == 2
        assert _queue_due(booked, now=ended + timedelta(minutes=1)) == 0
        code = session.feedback_code
        assert later
    # The worker sends them while the form is open (it is, for a day after the session).
    with app.app_context():
        session = db.session.get(EventSession, booked)
        session.starts_at = utcnow() - timedelta(hours=3)
        session.ends_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    run_jobs()
    thanks = smtp_server.to("person1@example.org")[-1]
    assert thanks["Subject"].startswith("Thank you for coming")
    text = thanks.get_body(("plain",)).get_content()
    assert f"https://briefings.example.org/f/{code}" in text and "person1" not in text.split("Hello")[1][20:]
    assert "https://briefings.example.org/programmes/" in text and "/you-said-we-did" in text
    missed = smtp_server.to("person2@example.org")[-1]
    assert missed["Subject"].startswith("We missed you")
    assert "Mop-up briefing" in missed.get_body(("plain",)).get_content()
    assert not [m for m in smtp_server.to("person3@example.org") if "missed" in m["Subject"]]  # was waiting


def test_no_after_session_emails_when_attendance_was_not_taken(app, booked):
    with app.app_context():
        session = db.session.get(EventSession, booked)
        assert _queue_due(booked, now=session.ends_at + timedelta(minutes=5)) == 0
