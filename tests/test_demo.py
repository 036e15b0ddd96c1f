"""The demo programme, from the seed report."""
import re
from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from tests import neighbours
from webapp.bookings.models import Registration
from webapp.demo.services import (add_synthetic_responses, first_weekday_run, last_weekday_run, load_demo,
                                  load_demo_programme)
from webapp.results import services as results
from webapp.extensions import db
from webapp.models import (Answer, EventSession, FeedbackForm, Finding, Programme, Question,
                           QuestionKind, Response)
from webapp.timezones import LONDON


def _count(model):
    return neighbours.count_here(model)  # the demo's rows, beside the neighbour every test database holds


def test_demo_has_the_findings_of_the_report(app_ctx):
    programme, created = load_demo_programme(today=date(2026, 11, 26))
    assert created
    indicators = [f for f in programme.findings if f.kind == "indicator"]
    assert len(indicators) == 9
    assert Counter(f.grade for f in indicators) == {"Very Good": 3, "Good": 4, "Adequate": 2}
    assert len({f.headline_question for f in indicators}) == 3
    grade_of = {f.title: f.grade for f in indicators}
    assert grade_of["Assessment and responding to risks and needs"] == "Adequate"
    assert grade_of["Leadership of improvement and change"] == "Very Good"
    assert len([f for f in programme.findings if f.kind == "improvement_area"]) == 4
    actions = [f for f in programme.findings if f.kind == "action"]
    assert [a.title for a in actions][0] == "Management of Risk" and len(actions) == 4
    assert all(a.detail for a in actions)


def test_demo_sessions(app_ctx):
    today = date(2026, 11, 26)  # a Thursday
    programme, _ = load_demo_programme(today=today)
    sessions = sorted(programme.sessions, key=lambda s: s.starts_at)
    assert len(sessions) == 7
    six, mop_up = sessions[:6], sessions[6]
    days = sorted({s.starts_at.astimezone(LONDON).date() for s in six})
    assert len(days) == 3 and days[0] >= today + timedelta(days=14)
    assert days[1] - days[0] == timedelta(days=1) and days[2] - days[1] == timedelta(days=1)
    assert all(day.weekday() < 5 for day in days)
    assert {s.locality for s in six} == {"North East", "North West", "South"}
    assert all(170 <= s.capacity <= 190 for s in sessions)
    assert 60 <= (mop_up.starts_at.astimezone(LONDON).date() - days[0]).days <= 80
    assert len({s.feedback_code for s in sessions}) == 7
    assert sessions[0].starts_at.astimezone(LONDON).hour == 9


def test_default_form_built_from_the_findings(app_ctx):
    programme, _ = load_demo_programme()
    form = programme.feedback_form
    kinds = [q.kind for q in form.questions]
    assert kinds[:9] == [QuestionKind.AGREEMENT] * 9
    assert "Inspectors rated “Impact on families” as Good. How far do you agree?" in [q.text for q in form.questions]
    agreement = form.questions[0]
    assert [o.label for o in agreement.options][-1] == "Don't know"
    assert agreement.options[-1].score is None and [o.score for o in agreement.options[:5]] == [1, 2, 3, 4, 5]
    multi = next(q for q in form.questions if q.kind == QuestionKind.MULTI_CHOICE)
    assert multi.max_choices == 2 and len(multi.options) == 4
    assert any(q.kind == QuestionKind.RATING and q.text == "How useful was this session?" for q in form.questions)
    assert sum(q.kind == QuestionKind.LONG_TEXT for q in form.questions) == 2
    assert {q.breakdown for q in form.questions if q.breakdown} == {"role_group", "locality", "organisation"}
    assert [q.position for q in form.questions] == list(range(1, len(form.questions) + 1))


def test_demo_is_idempotent(app_ctx):
    load_demo_programme()
    before = [_count(m) for m in (Programme, Finding, EventSession, FeedbackForm, Question)]
    programme, created = load_demo_programme()
    assert not created
    assert [_count(m) for m in (Programme, Finding, EventSession, FeedbackForm, Question)] == before


def test_synthetic_responses(app_ctx):
    programme, _ = load_demo_programme()
    assert add_synthetic_responses(programme, 250, seed=1, batch_size=100) == 250
    assert _count(Response) == 250
    per_response = db.session.execute(
        sa.select(Answer.response_id, sa.func.count()).join(Response).join(EventSession)
        .where(EventSession.programme_id == programme.id).group_by(Answer.response_id)).all()
    assert len(per_response) == 250 and all(count >= 10 for _, count in per_response)
    assert db.session.scalar(sa.select(sa.func.count()).where(Answer.text.is_not(None))) > 0
    # agreement leans with the grade: Very Good indicators score higher than Adequate ones
    from webapp.models import QuestionOption
    means = dict(db.session.execute(
        sa.select(Finding.grade, sa.func.avg(QuestionOption.score))
        .join(Question, Question.finding_id == Finding.id)
        .join(Answer, Answer.question_id == Question.id)
        .join(QuestionOption, QuestionOption.id == Answer.option_id)
        .where(Finding.programme_id == programme.id).group_by(Finding.grade)).all())
    assert means["Very Good"] > means["Adequate"]


def test_first_weekday_run():
    assert first_weekday_run(date(2026, 12, 10)) == date(2026, 12, 14)  # Thu -> Mon
    assert first_weekday_run(date(2026, 12, 14)) == date(2026, 12, 14)


def test_last_weekday_run():
    assert last_weekday_run(date(2026, 11, 26)) == date(2026, 11, 23)  # Thu -> Mon, Tue, Wed
    assert last_weekday_run(date(2026, 11, 30)) == date(2026, 11, 25)  # Mon -> last Wed, Thu, Fri
    assert last_weekday_run(date(2026, 11, 24)) == date(2026, 11, 18)  # Tue -> Wed, Thu, Fri before


def _story(now):
    from webapp.feedback.phone import WindowState, window_state

    programme, created = load_demo(now=now)
    assert created
    sessions = sorted(programme.sessions, key=lambda s: s.starts_at)
    figures = {row.session.id: row for row in results.session_figures(sessions)}
    return programme, sessions, figures, window_state, WindowState


def test_demo_story_is_part_way_through_and_consistent(app_ctx):
    # Monday 30 November 2026, 10:15 in London: the six were held Wed-Fri last week.
    now = datetime(2026, 11, 30, 10, 15, tzinfo=LONDON)
    programme, sessions, figures, window_state, WindowState = _story(now)
    assert len(sessions) == 8
    held, today, mop_up = sessions[:6], sessions[6], sessions[7]
    assert sorted({s.starts_at.astimezone(LONDON).date() for s in held}) == [
        date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]
    assert {s.locality for s in held} == {"North East", "North West", "South"}
    for session in held:
        row = figures[session.id]
        opens, closes = session.feedback_window
        assert 0 < row.responses <= row.attended <= row.booked == session.confirmed_count <= session.capacity
        assert 0.4 <= row.response_rate <= 1
        times = db.session.scalars(sa.select(Response.submitted_at).where(Response.session_id == session.id))
        assert all(opens <= moment <= min(closes, now) for moment in times)
        checked = db.session.scalars(sa.select(Registration.checked_in_at).where(
            Registration.session_id == session.id, Registration.checked_in_at.is_not(None)))
        assert all(moment < session.ends_at for moment in checked)
    # today's session: its form is open now, nobody has answered yet
    assert today.starts_at.astimezone(LONDON).date() == now.date()
    assert window_state(today, now) == WindowState.OPEN
    assert figures[today.id].responses == 0 and figures[today.id].attended == 0
    # the mop-up is ahead and bookable
    assert mop_up.title == "Mop-up briefing" and mop_up.is_bookable(now) and mop_up.places_left > 0
    assert figures[mop_up.id].attended == figures[mop_up.id].responses == 0
    # the overall rate makes sense (never 15,200%)
    totals = results.totals(list(figures.values()))
    assert totals.response_rate is not None and 0.4 <= totals.response_rate <= 1
    # one confirmed booking per person in the whole programme
    emails = db.session.scalars(sa.select(Registration.email).join(EventSession)
                                .where(EventSession.programme_id == programme.id)).all()
    assert len(emails) == len(set(emails))
    assert load_demo(now=now) == (programme, False)


def test_demo_story_late_in_the_day(app_ctx):
    """Loaded after today's session: it was held, and its feedback is still open."""
    now = datetime(2026, 11, 26, 22, 0, tzinfo=LONDON)
    _, sessions, figures, window_state, WindowState = _story(now)
    today = sessions[6]
    assert window_state(today, now) == WindowState.OPEN
    assert 0 < figures[today.id].responses <= figures[today.id].attended


def test_demo_story_during_todays_session(app_ctx):
    now = datetime(2026, 11, 26, 14, 0, tzinfo=LONDON)
    _, sessions, figures, window_state, WindowState = _story(now)
    today = sessions[6]
    assert window_state(today, now) == WindowState.OPEN
    assert figures[today.id].attended > 0 and figures[today.id].responses == 0


def test_more_responses_go_to_sessions_already_held(app_ctx):
    now = datetime(2026, 11, 30, 10, 15, tzinfo=LONDON)
    programme, sessions, *_ = _story(now)
    before = _count(Response)
    assert add_synthetic_responses(programme, 300, seed=2, now=now) == 300
    assert _count(Response) == before + 300
    ahead = [s.id for s in sessions if s.feedback_window[0] > now]
    assert ahead and not db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.session_id.in_(ahead)))
    assert db.session.scalar(sa.select(sa.func.max(Response.submitted_at))
                             .where(Response.session_id.in_([s.id for s in sessions]))) <= now


def test_demo_cli(runner, app):
    result = runner.invoke(args=["demo"])
    assert "Loaded the demo programme" in result.output
    assert re.search(r"Feedback is open now for .*: http://\S+/f/[A-Z0-9]{6,8}", result.output)
    with app.app_context():
        before = _count(Response)
        assert 0 < before <= db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                                               .where(Registration.checked_in_at.is_not(None)))
    result = runner.invoke(args=["demo", "--responses", "20", "--seed", "3"])
    assert "already loaded" in result.output and "Added 20 synthetic responses" in result.output
    result = runner.invoke(args=["demo", "--if-empty"])
    assert "already has programmes" in result.output
    with app.app_context():
        assert _count(Programme) == 1 and _count(Response) == before + 20


def test_demo_has_a_small_coding_frame_with_some_comments_tagged(app_ctx):
    from webapp.demo.services import DEMO_THEMES
    from webapp.themes import counts, services as themes

    programme, _ = load_demo(now=datetime(2026, 11, 30, 10, 15, tzinfo=LONDON))
    frame = themes.frame(programme)
    assert sorted(row.theme.name for row in frame) == sorted(name for name, _, _ in DEMO_THEMES)
    assert all(row.comments > 0 for row in frame)
    assert themes.tagging_page(programme, show=themes.UNTAGGED).total > 0  # some left to tag
    top = counts.top_themes(programme)
    assert top and all(row.responses >= results.SMALL_GROUP_MIN for row in top)
    assert load_demo(now=datetime(2026, 11, 30, 10, 15, tzinfo=LONDON)) == (programme, False)
    assert len(themes.frame(programme)) == len(DEMO_THEMES)  # loaded once
