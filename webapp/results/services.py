"""Results of a programme or one session: attendance, distributions, comments, breakdowns.

Every figure is an aggregate computed in SQL (GROUP BY); no function here loads every
answer into Python. The results pages, the presenter view and the workbook all read
their figures from these functions, so they always agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from webapp.bookings.services import counts_by_session
from webapp.extensions import db
from webapp.feedback.models import (
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
from webapp.sessions.models import EventSession
from webapp.timezones import LONDON, format_datetime, london_to_utc

# Groups smaller than this are never shown in a breakdown, on a page or in the workbook.
SMALL_GROUP_MIN = 5
SUPPRESSED_LABEL = "fewer than 5 responses"
# The ONE definition of "% agree", used on every page and in the workbook.
AGREE_SCORES = frozenset({4, 5})  # Agree, Strongly agree
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
    earlier = "; ".join(f"until {format_datetime(wording.used_until)} it read “{wording.text}”"
                        for wording in question.earlier_wordings)
    return f"Reworded: {earlier}. Answers sent before then were to those words."


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
        query = query.where(EventSession.starts_at >= london_to_utc(filters.date_from, time(0, 0)))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        query = query.where(EventSession.starts_at < london_to_utc(next_day, time(0, 0)))
    return list(db.session.scalars(query.order_by(EventSession.starts_at, EventSession.id)))


def get_session_or_404(programme: Programme, session_id: int) -> EventSession:
    session = db.session.get(EventSession, session_id)
    if session is None or session.programme_id != programme.id:
        abort(404)
    return session


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
    response_counts = db.session.execute(
        sa.select(Response.session_id, sa.func.count())
        .where(Response.session_id.in_(ids))
        .group_by(Response.session_id)
    )
    for session_id, responses in response_counts:
        rows[session_id].responses = responses
    return list(rows.values())


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
    if not session_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.session_id.in_(session_ids))
    ) or 0


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
        return sum(row.count * row.option.score for row in scored) / answered

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
    def percent_agree_whole(self) -> int:
        return round((self.percent_agree or 0) * 100)


def form_questions(form: FeedbackForm | None, answered_ids: set[int] | None = None) -> list[Question]:
    """The form's questions in order: visible ones, and hidden ones that have answers
    (hiding a question never hides its past answers)."""
    if form is None:
        return []
    answered_ids = answered_ids or set()
    return [q for q in form.questions if not q.hidden or q.id in answered_ids]


def _response_filter(session_ids: list[int]):
    return Response.session_id.in_(session_ids)


def question_results(form: FeedbackForm | None, session_ids: list[int]) -> list[QuestionResult]:
    """Every question's distribution over the given sessions' responses."""
    if form is None:
        return []
    counts: dict[tuple[int, int], int] = {}
    respondents: dict[int, int] = {}
    text_counts: dict[int, int] = {}
    if session_ids:
        in_form = Answer.question_id.in_(sa.select(Question.id).where(Question.form_id == form.id))
        for question_id, option_id, count in db.session.execute(
            sa.select(Answer.question_id, Answer.option_id, sa.func.count())
            .join(Response, Response.id == Answer.response_id)
            .where(_response_filter(session_ids), Answer.option_id.is_not(None), in_form)
            .group_by(Answer.question_id, Answer.option_id)
        ):
            counts[(question_id, option_id)] = count
        for question_id, answered, texts in db.session.execute(
            sa.select(
                Answer.question_id,
                sa.func.count(sa.distinct(Answer.response_id)),
                sa.func.count(Answer.text),
            )
            .join(Response, Response.id == Answer.response_id)
            .where(_response_filter(session_ids), in_form)
            .group_by(Answer.question_id)
        ):
            respondents[question_id] = answered
            text_counts[question_id] = texts
    results = []
    for number, question in enumerate(form_questions(form, set(respondents)), start=1):
        answered = respondents.get(question.id, 0)
        result = QuestionResult(question, number, answered, text_answers=text_counts.get(question.id, 0))
        for option in question.options:
            count = counts.get((question.id, option.id), 0)
            if option.hidden and not count:
                continue
            result.options.append(OptionResult(option, count, ratio(count, answered)))
        results.append(result)
    return results


def indicator_results(results: list[QuestionResult]) -> list[QuestionResult]:
    """The agreement questions about a quality indicator, in form order."""
    return [r for r in results if r.kind == QuestionKind.AGREEMENT and r.question.finding_id]


def ranked_indicators(results: list[QuestionResult], count: int = 3) -> tuple[list, list]:
    """The indicators with the highest and the lowest % agree (those with answers)."""
    rated = [r for r in indicator_results(results) if r.percent_agree is not None]
    highest = sorted(rated, key=lambda r: (-r.percent_agree, r.number))[:count]
    lowest = sorted(rated, key=lambda r: (r.percent_agree, r.number))[:count]
    return highest, lowest


# ---------------------------------------------------------------------------
# Comments (text answers)
# ---------------------------------------------------------------------------


@dataclass
class Comment:
    text: str
    submitted_at: datetime
    question_text: str
    session_title: str


@dataclass
class CommentPage:
    comments: list[Comment]
    total: int
    page: int
    per_page: int
    query: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def comments_query(session_ids: list[int], search: str = ""):
    """Text answers with their question and session, newest first (a select, for paging or streaming)."""
    query = (
        sa.select(Answer.text, Response.submitted_at, Question.text, EventSession.title,
                  EventSession.starts_at, Question.position, Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .join(EventSession, EventSession.id == Response.session_id)
        .where(Response.session_id.in_(session_ids or [-1]), Answer.text.is_not(None))
    )
    search = strip_control_characters(search or "").strip()
    if search:
        query = query.where(sa.func.lower(Answer.text).like(_like_pattern(search.lower()), escape="\\"))
    return query


def comment_page(session_ids: list[int], search: str = "", page: int = 1,
                 per_page: int = COMMENTS_PER_PAGE) -> CommentPage:
    query = comments_query(session_ids, search)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        query.order_by(Response.submitted_at.desc(), Answer.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    comments = [Comment(text, submitted, question, session) for text, submitted, question, session, *_ in rows]
    return CommentPage(comments, total, page, per_page, (search or "").strip())


# ---------------------------------------------------------------------------
# Breakdowns by locality, role group and organisation: the small-group rule
# ---------------------------------------------------------------------------


@dataclass
class BreakdownGroup:
    label: str
    responses: int
    agree: int = 0
    agree_base: int = 0  # agreement answers except Don't know
    usefulness_total: int = 0
    usefulness_count: int = 0

    @property
    def suppressed(self) -> bool:
        return self.responses < SMALL_GROUP_MIN

    @property
    def percent_agree(self) -> float | None:
        return None if self.suppressed else percent_agree(self.agree, self.agree_base)

    @property
    def mean_usefulness(self) -> float | None:
        return None if self.suppressed else ratio(self.usefulness_total, self.usefulness_count)

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


def breakdowns(form: FeedbackForm | None, session_ids: list[int]) -> list[BreakdownTable]:
    """Per "about you" question, one row per answer group: responses, % agree over every
    indicator question, and mean usefulness rating. Any group of fewer than
    SMALL_GROUP_MIN responses is suppressed (its figures are None); pages and the
    workbook both show these tables and nothing finer."""
    if form is None:
        return []
    questions = {q.breakdown: q for q in form.questions if q.breakdown}
    shown = [(breakdown, questions[breakdown]) for breakdown in BREAKDOWN_ORDER if breakdown in questions]
    if not shown:
        return []
    total = response_count(session_ids)
    groups = {option.id: BreakdownGroup(option.label, 0) for _, question in shown for option in question.options}
    if session_ids:
        _fill_breakdown_groups(groups, [question.id for _, question in shown], session_ids)
    tables = []
    for breakdown, question in shown:
        rows = [group for option in question.options
                if not (option.hidden and not groups[option.id].responses)
                for group in [groups[option.id]]]
        answered = sum(group.responses for group in rows)
        rows.append(BreakdownGroup(NOT_ANSWERED, max(total - answered, 0)))
        tables.append(BreakdownTable(breakdown, BREAKDOWN_LABELS[breakdown], question, rows))
    return tables


def _fill_breakdown_groups(groups: dict[int, BreakdownGroup], question_ids: list[int],
                           session_ids: list[int]) -> None:
    """One query for every group of every breakdown: each response's agreement and
    usefulness figures are summed once (one pass over the answers), then added up per
    group the response chose."""
    indicator = sa.and_(Question.kind == QuestionKind.AGREEMENT.value, Question.finding_id.is_not(None))
    rating = Question.kind == QuestionKind.RATING.value
    per_response = (
        sa.select(
            Answer.response_id,
            sa.func.count().filter(indicator, QuestionOption.score.in_(AGREE_SCORES)).label("agree"),
            sa.func.count(QuestionOption.score).filter(indicator).label("agree_base"),
            sa.func.sum(QuestionOption.score).filter(rating).label("usefulness_total"),
            sa.func.count(QuestionOption.score).filter(rating).label("usefulness_count"),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .join(QuestionOption, QuestionOption.id == Answer.option_id)
        .where(_response_filter(session_ids), sa.or_(indicator, rating))
        .group_by(Answer.response_id)
        .subquery()
    )
    group_answer = aliased(Answer)
    for option_id, size, agree, base, score_total, score_count in db.session.execute(
        sa.select(
            group_answer.option_id,
            sa.func.count(),  # responses: (response, question, option) is unique
            sa.func.coalesce(sa.func.sum(per_response.c.agree), 0),
            sa.func.coalesce(sa.func.sum(per_response.c.agree_base), 0),
            sa.func.coalesce(sa.func.sum(per_response.c.usefulness_total), 0),
            sa.func.coalesce(sa.func.sum(per_response.c.usefulness_count), 0),
        )
        .select_from(group_answer)
        .join(Response, Response.id == group_answer.response_id)
        .outerjoin(per_response, per_response.c.response_id == group_answer.response_id)
        .where(_response_filter(session_ids), group_answer.question_id.in_(question_ids),
               group_answer.option_id.is_not(None))
        .group_by(group_answer.option_id)
    ):
        group = groups.get(option_id)
        if group is not None:
            group.responses, group.agree, group.agree_base = size, int(agree), int(base)
            group.usefulness_total, group.usefulness_count = int(score_total), int(score_count)


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

    @property
    def session_ids(self) -> list[int]:
        return [session.id for session in self.sessions]

    @property
    def indicators(self) -> list[QuestionResult]:
        return indicator_results(self.questions)


def results_for(programme: Programme, sessions: list[EventSession]) -> Results:
    form = programme.feedback_form
    figures = session_figures(sessions)
    session_ids = [session.id for session in sessions]
    return Results(
        programme=programme,
        sessions=sessions,
        figures=figures,
        totals=totals(figures),
        questions=question_results(form, session_ids),
        breakdowns=breakdowns(form, session_ids),
    )


def local_naive(moment: datetime | None) -> datetime | None:
    """London wall-clock time without a zone: what Excel and CSV readers expect."""
    return moment.astimezone(LONDON).replace(tzinfo=None) if moment else None
