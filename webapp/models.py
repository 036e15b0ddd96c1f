"""Every model, imported in one place so that Alembic and the shell see them all."""
from webapp.auth.models import AuditEntry, Role, User
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.feedback.models import (
    Answer,
    FeedbackForm,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionWording,
    Response,
)
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.sessions.models import EventSession, SessionStatus

__all__ = [
    "Answer",
    "AuditEntry",
    "EventSession",
    "FeedbackForm",
    "Finding",
    "FindingKind",
    "Programme",
    "Question",
    "QuestionKind",
    "QuestionOption",
    "QuestionWording",
    "Registration",
    "RegistrationStatus",
    "Response",
    "Role",
    "SessionStatus",
    "User",
]
