"""Running totals (models.ResultCount): added to in the same transaction as each
response, and rebuilt exactly from the answers by `flask results rebuild`.

Two independent ways to the same numbers, on purpose: `response_keys` counts one
response in Python as it is stored; `rebuild` counts every answer in SQL. The tests
check that they agree after any mix of submissions, hidden questions, removals and
excluded bursts (excluded responses are in neither: see Response.included).

Concurrent submissions never lose a count: each adds with INSERT ... ON CONFLICT DO
UPDATE SET count = count + excluded.count, which the database applies atomically, and
rows are always written in key order so two transactions never wait on each other
in opposite orders (no deadlock on PostgreSQL).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.feedback.models import Answer, Question, QuestionKind, Response
from webapp.results.models import ALL, EVERYONE, ResultCount, WordTotal

Key = tuple[int, int, int, int]  # session, group option, question, option
WordKey = tuple[int, int, str]  # session, one-word question, word
StoredAnswer = tuple[int, int | None, str | None]  # question, option (None for text), text
_TABLE = cast(sa.Table, ResultCount.__table__)
_KEY_COLUMNS = ("session_id", "group_option_id", "question_id", "option_id")
_WORDS = cast(sa.Table, WordTotal.__table__)
_WORD_KEY_COLUMNS = ("session_id", "question_id", "word")


def response_keys(session_id: int, answers: Iterable[tuple[int, int | None]],
                  group_questions: set[int] | frozenset[int]) -> set[Key]:
    """Every total one response adds 1 to. `answers` are (question id, option id or
    None for text); `group_questions` are the ids of the "about you" questions."""
    answers = list(answers)
    counted = {(ALL, ALL)}
    for question_id, option_id in answers:
        counted.add((question_id, ALL))
        if option_id is not None:
            counted.add((question_id, option_id))
    groups = [EVERYONE, *(option_id for question_id, option_id in answers
                          if option_id is not None and question_id in group_questions)]
    return {(session_id, group, question_id, option_id)
            for group in groups for question_id, option_id in counted}


# Built once: it runs with every response stored.
_GROUP_OR_ONE_WORD = sa.select(Question.id, Question.breakdown, Question.kind).where(
    Question.id.in_(sa.bindparam("question_ids", expanding=True)),
    sa.or_(Question.breakdown.is_not(None), Question.kind == QuestionKind.ONE_WORD))


def group_and_one_word_questions(question_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Of these questions, the "about you" ones (results are broken down by them) and
    the one-word ones, in one query."""
    question_ids = set(question_ids)
    if not question_ids:
        return set(), set()
    rows = db.session.execute(_GROUP_OR_ONE_WORD, {"question_ids": list(question_ids)}).all()
    return ({row.id for row in rows if row.breakdown is not None},
            {row.id for row in rows if row.kind == QuestionKind.ONE_WORD})


def word_keys(session_id: int, answers: Iterable[StoredAnswer], one_word_questions: set[int]) -> set[WordKey]:
    """The word counts one response adds 1 to: its answers to one-word questions."""
    return {(session_id, question_id, text) for question_id, _option_id, text in answers
            if text and question_id in one_word_questions}


def add_response(session_id: int, answers: list[StoredAnswer]) -> None:
    """Count one new response (not committed: the caller commits it with the response)."""
    pairs = [(question_id, option_id) for question_id, option_id, _text in answers]
    groups, one_word = group_and_one_word_questions(question_id for question_id, _option_id in pairs)
    add(Counter(response_keys(session_id, pairs, groups)))
    add_words(Counter(word_keys(session_id, answers, one_word)))


def add(deltas: Counter) -> None:
    """Add each delta to its total, creating the row when it is new."""
    rows = [dict(zip(_KEY_COLUMNS, key), count=delta) for key, delta in sorted(deltas.items()) if delta]
    if rows:
        db.session.execute(_upsert(_TABLE, _KEY_COLUMNS), rows)


def add_words(deltas: Counter) -> None:
    """The same for the word counts of one-word questions."""
    rows = [dict(zip(_WORD_KEY_COLUMNS, key), count=delta) for key, delta in sorted(deltas.items()) if delta]
    if rows:
        db.session.execute(_upsert(_WORDS, _WORD_KEY_COLUMNS), rows)


_UPSERTS: dict[tuple[str, str], sa.Insert] = {}


def _upsert(table: sa.Table, key_columns: tuple[str, ...]) -> sa.Insert:
    dialect = db.session.get_bind().dialect.name
    if (dialect, table.name) not in _UPSERTS:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        _UPSERTS[dialect, table.name] = insert.on_conflict_do_update(
            index_elements=list(key_columns), set_={"count": table.c.count + insert.excluded.count})
    return _UPSERTS[dialect, table.name]


def subtract_responses(response_ids: list[int]) -> None:
    """Take responses out of the totals before they are deleted (not committed).
    Excluded responses are not in the totals, so they are skipped."""
    if response_ids:
        counted = db.session.scalars(sa.select(Response.id).where(Response.id.in_(response_ids), Response.included))
        add_responses(list(counted), sign=-1)


def add_responses(response_ids: list[int], sign: int = 1) -> None:
    """Add these stored responses to the totals, or with sign=-1 take them out, as they
    are (not committed). Excluding a burst takes its responses out; undoing it puts them
    back: the caller says which, having marked exactly these rows."""
    if not response_ids:
        return
    rows = db.session.execute(
        sa.select(Response.id, Response.session_id, Answer.question_id, Answer.option_id, Answer.text)
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(Response.id.in_(response_ids))
    ).all()
    sessions: dict[int, int] = {}
    answers: dict[int, list[StoredAnswer]] = {}
    for response_id, session_id, question_id, option_id, text in rows:
        sessions[response_id] = session_id
        answers.setdefault(response_id, [])
        if question_id is not None:
            answers[response_id].append((question_id, option_id, text))
    groups, one_word = group_and_one_word_questions(row.question_id for row in rows if row.question_id is not None)
    deltas: Counter = Counter()
    word_deltas: Counter = Counter()
    for response_id, session_id in sessions.items():
        pairs = [(question_id, option_id) for question_id, option_id, _text in answers[response_id]]
        for key in response_keys(session_id, pairs, groups):
            deltas[key] += sign
        for word_key in word_keys(session_id, answers[response_id], one_word):
            word_deltas[word_key] += sign
    add(deltas)
    add_words(word_deltas)
    # sign is 1 or -1 (a mutation to <= changes nothing).
    if sign < 0:  # pragma: no mutate
        db.session.execute(sa.delete(ResultCount).where(ResultCount.count == 0))
        db.session.execute(sa.delete(WordTotal).where(WordTotal.count == 0))


# ---------------------------------------------------------------------------
# Rebuild: the same totals from every answer, in SQL
# ---------------------------------------------------------------------------


def _counts(session_filter, group_answer=None) -> list[sa.Select]:
    """The three kinds of total (responses, answered, chose), for everyone or per group."""
    zero = sa.literal(ALL)
    group = sa.literal(EVERYONE) if group_answer is None else group_answer.option_id
    by_group = [] if group_answer is None else [group_answer.option_id]

    def total(*columns, count=sa.func.count(), answers: bool = True, where=sa.true()) -> sa.Select:
        query = sa.select(Response.session_id, group, *columns, count)
        query = (query.select_from(Answer).join(Response, Response.id == Answer.response_id) if answers
                 else query.select_from(Response))
        if group_answer is not None:
            query = query.join(group_answer, sa.and_(
                group_answer.response_id == Response.id, group_answer.option_id.is_not(None),
                group_answer.question_id.in_(sa.select(Question.id).where(Question.breakdown.is_not(None)))))
        keys = [column for column in columns if column is not zero]
        return query.where(session_filter, Response.included, where).group_by(Response.session_id, *by_group, *keys)

    return [
        total(zero, zero, answers=False),
        total(Answer.question_id, zero, count=sa.func.count(sa.distinct(Answer.response_id))),
        total(Answer.question_id, Answer.option_id, where=Answer.option_id.is_not(None)),
    ]


def rebuild(session_ids: list[int] | None = None) -> int:
    """Recompute the totals of these sessions (all sessions when None) from the answers
    of the included responses (Response.included: excluded bursts stay out), replacing
    what was there; returns the number of total rows. Not committed."""
    if session_ids is not None and not session_ids:
        return 0
    session_filter = sa.true() if session_ids is None else Response.session_id.in_(session_ids)
    delete = sa.delete(ResultCount)
    if session_ids is not None:
        delete = delete.where(ResultCount.session_id.in_(session_ids))
    db.session.execute(delete)
    for query in [*_counts(session_filter), *_counts(session_filter, aliased(Answer))]:
        db.session.execute(sa.insert(ResultCount).from_select([*_KEY_COLUMNS, "count"], query))
    delete_words = sa.delete(WordTotal)
    if session_ids is not None:
        delete_words = delete_words.where(WordTotal.session_id.in_(session_ids))
    db.session.execute(delete_words)
    words = (sa.select(Response.session_id, Answer.question_id, Answer.text, sa.func.count())
             .select_from(Answer).join(Response, Response.id == Answer.response_id)
             .join(Question, Question.id == Answer.question_id)
             .where(session_filter, Response.included, Question.kind == QuestionKind.ONE_WORD,
                    Answer.text.is_not(None))
             .group_by(Response.session_id, Answer.question_id, Answer.text))
    db.session.execute(sa.insert(WordTotal).from_select([*_WORD_KEY_COLUMNS, "count"], words))
    # Counted, not summed from rowcounts: psycopg reports -1 for INSERT ... SELECT.
    return len(snapshot(session_ids))


def snapshot(session_ids: list[int] | None = None) -> dict[tuple, int]:
    """Every non-zero total, by key, the word counts' keys starting (session, "word", ...)
    (for tests and for checking a rebuild)."""
    query = sa.select(*(_TABLE.c[name] for name in _KEY_COLUMNS), _TABLE.c.count).where(_TABLE.c.count != 0)
    words = sa.select(*(_WORDS.c[name] for name in _WORD_KEY_COLUMNS), _WORDS.c.count).where(_WORDS.c.count != 0)
    if session_ids is not None:
        query = query.where(_TABLE.c.session_id.in_(session_ids))
        words = words.where(_WORDS.c.session_id.in_(session_ids))
    counts: dict[tuple, int] = {tuple(row[:4]): row[4] for row in db.session.execute(query)}
    counts.update({(session_id, "word", question_id, word): count
                   for session_id, question_id, word, count in db.session.execute(words)})
    return counts
