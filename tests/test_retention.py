"""`flask --app wsgi retention purge`: personal details of old bookings go, counts stay,
feedback is untouched."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import neighbours
from webapp.auth.models import AuditEntry
from webapp.bookings.models import Registration
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import Answer, Response
from webapp.programmes.models import Programme
from webapp.retention import services
from webapp.sessions.models import EventSession

PERSONAL = {
    "job_role": "Social worker", "team": "Children's team", "locality": "North East",
    "organisation": "Glasgow HSCP", "access_requirements": "Step-free access",
}


@pytest.fixture
def sessions(app, demo):
    """Two sessions of the demo programme moved into the past (ended 100 and 10 days ago),
    with bookings of every status; returns their ids (old, recent, future)."""
    with app.app_context():
        programme = db.session.get(Programme, demo)
        old, recent, future = programme.sessions[:3]
        for session, ended_days_ago in ((old, 100), (recent, 10)):
            session.ends_at = utcnow() - timedelta(days=ended_days_ago)
            session.starts_at = session.ends_at - timedelta(hours=2)
        for session in (old, recent, future):
            for number, status in enumerate(["confirmed", "confirmed", "waiting", "cancelled"]):
                db.session.add(Registration(
                    session=session, name=f"Person {number}", email=f"p{number}-{session.id}@example.org",
                    status=status, checked_in_at=utcnow() if number == 0 else None, **PERSONAL,
                ))
            session.confirmed_count = 2
        db.session.commit()
        from webapp.demo.services import add_synthetic_responses

        add_synthetic_responses(programme, 60, seed=1)
        return old.id, recent.id, future.id


def _registrations(app, session_id: int) -> list[Registration]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Registration).where(Registration.session_id == session_id).order_by(Registration.id)
        ).all()
        db.session.expunge_all()
        return rows


def _counts(registrations) -> dict:
    return {
        "booked": sum(r.status == "confirmed" for r in registrations),
        "waiting": sum(r.status == "waiting" for r in registrations),
        "attended": sum(r.checked_in_at is not None for r in registrations),
        "rows": len(registrations),
    }


def _feedback_fingerprint(app) -> str:
    """Every column of every response and answer, hashed."""
    with app.app_context():
        digest = hashlib.sha256()
        for model in (Response, Answer):
            columns = list(model.__table__.columns)
            for row in db.session.execute(sa.select(*columns).order_by(model.id)):
                digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()


def test_purge_removes_personal_details_of_old_sessions_only(app, runner, sessions):
    old, recent, future = sessions
    counts_before = {sid: _counts(_registrations(app, sid)) for sid in sessions}
    feedback_before = _feedback_fingerprint(app)
    with app.app_context():
        assert neighbours.responses_here() == 60

    result = runner.invoke(args=["retention", "purge", "--after-days", "30"])
    assert result.exit_code == 0, result.output
    assert "Removed personal details of 4 bookings in 1 sessions that ended more than 30 days ago." in result.output

    purged = _registrations(app, old)
    for registration in purged:
        assert registration.name is None and registration.email is None
        assert all(getattr(registration, name) == "" for name in PERSONAL)
        assert registration.purged_at is not None
        assert registration.booking_token and registration.created_at
    # Status, check-ins and creation times stay, so results still count right.
    assert {sid: _counts(_registrations(app, sid)) for sid in sessions} == counts_before
    for sid in (recent, future):
        assert all(r.name and r.email and r.purged_at is None and r.team for r in _registrations(app, sid))
    assert _feedback_fingerprint(app) == feedback_before

    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "retention.purged"))
        assert entry.user_id is None and "4 bookings from 1 sessions" in entry.detail

    # Running it again finds nothing more to do and does not touch purged_at.
    stamp = purged[0].purged_at
    again = runner.invoke(args=["retention", "purge", "--after-days", "30"])
    assert "Removed personal details of 0 bookings in 0 sessions" in again.output
    assert _registrations(app, old)[0].purged_at == stamp


def test_dry_run_counts_per_session_and_changes_nothing(app, runner, sessions):
    old, recent, future = sessions
    before = {sid: [(r.name, r.email, r.team, r.purged_at) for r in _registrations(app, sid)] for sid in sessions}
    feedback_before = _feedback_fingerprint(app)

    result = runner.invoke(args=["retention", "purge", "--after-days", "5", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len([line for line in lines if line.startswith("Would remove personal details of 4 bookings: ")]) == 2
    assert "Would remove personal details of 8 bookings in 2 sessions that ended more than 5 days ago." in lines
    assert "Dry run: nothing was changed." in lines

    after = {sid: [(r.name, r.email, r.team, r.purged_at) for r in _registrations(app, sid)] for sid in sessions}
    assert after == before
    assert _feedback_fingerprint(app) == feedback_before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_default_period_is_the_one_the_privacy_notice_states(app, runner, client, sessions):
    assert app.config["RETENTION_DAYS"] == 90
    assert "deleted 90 days after the end of the session" in client.get("/privacy").get_data(as_text=True)
    result = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert "4 bookings in 1 sessions that ended more than 90 days ago" in result.output

    app.config["RETENTION_DAYS"] = 7
    assert "deleted 7 days after the end" in client.get("/privacy").get_data(as_text=True)
    result = runner.invoke(args=["retention", "purge"])
    assert "8 bookings in 2 sessions that ended more than 7 days ago" in result.output


def test_boundary_is_strictly_more_than_n_days(app, sessions):
    old, _recent, _future = sessions
    with app.app_context():
        ends_at = db.session.get(EventSession, old).ends_at
        # Exactly 100 days after the end: not yet "more than 100 days".
        report = services.purge(100, dry_run=True, now=ends_at + timedelta(days=100))
        assert report.registrations == 0
        report = services.purge(100, dry_run=True, now=ends_at + timedelta(days=100, seconds=1))
        assert report.registrations == 4


def test_negative_days_are_refused(runner):
    result = runner.invoke(args=["retention", "purge", "--after-days", "-1"])
    assert result.exit_code != 0
    assert "-1 is not in the range x>=0" in result.output
