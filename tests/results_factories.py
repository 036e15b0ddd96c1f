"""Small factories for results and export tests: registrations and responses made
directly through the models (the booking and feedback views live elsewhere)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, UTC

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Answer, EventSession, Programme, Question, Registration, Response
from webapp.results import totals

REGISTRANT_NAME = "Zebedee Quartermaine"
REGISTRANT_EMAIL = "zebedee.quartermaine@example.org"


def programme(programme_id: int) -> Programme:
    return db.session.get(Programme, programme_id)


def sessions(programme_id: int) -> list[EventSession]:
    return list(db.session.scalars(
        sa.select(EventSession).where(EventSession.programme_id == programme_id)
        .order_by(EventSession.starts_at, EventSession.id)))


def question(programme_id: int, *, kind: str | None = None, breakdown: str | None = None,
             index: int = 0) -> Question:
    form = programme(programme_id).feedback_form
    matches = [q for q in form.questions
               if (kind is None or q.kind == kind) and (breakdown is None or q.breakdown == breakdown)]
    return matches[index]


def option_id(q: Question, label: str) -> int:
    return next(option.id for option in q.options if option.label == label)


def register(session: EventSession, *, name: str = REGISTRANT_NAME, email: str = REGISTRANT_EMAIL,
             status: str = "confirmed", checked_in: bool = False, **fields) -> Registration:
    registration = Registration(session=session, name=name, email=email, status=status,
                                checked_in_at=datetime.now(UTC) if checked_in else None, **fields)
    if status == "confirmed":
        session.confirmed_count += 1
    db.session.add(registration)
    db.session.flush()
    return registration


def respond(session: EventSession, answers: dict[Question, str | list[str]], *,
            submitted_at: datetime | None = None) -> Response:
    """answers: question -> option label (choice), list of labels (multi), or text.
    Counted in the running totals, as the phone form's store_response does."""
    response = Response(session_id=session.id, submission_key=secrets.token_urlsafe(24),
                        submitted_at=submitted_at or datetime.now(UTC))
    db.session.add(response)
    db.session.flush()
    counted = []
    for q, value in answers.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            chosen = option_id(q, item) if q.is_choice else None
            db.session.add(Answer(response_id=response.id, question_id=q.id, option_id=chosen,
                                  text=None if q.is_choice else item))
            counted.append((q.id, chosen, None if q.is_choice else item))
    db.session.flush()
    totals.add_response(session.id, counted)
    return response


def minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
