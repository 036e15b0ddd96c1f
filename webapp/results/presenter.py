"""The presenter view for the room's screen: which slide, and what the room may see.

The room sees no figure until enough people have responded (at least SMALL_GROUP_MIN,
more if PRESENTER_MIN_RESPONSES says so), and no finding's % agree until as many gave
a view on it: one response must never show "100%" to the room.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from webapp.feedback.models import QuestionKind
from webapp.results.services import (
    SMALL_GROUP_MIN,
    QuestionResult,
    WordList,
    indicator_results,
    load_form,
    question_results,
    response_count,
    word_lists,
)
from webapp.sessions.models import EventSession

OVERVIEW = "overview"
CLOUD_WORDS = 30  # the most words a cloud shows: readable from the back of the room


@dataclass
class WordSlide:
    """A one-word question as a word cloud, with the ranked list a screen reader gets.
    Only words at least SMALL_GROUP_MIN people gave (WordList.common)."""

    result: QuestionResult
    words: WordList

    @property
    def shown(self):
        return self.words.common[:CLOUD_WORDS]

    @property
    def cloud(self):
        """The same words in alphabetical order: the eye finds the big ones; the list keeps the ranking."""
        return sorted(self.shown, key=lambda word: word.word)


def minimum_responses(configured: int | None) -> int:
    """The configured minimum, never below SMALL_GROUP_MIN."""
    return max(SMALL_GROUP_MIN, configured or 0)


@dataclass
class Presentation:
    responses: int
    minimum: int
    indicators: list[QuestionResult]
    slide: int  # 0 is the overview; 1..len(indicators) one finding each; then one per word cloud
    word_slides: list[WordSlide] = field(default_factory=list)

    @property
    def results_shown(self) -> bool:
        return self.responses >= self.minimum

    def shown(self, result: QuestionResult) -> bool:
        """Whether this finding's figures may be shown: enough gave a view on it
        (the people behind its % agree: "Don't know" left out)."""
        return self.results_shown and sum(row.count for row in result.scored) >= self.minimum

    @property
    def slides(self) -> int:
        return len(self.indicators) + len(self.word_slides) + 1

    @property
    def finding(self) -> QuestionResult | None:
        return self.indicators[self.slide - 1] if 0 < self.slide <= len(self.indicators) else None

    @property
    def word_slide(self) -> WordSlide | None:
        return self.word_slides[self.slide - 1 - len(self.indicators)] if self.slide > len(self.indicators) else None

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
    results = question_results(load_form(session.programme), [session.id])
    indicators = indicator_results(results)
    one_word = [result for result in results if result.kind == QuestionKind.ONE_WORD and not result.question.hidden]
    words = word_lists([result.question for result in one_word], [session.id])
    word_slides = [WordSlide(result, words[result.question.id]) for result in one_word]
    names = [slide_name(number) for number in range(len(indicators) + len(word_slides) + 1)]
    slide = names.index(show) if show in names else 0
    return Presentation(response_count([session.id]), minimum_responses(configured_minimum), indicators, slide,
                        word_slides)
