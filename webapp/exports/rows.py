"""Rows of the Responses, Comments and Attendance tables, streamed from the database.

Shared by the workbook and the CSV downloads so that both have the same columns.
Rows come from the database in batches (`yield_per`, a server-side cursor on
PostgreSQL), so memory stays flat however many responses there are.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa

from webapp.bookings.models import STATUS_LABELS, Registration, RegistrationStatus
from webapp.extensions import db
from webapp.feedback.models import Answer, Question, QuestionOption, Response
from webapp.results.services import comments_query, local_naive
from webapp.sessions.models import EventSession

BATCH = 5000
MULTI_CHOICE_SEPARATOR = "; "

RESPONSE_FIXED_HEADERS = ("Response number", "Session", "Locality", "Submitted at")
COMMENT_HEADERS = ("Session", "Question", "Submitted at", "Comment")
ATTENDANCE_HEADERS = ("Session", "Name", "Email", "Job role", "Team", "Locality", "Organisation",
                      "Status", "Booked at", "Checked in at")


def _stream(query):
    return db.session.execute(query.execution_options(stream_results=True, yield_per=BATCH))


def response_headers(questions: list[Question]) -> list[str]:
    return [*RESPONSE_FIXED_HEADERS, *(question.text for question in questions)]


def response_rows(sessions: list[EventSession], questions: list[Question]) -> Iterator[list]:
    """One row per response: number, session, locality, submitted at (London time),
    then one cell per question in form order (multiple choices joined in one cell).

    Two ordered streams (responses, and their answers) are merged by response id, so
    the answer rows carry no repeated session or date columns."""
    session_ids = [session.id for session in sessions]
    if not session_ids:
        return
    by_session = {session.id: session for session in sessions}
    column_of = {question.id: index for index, question in enumerate(questions)}
    option_ids = [option.id for question in questions for option in question.options]
    labels: dict[int, tuple[int, str]] = {}
    for chunk_start in range(0, len(option_ids), 500):
        for option_id, position, label in db.session.execute(
            sa.select(QuestionOption.id, QuestionOption.position, QuestionOption.label)
            .where(QuestionOption.id.in_(option_ids[chunk_start:chunk_start + 500]))
        ):
            labels[option_id] = (position, label)

    responses = _stream(
        sa.select(Response.id, Response.session_id, Response.submitted_at)
        .where(Response.session_id.in_(session_ids))
        .order_by(Response.id)
    )
    answers = _stream(
        sa.select(Answer.response_id, Answer.question_id, Answer.option_id, Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.session_id.in_(session_ids))
        .order_by(Answer.response_id, Answer.id)
    )
    pending = next(answers, None)
    width = len(questions)
    for response_id, session_id, submitted_at in responses:
        cells: list = [None] * width
        chosen: dict[int, list[tuple[int, str]]] = {}
        while pending is not None and pending[0] <= response_id:
            _, question_id, option_id, text = pending
            if pending[0] == response_id and question_id in column_of:
                if option_id is not None:
                    if option_id in labels:
                        chosen.setdefault(question_id, []).append(labels[option_id])
                else:
                    cells[column_of[question_id]] = text
            pending = next(answers, None)
        for question_id, picked in chosen.items():
            picked.sort()
            cells[column_of[question_id]] = MULTI_CHOICE_SEPARATOR.join(label for _, label in picked)
        session = by_session[session_id]
        yield [response_id, session.title, session.locality, local_naive(submitted_at), *cells]


def comment_rows(session_ids: list[int]) -> Iterator[tuple[str, str, datetime | None, str]]:
    """Every text answer, newest first (as on the results page): session, question,
    submitted at (London time), comment."""
    if not session_ids:
        return
    query = comments_query(session_ids).order_by(Response.submitted_at.desc(), Answer.id.desc())
    for text, submitted_at, question_text, session_title, *_ in _stream(query):
        yield session_title, question_text, local_naive(submitted_at), text


def attendance_rows(sessions: list[EventSession]) -> Iterator[tuple]:
    """Personal data: organisers and admins only."""
    session_ids = [session.id for session in sessions]
    if not session_ids:
        return
    query = (
        sa.select(EventSession.title, Registration.name, Registration.email, Registration.job_role,
                  Registration.team, Registration.locality, Registration.organisation,
                  Registration.status, Registration.created_at, Registration.checked_in_at)
        .join(EventSession, EventSession.id == Registration.session_id)
        .where(Registration.session_id.in_(session_ids))
        .order_by(EventSession.starts_at, EventSession.id, Registration.created_at, Registration.id)
    )
    for (title, name, email, job_role, team, locality, organisation, status,
         booked_at, checked_in_at) in _stream(query):
        yield (title, name or "", email or "", job_role, team, locality, organisation,
               STATUS_LABELS.get(RegistrationStatus(status), status),
               local_naive(booked_at), local_naive(checked_in_at))
