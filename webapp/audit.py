"""The audit log: who changed or exported what. Every operation writes its entry in the
same transaction as its change, so the change and its record commit together or not at
all. No names or email addresses in `detail`: the retention purge does not reach it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.enums import LabelledEnum
from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.auth.models import AuditEntry, User


class AuditAction(LabelledEnum):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in.failed", "Sign-in refused"
    SSO_REFUSED = "sign_in.sso_refused", "Single sign-on refused"
    SIGN_OUT = "sign_out", "Signed out"
    IDLE_TIMEOUT = "session.idle_timeout", "Signed out after inactivity"
    PASSWORD_CHANGED = "password.changed", "Changed their password"
    PASSWORD_SET = "password.set", "Set a password"
    PASSWORD_RESET_REQUESTED = "password.reset_requested", "Asked for a password reset link"
    MFA_ENABLED = "mfa.enabled", "Turned on a second factor"
    MFA_DISABLED = "mfa.disabled", "Turned off a second factor"
    USER_CREATED = "user.created", "Account created"
    USER_INVITED = "user.invited", "Invited a user"
    USER_SETUP_LINK = "user.setup_link", "Created a password link"
    USER_DEACTIVATED = "user.deactivated", "Deactivated an account"
    USER_REACTIVATED = "user.reactivated", "Reactivated an account"
    USER_ROLE_CHANGED = "user.role_changed", "Changed a role"
    RETENTION_PURGED = "retention.purged", "Deleted old booking details"
    EXPORT_WORKBOOK = "export.workbook", "Downloaded the feedback workbook"
    EXPORT_RESPONSES_CSV = "export.responses_csv", "Downloaded the responses (CSV)"
    EXPORT_ATTENDANCE_CSV = "export.attendance_csv", "Downloaded the attendance (CSV)"
    EXPORT_ATTENDEES_CSV = "export.attendees_csv", "Downloaded an attendee list (CSV)"
    SESSION_CREATED = "session.created", "Scheduled a session"
    SESSION_CHANGED = "session.changed", "Changed a session"
    SESSION_CANCELLED = "session.cancelled", "Cancelled a session"
    SESSION_MESSAGE = "session.message", "Emailed everyone booked on a session"
    BOOKING_CANCELLED = "booking.cancelled", "Cancelled someone's booking"
    WALK_IN_ADDED = "booking.walk_in", "Added a walk-in"
    CHECKED_IN = "booking.checked_in", "Checked someone in"
    CHECK_IN_UNDONE = "booking.check_in_undone", "Undid a check-in"
    PROGRAMME_CREATED = "programme.created", "Created a programme"
    PROGRAMME_CHANGED = "programme.changed", "Changed a programme"
    PROGRAMME_OPENED = "programme.opened", "Opened a programme for booking"
    PROGRAMME_CLOSED = "programme.closed", "Closed a programme"
    FINDING_ADDED = "finding.added", "Added a finding"
    FINDING_CHANGED = "finding.changed", "Changed a finding"
    FINDING_REMOVED = "finding.removed", "Removed a finding"
    FORM_CREATED = "form.created", "Created a feedback form"
    QUESTION_ADDED = "question.added", "Added a question"
    QUESTION_CHANGED = "question.changed", "Changed a question"
    QUESTION_REWORDED = "question.reworded", "Reworded a question people had answered"
    QUESTION_HIDDEN = "question.hidden", "Hid a question"
    QUESTION_SHOWN = "question.shown", "Showed a question again"
    QUESTION_DELETED = "question.deleted", "Deleted a question"
    EMAIL_RETRIED = "email.retried", "Sent a failed email again"
    STAFF_LIST_IMPORTED = "staff.imported", "Imported a staff list"
    STAFF_LIST_DOWNLOADED = "staff.downloaded", "Downloaded a staff list or coverage"
    STAFF_INVITED = "staff.invited", "Invited staff not yet reached"
    BOOKING_BURST_CANCELLED = "booking.burst_cancelled", "Cancelled a burst of bookings"
    RESPONSES_EXCLUDED = "responses.excluded", "Excluded a burst of responses from results"
    RESPONSES_RESTORED = "responses.restored", "Put excluded responses back into results"
    ACTION_ADDED = "action.added", "Added an action to the plan"
    ACTION_CHANGED = "action.changed", "Changed an action"
    ACTION_REMOVED = "action.removed", "Removed an action"
    ACTION_UPDATE_PUBLISHED = "action.update_published", "Published an action update"
    ACTION_UPDATE_REMOVED = "action.update_removed", "Removed an action update"
    QUOTE_APPROVED = "quote.approved", "Approved a quote for publication"
    QUOTE_WITHDRAWN = "quote.withdrawn", "Withdrew a published quote"
    ROOM_MODERATION_CHANGED = "room.moderation_changed", "Changed how a session's questions are moderated"
    ROOM_QUESTION_APPROVED = "room.question_approved", "Approved a question from the room"
    ROOM_QUESTION_HIDDEN = "room.question_hidden", "Hid a question from the room"
    ROOM_QUESTION_ANSWERED = "room.question_answered", "Marked a question from the room answered"
    ROOM_QUESTION_REOPENED = "room.question_reopened", "Marked a question from the room not answered"
    ROOM_QUESTION_ANSWER_WRITTEN = "room.answer_written", "Answered a question from the room in writing"
    THEME_ADDED = "theme.added", "Added a theme"
    THEME_CHANGED = "theme.changed", "Renamed or described a theme"
    THEME_MERGED = "theme.merged", "Merged two themes"
    THEME_REMOVED = "theme.removed", "Deleted a theme"
    THEMES_TAGGED = "theme.tagged", "Tagged comments with themes"
    THEME_SUGGESTIONS_REQUESTED = "theme.suggestions_requested", "Asked for theme suggestions"
    THEME_SUGGESTION_ACCEPTED = "theme.suggestion_accepted", "Accepted a suggested theme"
    THEME_SUGGESTION_MERGED = "theme.suggestion_merged", "Merged a suggested theme into a theme"
    THEME_SUGGESTION_REJECTED = "theme.suggestion_rejected", "Rejected a suggested theme"

    @classmethod
    def label_of(cls, value: str) -> str:
        """The readable label of a stored action (the value itself if it is unknown)."""
        try:
            return cls(value).label
        except ValueError:
            return value


def record(actor: User | None, action: AuditAction, target: str = "", detail: str = "") -> AuditEntry:
    """Add an entry to the current transaction; the operation that calls this commits."""
    from webapp.auth.models import AuditEntry

    entry = AuditEntry(user_id=actor.id if actor else None, action=AuditAction(action).value,
                       target=target, detail=detail)
    db.session.add(entry)
    return entry


def record_export(actor: User, action: AuditAction, programme, detail: str = "") -> None:
    """A download is an operation of its own: recorded and committed before the file goes."""
    record(actor, action, f"programme:{programme.id}", detail)
    db.session.commit()
