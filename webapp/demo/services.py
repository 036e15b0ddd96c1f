"""Load the demo programme, and synthetic responses for results and exports."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.actions.models import Action, ActionStatus
from webapp.demo import seed_data
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import Answer, Question, QuestionKind, Response
from webapp.feedback.default_form import build_default_form
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.results import totals
from webapp.sessions.models import EventSession
from webapp.themes.models import Theme, theme_tag
from webapp.timezones import LONDON, london_to_utc
from webapp.tokens import new_url_token


def first_weekday_run(start: date, days: int = 3) -> date:
    """The first day on or after `start` that begins `days` consecutive weekdays."""
    while any((start + timedelta(days=offset)).weekday() >= 5 for offset in range(days)):
        start += timedelta(days=1)
    return start


def last_weekday_run(before: date, days: int = 3) -> date:
    """The first day of the latest `days` consecutive weekdays that end before `before`."""
    start = before - timedelta(days=days)
    while any((start + timedelta(days=offset)).weekday() >= 5 for offset in range(days)):
        start -= timedelta(days=1)
    return start


def load_demo_programme(today: date | None = None, first_day: date | None = None) -> tuple[Programme, bool]:
    """The demo programme, created if missing, with its six sessions from `first_day` (by
    default two weeks ahead, as the programme stands before it starts). Returns
    (programme, created)."""
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

    first_day = first_day or first_weekday_run(today + timedelta(days=14))
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
    _add_one_word_question(build_default_form(programme))
    db.session.commit()
    return programme, True


ONE_WORD_QUESTION = "In one word, how do you feel about the findings?"


def _add_one_word_question(form) -> None:
    """PRODUCT.md's default form has no one-word question, so only the demo's form gets
    one: in "Your views", before the written answers, for the presenter's word cloud."""
    questions = list(form.questions)
    at = next(index for index, question in enumerate(questions) if question.kind == QuestionKind.LONG_TEXT)
    questions.insert(at, Question(kind=QuestionKind.ONE_WORD, text=ONE_WORD_QUESTION, section="Your views"))
    for position, question in enumerate(questions, start=1):
        question.position = position
    form.questions = questions


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
# Stored as the phone form stores them: one word, case-folded (feedback.answers.normalise_word).
SAMPLE_WORDS = ("encouraged", "proud", "hopeful", "fair", "realistic", "surprised", "concerned",
                "mixed", "recognised", "tired", "positive", "sceptical")
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
                            batch_size: int = 2000, now: datetime | None = None) -> int:
    """Add `count` plausible anonymous responses spread over the sessions whose feedback
    has opened (over all of them when none has, as for a programme not yet started).

    Rows go in with bulk INSERTs in batches, so that 100,000 responses take seconds;
    each batch adds to the running totals in its own transaction."""
    rng = random.Random(seed)
    now = now or utcnow()
    sessions = [session for session in programme.sessions if not session.is_cancelled]
    opened = [session for session in sessions if session.feedback_window[0] <= now]
    if not sessions or count <= 0:
        return 0
    return _insert_responses(programme, rng, [rng.choice(opened or sessions) for _ in range(count)], now,
                             batch_size)


def _insert_responses(programme: Programme, rng: random.Random, sessions: list[EventSession],
                      now: datetime, batch_size: int = 2000) -> int:
    """One synthetic response for each entry of `sessions`, sent inside its feedback window."""
    form = programme.feedback_form
    if not form:
        return 0
    questions = form.visible_questions
    group_questions = {question.id for question in questions if question.breakdown}
    one_word_questions = {question.id for question in questions if question.kind == QuestionKind.ONE_WORD}
    for start in range(0, len(sessions), batch_size):
        response_rows = [
            {
                "session_id": session.id,
                "submitted_at": _submitted_at(rng, session, now),
                "submission_key": new_url_token(),
            }
            for session in sessions[start:start + batch_size]
        ]
        stored = db.session.execute(
            sa.insert(Response).returning(Response.id, Response.session_id), response_rows
        ).all()
        answer_rows = []
        counted: Counter = Counter()
        words: Counter = Counter()
        for response_id, session_id in stored:
            answers = [row for question in questions for row in _synthetic_answers(rng, question, response_id)]
            answer_rows.extend(answers)
            counted.update(totals.response_keys(
                session_id, [(row["question_id"], row["option_id"]) for row in answers],
                group_questions))
            words.update(totals.word_keys(
                session_id, [(row["question_id"], row["option_id"], row["text"]) for row in answers],
                one_word_questions))
        db.session.execute(sa.insert(Answer), answer_rows)
        totals.add(counted)
        totals.add_words(words)
        db.session.commit()
    return len(sessions)


def _submitted_at(rng: random.Random, session: EventSession, now: datetime) -> datetime:
    """Near the end of the session; never in the future for a session under way."""
    moment = session.ends_at - timedelta(minutes=rng.randint(0, 20))
    opens = session.feedback_window[0]
    if moment > now >= opens:
        moment = now
    return max(moment, opens)


# ---------------------------------------------------------------------------
# The demo as the programme stands part-way through (`flask demo`)
# ---------------------------------------------------------------------------

FIRST_NAMES = ("Aileen", "Alasdair", "Amina", "Andrew", "Catriona", "Ciaran", "Claire", "David", "Eilidh",
               "Euan", "Fiona", "Fraser", "Gillian", "Graham", "Hamish", "Iona", "Isla", "Jamie", "Janet",
               "Kirsty", "Lewis", "Lorna", "Mairi", "Malcolm", "Morag", "Neil", "Niamh", "Priya", "Rachel",
               "Ross", "Ruth", "Sadia", "Shona", "Stuart", "Tariq", "Yvonne")
LAST_NAMES = ("Ahmed", "Anderson", "Boyle", "Brown", "Campbell", "Docherty", "Donnelly", "Ferguson",
              "Fraser", "Gallacher", "Hamilton", "Henderson", "Kelly", "Khan", "MacDonald", "MacLeod",
              "McCormack", "McGregor", "McLean", "Mitchell", "Morrison", "Murray", "O'Neill", "Paterson",
              "Quinn", "Reid", "Robertson", "Ross", "Scott", "Sinclair", "Smith", "Stewart", "Thomson",
              "Wallace", "Watson", "Young")
JOB_ROLES = (("Social worker", "Glasgow City Health and Social Care Partnership"),
             ("Health visitor", "NHS Greater Glasgow and Clyde"),
             ("School nurse", "NHS Greater Glasgow and Clyde"),
             ("Depute head teacher", "Glasgow City Council Education Services"),
             ("Family support worker", "Third sector organisation"),
             ("Police constable, public protection", "Police Scotland"),
             ("Team leader", "Glasgow City Health and Social Care Partnership"))
ACCESS_REQUIREMENTS = ("Step-free access, please: I use a wheelchair", "A hearing loop, please",
                       "A seat near the front: I have low vision")
TODAY_SESSION = ("City-wide: extra briefing",
                 "Glasgow City Chambers", "Banqueting hall, Glasgow City Chambers, George Square, Glasgow G2 1DU")


def load_demo(now: datetime | None = None, seed: int = 20170906) -> tuple[Programme, bool]:
    """The demo as the programme would stand part-way through, so every journey can be tried
    at once: the six briefings held over the last three weekdays, with bookings, check-ins
    and responses that agree (never more responses than people checked in, each sent
    inside its session's feedback window); a session today whose feedback form is open
    now; the mop-up session ahead and bookable. Returns (programme, created)."""
    now = now or utcnow()
    today = now.astimezone(LONDON).date()
    programme, created = load_demo_programme(today, first_day=last_weekday_run(today))
    if not created:
        return programme, False
    title, venue, address = TODAY_SESSION
    held_today = _demo_session(title, today, (13, 30), (15, 30), "City-wide", venue, address)
    held_today.feedback_opens_at = london_to_utc(today, time(0, 0))  # open now, whatever the hour
    programme.sessions.append(held_today)
    db.session.flush()

    rng = random.Random(seed)
    people = iter(rng.sample([(first, last) for first in FIRST_NAMES for last in LAST_NAMES],
                             len(FIRST_NAMES) * len(LAST_NAMES)))
    responding: list[EventSession] = []
    for session in programme.sessions:
        if session.ends_at <= now:  # held: most came, over half of them answered
            booked = rng.randint(140, 175)
            attended = round(booked * rng.uniform(0.78, 0.92))
            responding += [session] * round(attended * rng.uniform(0.55, 0.75))
        else:  # ahead or under way: booking goes on, nobody has answered yet
            booked = rng.randint(20, 60)
            attended = round(booked * 0.7) if session.starts_at <= now else 0
        for number in range(booked):
            session.registrations.append(_demo_booking(rng, next(people), session, checked_in=number < attended))
        session.confirmed_count = booked
    db.session.commit()
    _insert_responses(programme, rng, responding, now)
    _demo_themes(programme)
    return programme, True


# A small coding frame over SAMPLE_COMMENTS: (name, description, the comments it covers).
DEMO_THEMES = (
    ("Caseloads and workload", "Too many cases and too much paperwork for the time there is", (0, 3)),
    ("Joint working and shared records", "Agencies working together and seeing the same information", (2, 4, 7)),
    ("Support for families and carers", "Family support, kinship care and advocacy, wherever people live",
     (1, 6, 8)),
    ("Pace of change", "Time for new teams and ways of working to settle", (9,)),
)


def _demo_themes(programme: Programme) -> None:
    """The demo's coding frame, with about two in three matching comments tagged (the
    rest are left for the tagging page's "without a theme" list)."""
    session_ids = [session.id for session in programme.sessions]
    comments = db.session.execute(
        sa.select(Answer.id, Answer.text).join(Response, Response.id == Answer.response_id)
        .where(Response.session_id.in_(session_ids), Answer.text.is_not(None)).order_by(Answer.id)).all()
    for name, description, covered in DEMO_THEMES:
        theme = Theme(programme_id=programme.id, name=name, description=description)
        db.session.add(theme)
        db.session.flush()
        texts = {SAMPLE_COMMENTS[index] for index in covered}
        rows = [{"theme_id": theme.id, "answer_id": answer_id}
                for number, (answer_id, text) in enumerate(comments) if text in texts and number % 3]
        if rows:
            db.session.execute(sa.insert(theme_tag), rows)
    db.session.commit()


def _demo_booking(rng: random.Random, person: tuple[str, str], session: EventSession,
                  checked_in: bool) -> Registration:
    first, last = person
    role, organisation = rng.choice(JOB_ROLES)
    return Registration(
        name=f"{first} {last}",
        email=f"{first}.{last}".lower().replace("'", "") + "@example.org",
        job_role=role,
        team=f"{session.locality} {role.split(',')[0].lower()}s" if session.locality != "City-wide" else "",
        locality=session.locality,
        organisation=organisation,
        access_requirements=rng.choice(ACCESS_REQUIREMENTS) if rng.random() < 0.03 else "",
        status=RegistrationStatus.CONFIRMED,
        created_at=session.starts_at - timedelta(days=rng.randint(3, 25), minutes=rng.randint(0, 600)),
        checked_in_at=session.starts_at + timedelta(minutes=rng.randint(-15, 10)) if checked_in else None,
    )


def _synthetic_answers(rng: random.Random, question: Question, response_id: int) -> list[dict]:
    kind = question.kind
    options = question.visible_options
    if kind == QuestionKind.AGREEMENT:
        grade = (question.finding.grade if question.finding else None) or "Good"
        weights = AGREEMENT_WEIGHTS.get(grade, AGREEMENT_WEIGHTS["Good"])
        chosen = rng.choices(options, weights=weights[: len(options)])
    elif kind == QuestionKind.RATING:
        chosen = rng.choices(options, weights=(2, 5, 20, 45, 28)[: len(options)])
    elif kind == QuestionKind.MULTI_CHOICE:
        chosen = rng.sample(options, k=min(len(options), rng.choice((1, 2, 2)), question.max_choices or 2))
    elif kind == QuestionKind.SINGLE_CHOICE:
        chosen = [] if rng.random() < 0.15 else [rng.choice(options)]
    elif kind == QuestionKind.ONE_WORD:
        if rng.random() < 0.3:
            return []
        return [{"response_id": response_id, "question_id": question.id, "option_id": None,
                 "text": rng.choices(SAMPLE_WORDS, weights=range(len(SAMPLE_WORDS), 0, -1))[0]}]
    else:
        if rng.random() < 0.65:
            return []
        return [{"response_id": response_id, "question_id": question.id, "option_id": None,
                 "text": rng.choice(SAMPLE_COMMENTS)}]
    return [{"response_id": response_id, "question_id": question.id, "option_id": option.id, "text": None}
            for option in chosen]
