"""Feedback codes: the session a code names, and the address printed on its poster."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.sessions.models import EventSession
from webapp.tokens import is_feedback_code


def session_by_code(code: str) -> EventSession | None:
    if not is_feedback_code(code):
        return None
    return db.session.scalar(sa.select(EventSession).where(EventSession.feedback_code == code))


def feedback_url(session: EventSession) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/f/{session.feedback_code}"


def short_address(session: EventSession) -> str:
    """The address as typed from a poster: without the scheme."""
    return feedback_url(session).split("://", 1)[-1]

