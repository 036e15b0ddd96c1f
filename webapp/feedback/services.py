"""Feedback forms: the default form built from a programme's findings, the form
builder, feedback codes, and the anonymous phone form's answers."""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeGuard

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.caching import app_cache
from webapp.audit import AuditAction, record
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback import revisions  # noqa: F401  (forms get a new revision on every change)
from webapp.feedback.models import (
    AGREEMENT_SCALE,
    CHOICE_KINDS,
    RATING_SCALE,
    TYPED_KINDS,
    Answer,
    Breakdown,
    FeedbackForm,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionWording,
    Response,
    rating_scale_meaning,
    text_max_length,
)
from webapp.forms import strip_control_characters
from webapp.ordering import move_one_place
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.results import services as results
from webapp.results import totals
from webapp.sessions.models import EventSession, SessionStatus, feedback_window
from webapp.tokens import is_feedback_code, new_url_token

if TYPE_CHECKING:
    from webapp.auth.models import User

ROLE_GROUPS = (
    "Social work",
    "Health (including health visiting and school nursing)",
    "Education",
    "Police",
    "Third sector",
    "Management",
    "Other",
)
LOCALITIES = ("North East", "North West", "South", "City-wide")
ORGANISATIONS = (
    "Glasgow City Health and Social Care Partnership",
    "Glasgow City Council Education Services",
    "NHS Greater Glasgow and Clyde",
    "Police Scotland",
    "Third sector organisation",
    "Other",
)


def scale_options(kind: str) -> list[QuestionOption]:
    """The fixed options of an agreement or rating question."""
    scale = AGREEMENT_SCALE if kind == QuestionKind.AGREEMENT else RATING_SCALE
    return [
        QuestionOption(position=position, label=label, score=score)
        for position, (label, score) in enumerate(scale, start=1)
    ]


def choice_options(labels) -> list[QuestionOption]:
    return [QuestionOption(position=position, label=label) for position, label in enumerate(labels, start=1)]


PREFER_NOT_TO_SAY = "Prefer not to say"


def build_default_form(programme: Programme) -> FeedbackForm:
    """The form PRODUCT.md describes, built from the programme's findings (not committed)."""
    form = FeedbackForm(
        programme=programme,
        title=f"Your feedback: {programme.title}",
        intro="Tell the senior management team what you think of the findings. "
        "It takes about two minutes and is anonymous.",
    )
    # In the session before the findings are loaded, so that their autoflush includes it.
    db.session.add(form)
    questions: list[Question] = []

    for indicator in programme.findings_of(FindingKind.INDICATOR):
        questions.append(
            Question(
                kind=QuestionKind.AGREEMENT,
                text=f"Inspectors rated “{indicator.title}” as {indicator.grade}. How far do you agree?",
                finding=indicator,
                section=indicator.headline_question or "",
                required=False,
                options=scale_options(QuestionKind.AGREEMENT),
            )
        )
    improvement_areas = programme.findings_of(FindingKind.ACTION) or programme.findings_of(
        FindingKind.IMPROVEMENT_AREA
    )
    if improvement_areas:
        questions.append(
            Question(
                kind=QuestionKind.MULTI_CHOICE,
                text="Which improvement areas matter most for your work?",
                hint="Choose up to two.",
                max_choices=2,
                section="Improvement areas",
                options=choice_options(area.title for area in improvement_areas),
            )
        )
    questions += [
        Question(
            kind=QuestionKind.RATING,
            text="How useful was this session?",
            # With the written answers: one short step on the phone, not two.
            section="Your views",
            options=scale_options(QuestionKind.RATING),
        ),
        Question(
            kind=QuestionKind.LONG_TEXT,
            text="What would make the biggest difference for children and families in your area?",
            section="Your views",
        ),
        Question(
            kind=QuestionKind.LONG_TEXT,
            text="Anything else the senior management team should hear?",
            section="Your views",
        ),
    ]
    about_you = "About you (optional)"
    about_hint = "Only shown in results for groups of 5 or more people."
    for breakdown, text, labels in (
        (Breakdown.ROLE_GROUP, "Which group best describes your role?", ROLE_GROUPS),
        (Breakdown.LOCALITY, "Which locality do you mainly work in?", LOCALITIES),
        (Breakdown.ORGANISATION, "Which organisation do you work for?", ORGANISATIONS),
    ):
        questions.append(
            Question(
                kind=QuestionKind.SINGLE_CHOICE,
                text=text,
                hint=about_hint,
                breakdown=breakdown,
                section=about_you,
                # A way to decline, and to take back an answer a radio button cannot undo.
                options=choice_options((*labels, PREFER_NOT_TO_SAY)),
            )
        )
    for position, question in enumerate(questions, start=1):
        question.position = position
    form.questions = questions
    db.session.add(form)
    return form


# ---------------------------------------------------------------------------
# The form builder. Past answers are never destroyed or reinterpreted: a question
# or an option with answers can be hidden or reworded, never deleted, and a
# question's kind is fixed once it has answers.
# ---------------------------------------------------------------------------


def create_default_form(programme: Programme, *, actor: User | None = None) -> FeedbackForm:
    """The default form, if the programme has none yet."""
    if programme.feedback_form is not None:
        return programme.feedback_form
    form = build_default_form(programme)
    record(actor, AuditAction.FORM_CREATED, f"programme:{programme.id}", programme.title)
    db.session.commit()
    return form


def answer_counts(form: FeedbackForm) -> dict[int, int]:
    """Included responses that answered each question of the form (one grouped query).
    Excluded answers still count for question_has_answers: they are kept."""
    rows = db.session.execute(
        sa.select(Answer.question_id, sa.func.count(sa.distinct(Answer.response_id)))
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Question.form_id == form.id, Response.included)
        .group_by(Answer.question_id)
    ).tuples()
    return dict(rows.all())


def question_has_answers(question: Question) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Answer.question_id == question.id))))


def answered_option_ids(question: Question) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Answer.option_id)
            .where(Answer.question_id == question.id, Answer.option_id.is_not(None))
            .distinct()
        )
    )


def parse_option_lines(text: str) -> list[str]:
    """Options typed one per line: blank lines dropped, spaces trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def add_question(form: FeedbackForm, *, kind: str, text: str, hint: str = "", section: str = "",
                 required: bool = False, max_choices: int | None = None,
                 option_labels: list[str] | None = None, finding_id: int | None = None,
                 actor: User | None = None) -> Question:
    question = Question(
        form=form,
        kind=QuestionKind(kind),
        text=text.strip(),
        hint=hint.strip(),
        section=section.strip(),
        required=required,
        max_choices=max_choices if kind == QuestionKind.MULTI_CHOICE else None,
        finding_id=finding_id,
        position=max((q.position for q in form.questions), default=0) + 1,
    )
    question.options = _fresh_options(kind, option_labels or [])
    db.session.add(question)
    db.session.flush()
    _record_question(actor, AuditAction.QUESTION_ADDED, question)
    db.session.commit()
    return question


def _record_question(actor: User | None, action: AuditAction, question: Question) -> None:
    record(actor, action, f"question:{question.id}", question.text[:200])


def _fresh_options(kind: str, labels: list[str]) -> list[QuestionOption]:
    if kind in (QuestionKind.AGREEMENT, QuestionKind.RATING):
        return scale_options(kind)
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        return choice_options(labels)
    return []


def update_question(question: Question, *, kind: str, text: str, hint: str = "", section: str = "",
                    required: bool = False, max_choices: int | None = None,
                    option_labels: list[str] | None = None, finding_id: int | None = None,
                    actor: User | None = None) -> None:
    """Reword and reconfigure a question. Its kind changes only while it has no answers
    (callers check; this refuses too); options with answers are hidden, never deleted."""
    if kind != question.kind:
        if question_has_answers(question):
            raise ValueError("A question with answers keeps its kind")
        question.kind = QuestionKind(kind)
        question.options = _fresh_options(kind, option_labels or [])
    elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        _sync_choice_options(question, option_labels or [])
    reworded = text.strip() != question.text and question_has_answers(question)
    if reworded:
        _keep_wording_answered(question)
    question.text = text.strip()
    question.hint = hint.strip()
    question.section = section.strip()
    question.required = required
    question.max_choices = max_choices if kind == QuestionKind.MULTI_CHOICE else None
    question.finding_id = finding_id
    _record_question(actor, AuditAction.QUESTION_REWORDED if reworded else AuditAction.QUESTION_CHANGED, question)
    db.session.commit()


def _keep_wording_answered(question: Question) -> None:
    """Answers so far were to the old words: each keeps them, so results can say which."""
    wording = QuestionWording(text=question.text, used_until=utcnow())
    question.earlier_wordings.append(wording)
    db.session.flush()
    db.session.execute(
        sa.update(Answer).where(Answer.question_id == question.id, Answer.wording_id.is_(None))
        .values(wording_id=wording.id).execution_options(synchronize_session=False)
    )


def _sync_choice_options(question: Question, labels: list[str]) -> None:
    """Make the visible options exactly `labels`, in that order.

    An option is matched by its label, so a line that is kept keeps its id and its
    answers. A removed option with answers is hidden (its answers still mean what they
    meant); one without answers is deleted. A hidden option typed again comes back."""
    answered = answered_option_ids(question)
    by_label = {option.label: option for option in question.options}
    kept: list[QuestionOption] = []
    for label in labels:
        option = by_label.pop(label, None) or QuestionOption(label=label)
        option.hidden = False
        kept.append(option)
    leftover = list(by_label.values())
    for option in leftover:
        option.hidden = True
    # Positions: the visible options in the order typed, then the hidden ones.
    kept_hidden = [option for option in leftover if option.id in answered]
    for position, option in enumerate(kept + kept_hidden, start=1):
        option.position = position
    question.options = kept + kept_hidden  # delete-orphan removes the unanswered leftovers


def move_question(question: Question, direction: str) -> None:
    """Swap a question with its neighbour; positions are renumbered 1..n."""
    move_one_place(list(question.form.questions), question, direction)
    db.session.commit()


def set_question_hidden(question: Question, hidden: bool, *, actor: User | None = None) -> None:
    question.hidden = hidden
    _record_question(actor, AuditAction.QUESTION_HIDDEN if hidden else AuditAction.QUESTION_SHOWN, question)
    db.session.commit()


def delete_question(question: Question, *, actor: User | None = None) -> bool:
    """Delete a question that nobody has answered. Returns False (and keeps it) otherwise."""
    if question_has_answers(question):
        return False
    _record_question(actor, AuditAction.QUESTION_DELETED, question)
    db.session.delete(question)
    db.session.commit()
    return True


# ---------------------------------------------------------------------------
# Feedback codes
# ---------------------------------------------------------------------------


def session_by_code(code: str) -> EventSession | None:
    if not is_feedback_code(code):
        return None
    return db.session.scalar(sa.select(EventSession).where(EventSession.feedback_code == code))


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


def feedback_url(session: EventSession) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/f/{session.feedback_code}"


def short_address(session: EventSession) -> str:
    """The address as typed from a poster: without the scheme."""
    return feedback_url(session).split("://", 1)[-1]


# ---------------------------------------------------------------------------
# The phone form: window, loading, reading answers, storing them once
# ---------------------------------------------------------------------------

SUBMISSION_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


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


def load_form_for(programme_id: int) -> FeedbackForm | None:
    """The programme's form with its questions, options and findings (ORM objects)."""
    questions = selectinload(FeedbackForm.questions)
    return db.session.scalar(
        sa.select(FeedbackForm)
        .where(FeedbackForm.programme_id == programme_id)
        .options(questions.selectinload(Question.options), questions.selectinload(Question.finding))
    )


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
class PhoneQuestion:
    """A visible question as the phone form needs it: plain data, read with two
    Core queries. The whole room loads this form within a minute, and building ORM
    objects for ~100 rows per request cost more than everything else together."""

    id: int
    kind: str
    text: str
    hint: str
    section: str
    required: bool
    max_choices: int | None
    finding: PhoneFinding | None
    visible_options: tuple[PhoneOption, ...]
    scale_meaning: str

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def text_max_length(self) -> int:
        return text_max_length(self.kind)


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
            scale_meaning=rating_scale_meaning([option.label for option in options[row.id]])
            if row.kind == QuestionKind.RATING else "",
        ))
    return PhoneForm(first.form_id, first.form_title, first.form_intro, tuple(questions))


def new_submission_key() -> str:
    return new_url_token()


def is_submission_key(value: str | None) -> TypeGuard[str]:
    return value is not None and SUBMISSION_KEY_PATTERN.fullmatch(value) is not None


@dataclass
class Submission:
    """What a phone sent, read against the form's visible questions."""

    # What was chosen or typed, by question id, to put back on the page.
    chosen: dict[int, set[str]] = field(default_factory=dict)
    typed: dict[int, str] = field(default_factory=dict)
    # Error message by question id.
    errors: dict[int, str] = field(default_factory=dict)
    # Rows for the answer table (without response_id).
    rows: list[dict] = field(default_factory=list)
    # (question text, [answer labels or text]) for the thank-you page: plain strings,
    # read before the commit expires the questions.
    summary: list[tuple[str, list[str]]] = field(default_factory=list)


REQUIRED_MESSAGES = {
    QuestionKind.AGREEMENT: "Select how far you agree, or Don't know",
    QuestionKind.RATING: "Select a rating from 1 to 5",
    QuestionKind.SINGLE_CHOICE: "Select an answer",
    QuestionKind.MULTI_CHOICE: "Select at least one answer",
    QuestionKind.SHORT_TEXT: "Enter your answer",
    QuestionKind.LONG_TEXT: "Enter your answer",
    QuestionKind.ONE_WORD: "Enter one word",
}


# An empty "Send feedback" is not a response: the error is the form's, not a question's.
NOTHING_ANSWERED = 0
NOTHING_ANSWERED_MESSAGE = "Answer at least one question, then press Send feedback"


def read_answers(questions, formdata) -> Submission:
    """Check the answers to `questions` in `formdata` (a MultiDict, field `q<id>`)."""
    submission = Submission()
    for question in questions:
        name = f"q{question.id}"
        if question.kind in TYPED_KINDS:
            _read_text(submission, question, formdata.get(name, ""))
        else:
            _read_choice(submission, question, formdata.getlist(name))
    if questions and not submission.rows and not submission.errors:
        submission.errors[NOTHING_ANSWERED] = NOTHING_ANSWERED_MESSAGE
    return submission


def _read_text(submission: Submission, question, raw: str) -> None:
    # Read by hand, not through AppForm: drop control characters (PostgreSQL refuses NUL).
    text = strip_control_characters(raw.replace("\r\n", "\n")).strip()
    submission.typed[question.id] = text
    limit = question.text_max_length
    if question.kind == QuestionKind.ONE_WORD and len(text.split()) > 1:
        submission.errors[question.id] = "Enter one word, without spaces"
        return
    if len(text) > limit:
        submission.errors[question.id] = (
            f"Your answer must be {limit:,} characters or fewer: it has {len(text):,}. Shorten it and press Send again"
        )
    elif not text:
        if question.required:
            submission.errors[question.id] = REQUIRED_MESSAGES[QuestionKind(question.kind)]
    else:
        if question.kind == QuestionKind.ONE_WORD:
            text = normalise_word(text)  # after the length check: what was typed is what counts
        submission.rows.append({"question_id": question.id, "option_id": None, "text": text})
        submission.summary.append((question.text, [text]))


def _read_choice(submission: Submission, question, values: list[str]) -> None:
    options = {str(option.id): option for option in question.visible_options}
    picked = list(dict.fromkeys(value for value in values if value))  # once each, in order
    submission.chosen[question.id] = set(picked)
    if any(value not in options for value in picked):
        submission.errors[question.id] = "Select one of the answers shown"
        return
    if not picked:
        if question.required:
            submission.errors[question.id] = REQUIRED_MESSAGES[QuestionKind(question.kind)]
        return
    if question.kind != QuestionKind.MULTI_CHOICE and len(picked) > 1:
        submission.errors[question.id] = "Select only one answer"
        return
    if question.kind == QuestionKind.MULTI_CHOICE and question.max_choices and len(picked) > question.max_choices:
        submission.errors[question.id] = (
            f"Select no more than {question.max_choices}: you selected {len(picked)}"
        )
        return
    ordered = [option for option in question.visible_options if str(option.id) in picked]
    submission.rows.extend(
        {"question_id": question.id, "option_id": option.id, "text": None} for option in ordered
    )
    submission.summary.append((question.text, [option.label for option in ordered]))


def normalise_word(text: str) -> str:
    """A one-word answer as it is stored and counted: NFKC (a full-width "Ｈｏｐｅ" is
    "hope"), case-folded, so "Hopeful" and "hopeful" are one word in the cloud."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def response_ceiling(capacity: int) -> int:
    """Most responses a session can take: FEEDBACK_RESPONSES_PER_PLACE per place (walk-ins
    add places, so attendance never exceeds capacity), plus a few. One client sending
    hundreds of responses meets it; a real room never does."""
    return int(capacity * current_app.config["FEEDBACK_RESPONSES_PER_PLACE"]) + 10


def at_response_ceiling(session: PhoneSession) -> bool:
    """Included responses only, read from the running totals (one row): once an organiser
    has excluded a burst, the people in the room can still respond."""
    return results.response_count([session.id]) >= response_ceiling(session.capacity)


def store_response(session_id: int, submission_key: str, rows: list[dict]) -> bool:
    """Store one anonymous response: the session, the time and the answers, nothing else,
    and add it to the running totals in the same transaction.

    Returns False, storing nothing, when the key was already used (a double tap or a
    resent POST). The unique constraint decides, so two POSTs racing each other on
    different workers still store one response."""
    try:
        response_id = db.session.execute(
            _INSERT_RESPONSE, {"session_id": session_id, "submitted_at": utcnow(), "submission_key": submission_key}
        ).scalar_one()
    except IntegrityError:
        db.session.rollback()
        if db.session.scalar(sa.select(sa.exists().where(Response.submission_key == submission_key))):
            return False
        raise
    if rows:
        db.session.execute(_INSERT_ANSWERS, [dict(row, response_id=response_id) for row in rows])
    totals.add_response(session_id, [(row["question_id"], row["option_id"], row["text"]) for row in rows])
    db.session.commit()
    return True


# Built once, on the tables rather than the models: the ORM's bulk-insert machinery
# cost more than the INSERTs themselves, and no ORM object is needed afterwards.
_INSERT_RESPONSE = sa.insert(Response.__table__).returning(Response.__table__.c.id)  # type: ignore[arg-type]
_INSERT_ANSWERS = sa.insert(Answer.__table__)  # type: ignore[arg-type]  # __table__ is typed FromClause
