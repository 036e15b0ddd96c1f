"""The one place where views turn ids and tokens from a URL into objects, or a 404.

Each `..._of_or_404` also checks that the object belongs to its parent from the same URL,
so another programme's session id, another session's booking id and so on are a plain
404, never someone else's data. Services never abort: they return None or raise domain
errors, and only views (through here) answer 404.
"""
from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from flask import abort

from webapp.actions.models import Action, ActionUpdate, Quote
from webapp.auth.models import User
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.exports.models import WorkbookBuild
from webapp.extensions import db
from webapp.feedback.models import FeedbackForm, Question, ResponseExclusion
from webapp.programmes.models import Finding, Programme
from webapp.room.models import RoomQuestion
from webapp.sessions.models import EventSession
from webapp.staff.models import StaffUpload
from webapp.themes.models import Theme, ThemeSuggestion

Found = TypeVar("Found")


def found_or_404(thing: Found | None) -> Found:
    if thing is None:
        abort(404)
    return thing


def _child_or_404(model: type[Found], child_id: int, belongs) -> Found:
    child = db.session.get(model, child_id)
    return found_or_404(child if child is not None and belongs(child) else None)


def programme_or_404(programme_id: int) -> Programme:
    return _child_or_404(Programme, programme_id, lambda programme: True)


def programme_by_slug_or_404(slug: str) -> Programme:
    return found_or_404(db.session.scalar(sa.select(Programme).where(Programme.slug == slug)))


def session_or_404(session_id: int) -> EventSession:
    return _child_or_404(EventSession, session_id, lambda session: True)


def session_of_or_404(programme: Programme, session_id: int) -> EventSession:
    return _child_or_404(EventSession, session_id, lambda session: session.programme_id == programme.id)


def finding_of_or_404(programme: Programme, finding_id: int) -> Finding:
    return _child_or_404(Finding, finding_id, lambda finding: finding.programme_id == programme.id)


def registration_of_or_404(session: EventSession, registration_id: int) -> Registration:
    return _child_or_404(Registration, registration_id,
                         lambda registration: registration.session_id == session.id and not registration.purged_at)


def booking_or_404(token: str) -> Registration:
    """Unknown, malformed or purged tokens are all the same plain 404."""
    return found_or_404(bookings.find_by_booking_token(token))


def ticket_or_404(token: str) -> Registration:
    return found_or_404(bookings.find_by_checkin_token(token))


def form_of_or_404(programme: Programme) -> FeedbackForm:
    return found_or_404(programme.feedback_form)


def question_of_or_404(form: FeedbackForm, question_id: int) -> Question:
    return _child_or_404(Question, question_id, lambda question: question.form_id == form.id)


def action_of_or_404(programme: Programme, action_id: int) -> Action:
    return _child_or_404(Action, action_id, lambda action: action.area.programme_id == programme.id)


def action_update_of_or_404(action: Action, update_id: int) -> ActionUpdate:
    return _child_or_404(ActionUpdate, update_id, lambda update: update.action_id == action.id)


def quote_of_or_404(programme: Programme, quote_id: int) -> Quote:
    return _child_or_404(Quote, quote_id, lambda quote: quote.programme_id == programme.id)


def room_question_of_or_404(session: EventSession, question_id: int) -> RoomQuestion:
    return _child_or_404(RoomQuestion, question_id, lambda question: question.session_id == session.id)


def user_or_404(user_id: int) -> User:
    return _child_or_404(User, user_id, lambda user: True)


def workbook_build_of_or_404(programme: Programme, build_id: int, *, may_see_attendance: bool) -> WorkbookBuild:
    """A build only for someone who may see what it holds (attendance: managers)."""
    return _child_or_404(WorkbookBuild, build_id, lambda build: build.programme_id == programme.id
                         and (may_see_attendance or not build.include_attendance))


def staff_upload_of_or_404(programme: Programme, upload_id: int) -> StaffUpload:
    return _child_or_404(StaffUpload, upload_id, lambda upload: upload.programme_id == programme.id)


def theme_of_or_404(programme: Programme, theme_id: int) -> Theme:
    return _child_or_404(Theme, theme_id, lambda theme: theme.programme_id == programme.id)


def theme_suggestion_of_or_404(programme: Programme, suggestion_id: int) -> ThemeSuggestion:
    return _child_or_404(ThemeSuggestion, suggestion_id,
                         lambda suggestion: suggestion.run.programme_id == programme.id)
def exclusion_of_or_404(session: EventSession, exclusion_id: int) -> ResponseExclusion:
    return _child_or_404(ResponseExclusion, exclusion_id, lambda exclusion: exclusion.session_id == session.id)
