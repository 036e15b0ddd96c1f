"""Other people's data: a second programme in every test's database (tests/conftest.py
loads it into the template once per run), so that a query that forgets its "where
session = ..." or "where programme = ..." shows up as a wrong count, a stray name or a
changed row instead of passing unnoticed.

Three sessions, bookings in each (confirmed, waiting, checked in, cancelled), a feedback
form built from its findings, and responses with comments and "about you" answers. Its
names, addresses and comments all contain NEIGHBOUR, so that a page or a file showing
them is easy to catch. One of its bookings is held by person1@example.org, the address
the booking tests use first: a person may hold one place in each programme.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.results_factories import question, register, respond
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import QuestionKind, Response
from webapp.feedback.default_form import build_default_form
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.sessions.models import EventSession

SLUG = "neighbour-adult-services"
MARK = "NEIGHBOUR"
SHARED_EMAIL = "person1@example.org"
UPCOMING_SESSIONS = 2  # on the public front page beside a test's own


def neighbour_email(n: int) -> str:
    return f"neighbour{n}@example.net"


def load_neighbour_programme() -> int:
    """Add the neighbouring programme (once: run twice, it returns the existing one's id)."""
    existing = db.session.scalar(sa.select(Programme.id).where(Programme.slug == SLUG))
    if existing:
        return existing
    programme = Programme(slug=SLUG, title=f"{MARK} adult services: staff briefings", is_open=True,
                          summary="Another team's campaign, beside the one under test.")
    programme.findings = [
        Finding(kind=FindingKind.INDICATOR, position=1, title=f"{MARK} indicator one", headline_question="How well?",
                grade="Good"),
        Finding(kind=FindingKind.INDICATOR, position=2, title=f"{MARK} indicator two", headline_question="How well?",
                grade="Adequate"),
        Finding(kind=FindingKind.IMPROVEMENT_AREA, position=1, title=f"{MARK} area one"),
        Finding(kind=FindingKind.IMPROVEMENT_AREA, position=2, title=f"{MARK} area two"),
        Finding(kind=FindingKind.IMPROVEMENT_AREA, position=3, title=f"{MARK} area three"),
    ]
    now = utcnow().replace(second=0, microsecond=0)
    held = _session(programme, "held", now - timedelta(days=2), capacity=5, locality="North East")
    full = _session(programme, "full", now + timedelta(days=16), capacity=2, locality="South")
    later = _session(programme, "later", now + timedelta(days=30), capacity=6, locality="North West")
    db.session.add(programme)
    db.session.flush()
    build_default_form(programme)
    db.session.flush()

    n = 0

    def booking(session: EventSession, status: str = "confirmed", checked_in: bool = False,
                email: str | None = None) -> Registration:
        nonlocal n
        n += 1
        registration = register(session, name=f"{MARK} Person {n}", email=email or neighbour_email(n),
                                status=status, checked_in=checked_in, team=f"{MARK} team",
                                organisation=f"{MARK} organisation", locality=session.locality)
        if status == "cancelled":
            registration.cancelled_at = utcnow()
        return registration

    for _ in range(4):
        booking(held, checked_in=True)
    booking(held)
    booking(held, "cancelled")
    booking(full)
    booking(full, checked_in=True)  # an arrival recorded early, by mistake
    booking(full, "waiting")
    booking(full, "waiting")
    booking(later, email=SHARED_EMAIL)
    booking(later, "waiting")  # waiting although places are free: promote_waiting must not reach them
    booking(later, "cancelled")

    agreement = question(programme.id, kind=QuestionKind.AGREEMENT)
    areas = question(programme.id, kind=QuestionKind.MULTI_CHOICE)
    rating = question(programme.id, kind=QuestionKind.RATING)
    comment = question(programme.id, kind=QuestionKind.LONG_TEXT)
    locality = question(programme.id, breakdown="locality")
    role = question(programme.id, breakdown="role_group")
    for i in range(6):
        respond(held, {agreement: "Strongly disagree", areas: [f"{MARK} area one", f"{MARK} area three"],
                       rating: "1 - Not useful", comment: f"{MARK} comment {i}", locality: "City-wide", role: "Police"},
                submitted_at=now - timedelta(days=2, minutes=-30 - i))
    respond(full, {agreement: "Strongly disagree", comment: f"=HYPERLINK(\"http://x\",\"{MARK}\")",
                   locality: "South"}, submitted_at=now - timedelta(hours=1))
    db.session.commit()
    return programme.id


def _session(programme: Programme, name: str, starts_at, *, capacity: int, locality: str) -> EventSession:
    session = EventSession(title=f"{MARK} {name} briefing", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                           venue=f"{MARK} hall", address="2 Other Street, Glasgow", locality=locality,
                           capacity=capacity)
    programme.sessions.append(session)
    return session


def neighbour_id() -> int:
    return db.session.scalar(sa.select(Programme.id).where(Programme.slug == SLUG))


def neighbour_id_in(app) -> int:
    with app.app_context():
        return neighbour_id()


def snapshot() -> dict:
    """Everything of the neighbour's that an operation elsewhere must leave alone: its
    sessions' counters and statuses, every booking's status and arrival, its responses."""
    programme_id = neighbour_id()
    session_ids = sa.select(EventSession.id).where(EventSession.programme_id == programme_id)
    db.session.expire_all()
    return {
        "sessions": db.session.execute(
            sa.select(EventSession.id, EventSession.status, EventSession.capacity, EventSession.confirmed_count)
            .where(EventSession.programme_id == programme_id).order_by(EventSession.id)).all(),
        "registrations": db.session.execute(
            sa.select(Registration.id, Registration.status, Registration.checked_in_at, Registration.cancelled_at,
                      Registration.promoted_at, Registration.calendar_sequence, Registration.session_id)
            .where(Registration.session_id.in_(session_ids)).order_by(Registration.id)).all(),
        "responses": db.session.scalar(sa.select(sa.func.count(Response.id))
                                       .where(Response.session_id.in_(session_ids), Response.included)),
    }


def counts_by_status() -> dict[RegistrationStatus, int]:
    programme_id = neighbour_id()
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count()).join(EventSession)
        .where(EventSession.programme_id == programme_id).group_by(Registration.status))
    return dict(rows.all())


def responses_here_query() -> sa.Select:
    """The ids of the responses outside the neighbouring programme."""
    neighbour_sessions = sa.select(EventSession.id).join(Programme).where(Programme.slug == SLUG)
    return sa.select(Response.id).where(Response.session_id.not_in(neighbour_sessions))


def responses_here() -> int:
    """Responses outside the neighbouring programme: those a test (or the demo) made."""
    neighbour_sessions = sa.select(EventSession.id).join(Programme).where(Programme.slug == SLUG)
    return db.session.scalar(sa.select(sa.func.count(Response.id)).where(Response.session_id.not_in(neighbour_sessions)))


def registrations_here() -> sa.Select:
    """A query of the bookings outside the neighbouring programme."""
    neighbour_sessions = sa.select(EventSession.id).join(Programme).where(Programme.slug == SLUG)
    return sa.select(Registration).where(Registration.session_id.not_in(neighbour_sessions))


def count_here(model) -> int:
    """How many rows of `model` the database holds outside the neighbouring programme."""
    from webapp.feedback.models import Answer, FeedbackForm, Question

    theirs = sa.select(Programme.id).where(Programme.slug == SLUG).scalar_subquery()
    their_sessions = sa.select(EventSession.id).where(EventSession.programme_id == theirs)
    outside = {
        Programme: Programme.id != theirs,
        EventSession: EventSession.programme_id != theirs,
        Finding: Finding.programme_id != theirs,
        FeedbackForm: FeedbackForm.programme_id != theirs,
        Question: Question.form_id.not_in(sa.select(FeedbackForm.id).where(FeedbackForm.programme_id == theirs)),
        Registration: Registration.session_id.not_in(their_sessions),
        Response: Response.session_id.not_in(their_sessions),
        Answer: Answer.response_id.not_in(sa.select(Response.id).where(Response.session_id.in_(their_sessions))),
    }[model]
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(outside))
