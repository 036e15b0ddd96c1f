"""Helpers for the feedback tests: open a session's feedback window, read the phone
form like a browser, and fill it in."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import QuestionKind
from webapp.feedback.services import load_form_for
from webapp.sessions.models import EventSession


def first_session(programme_id: int) -> EventSession:
    return db.session.scalars(
        sa.select(EventSession).where(EventSession.programme_id == programme_id).order_by(EventSession.id)
    ).first()


def open_feedback(app, programme_id: int) -> str:
    """Open the first session's feedback window now; returns its code."""
    with app.app_context():
        session = first_session(programme_id)
        session.feedback_opens_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        return session.feedback_code


def form_fields(html: str) -> dict:
    """The hidden fields a browser would send back: csrf_token and submission_key."""
    fields = {}
    for name in ("csrf_token", "submission_key"):
        match = re.search(rf'name="{name}" value="([^"]+)"', html)
        assert match, f"no {name} on the page"
        fields[name] = match.group(1)
    return fields


def complete_answers(app, programme_id: int, comment: str = "More time with families.") -> dict:
    """A valid answer to every visible question: first option, or `comment`."""
    with app.app_context():
        form = load_form_for(programme_id)
        data = {}
        for question in form.visible_questions:
            if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
                data[f"q{question.id}"] = comment
            else:
                data[f"q{question.id}"] = str(question.visible_options[0].id)
        return data


def question_ids(app, programme_id: int, kind: str) -> list[int]:
    with app.app_context():
        form = load_form_for(programme_id)
        return [question.id for question in form.visible_questions if question.kind == kind]
