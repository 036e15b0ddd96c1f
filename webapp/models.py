"""Every model, imported in one place so that Alembic and the shell see them all."""
from webapp.actions.models import Action, ActionStatus, ActionUpdate, Quote
from webapp.auth.models import AuditEntry, Role, User
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.exports.models import BuildStatus, WorkbookBuild
from webapp.feedback.models import (
    Answer,
    FeedbackForm,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionWording,
    Response,
    ResponseExclusion,
)
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail, WorkerHeartbeat
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.results.models import ResultCount
from webapp.room.models import AnswerStatus, Moderation, QuestionStatus, QuestionVote, RoomQuestion, RoomSettings
from webapp.sessions.models import EventSession, SessionStatus
from webapp.staff.models import StaffInvitation, StaffMember, StaffUpload, StaffUploadRow
from webapp.themes.models import SuggestionRun, Theme, ThemeSuggestion

__all__ = [
    "Action",
    "ActionStatus",
    "ActionUpdate",
    "Answer",
    "AuditEntry",
    "BuildStatus",
    "DeliveryStatus",
    "EmailKind",
    "EventSession",
    "FeedbackForm",
    "Finding",
    "FindingKind",
    "OutboundEmail",
    "Programme",
    "Question",
    "QuestionKind",
    "QuestionOption",
    "QuestionWording",
    "Quote",
    "Registration",
    "RegistrationStatus",
    "Response",
    "ResponseExclusion",
    "ResultCount",
    "RoomQuestion",
    "RoomSettings",
    "QuestionVote",
    "QuestionStatus",
    "AnswerStatus",
    "Moderation",
    "Role",
    "SessionStatus",
    "StaffInvitation",
    "StaffMember",
    "StaffUpload",
    "StaffUploadRow",
    "SuggestionRun",
    "Theme",
    "ThemeSuggestion",
    "User",
    "WorkbookBuild",
    "WorkerHeartbeat",
]
