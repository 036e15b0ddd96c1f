"""Load the demo programme, and synthetic responses for results and exports."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.actions.models import Action, ActionStatus
from webapp.demo import seed_data
from webapp.extensions import db
from webapp.feedback.models import Answer, Question, QuestionKind, Response
from webapp.feedback.services import build_default_form
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.results import totals
from webapp.sessions.models import EventSession
from webapp.timezones import LONDON, london_to_utc
from webapp.tokens import new_url_token


def first_weekday_run(start: date, days: int = 3) -> date:
    """The first day on or after `start` that begins `days` consecutive weekdays."""
    while any((start + timedelta(days=offset)).weekday() >= 5 for offset in range(days)):
        start += timedelta(days=1)
    return start


def load_demo_programme(today: date | None = None) -> tuple[Programme, bool]:
    """The demo programme, created if missing. Returns (programme, created)."""
    existing = db.session.scalar(sa.select(Programme).where(Programme.slug == seed_data.PROGRAMME_SLUG))
    if existing:
        return existing, False
    today = today or datetime.now(LONDON).date()
    programme = Programme(
        slug=seed_data.PROGRAMME_SLUG,
        title=seed_data.PROGRAMME_TITLE,
        summary=seed_data.PROGRAMME_SUMMARY,
        is_open=True,
    )
    position = 0
    for headline, indicators in seed_data.INDICATORS:
        for title, grade in indicators:
            position += 1
            programme.findings.append(
                Finding(kind=FindingKind.INDICATOR, position=position, title=title,
                        headline_question=headline, grade=grade)
            )
    for position, title in enumerate(seed_data.AREAS_FOR_IMPROVEMENT, start=1):
        programme.findings.append(Finding(kind=FindingKind.IMPROVEMENT_AREA, position=position, title=title))
    for position, (title, actions) in enumerate(seed_data.ACTION_PLAN, start=1):
        programme.findings.append(Finding(kind=FindingKind.ACTION, position=position, title=title, detail=actions))
    db.session.add(programme)
    _demo_actions(programme)

    first_day = first_weekday_run(today + timedelta(days=14))
    for day_offset, (locality, venue, address) in enumerate(seed_data.LOCALITY_DAYS):
        day = first_day + timedelta(days=day_offset)
        for part, (start, end) in zip(("Morning", "Afternoon"), seed_data.SESSION_TIMES):
            programme.sessions.append(_demo_session(f"{locality}: {part.lower()} briefing", day, start, end,
                                                    locality, venue, address))
    mop_up_day = first_weekday_run(first_day + timedelta(weeks=10), days=1)
    locality, venue, address = seed_data.MOP_UP
    programme.sessions.append(_demo_session("Mop-up briefing", mop_up_day, (10, 0), (12, 30),
                                            locality, venue, address))
    db.session.flush()
    build_default_form(programme)
    db.session.commit()
    return programme, True


def _demo_actions(programme: Programme) -> None:
    """The seed's draft action plan, each action linked to the findings it answers."""
    by_title = {finding.title: finding for finding in programme.findings}
    for area_title, actions in seed_data.ACTIONS.items():
        for position, (title, status, findings) in enumerate(actions, start=1):
            db.session.add(Action(area=by_title[area_title], position=position, title=title,
                                  owner=seed_data.ACTION_OWNER, status=ActionStatus(status),
                                  findings=[by_title[finding] for finding in findings]))


def _demo_session(title, day, start, end, locality, venue, address) -> EventSession:
    return EventSession(
        title=title,
        starts_at=london_to_utc(day, time(*start)),
        ends_at=london_to_utc(day, time(*end)),
        venue=venue,
        address=address,
        locality=locality,
        capacity=seed_data.CAPACITY,
        facilitators=seed_data.FACILITATORS,
        notes=seed_data.NOTES,
    )


# Staff agreement leans with the grade, with some disagreement where the SMT itself
# questioned the inspectors ("Adequate"): weights for scores 1..5 and Don't know.
AGREEMENT_WEIGHTS = {
    "Very Good": (2, 5, 12, 45, 30, 6),
    "Good": (3, 9, 20, 42, 18, 8),
    "Adequate": (10, 22, 25, 25, 8, 10),
}
SAMPLE_COMMENTS = (
    "More time for direct work with families instead of paperwork.",
    "Consistent access to family support across all localities, not a postcode lottery.",
    "Better joint working between health visitors and social work at an early stage.",
    "Caseloads are too high to review children's plans as often as we should.",
    "Shared chronologies that every agency can see and update.",
    "Recognition that the frontline made these grades possible: thank you for saying so.",
    "Advocacy for young people in residential care needs to be available quickly.",
    "Training on risk assessment that includes the third sector.",
    "Kinship carers of teenagers need more practical support.",
    "Less change at once: give new teams time to settle.",
)


def add_synthetic_responses(programme: Programme, count: int, seed: int | None = None,
                            batch_size: int = 2000) -> int:
    """Add `count` plausible anonymous responses spread over the programme's sessions.

    Rows go in with bulk INSERTs in batches, so that 100,000 responses take seconds;
    each batch adds to the running totals in its own transaction."""
    rng = random.Random(seed)
    form = programme.feedback_form
    sessions = [session for session in programme.sessions if not session.is_cancelled]
    if not form or not sessions or count <= 0:
        return 0
    questions = form.visible_questions
    group_questions = {question.id for question in questions if question.breakdown}
    added = 0
    while added < count:
        size = min(batch_size, count - added)
        response_rows = [
            {
                "session_id": rng.choice(sessions).id,
                "submitted_at": _submitted_at(rng, sessions),
                "submission_key": new_url_token(),
            }
            for _ in range(size)
        ]
        stored = db.session.execute(
            sa.insert(Response).returning(Response.id, Response.session_id), response_rows
        ).all()
        answer_rows = []
        counted: Counter = Counter()
        for response_id, session_id in stored:
            answers = [row for question in questions for row in _synthetic_answers(rng, question, response_id)]
            answer_rows.extend(answers)
            counted.update(totals.response_keys(
                session_id, [(row["question_id"], row["option_id"]) for row in answers],
                group_questions))
        db.session.execute(sa.insert(Answer), answer_rows)
        totals.add(counted)
        db.session.commit()
        added += size
    return added


def _submitted_at(rng: random.Random, sessions: list[EventSession]) -> datetime:
    session = rng.choice(sessions)
    return session.ends_at - timedelta(minutes=rng.randint(0, 20))


def _synthetic_answers(rng: random.Random, question: Question, response_id: int) -> list[dict]:
    kind = question.kind
    options = question.visible_options
    if kind == QuestionKind.AGREEMENT:
        grade = question.finding.grade if question.finding else "Good"
        weights = AGREEMENT_WEIGHTS.get(grade, AGREEMENT_WEIGHTS["Good"])
        chosen = rng.choices(options, weights=weights[: len(options)])
    elif kind == QuestionKind.RATING:
        chosen = rng.choices(options, weights=(2, 5, 20, 45, 28)[: len(options)])
    elif kind == QuestionKind.MULTI_CHOICE:
        chosen = rng.sample(options, k=min(len(options), rng.choice((1, 2, 2)), question.max_choices or 2))
    elif kind == QuestionKind.SINGLE_CHOICE:
        chosen = [] if rng.random() < 0.15 else [rng.choice(options)]
    else:
        if rng.random() < 0.65:
            return []
        return [{"response_id": response_id, "question_id": question.id, "option_id": None,
                 "text": rng.choice(SAMPLE_COMMENTS)}]
    return [{"response_id": response_id, "question_id": question.id, "option_id": option.id, "text": None}
            for option in chosen]
