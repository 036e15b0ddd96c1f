"""Rows of the Responses, Comments and Attendance tables, streamed from the database.

Shared by the workbook and the CSV downloads so that both have the same columns.
Rows come from the database in batches (`yield_per`, a server-side cursor on
PostgreSQL), so memory stays flat however many responses there are.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa

from webapp.bookings.models import STATUS_LABELS, Registration, RegistrationStatus
from webapp.extensions import db
from webapp.feedback.models import Answer, Question, Response
from webapp.results.services import comments_query, local_naive
from webapp.sessions.models import EventSession

BATCH = 5000
MULTI_CHOICE_SEPARATOR = "; "

RESPONSE_FIXED_HEADERS = ("Response number", "Session", "Locality", "Submitted at")
COMMENT_HEADERS = ("Session", "Question", "Submitted at", "Comment")
ATTENDANCE_HEADERS = ("Session", "Name", "Email", "Job role", "Team", "Locality", "Organisation",
                      "Status", "Booked at", "Checked in at")


def _stream(query) -> Iterator[sa.Row]:
    """Core rows (light tuples, no ORM loading), fetched BATCH at a time: a server-side
    cursor on PostgreSQL, so memory stays flat however many rows there are."""
    connection = db.session.connection().execution_options(stream_results=True, yield_per=BATCH)
    for batch in connection.execute(query).partitions():
        yield from batch


def _as_is(value: str) -> str:
    return value


def response_headers(questions: list[Question]) -> list[str]:
    return [*RESPONSE_FIXED_HEADERS, *(question.text for question in questions)]


def response_rows(sessions: list[EventSession], questions: list[Question],
                  text: Callable[[str], object] = _as_is) -> Iterator[list]:
    """One row per response: number, session, locality, submitted at (London time),
    then one cell per question in form order (multiple choices joined in one cell).

    `text` turns text into a cell value (the workbook cleans it and guards formulas).
    It runs once per session, per set of chosen options and per written answer, not
    once per cell: organiser labels repeat on every row.

    Two ordered streams (responses, and their answers) are merged by response id, so
    the answer rows carry no repeated session or date columns."""
    session_ids = [session.id for session in sessions]
    if not session_ids:
        return
    session_cells = {session.id: (text(session.title), text(session.locality)) for session in sessions}
    column_of = {question.id: index for index, question in enumerate(questions)}
    option_of = {option.id: (option.position, option.label) for question in questions
                 for option in question.options}
    choice_cells: dict[tuple[int, ...], object] = {}

    def choices_cell(option_ids: list[int]):
        key = tuple(option_ids)
        if key not in choice_cells:
            picked = sorted(option_of[option_id] for option_id in option_ids)
            choice_cells[key] = text(MULTI_CHOICE_SEPARATOR.join(label for _, label in picked))
        return choice_cells[key]

    in_sessions = Response.session_id.in_(session_ids)
    responses = _stream(
        sa.select(Response.id, Response.session_id, Response.submitted_at)
        .where(in_sessions)
        .order_by(Response.id)
    )
    # Ordered like the unique index (response_id, question_id, option_id), so no sort.
    answers = _stream(
        sa.select(Answer.response_id, Answer.question_id, Answer.option_id, Answer.text)
        .where(Answer.response_id.in_(sa.select(Response.id).where(in_sessions)))
        .order_by(Answer.response_id, Answer.question_id, Answer.option_id)
    )
    width = len(questions)
    pending = next(answers, None)
    for response_id, session_id, submitted_at in responses:
        cells: list = [None] * width
        chosen: dict[int, list[int]] = {}
        while pending is not None and pending[0] <= response_id:
            _, question_id, option_id, answer_text = pending
            column = column_of.get(question_id)
            if pending[0] == response_id and column is not None:
                if option_id is None:
                    cells[column] = text(answer_text)
                elif option_id in option_of:
                    chosen.setdefault(column, []).append(option_id)
            pending = next(answers, None)
        for column, option_ids in chosen.items():
            cells[column] = choices_cell(option_ids)
        yield [response_id, *session_cells[session_id], local_naive(submitted_at), *cells]


def comment_rows(session_ids: list[int], text: Callable[[str], object] = _as_is) -> Iterator[tuple]:
    """Every text answer, newest first (as on the results page): session, question,
    submitted at (London time), comment. `text` as for response_rows (labels once each)."""
    if not session_ids:
        return
    labels: dict[str, object] = {}

    def label(value: str):
        if value not in labels:
            labels[value] = text(value)
        return labels[value]

    query = comments_query(session_ids).order_by(Response.submitted_at.desc(), Answer.id.desc())
    for comment, submitted_at, question_text, session_title, *_ in _stream(query):
        yield label(session_title), label(question_text), local_naive(submitted_at), text(comment)


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
