"""The job queue's delivery records, against a real Huey queue (an SQLite file per test)
and a real SMTP server on loopback: delivery after commit, retries with back-off, the
failure kept for an admin, the sweep that finds lost jobs, and the rule that an
operation's change, its audit entry and its emails commit together or not at all."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.booking_helpers import free_port, make_session, person
from webapp.auth.models import AuditEntry, User
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import outbox, queue
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail
from webapp.sessions import services as sessions
from webapp.sessions.models import EventSession

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "JOBS_MAX_ATTEMPTS": 3, "JOBS_RETRY_BASE_SECONDS": 30}


def _emails(**filters) -> list[OutboundEmail]:
    query = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    for name, value in filters.items():
        query = query.where(getattr(OutboundEmail, name) == value)
    return list(db.session.scalars(query))


def _book(app, session_id: int, n: int) -> int:
    with app.app_context():
        result = bookings.book(db.session.get(EventSession, session_id), **person(n))
        return result.registration.id


def test_a_booking_queues_its_email_and_the_worker_sends_it_after_commit(app, smtp_server, run_jobs):
    session_id = make_session(app)
    registration_id = _book(app, session_id, 1)
    with app.app_context():
        [message] = _emails()
        assert (message.kind, message.status, message.registration_id) == (
            EmailKind.BOOKING_CONFIRMED, DeliveryStatus.PENDING, registration_id)
        assert queue.backlog() == 1
    assert smtp_server.messages == []
    assert run_jobs() == 1
    with app.app_context():
        [message] = _emails()
        assert message.status == DeliveryStatus.SENT and message.sent_at is not None and message.attempts == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Booking confirmed: North East: morning briefing"]
    assert run_jobs() == 0


def test_a_rolled_back_operation_queues_nothing(app, run_jobs):
    session_id = make_session(app)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        registration = Registration(session_id=session.id, status="confirmed", **person(1))
        db.session.add(registration)
        db.session.flush()
        outbox.queue_email(EmailKind.BOOKING_CONFIRMED, registration.email, registration_id=registration.id)
        db.session.rollback()
        assert _emails() == [] and queue.backlog() == 0


def test_a_failing_server_is_retried_with_back_off_then_kept_as_failed_for_an_admin(app, smtp_server, run_jobs):
    app.config["MAIL_PORT"] = free_port()  # nothing listens: refused
    session_id = make_session(app)
    _book(app, session_id, 1)
    run_jobs()
    with app.app_context():
        [message] = _emails()
        assert message.status == DeliveryStatus.PENDING and message.attempts == 1
        first_delay = message.next_attempt_at - utcnow()
        assert timedelta(seconds=25) < first_delay <= timedelta(seconds=30)
        assert outbox.deliver(message.id) is None  # not due yet: nobody jumps the back-off
        for attempt, delay in ((2, 60), (3, None)):
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            status = outbox.deliver(message.id)
            db.session.refresh(message)
            assert message.attempts == attempt
            if delay:
                assert status == DeliveryStatus.PENDING
                assert timedelta(seconds=delay - 5) < message.next_attempt_at - utcnow() <= timedelta(seconds=delay)
        assert status == DeliveryStatus.FAILED and "refused" in message.last_error.lower()

        # The server is back; an admin presses "send again".
        app.config["MAIL_PORT"] = smtp_server.port
        outbox.retry(message)
        db.session.commit()
    assert run_jobs() == 1
    with app.app_context():
        assert _emails()[0].status == DeliveryStatus.SENT
    assert len(smtp_server.to("person1@example.org")) == 1


def test_the_sweep_hands_lost_and_abandoned_emails_to_the_queue_again(app, smtp_server, run_jobs):
    session_id = make_session(app)
    _book(app, session_id, 1)
    _book(app, session_id, 2)
    with app.app_context():
        queue.huey.flush()  # the queue lost its data (say Redis restarted empty)
        lost, abandoned = _emails()
        lost.next_attempt_at = utcnow() - timedelta(minutes=10)
        # A worker claimed this one and was killed before recording the outcome.
        abandoned.status = DeliveryStatus.SENDING
        abandoned.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert run_jobs() == 0
        assert outbox.sweep() == 2
        assert outbox.sweep() == 0  # handed over once, not every minute
    assert run_jobs() == 2
    assert len(smtp_server.messages) == 2
    with app.app_context():
        assert {m.status for m in _emails()} == {DeliveryStatus.SENT}


def test_a_claimed_email_is_not_sent_by_a_second_worker(app, smtp_server, run_jobs):
    session_id = make_session(app)
    _book(app, session_id, 1)
    with app.app_context():
        [message] = _emails()
        assert outbox._claim(message.id, utcnow())
        assert outbox.deliver(message.id) is None  # the other worker holds it
    assert smtp_server.messages == []


def test_the_same_dedupe_key_is_recorded_once(app):
    with app.app_context():
        first = outbox.queue_email(EmailKind.REMINDER, "a@example.org", dedupe_key="reminder:x")
        second = outbox.queue_email(EmailKind.REMINDER, "a@example.org", dedupe_key="reminder:x")
        db.session.commit()
        assert first is not None and second is None and len(_emails()) == 1


def test_an_email_that_is_no_longer_true_is_not_sent(app, smtp_server, run_jobs):
    session_id = make_session(app)
    registration_id = _book(app, session_id, 1)
    with app.app_context():
        bookings.cancel(db.session.get(Registration, registration_id))
    run_jobs()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == ["Cancelled: North East: morning briefing"]
    with app.app_context():
        assert [m.status for m in _emails()] == [DeliveryStatus.CANCELLED, DeliveryStatus.SENT]


@pytest.fixture
def failing_audit(app):
    """Every audit insert fails, as a full disk or a lost connection would make it."""
    def refuse(*args):
        raise RuntimeError("the audit log cannot be written")

    sa.event.listen(AuditEntry, "before_insert", refuse)
    yield
    sa.event.remove(AuditEntry, "before_insert", refuse)


def _organiser(app) -> User:
    with app.app_context():
        user = User(email="organiser@example.org", role="organiser")
        user.set_password("a long enough password")
        db.session.add(user)
        db.session.commit()
        return user.id


def test_a_change_whose_audit_entry_fails_is_rolled_back_with_its_emails(app, failing_audit):
    session_id = make_session(app, capacity=1)
    organiser_id = _organiser(app)
    first, second = _book(app, session_id, 1), _book(app, session_id, 2)
    with app.app_context():
        emails_before = len(_emails())
        organiser = db.session.get(User, organiser_id)
        with pytest.raises(RuntimeError):
            bookings.cancel(db.session.get(Registration, first), actor=organiser)
        db.session.rollback()
        assert db.session.get(Registration, first).status == RegistrationStatus.CONFIRMED
        assert db.session.get(Registration, second).status == RegistrationStatus.WAITING
        with pytest.raises(RuntimeError):
            sessions.cancel_session(db.session.get(EventSession, session_id), organiser)
        db.session.rollback()
        session = db.session.get(EventSession, session_id)
        assert not session.is_cancelled and session.confirmed_count == 1
        assert len(_emails()) == emails_before and queue.backlog() == emails_before
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_an_operation_records_its_audit_entry_in_the_same_commit(app):
    session_id = make_session(app, capacity=1)
    organiser_id = _organiser(app)
    first, second = _book(app, session_id, 1), _book(app, session_id, 2)
    with app.app_context():
        organiser = db.session.get(User, organiser_id)
        bookings.cancel(db.session.get(Registration, first), actor=organiser)
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.target, entry.user_id) == ("booking.cancelled", f"registration:{first}",
                                                                organiser_id)
        assert db.session.get(Registration, second).status == RegistrationStatus.CONFIRMED
        assert [m.kind for m in _emails()][-2:] == [EmailKind.PROMOTED, EmailKind.CANCELLED]


LOWER_PRIORITY = """
import os, sys
from webapp.jobs.cli import lower_cpu_priority
lower_cpu_priority(7)
# The file is empty for a process in the default (boot) autogroup, as under some CI runners.
print(os.nice(0), open("/proc/self/autogroup").read().strip().rsplit(" ", 1)[-1] or "default")
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"), reason="Linux autogroups only")
@pytest.mark.parametrize("own_session, autogroup_nice", [(True, "7"), (False, None)])
def test_a_worker_gives_way_to_the_web_app_even_from_a_session_of_its_own(own_session, autogroup_nice):
    """nice counts only within a session's autogroup: a worker leading its own session
    lowers that group too; one sharing a session (make run) leaves the group alone, or it
    would lower the web app beside it."""
    before = open("/proc/self/autogroup").read().strip().rsplit(" ", 1)[-1] or "default"
    output = subprocess.run([sys.executable, "-c", LOWER_PRIORITY], cwd=ROOT, capture_output=True, text=True,
                            check=True, start_new_session=own_session).stdout.split()
    assert output == [str(os.nice(0) + 7), autogroup_nice or before]
