"""The presenter view for the room's screen: which slide, and what the room may see.

Slides: the overview, one per finding, then the room's top questions (webapp/room),
which need no minimum: they are the room's own words, shown once moderated.

The room sees no figure until enough people have responded (at least SMALL_GROUP_MIN,
more if PRESENTER_MIN_RESPONSES says so), and no finding's % agree until as many gave
a view on it: one response must never show "100%" to the room.
"""
from __future__ import annotations

from dataclasses import dataclass

from webapp.room.services import RoomList

from webapp.results.services import (
    SMALL_GROUP_MIN,
    QuestionResult,
    indicator_results,
    load_form,
    question_results,
    response_count,
)
from webapp.sessions.models import EventSession

OVERVIEW = "overview"
QUESTIONS = "questions"


def minimum_responses(configured: int | None) -> int:
    """The configured minimum, never below SMALL_GROUP_MIN."""
    return max(SMALL_GROUP_MIN, configured or 0)


@dataclass
class Presentation:
    responses: int
    minimum: int
    indicators: list[QuestionResult]
    slide: int  # 0 is the overview; 1..len(indicators) one finding each; then the questions
    questions: RoomList

    @property
    def results_shown(self) -> bool:
        return self.responses >= self.minimum

    def shown(self, result: QuestionResult) -> bool:
        """Whether this finding's figures may be shown: enough gave a view on it
        (the people behind its % agree: "Don't know" left out)."""
        return self.results_shown and sum(row.count for row in result.scored) >= self.minimum

    @property
    def slides(self) -> int:
        return len(self.indicators) + 2

    @property
    def finding(self) -> QuestionResult | None:
        return self.indicators[self.slide - 1] if 1 <= self.slide <= len(self.indicators) else None

    @property
    def on_questions(self) -> bool:
        return self.slide == self.slides - 1

    @property
    def name(self) -> str:
        return self.slide_name(self.slide)

    @property
    def previous(self) -> str:
        return self.slide_name((self.slide - 1) % self.slides)

    @property
    def next(self) -> str:
        return self.slide_name((self.slide + 1) % self.slides)

    def slide_name(self, slide: int) -> str:
        if slide == 0:
            return OVERVIEW
        return QUESTIONS if slide == self.slides - 1 else str(slide)


def presentation(session: EventSession, show: str | None, configured_minimum: int | None,
                 questions: RoomList) -> Presentation:
    """The session's figures (from the running totals), its top questions and the slide
    asked for; an unknown slide is the overview."""
    indicators = indicator_results(question_results(load_form(session.programme), [session.id]))
    shown = Presentation(response_count([session.id]), minimum_responses(configured_minimum), indicators, 0,
                         questions)
    names = [shown.slide_name(number) for number in range(shown.slides)]
    shown.slide = names.index(show) if show in names else 0
    return shown
