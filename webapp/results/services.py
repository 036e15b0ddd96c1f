"""Results of a programme or one session: attendance, distributions, comments, breakdowns.

Every figure is an aggregate computed in SQL (GROUP BY); no function here loads every
answer into Python. The results pages, the presenter view and the workbook all read
their figures from these functions, so they always agree.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.bookings.services import counts_by_session
from webapp.extensions import db
from webapp.feedback.models import (
    TEXT_KINDS,
    Answer,
    Breakdown,
    FeedbackForm,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
)
from webapp.forms import strip_control_characters
from webapp.programmes.models import Programme
from webapp.results.exclusions import excluded_count
from webapp.results.models import ALL, EVERYONE, ResultCount, WordTotal
from webapp.sessions.models import EventSession
from webapp.pagination import Page, paginate
from webapp.text import like_contains
from webapp.timezones import format_date, format_datetime, local_naive, london_to_utc

# Groups smaller than this are never shown in a breakdown, on a page or in the workbook.
SMALL_GROUP_MIN = 5
SUPPRESSED_LABEL = "Not shown"
SMALL_GROUP_RULE = (
    f"To keep people anonymous, a group with fewer than {SMALL_GROUP_MIN} responses is not shown, "
    "and nor is at least one other group, so that no hidden figure can be worked out by taking "
    "the others from the total."
)
BREAKDOWNS_WITHHELD = (
    "Figures by locality, role group and organisation are given for the whole programme only: "
    "compared with it, figures for some sessions could reveal a small group."
)
# The ONE definition of "% agree", used on every page and in the workbook.
AGREE_SCORES = frozenset({4, 5})  # Agree, Strongly agree
DISAGREE_SCORES = frozenset({1, 2})  # Strongly disagree, Disagree
PERCENT_AGREE_DEFINITION = (
    "% agree is the number who answered Agree or Strongly agree, divided by everyone who "
    "answered the question except those who answered Don't know."
)
BREAKDOWN_LABELS = {
    Breakdown.LOCALITY: "Locality",
    Breakdown.ROLE_GROUP: "Role group",
    Breakdown.ORGANISATION: "Organisation",
}
BREAKDOWN_ORDER = (Breakdown.LOCALITY, Breakdown.ROLE_GROUP, Breakdown.ORGANISATION)
NOT_ANSWERED = "Not answered"
COMMENTS_PER_PAGE = 50


def ratio(numerator: int | float | None, denominator: int | float | None) -> float | None:
    """A fraction (0.25 for 25%), or None when there is nothing to divide by."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class ResponseRate:
    """A response rate, or why there is none."""

    value: float | None
    note: str = ""  # why there is none, or what the rate covers

    def __str__(self) -> str:
        if self.value is None:
            return f"Not available: {self.note}"
        return f"{self.value:.0%}" + (f" ({self.note})" if self.note else "")


def response_rate(responses: int, attended: int) -> ResponseRate:
    """The ONE response-rate rule, for pages and the workbook: responses ÷ attended, but
    only where attendance was taken. No check-ins, or more responses than check-ins, means
    the door list was not used, and a rate would be meaningless (15,200%)."""
    if not attended:
        return ResponseRate(None, "nobody was checked in" if responses else "no check-ins and no responses yet")
    if responses > attended:
        return ResponseRate(None, f"more responses ({responses}) than people checked in ({attended}), "
                                  "so attendance was not fully taken")
    return ResponseRate(responses / attended)


def wording_note(question: Question) -> str:
    """Which words the answers were to, for a question reworded after people answered it;
    empty when it was never reworded. The same words on the results pages and the workbook."""
    if not question.earlier_wordings:
        return ""
    answered = dict(db.session.execute(
        sa.select(Answer.wording_id, sa.func.count(sa.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id == question.id, Answer.wording_id.is_not(None), Response.included)
        .group_by(Answer.wording_id)
    ).tuples().all())
    earlier = "; ".join(f"until {format_datetime(wording.used_until)} it read “{wording.text}” "
                        f"({_responses_phrase(answered.get(wording.id, 0))})"
                        for wording in question.earlier_wordings)
    return f"Reworded: {earlier}. Those answers were to those words."


def _responses_phrase(number: int) -> str:
    return f"{number} response" if number == 1 else f"{number} responses"


def percent_agree(agree: int, answered_excluding_dont_know: int) -> float | None:
    """The one definition of % agree (see PERCENT_AGREE_DEFINITION), as a fraction."""
    return ratio(agree, answered_excluding_dont_know)


# ---------------------------------------------------------------------------
# Which sessions: the whole programme, chosen sessions, or a date range.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsFilter:
    session_ids: tuple[int, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    @property
    def is_empty(self) -> bool:
        return not self.session_ids and self.date_from is None and self.date_to is None

    def describe(self, sessions_by_id: dict[int, EventSession] | None = None) -> str:
        if self.is_empty:
            return "None: all sessions"
        parts = []
        if self.session_ids:
            names = [
                sessions_by_id[session_id].title if sessions_by_id and session_id in sessions_by_id
                else f"session {session_id}"
                for session_id in self.session_ids
            ]
            parts.append("Sessions: " + "; ".join(names))
        if self.date_from or self.date_to:
            start = self.date_from.strftime("%d/%m/%Y") if self.date_from else "the first session"
            end = self.date_to.strftime("%d/%m/%Y") if self.date_to else "the last session"
            parts.append(f"Sessions held from {start} to {end}")
        return ". ".join(parts)


def select_sessions(programme: Programme, filters: ResultsFilter | None = None) -> list[EventSession]:
    """The programme's sessions that the filter keeps, in date order."""
    query = sa.select(EventSession).where(EventSession.programme_id == programme.id)
    filters = filters or ResultsFilter()
    if filters.session_ids:
        query = query.where(EventSession.id.in_(filters.session_ids))
    if filters.date_from:
        query = query.where(EventSession.starts_at >= london_to_utc(filters.date_from, time.min))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        query = query.where(EventSession.starts_at < london_to_utc(next_day, time.min))
    return list(db.session.scalars(query.order_by(EventSession.starts_at, EventSession.id)))


# ---------------------------------------------------------------------------
# Attendance and response counts
# ---------------------------------------------------------------------------


@dataclass
class SessionFigures:
    session: EventSession
    booked: int = 0
    waiting: int = 0
    attended: int = 0
    responses: int = 0

    @property
    def rate(self) -> ResponseRate:
        return response_rate(self.responses, self.attended)

    @property
    def response_rate(self) -> float | None:
        return self.rate.value


@dataclass
class Totals:
    sessions: int = 0
    places: int = 0
    booked: int = 0
    waiting: int = 0
    attended: int = 0
    responses: int = 0
    # Only sessions where attendance was taken count towards the overall rate.
    rated_sessions: int = 0
    rated_attended: int = 0
    rated_responses: int = 0

    @property
    def rate(self) -> ResponseRate:
        if not self.rated_sessions:
            return response_rate(self.responses, self.attended)
        rate = response_rate(self.rated_responses, self.rated_attended)
        if self.rated_sessions < self.sessions:
            why = (f"from the {self.rated_sessions} of {self.sessions} sessions where attendance was taken")
            return ResponseRate(rate.value, why)
        return rate

    @property
    def response_rate(self) -> float | None:
        return self.rate.value


def session_figures(sessions: list[EventSession]) -> list[SessionFigures]:
    """Booked (confirmed), waiting, attended (checked in) and responses per session."""
    rows = {session.id: SessionFigures(session) for session in sessions}
    if not rows:
        return []
    ids = list(rows)
    # The same counts as the organisers' session lists, from one query.
    for session_id, counts in counts_by_session(ids).items():
        figures = rows[session_id]
        figures.booked, figures.waiting, figures.attended = counts.booked, counts.waiting, counts.attended
    for session_id, responses in _response_counts(ids):
        rows[session_id].responses = responses
    return list(rows.values())


def _response_counts(session_ids: list[int]):
    """(session id, responses) from the running totals."""
    return db.session.execute(
        sa.select(ResultCount.session_id, ResultCount.count)
        .where(ResultCount.session_id.in_(session_ids), ResultCount.group_option_id == EVERYONE,
               ResultCount.question_id == ALL, ResultCount.option_id == ALL))


def totals(figures: list[SessionFigures]) -> Totals:
    result = Totals(sessions=len(figures))
    for row in figures:
        result.places += row.session.capacity
        result.booked += row.booked
        result.waiting += row.waiting
        result.attended += row.attended
        result.responses += row.responses
        if row.response_rate is not None:
            result.rated_sessions += 1
            result.rated_attended += row.attended
            result.rated_responses += row.responses
    return result


def response_count(session_ids: list[int]) -> int:
    return sum(responses for _, responses in _response_counts(session_ids))


# ---------------------------------------------------------------------------
# Distributions per question
# ---------------------------------------------------------------------------


@dataclass
class OptionResult:
    option: QuestionOption
    count: int
    share: float | None  # of the respondents who answered the question

    @property
    def percent_whole(self) -> int:
        """0..100, for the bar width classes."""
        return round((self.share or 0) * 100)


@dataclass
class QuestionResult:
    question: Question
    number: int
    respondents: int  # responses that answered this question
    options: list[OptionResult] = field(default_factory=list)
    text_answers: int = 0

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def scored(self) -> list[OptionResult]:
        return [row for row in self.options if row.option.score is not None]

    @property
    def mean(self) -> float | None:
        """Mean score; "Don't know" (no score) is left out."""
        scored = self.scored
        answered = sum(row.count for row in scored)
        if not scored or not answered:
            return None
        return sum(row.count * (row.option.score or 0) for row in scored) / answered  # scored: score set

    @property
    def dont_know(self) -> int:
        if self.kind != QuestionKind.AGREEMENT:
            return 0
        return sum(row.count for row in self.options if row.option.score is None)

    @property
    def agree(self) -> int:
        return sum(row.count for row in self.options if row.option.score in AGREE_SCORES)

    @property
    def percent_agree(self) -> float | None:
        if self.kind != QuestionKind.AGREEMENT:
            return None
        return percent_agree(self.agree, sum(row.count for row in self.scored))

    @property
    def percent_disagree(self) -> float | None:
        if self.kind != QuestionKind.AGREEMENT:
            return None
        disagree = sum(row.count for row in self.options if row.option.score in DISAGREE_SCORES)
        return ratio(disagree, sum(row.count for row in self.scored))

    @property
    def percent_agree_whole(self) -> int:
        return round((self.percent_agree or 0) * 100)


def form_questions(form: FeedbackForm | None, answered_ids: set[int] | None = None) -> list[Question]:
    """The form's questions in order: visible ones, and hidden ones that have answers
    (hiding a question never hides its past answers)."""
    if form is None:
        return []
    answered_ids = answered_ids or set()
    return [q for q in form.questions if not q.hidden or q.id in answered_ids]


Counts = dict[tuple[int, int], int]  # (question id, option id or ALL for "answered") -> responses


def count_totals(session_ids: list[int], by: str | None = None,
                 questions: Iterable[Question] | None = None) -> dict[int, Counts]:
    """The running totals of these sessions, added up: {0: counts} for everyone; with
    by="session", per session (everyone in it); with by="group", per "about you" option
    (every session together), and everyone under EVERYONE. A few hundred rows whatever the number of responses; with
    `questions`, only theirs and the number of responses (a breakdown by group reads
    a fraction of the rows: the rest is what the page spends most of its time on)."""
    if not session_ids:
        return {}
    key = {None: sa.literal(EVERYONE), "session": ResultCount.session_id,
           "group": ResultCount.group_option_id}[by]
    query = (
        sa.select(key, ResultCount.question_id, ResultCount.option_id, sa.func.sum(ResultCount.count))
        .where(ResultCount.session_id.in_(session_ids))
        .group_by(*([key] if by else []), ResultCount.question_id, ResultCount.option_id)
    )
    if by != "group":  # by group, everyone comes too, under EVERYONE: one query serves both
        query = query.where(ResultCount.group_option_id == EVERYONE)
    if questions is not None:
        query = query.where(ResultCount.question_id.in_([ALL, *(question.id for question in questions)]))
    counts: dict[int, Counts] = {}
    for owner, question_id, option_id, count in db.session.execute(query):
        counts.setdefault(owner, {})[(question_id, option_id)] = int(count)
    return counts


def question_result(question: Question, number: int, counts: Counts) -> QuestionResult:
    """One question's distribution from totals (options hidden and never chosen left out)."""
    answered = counts.get((question.id, ALL), 0)
    result = QuestionResult(question, number, answered,
                            text_answers=0 if question.is_choice else answered)
    for option in question.options:
        count = counts.get((question.id, option.id), 0)
        if option.hidden and not count:
            continue
        result.options.append(OptionResult(option, count, ratio(count, answered)))
    return result


def question_results(form: FeedbackForm | None, session_ids: list[int]) -> list[QuestionResult]:
    """Every question's distribution over the given sessions' responses."""
    if form is None:
        return []
    counts = count_totals(session_ids).get(EVERYONE, {})
    answered = {question_id for (question_id, option_id), count in counts.items() if option_id == ALL and count}
    return [question_result(question, number, counts)
            for number, question in enumerate(form_questions(form, answered), start=1)]


def indicator_results(results: list[QuestionResult]) -> list[QuestionResult]:
    """The agreement questions about a quality indicator, in form order."""
    return [r for r in results if r.kind == QuestionKind.AGREEMENT and r.question.finding_id]


def ranked_indicators(results: list[QuestionResult], count: int = 3) -> tuple[list, list]:
    """The indicators with the highest and the lowest % agree (those with answers)."""
    rated = [r for r in indicator_results(results) if r.percent_agree is not None]
    highest = sorted(rated, key=lambda r: (-(r.percent_agree or 0), r.number))[:count]
    lowest = sorted(rated, key=lambda r: (r.percent_agree or 0, r.number))[:count]
    return highest, lowest


# ---------------------------------------------------------------------------
# One-word answers: ranked words with their counts (a word cloud on the presenter)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WordCount:
    word: str
    count: int


@dataclass
class WordList:
    """One one-word question's words, most given first. A word given by fewer than
    SMALL_GROUP_MIN people could point at them (a rare word, a team's in-joke): the
    room, the public and viewers see only the words at least that many gave."""

    question_id: int
    words: list[WordCount]

    @property
    def common(self) -> list[WordCount]:
        return [word for word in self.words if word.count >= SMALL_GROUP_MIN]

    @property
    def rare_responses(self) -> int:
        """How many answers were rarer words (said as a number, never listed)."""
        return sum(word.count for word in self.words if word.count < SMALL_GROUP_MIN)

    def shown(self, everything: bool = False) -> list[WordCount]:
        return self.words if everything else self.common

    def cloud_size(self, word: WordCount) -> int:
        """1..6: the word's size class in the cloud, by its count against the top word's
        (`word` is one of `words`, whose counts are never 0)."""
        return 1 + round(5 * word.count / self.words[0].count)


def word_lists(questions: Iterable[Question], session_ids: list[int]) -> dict[int, WordList]:
    """The words given to each one-word question by these sessions' responses, from the
    running word counts (results/totals.py) in one grouped query. The words were
    case-folded as they were stored, so "Hopeful" and "hopeful" are one word."""
    question_ids = [question.id for question in questions if question.kind == QuestionKind.ONE_WORD]
    lists = {question_id: WordList(question_id, []) for question_id in question_ids}
    if not question_ids:  # most forms: no query at all
        return lists
    count = sa.func.sum(WordTotal.count)  # never 0: a total that falls to 0 is deleted
    rows = db.session.execute(
        sa.select(WordTotal.question_id, WordTotal.word, count)
        .where(WordTotal.question_id.in_(question_ids), WordTotal.session_id.in_(session_ids))
        .group_by(WordTotal.question_id, WordTotal.word)
        .order_by(WordTotal.question_id, count.desc(), WordTotal.word)
    )
    for question_id, word, number in rows:
        lists[question_id].words.append(WordCount(word, int(number)))
    return lists


# ---------------------------------------------------------------------------
# Comments (text answers)
# ---------------------------------------------------------------------------


@dataclass
class Comment:
    text: str
    submitted_at: datetime
    question_text: str
    session_title: str





# Newest stored first (the order of the index of written answers), on the page and in the workbook.
COMMENT_ORDER = (Answer.id.desc(),)


def comments_query(session_ids: list[int], search: str = ""):
    """Text answers of included responses with their question and session, newest first
    (a select, for paging or streaming)."""
    query = (
        sa.select(Answer.text, Response.submitted_at, Question.text, EventSession.title,
                  EventSession.starts_at, Question.position, Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .join(EventSession, EventSession.id == Response.session_id)
        # "+ 0" keeps SQLite from starting at the sessions' responses (then sorting every
        # comment): it walks ix_answer_written backwards and stops after one page.
        .where((Response.session_id + 0).in_(session_ids or [-1]), Response.included, Answer.text.is_not(None),
               # One-word answers are counted (word_lists), not listed as comments.
               Question.kind != QuestionKind.ONE_WORD)
    )
    search = strip_control_characters(search or "").strip()
    if search:
        query = query.where(sa.func.lower(Answer.text).like(like_contains(search.lower()), escape="\\"))
    return query


def comment_count(session_ids: list[int]) -> int:
    """How many written answers these sessions have, from the running totals."""
    return db.session.scalar(
        sa.select(sa.func.sum(ResultCount.count))
        .join(Question, Question.id == ResultCount.question_id)
        .where(ResultCount.session_id.in_(session_ids), ResultCount.group_option_id == EVERYONE,
               ResultCount.option_id == ALL, Question.kind.in_([kind.value for kind in TEXT_KINDS]))
    ) or 0


def comment_page(session_ids: list[int], search: str = "", page: int = 1,
                 per_page: int = COMMENTS_PER_PAGE) -> Page[Comment]:
    """One page of comments, newest stored first: read backwards along the index of
    written answers (ix_answer_written), so a page costs its own rows, not a sort of
    every comment. Without a search the count comes from the running totals."""
    search = (search or "").strip()
    query = comments_query(session_ids, search)
    if search:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    else:
        total = comment_count(session_ids)

    def fetch(limit: int, offset: int) -> list[Comment]:
        rows = db.session.execute(query.order_by(*COMMENT_ORDER).limit(limit).offset(offset))
        return [Comment(text, submitted, question, session) for text, submitted, question, session, *_ in rows]

    return paginate(total, page, per_page, fetch, search)


# ---------------------------------------------------------------------------
# Breakdowns by locality, role group and organisation: the small-group rule
# ---------------------------------------------------------------------------


def hidden_cells(sizes: Sequence[int], hidden: Iterable[int] = ()) -> set[int]:
    """THE small-group rule, for one breakdown whose total is published: the indexes of
    the cells (groups) to hide, given each group's size.

    A group of 1 to SMALL_GROUP_MIN - 1 is hidden (0 is shown: nobody to identify). One
    hidden group could be worked out as the total minus the others, so the smallest
    other groups are hidden too (complementary suppression) until at least two are
    hidden and together they hold at least SMALL_GROUP_MIN: subtraction then gives only
    their sum. `hidden` are cells already hidden in a table these sizes refine (a
    question's answers by locality refine the responses by locality), so a group hidden
    there is hidden here whatever its size here."""
    hidden = set(hidden) | {index for index, size in enumerate(sizes) if 0 < size < SMALL_GROUP_MIN}
    while hidden and (len(hidden) < 2 or sum(sizes[index] for index in hidden) < SMALL_GROUP_MIN):
        others = [index for index, size in enumerate(sizes) if index not in hidden and size > 0]
        if not others:
            break
        hidden.add(min(others, key=lambda index: (sizes[index], index)))
    return hidden


def _minus(counts: Counts, parts: Iterable[Counts]) -> Counts:
    """What is left of `counts` after taking away each part's (the "Not answered" group)."""
    left = dict(counts)
    for part in parts:
        for key, count in part.items():
            left[key] -= count  # a group's keys are all among everyone's
    return left


ScoredOption = tuple[int, int, int]  # (question id, option id, score)


def scored_options(questions: list[Question]) -> list[ScoredOption]:
    """The options of these questions that carry a score, read once per page (not once
    per group and figure: these are ORM attributes)."""
    return [(question.id, option.id, option.score) for question in questions
            for option in question.options if option.score is not None]


@dataclass
class BreakdownGroup:
    label: str
    counts: Counts  # the group's running totals (never shown as such)
    indicators: list[ScoredOption]
    ratings: list[ScoredOption]
    suppressed: bool = False
    option_id: int | None = None  # the "about you" answer; None for "Not answered"

    @property
    def responses(self) -> int:
        return self.counts.get((ALL, ALL), 0)

    def _scored(self, options: list[ScoredOption], scores=None) -> tuple[int, int]:
        """(sum of scores, answers with a score) over these options; with `scores`,
        (answers with one of those scores, answers with a score) instead."""
        total = answered = 0
        for question_id, option_id, score in options:
            count = self.counts.get((question_id, option_id), 0)
            total += count * (score if scores is None else score in scores)
            answered += count
        return total, answered

    @property
    def percent_agree(self) -> float | None:
        return None if self.suppressed else percent_agree(*self._scored(self.indicators, AGREE_SCORES))

    @property
    def mean_usefulness(self) -> float | None:
        return None if self.suppressed else ratio(*self._scored(self.ratings))

    @property
    def shown_responses(self) -> int | None:
        return None if self.suppressed else self.responses


@dataclass
class BreakdownTable:
    breakdown: str
    label: str
    question: Question
    groups: list[BreakdownGroup]

    @property
    def any_suppressed(self) -> bool:
        return any(group.suppressed for group in self.groups)

    @property
    def hidden(self) -> set[int]:
        return {index for index, group in enumerate(self.groups) if group.suppressed}


def breakdowns(form: FeedbackForm | None, session_ids: list[int]) -> list[BreakdownTable]:
    """Per "about you" question, one row per answer group (and "Not answered"):
    responses, % agree over every indicator question, and mean usefulness rating, with
    small groups hidden by hidden_cells. Publish these for the whole programme only
    (see results_for): two overlapping selections of sessions could be subtracted."""
    if form is None:
        return []
    questions = {q.breakdown: q for q in form.questions if q.breakdown}
    shown = [(breakdown, questions[breakdown]) for breakdown in BREAKDOWN_ORDER if breakdown in questions]
    if not shown:
        return []
    indicators = [q for q in form.questions if q.kind == QuestionKind.AGREEMENT and q.finding_id]
    ratings = [q for q in form.questions if q.kind == QuestionKind.RATING]
    # Each group's counts serve this table and the comparisons by group: the compared
    # questions only, not the "about you" ones crossed with each other.
    compared = [q for q in form.questions if q.is_choice and not q.breakdown]
    by_group = count_totals(session_ids, by="group", questions=compared)
    everyone = by_group.get(EVERYONE, {})
    indicator_scores, rating_scores = scored_options(indicators), scored_options(ratings)
    tables = []
    for breakdown, question in shown:
        parts = [(option, by_group.get(option.id, {})) for option in question.options]
        rows = [BreakdownGroup(option.label, counts, indicator_scores, rating_scores, option_id=option.id)
                for option, counts in parts
                if not (option.hidden and not counts.get((ALL, ALL)))]
        rows.append(BreakdownGroup(NOT_ANSWERED, _minus(everyone, [counts for _, counts in parts]),
                                   indicator_scores, rating_scores))
        for index in hidden_cells([row.responses for row in rows]):
            rows[index].suppressed = True
        tables.append(BreakdownTable(breakdown, BREAKDOWN_LABELS[breakdown], question, rows))
    return tables


# ---------------------------------------------------------------------------
# Everything a results page shows, in one object
# ---------------------------------------------------------------------------


@dataclass
class Results:
    programme: Programme
    sessions: list[EventSession]
    figures: list[SessionFigures]
    totals: Totals
    questions: list[QuestionResult]
    breakdowns: list[BreakdownTable]
    # question id -> its words, for the one-word questions
    words: dict[int, WordList] = field(default_factory=dict)
    # True when these are some of the programme's sessions: breakdowns by group are
    # then not published (subtracted from the whole programme's, they would give away
    # the small groups of the sessions left out).
    breakdowns_withheld: bool = False
    # Responses left out because an organiser excluded them as a burst (kept, not counted).
    excluded: int = 0

    @property
    def session_ids(self) -> list[int]:
        return [session.id for session in self.sessions]

    @property
    def indicators(self) -> list[QuestionResult]:
        return indicator_results(self.questions)


def is_whole_programme(programme: Programme, session_ids: list[int]) -> bool:
    return set(session_ids) == {session.id for session in programme.sessions}


def load_form(programme: Programme) -> FeedbackForm | None:
    """The programme's form with its questions, options, findings and earlier wordings in
    five queries (a results page reads every one of them for every question)."""
    questions = selectinload(FeedbackForm.questions)
    return db.session.scalar(
        sa.select(FeedbackForm).where(FeedbackForm.programme_id == programme.id)
        .options(questions.selectinload(Question.options), questions.selectinload(Question.finding),
                 questions.selectinload(Question.earlier_wordings)))


def results_for(programme: Programme, sessions: list[EventSession]) -> Results:
    form = load_form(programme)
    figures = session_figures(sessions)
    session_ids = [session.id for session in sessions]
    whole = is_whole_programme(programme, session_ids)
    questions = question_results(form, session_ids)
    return Results(
        programme=programme,
        sessions=sessions,
        figures=figures,
        totals=totals(figures),
        questions=questions,
        breakdowns=breakdowns(form, session_ids) if whole else [],
        breakdowns_withheld=not whole,
        words=word_lists([result.question for result in questions], session_ids),
        excluded=excluded_count(session_ids),
    )


# ---------------------------------------------------------------------------
# Per-finding comparisons: each question by session, date and group, beside the
# programme figure. Groups follow the breakdown tables' small-group rule.
# ---------------------------------------------------------------------------

# A % agree this many points from the programme's, and unlikely to be chance (a
# two-proportion z of at least Z_LARGE), is flagged; a mean this far from it likewise.
LARGE_PERCENT_POINTS = 0.15
Z_LARGE = 1.96
LARGE_MEAN_DIFFERENCE = 0.5
HIGHER, LOWER = "higher", "lower"


@dataclass
class ComparisonRow:
    label: str
    result: QuestionResult
    suppressed: bool = False
    difference: str = ""  # HIGHER, LOWER or "" (not a large difference)

    @property
    def respondents(self) -> int | None:
        return None if self.suppressed else self.result.respondents


@dataclass
class ComparisonSection:
    label: str  # "By session", "By locality", ...
    rows: list[ComparisonRow]


@dataclass
class Comparison:
    overall: QuestionResult
    sections: list[ComparisonSection]

    @property
    def question(self) -> Question:
        return self.overall.question

    @property
    def any_large(self) -> bool:
        return any(row.difference for section in self.sections for row in section.rows)


def large_difference(row: QuestionResult, overall: QuestionResult) -> str:
    """HIGHER or LOWER when a row differs from the programme enough to matter, else ""."""
    if row.kind == QuestionKind.AGREEMENT:
        mine, theirs = row.percent_agree, overall.percent_agree
        n, m = sum(o.count for o in row.scored), sum(o.count for o in overall.scored)
        if mine is None or theirs is None or abs(mine - theirs) < LARGE_PERCENT_POINTS:
            return ""
        pooled = theirs  # the row is part of the programme: compare with its share
        spread = (pooled * (1 - pooled) * max(1 / n - 1 / m, 0)) ** 0.5
        if spread and abs(mine - theirs) / spread < Z_LARGE:
            return ""
        return HIGHER if mine > theirs else LOWER
    if (row.kind == QuestionKind.RATING and row.mean is not None and overall.mean is not None
            and abs(row.mean - overall.mean) >= LARGE_MEAN_DIFFERENCE):
        return HIGHER if row.mean > overall.mean else LOWER
    return ""


def compared_questions(results: Results) -> list[QuestionResult]:
    """The questions worth comparing: every choice question except the "about you" ones."""
    return [result for result in results.questions if result.question.is_choice and not result.question.breakdown]


COMPARE_BY = ("session", "date", "group")


def comparisons(results: Results, questions: list[QuestionResult] | None = None,
                by: tuple[str, ...] = COMPARE_BY) -> list[Comparison]:
    """For each compared question (or those given): the programme figure, then by
    session, by date (when sessions fall on several dates) and by each "about you"
    group (whole programme only, small groups hidden as in the breakdown tables)."""
    compared = compared_questions(results) if questions is None else questions
    by_session = count_totals(results.session_ids, by="session", questions=[result.question for result in compared])
    dates: dict[date, Counts] = {}
    session_rows = []
    for session in results.sessions:
        counts = by_session.get(session.id, {})
        session_rows.append((f"{session.title} ({format_date(session.starts_at)})", counts))
        day = dates.setdefault(local_naive(session.starts_at).date(), {})
        for key, count in counts.items():
            day[key] = day.get(key, 0) + count
    out = []
    for overall in compared:
        question, number = overall.question, overall.number

        def row(label: str, counts: Counts, suppressed: bool = False,
                question=question, number=number, overall=overall) -> ComparisonRow:
            result = question_result(question, number, counts)
            return ComparisonRow(label, result, suppressed,
                                 "" if suppressed else large_difference(result, overall))

        sections = []
        if "session" in by and len(session_rows) > 1:
            sections.append(ComparisonSection("By session", [row(label, counts) for label, counts in session_rows]))
        if "date" in by and len(dates) > 1:
            sections.append(ComparisonSection("By date", [
                row(format_date(day), counts) for day, counts in sorted(dates.items())]))
        for table in results.breakdowns if "group" in by else ():
            sizes = [group.counts.get((question.id, ALL), 0) for group in table.groups]
            hidden = hidden_cells(sizes, table.hidden)
            sections.append(ComparisonSection(f"By {table.label.lower()}", [
                row(group.label, group.counts, index in hidden) for index, group in enumerate(table.groups)]))
        out.append(Comparison(overall, sections))
    return out

