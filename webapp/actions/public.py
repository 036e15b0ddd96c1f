"""What the public "You said, we did" page shows: agreement with each finding (only where
enough people answered), the action plan with its dated updates, approved quotes, and the
written answers to questions asked in the room.
Nothing on it names or points to a person."""
from __future__ import annotations

from dataclasses import dataclass, field


from webapp.actions import services
from webapp.actions.models import Action, Quote
from webapp.programmes.models import Finding, Programme
from webapp.results import services as results
from webapp.room.models import RoomQuestion
from webapp.room.services import published_answers
from webapp.themes.counts import ThemeTotal, top_themes
from webapp.db_types import utcnow


@dataclass
class Agreement:
    finding: Finding
    question: str
    respondents: int
    percent_agree: float | None  # None: fewer than SMALL_GROUP_MIN answered (not shown)


@dataclass
class PublicPage:
    programme: Programme
    sessions_held: int
    responses: int
    responses_shown: bool  # False under the small-group threshold: no figures at all
    agreement: list[Agreement]
    plan: list[tuple[Finding, list[Action]]]
    quotes: list[Quote]
    # Questions from the room, shown there by the moderator, with a written answer.
    themes: list[ThemeTotal]  # the most mentioned, each by at least SMALL_GROUP_MIN responses
    # Questions from the room, shown there by the moderator, with a written answer.
    answered_questions: list[RoomQuestion] = field(default_factory=list)


def agreement(programme: Programme) -> tuple[int, list[Agreement]]:
    """(responses, agreement per finding) for the whole programme; a finding fewer than
    SMALL_GROUP_MIN people answered has no figure."""
    session_ids = [session.id for session in programme.sessions]
    questions = results.question_results(results.load_form(programme), session_ids)
    rows = []
    for result in results.indicator_results(questions):
        if result.question.finding is None:  # indicator_results keeps only questions on a finding
            continue
        shown = result.respondents >= results.SMALL_GROUP_MIN and result.percent_agree is not None
        rows.append(Agreement(result.question.finding, result.question.text, result.respondents,
                              result.percent_agree if shown else None))
    return results.response_count(session_ids), rows


def you_said_we_did(programme: Programme) -> PublicPage:
    responses, rows = agreement(programme)
    shown = responses >= results.SMALL_GROUP_MIN
    now = utcnow()
    held = sum(1 for session in programme.sessions if not session.is_cancelled and session.starts_at <= now)
    return PublicPage(
        programme=programme,
        sessions_held=held,
        responses=responses if shown else 0,
        responses_shown=shown,
        agreement=rows if shown else [],
        plan=services.plan(programme),
        quotes=services.quotes(programme, published_only=True),
        answered_questions=published_answers(programme),
        themes=top_themes(programme) if shown else [],
    )
