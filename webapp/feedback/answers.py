"""Reading what a phone sent against the form, and storing it once as an anonymous response."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TypeGuard

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import TYPED_KINDS, Answer, QuestionKind, Response
from webapp.feedback.phone import PhoneSession
from webapp.forms import strip_control_characters
from webapp.results import services as results
from webapp.results import totals
from webapp.tokens import new_url_token

SUBMISSION_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


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
