"""The phone form's read model: the session a code names, whether its feedback is open,
and the form as the phone shows it (plain data, kept per worker until its revision moves on)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.caching import app_cache
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback import revisions  # noqa: F401  (the cache below relies on every change giving a new revision)
from webapp.feedback.models import FeedbackForm, Question, QuestionKind, QuestionOption, QuestionRules
from webapp.programmes.models import Finding, FindingKind
from webapp.sessions.models import EventSession, SessionStatus, feedback_window
from webapp.tokens import is_feedback_code


@dataclass(frozen=True)
class PhoneSession:
    """A session as the phone form needs it: plain data from one Core query (building
    an EventSession cost twice the query). Its window follows EventSession's rules."""

    id: int
    programme_id: int
    title: str
    feedback_code: str
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    feedback_opens_at: datetime | None
    feedback_closes_at: datetime | None
    capacity: int

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def feedback_window(self) -> tuple[datetime, datetime]:
        return feedback_window(self.starts_at, self.ends_at, self.feedback_opens_at, self.feedback_closes_at)


_PHONE_SESSION = sa.select(
    EventSession.id, EventSession.programme_id, EventSession.title, EventSession.feedback_code,
    EventSession.status, EventSession.starts_at, EventSession.ends_at, EventSession.feedback_opens_at,
    EventSession.feedback_closes_at, EventSession.capacity,
).where(EventSession.feedback_code == sa.bindparam("code"))


def phone_session_by_code(code: str) -> PhoneSession | None:
    if not is_feedback_code(code):  # never hand a malformed code (a NUL, say) to the database
        return None
    row = db.session.execute(_PHONE_SESSION, {"code": code}).first()
    return PhoneSession(**row._mapping) if row else None


class WindowState(enum.StrEnum):
    """Where a session's feedback form stands now."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


def window_state(session: EventSession | PhoneSession, now: datetime | None = None) -> WindowState:
    if session.is_cancelled:
        return WindowState.CANCELLED
    opens, closes = session.feedback_window
    now = now or utcnow()
    if now < opens:
        return WindowState.NOT_YET_OPEN
    if now >= closes:
        return WindowState.CLOSED
    return WindowState.OPEN


@dataclass(frozen=True)
class PhoneOption:
    id: int
    label: str


@dataclass(frozen=True)
class PhoneFinding:
    kind_label: str
    title: str
    grade: str | None


@dataclass(frozen=True)
class PhoneQuestion(QuestionRules):
    """A visible question as the phone form needs it: plain data, read with two
    Core queries. The whole room loads this form within a minute, and building ORM
    objects for ~100 rows per request cost more than everything else together.
    What its kind decides comes from QuestionRules, as for the Question model."""

    id: int
    kind: QuestionKind
    text: str
    hint: str
    section: str
    required: bool
    max_choices: int | None
    finding: PhoneFinding | None
    visible_options: tuple[PhoneOption, ...]


@dataclass(frozen=True)
class PhoneForm:
    id: int
    title: str
    intro: str
    visible_questions: tuple[PhoneQuestion, ...]


# Built once: composing a statement costs more than SQLite takes to run it.
_PHONE_QUESTIONS = (
    sa.select(FeedbackForm.id.label("form_id"), FeedbackForm.title.label("form_title"),
              FeedbackForm.intro.label("form_intro"), Question.id, Question.kind, Question.text,
              Question.hint, Question.section, Question.required, Question.max_choices,
              Finding.kind.label("finding_kind"), Finding.title.label("finding_title"),
              Finding.grade.label("finding_grade"))
    .select_from(FeedbackForm)
    .outerjoin(Question, sa.and_(Question.form_id == FeedbackForm.id, Question.hidden.is_(False)))
    .outerjoin(Finding, Finding.id == Question.finding_id)
    .where(FeedbackForm.programme_id == sa.bindparam("programme_id"))
    .order_by(Question.position, Question.id)
)
_PHONE_OPTIONS = (
    sa.select(QuestionOption.id, QuestionOption.question_id, QuestionOption.label)
    .join(Question, Question.id == QuestionOption.question_id)
    .where(Question.form_id == sa.bindparam("form_id"), Question.hidden.is_(False),
           QuestionOption.hidden.is_(False))
    .order_by(QuestionOption.question_id, QuestionOption.position, QuestionOption.id)
)


_FORM_REVISION = sa.select(FeedbackForm.id, FeedbackForm.revision).where(
    FeedbackForm.programme_id == sa.bindparam("programme_id")
)
PHONE_FORMS_KEPT = 64


def load_phone_form(programme_id: int) -> PhoneForm | None:
    """The programme's form as the phone form shows it.

    A whole room loads it within a minute, so each worker keeps the form it built and
    only reads the form's revision (one small query): any edit gives the form a new
    revision (feedback/revisions.py), so the next request builds it again. The revision
    is read before the form, so a form kept is never older than its revision."""
    current = db.session.execute(_FORM_REVISION, {"programme_id": programme_id}).first()
    if current is None:
        return None
    return app_cache("phone_forms", PHONE_FORMS_KEPT).get_or_make(
        (programme_id, *current), lambda: _read_phone_form(programme_id))


def _read_phone_form(programme_id: int) -> PhoneForm | None:
    """The programme's form with its visible questions and options, in two queries."""
    question_rows = db.session.execute(_PHONE_QUESTIONS, {"programme_id": programme_id}).all()
    if not question_rows:
        return None
    first = question_rows[0]
    question_rows = [row for row in question_rows if row.id is not None]
    options: dict[int, list[PhoneOption]] = {row.id: [] for row in question_rows}
    for option_id, question_id, label in db.session.execute(_PHONE_OPTIONS, {"form_id": first.form_id}):
        options[question_id].append(PhoneOption(option_id, label))
    questions = []
    for row in question_rows:
        questions.append(PhoneQuestion(
            id=row.id, kind=row.kind, text=row.text, hint=row.hint, section=row.section,
            required=row.required, max_choices=row.max_choices,
            finding=PhoneFinding(FindingKind(row.finding_kind).label, row.finding_title,
                                 row.finding_grade) if row.finding_kind else None,
            visible_options=tuple(options[row.id]),
        ))
    return PhoneForm(first.form_id, first.form_title, first.form_intro, tuple(questions))

