"""Rows of the Responses, Comments and Attendance tables, streamed from the database.

Shared by the workbook and the CSV downloads so that both have the same columns.
Rows come from the database in batches (`yield_per`, a server-side cursor on
PostgreSQL), so memory stays flat however many responses there are.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa

from webapp.extensions import db
from webapp.feedback.models import Answer, Question, Response, included_response_ids
from webapp.results.models import EVERYONE
from webapp.results.services import COMMENT_ORDER, SMALL_GROUP_MIN, comments_query, count_totals, word_lists
from webapp.tables import Column
from webapp.timezones import local_naive
from webapp.sessions.models import EventSession

BATCH = 5000
MULTI_CHOICE_SEPARATOR = "; "
# What a viewer sees for an "about you" answer that fewer than SMALL_GROUP_MIN responses share.
RARE_GROUP = "Other / not shown"

RESPONSE_FIXED_COLUMNS = (Column("Response number", 10, "int"), Column("Session", 32), Column("Locality", 14),
                          Column("Submitted at", 17, "datetime"))
COMMENT_COLUMNS = (Column("Session", 32), Column("Question", 50), Column("Submitted at", 17, "datetime"),
                   Column("Comment", 100))


def _stream(query) -> Iterator[sa.Row]:
    """Core rows (light tuples, no ORM loading), fetched BATCH at a time: a server-side
    cursor on PostgreSQL, so memory stays flat however many rows there are."""
    # Options on the statement, not the connection: Connection.execution_options would
    # change the session's connection for every later query.
    query = query.execution_options(stream_results=True, yield_per=BATCH)
    for batch in db.session.connection().execute(query).partitions():
        yield from batch


def _as_is(value: str) -> str:
    return value


def response_columns(questions: list[Question]) -> list[Column]:
    """The fixed columns of response_rows, then one per question in form order."""
    return [*RESPONSE_FIXED_COLUMNS,
            *(Column(question.text, 30 if question.is_choice else 50) for question in questions)]


def rare_group_options(session_ids: list[int], questions: list[Question]) -> set[str]:
    """The "about you" answers (option ids, as strings) that fewer than SMALL_GROUP_MIN
    of these sessions' responses gave: a viewer's rows show RARE_GROUP instead."""
    counts = count_totals(session_ids).get(EVERYONE, {})
    return {str(option.id) for question in questions if question.breakdown for option in question.options
            if counts.get((question.id, option.id), 0) < SMALL_GROUP_MIN}


def response_rows(sessions: list[EventSession], questions: list[Question],
                  text: Callable[[str], object] = _as_is, full_detail: bool = False) -> Iterator[list]:
    """One row per included response: number, session, locality, submitted at (London time),
    then one cell per question in form order (multiple choices joined in one cell).
    Without `full_detail` (viewers), rare "about you" answers read RARE_GROUP.

    `text` turns text into a cell value (the workbook cleans it and guards formulas).
    It runs once per session, per set of chosen options and per written answer, not
    once per cell: organiser labels repeat on every row.

    The database does the pivot's heavy part: one row per response with its chosen
    option ids in one string (GROUP BY), so Python handles 100,000 rows, not 1.5
    million answers. Written answers (far fewer) come in a second stream in the same
    order and are merged by response id."""
    session_ids = [session.id for session in sessions]
    if not session_ids:
        return
    session_cells = {session.id: (text(session.title), text(session.locality)) for session in sessions}
    column_of = {question.id: index for index, question in enumerate(questions)}
    # Keyed by the option id as the database writes it in the aggregated string.
    option_column = {str(option.id): column_of[question.id] for question in questions for option in question.options}
    option_label = {str(option.id): (option.position, option.id, option.label)
                    for question in questions for option in question.options}
    choice_cells: dict[str, object] = {}
    rare_words: set[tuple[int, str]] = set()
    if not full_detail:
        choice_cells.update(dict.fromkeys(rare_group_options(session_ids, questions), text(RARE_GROUP)))
        # A one-word answer few gave could point at who gave it, as a rare group could.
        rare_words = {(question_id, word.word) for question_id, words in word_lists(questions, session_ids).items()
                      for word in words.words if word.count < SMALL_GROUP_MIN}
        rare_word_cell = text(RARE_GROUP)

    def choices_cell(option_keys: str):
        """The cell for one response's choices in one question ("12" or "12,15"), made once."""
        if option_keys not in choice_cells:
            picked = sorted(option_label[option_key] for option_key in option_keys.split(","))
            choice_cells[option_keys] = text(MULTI_CHOICE_SEPARATOR.join(label for _, _, label in picked))
        return choice_cells[option_keys]

    responses = _stream(
        sa.select(Response.id, Response.session_id, Response.submitted_at,
                  sa.func.aggregate_strings(sa.cast(Answer.option_id, sa.String), ","))
        .outerjoin(Answer, sa.and_(Answer.response_id == Response.id, Answer.option_id.is_not(None)))
        .where(Response.session_id.in_(session_ids), Response.included)
        .group_by(Response.id, Response.session_id, Response.submitted_at)
        .order_by(Response.id)
    )
    written = _stream(
        sa.select(Answer.response_id, Answer.question_id, Answer.text)
        .where(Answer.text.is_not(None), Answer.response_id.in_(included_response_ids(session_ids)))
        .order_by(Answer.response_id, Answer.question_id)
    )
    width = len(questions)
    pending = next(written, None)
    for response_id, session_id, submitted_at, option_ids in responses:
        cells: list = [None] * width
        if option_ids:
            picked: list[str | None] = [None] * width  # option keys per column
            for option_key in option_ids.split(","):
                column = option_column.get(option_key)
                if column is None:
                    continue
                picked[column] = option_key if picked[column] is None else f"{picked[column]},{option_key}"
            for column, option_keys in enumerate(picked):
                if option_keys is not None:
                    cells[column] = choices_cell(option_keys)
        while pending is not None and pending[0] <= response_id:
            if pending[0] == response_id and pending[1] in column_of:
                cells[column_of[pending[1]]] = rare_word_cell if (pending[1], pending[2]) in rare_words \
                    else text(pending[2])
            pending = next(written, None)
        yield [response_id, *session_cells[session_id], local_naive(submitted_at), *cells]


def comment_rows(session_ids: list[int], text: Callable[[str], object] = _as_is) -> Iterator[tuple]:
    """Every text answer, newest stored first (as on the results page): session, question,
    submitted at (London time), comment. `text` as for response_rows (labels once each)."""
    if not session_ids:
        return
    labels: dict[str, object] = {}

    def label(value: str):
        if value not in labels:
            labels[value] = text(value)
        return labels[value]

    query = comments_query(session_ids).order_by(*COMMENT_ORDER)
    for comment, submitted_at, question_text, session_title, *_ in _stream(query):
        yield label(session_title), label(question_text), local_naive(submitted_at), text(comment)

