"""The board report: what the committee is told about the briefings, in the voice of the
seed's section 7 "Communication with Staff". Built from the results' running totals and
the action plan; no personal data (viewers may produce it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from webapp.actions import public
from webapp.actions import services as actions
from webapp.actions.models import Action, Quote
from webapp.programmes.models import Finding, Programme
from webapp.results import services as results
from webapp.staff.coverage import Counts, coverage
from webapp.themes.counts import ThemeTotal, top_themes
from webapp.timezones import to_local


@dataclass
class IndicatorRow:
    headline: str
    title: str
    grade: str
    respondents: int
    percent_agree: float | None  # None: fewer than SMALL_GROUP_MIN answered


@dataclass
class BoardReport:
    programme: Programme
    sessions_held: int
    first_day: date | None
    last_day: date | None
    places: list[str]
    attended: int
    responses: int
    response_rate: float | None
    indicators: list[IndicatorRow]
    quotes: list[Quote]
    plan: list[tuple[Finding, list[Action]]]
    themes: list[ThemeTotal] = field(default_factory=list)  # each mentioned by SMALL_GROUP_MIN or more
    reach: Counts | None = None  # against the staff list, when there is one

    def reach_sentence(self) -> str:
        """Staff reached against the staff list (issue 15's coverage), or nothing."""
        if self.reach is None or not self.reach.listed:
            return ""
        share = f" ({round(self.reach.coverage * 100)}%)" if self.reach.coverage is not None else ""
        return (f"Of the {self.reach.listed} staff on the list the programme set out to reach, "
                f"{self.reach.attended}{share} have attended a briefing; {self.reach.not_reached} are still "
                "to be reached.")

    @property
    def figures_shown(self) -> bool:
        return self.responses >= results.SMALL_GROUP_MIN

    def opening(self) -> str:
        """Section 7.1's sentence, from the data."""
        if not self.sessions_held:
            return "No briefing sessions have been held yet."
        when = _period(self.first_day, self.last_day)
        where = _join(self.places)
        events = "one event" if self.sessions_held == 1 else f"{self.sessions_held} events"
        return (f"{when}, the senior management team met {self.attended} frontline staff and managers at "
                f"{events} held at {where}.")

    def feedback_sentence(self) -> str:
        if not self.figures_shown:
            return (f"Fewer than {results.SMALL_GROUP_MIN} people have given feedback so far, so no figures are "
                    "reported: they could identify the people who answered.")
        rate = f", a response rate of {round(self.response_rate * 100)}% of those who attended" \
            if self.response_rate is not None else ""
        return (f"{self.responses} staff gave anonymous feedback on the findings{rate}. The table below sets "
                "their agreement with each quality indicator beside the inspectors' grade.")


def _period(first: date | None, last: date | None) -> str:
    if first is None:
        return ""
    if first == last:
        return f"On {first:%-d %B %Y}"
    return f"Between {first:%-d %B %Y} and {last:%-d %B %Y}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def board_report(programme: Programme) -> BoardReport:
    sessions = results.select_sessions(programme)
    figures = results.results_for(programme, sessions)
    held = [row for row in figures.figures if not row.session.is_cancelled and row.attended]
    days = sorted(to_local(row.session.starts_at).date() for row in held)
    places = list(dict.fromkeys(row.session.locality or row.session.venue for row in held))
    _responses, agreement = public.agreement(programme)
    rows = [IndicatorRow(row.finding.headline_question or "", row.finding.title, row.finding.grade or "",
                         row.respondents, row.percent_agree)
            for row in agreement if row.finding is not None and row.finding.grade]
    return BoardReport(
        programme=programme,
        sessions_held=len(held),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        places=places,
        attended=figures.totals.attended,
        responses=figures.totals.responses,
        response_rate=figures.totals.response_rate,
        indicators=rows,
        quotes=actions.quotes(programme, published_only=True),
        plan=actions.plan(programme),
        themes=top_themes(programme),
        reach=coverage(programme, "team").total,
    )


# --- words the page and the Word document share -------------------------------------------------

THEMES_NOTE = ("Comments were tagged with themes by the organisers (with suggestions made on this server). A "
               "theme is counted once per person who wrote about it; a theme fewer than 5 people wrote about is "
               "not shown.")


def percent(share: float | None) -> str:
    return "Not shown (fewer than 5 answers)" if share is None else f"{round(share * 100)}%"


def chart_alt_text(report: BoardReport) -> str:
    parts = [f"{row.title}: {percent(row.percent_agree)}" for row in report.indicators if row.percent_agree is not None]
    return "Bar chart of the percentage of staff who agree with each quality indicator. " + "; ".join(parts) + "."
