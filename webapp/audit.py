"""The audit log: who changed or exported what. Every operation writes its entry in the
same transaction as its change, so the change and its record commit together or not at
all. No names or email addresses in `detail`: the retention purge does not reach it."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.auth.models import AuditEntry, User


class AuditAction(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGN_OUT = "sign_out"
    IDLE_TIMEOUT = "session.idle_timeout"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_SET = "password.set"
    PASSWORD_RESET_REQUESTED = "password.reset_requested"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    USER_CREATED = "user.created"
    USER_INVITED = "user.invited"
    USER_SETUP_LINK = "user.setup_link"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_ROLE_CHANGED = "user.role_changed"
    RETENTION_PURGED = "retention.purged"
    EXPORT_WORKBOOK = "export.workbook"
    EXPORT_RESPONSES_CSV = "export.responses_csv"
    EXPORT_ATTENDANCE_CSV = "export.attendance_csv"
    EXPORT_ATTENDEES_CSV = "export.attendees_csv"
    SESSION_CREATED = "session.created"
    SESSION_CHANGED = "session.changed"
    SESSION_CANCELLED = "session.cancelled"
    SESSION_MESSAGE = "session.message"
    BOOKING_CANCELLED = "booking.cancelled"
    WALK_IN_ADDED = "booking.walk_in"
    CHECKED_IN = "booking.checked_in"
    CHECK_IN_UNDONE = "booking.check_in_undone"
    PROGRAMME_CREATED = "programme.created"
    PROGRAMME_CHANGED = "programme.changed"
    PROGRAMME_OPENED = "programme.opened"
    PROGRAMME_CLOSED = "programme.closed"
    FINDING_ADDED = "finding.added"
    FINDING_CHANGED = "finding.changed"
    FINDING_REMOVED = "finding.removed"
    FORM_CREATED = "form.created"
    QUESTION_ADDED = "question.added"
    QUESTION_CHANGED = "question.changed"
    QUESTION_HIDDEN = "question.hidden"
    QUESTION_SHOWN = "question.shown"
    QUESTION_DELETED = "question.deleted"
    EMAIL_RETRIED = "email.retried"
    ACTION_ADDED = "action.added"
    ACTION_CHANGED = "action.changed"
    ACTION_REMOVED = "action.removed"
    ACTION_UPDATE_PUBLISHED = "action.update_published"
    ACTION_UPDATE_REMOVED = "action.update_removed"
    QUOTE_APPROVED = "quote.approved"
    QUOTE_WITHDRAWN = "quote.withdrawn"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def label_of(cls, value: str) -> str:
        """The readable label of a stored action (the value itself if it is unknown)."""
        try:
            return cls(value).label
        except ValueError:
            return value


_LABELS = {
    AuditAction.SIGN_IN: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Sign-in refused",
    AuditAction.SIGN_OUT: "Signed out",
    AuditAction.IDLE_TIMEOUT: "Signed out after inactivity",
    AuditAction.PASSWORD_CHANGED: "Changed their password",
    AuditAction.PASSWORD_SET: "Set a password",
    AuditAction.PASSWORD_RESET_REQUESTED: "Asked for a password reset link",
    AuditAction.MFA_ENABLED: "Turned on a second factor",
    AuditAction.MFA_DISABLED: "Turned off a second factor",
    AuditAction.USER_CREATED: "Account created",
    AuditAction.USER_INVITED: "Invited a user",
    AuditAction.USER_SETUP_LINK: "Created a password link",
    AuditAction.USER_DEACTIVATED: "Deactivated an account",
    AuditAction.USER_REACTIVATED: "Reactivated an account",
    AuditAction.USER_ROLE_CHANGED: "Changed a role",
    AuditAction.RETENTION_PURGED: "Deleted old booking details",
    AuditAction.EXPORT_WORKBOOK: "Downloaded the feedback workbook",
    AuditAction.EXPORT_RESPONSES_CSV: "Downloaded the responses (CSV)",
    AuditAction.EXPORT_ATTENDANCE_CSV: "Downloaded the attendance (CSV)",
    AuditAction.EXPORT_ATTENDEES_CSV: "Downloaded an attendee list (CSV)",
    AuditAction.SESSION_CREATED: "Scheduled a session",
    AuditAction.SESSION_CHANGED: "Changed a session",
    AuditAction.SESSION_CANCELLED: "Cancelled a session",
    AuditAction.SESSION_MESSAGE: "Emailed everyone booked on a session",
    AuditAction.BOOKING_CANCELLED: "Cancelled someone's booking",
    AuditAction.WALK_IN_ADDED: "Added a walk-in",
    AuditAction.CHECKED_IN: "Checked someone in",
    AuditAction.CHECK_IN_UNDONE: "Undid a check-in",
    AuditAction.PROGRAMME_CREATED: "Created a programme",
    AuditAction.PROGRAMME_CHANGED: "Changed a programme",
    AuditAction.PROGRAMME_OPENED: "Opened a programme for booking",
    AuditAction.PROGRAMME_CLOSED: "Closed a programme",
    AuditAction.FINDING_ADDED: "Added a finding",
    AuditAction.FINDING_CHANGED: "Changed a finding",
    AuditAction.FINDING_REMOVED: "Removed a finding",
    AuditAction.FORM_CREATED: "Created a feedback form",
    AuditAction.QUESTION_ADDED: "Added a question",
    AuditAction.QUESTION_CHANGED: "Changed a question",
    AuditAction.QUESTION_HIDDEN: "Hid a question",
    AuditAction.QUESTION_SHOWN: "Showed a question again",
    AuditAction.QUESTION_DELETED: "Deleted a question",
    AuditAction.EMAIL_RETRIED: "Sent a failed email again",
    AuditAction.ACTION_ADDED: "Added an action to the plan",
    AuditAction.ACTION_CHANGED: "Changed an action",
    AuditAction.ACTION_REMOVED: "Removed an action",
    AuditAction.ACTION_UPDATE_PUBLISHED: "Published an action update",
    AuditAction.ACTION_UPDATE_REMOVED: "Removed an action update",
    AuditAction.QUOTE_APPROVED: "Approved a quote for publication",
    AuditAction.QUOTE_WITHDRAWN: "Withdrew a published quote",
}


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
