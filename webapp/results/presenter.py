"""The presenter view for the room's screen: which slide, and what the room may see.

The room sees no figure until enough people have responded (at least SMALL_GROUP_MIN,
more if PRESENTER_MIN_RESPONSES says so), and no finding's % agree until as many gave
a view on it: one response must never show "100%" to the room.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def minimum_responses(configured: int | None) -> int:
    """The configured minimum, never below SMALL_GROUP_MIN."""
    return max(SMALL_GROUP_MIN, configured or 0)


@dataclass
class Presentation:
    responses: int
    minimum: int
    indicators: list[QuestionResult]
    slide: int  # 0 is the overview; 1..len(indicators) one finding each

    @property
    def results_shown(self) -> bool:
        return self.responses >= self.minimum

    def shown(self, result: QuestionResult) -> bool:
        """Whether this finding's figures may be shown: enough gave a view on it
        (the people behind its % agree: "Don't know" left out)."""
        return self.results_shown and sum(row.count for row in result.scored) >= self.minimum

    @property
    def slides(self) -> int:
        return len(self.indicators) + 1

    @property
    def finding(self) -> QuestionResult | None:
        return self.indicators[self.slide - 1] if self.slide else None

    @property
    def previous(self) -> str:
        return slide_name((self.slide - 1) % self.slides)

    @property
    def next(self) -> str:
        return slide_name((self.slide + 1) % self.slides)


def slide_name(slide: int) -> str:
    return str(slide) if slide else OVERVIEW


def presentation(session: EventSession, show: str | None, configured_minimum: int | None) -> Presentation:
    """The session's figures (from the running totals) and the slide asked for; an
    unknown slide is the overview."""
    indicators = indicator_results(question_results(load_form(session.programme), [session.id]))
    names = [slide_name(number) for number in range(len(indicators) + 1)]
    slide = names.index(show) if show in names else 0
    return Presentation(response_count([session.id]), minimum_responses(configured_minimum), indicators, slide)
