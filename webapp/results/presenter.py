"""The presenter view for the room's screen: which slide, and what the room may see.

Slides: the overview, one per finding, one word cloud per one-word question, then the
room's top questions (webapp/room), which need no minimum: they are the room's own
words, shown once moderated.

The room sees no figure until enough people have responded (at least SMALL_GROUP_MIN,
more if PRESENTER_MIN_RESPONSES says so), and no finding's % agree until as many gave
a view on it: one response must never show "100%" to the room.
"""
from __future__ import annotations

from dataclasses import dataclass

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
from webapp.room.services import RoomList
from webapp.sessions.models import EventSession

OVERVIEW = "overview"
QUESTIONS = "questions"
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
    word_slides: list[WordSlide]
    questions: RoomList
    slide: int = 0  # 0 the overview; then one per finding; one per word cloud; the questions last

    @property
    def results_shown(self) -> bool:
        return self.responses >= self.minimum

    def shown(self, result: QuestionResult) -> bool:
        """Whether this finding's figures may be shown: enough gave a view on it
        (the people behind its % agree: "Don't know" left out)."""
        return self.results_shown and sum(row.count for row in result.scored) >= self.minimum

    @property
    def slides(self) -> int:
        return 1 + len(self.indicators) + len(self.word_slides) + 1

    @property
    def finding(self) -> QuestionResult | None:
        return self.indicators[self.slide - 1] if 1 <= self.slide <= len(self.indicators) else None

    @property
    def word_slide(self) -> WordSlide | None:
        index = self.slide - 1 - len(self.indicators)
        return self.word_slides[index] if 0 <= index < len(self.word_slides) else None

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
    """The session's figures (from the running totals), its word clouds, its top questions
    and the slide asked for; an unknown slide is the overview."""
    results = question_results(load_form(session.programme), [session.id])
    one_word = [result for result in results if result.kind == QuestionKind.ONE_WORD and not result.question.hidden]
    words = word_lists([result.question for result in one_word], [session.id])
    shown = Presentation(response_count([session.id]), minimum_responses(configured_minimum),
                         indicator_results(results), [WordSlide(result, words[result.question.id])
                                                      for result in one_word], questions)
    names = [shown.slide_name(number) for number in range(shown.slides)]
    shown.slide = names.index(show) if show in names else 0
    return shown
