"""Feedback codes: the session a code names, the address printed on its poster, and the
limit on guessing codes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db, device_key, exempt_address, limit_setting, limiter
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


def _unknown_code(response) -> bool:
    return response.status_code == 404


# Guessing codes: only lookups of codes that do not exist count, per device and (an
# organisation-sized ceiling) per address, so a room typing its code is never held up.
# Shared limits: every page a code opens (/f?code=, /f/<code>, /f/<code>/questions)
# adds to one count of guesses, whichever way they come.
_CODE_LIMITS = [
    limiter.shared_limit(limit_setting("FEEDBACK_CODE_DEVICE_RATE_LIMIT"), scope="feedback-code-device",
                         key_func=device_key, deduct_when=_unknown_code),
    limiter.shared_limit(limit_setting("FEEDBACK_CODE_RATE_LIMIT"), scope="feedback-code-address",
                         deduct_when=_unknown_code, exempt_when=exempt_address),
]


def code_limited(view):
    """A view that opens a session by its code, under the limits on guessing codes."""
    for limit in _CODE_LIMITS:
        view = limit(view)
    return view
