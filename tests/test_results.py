"""Results: figures computed in SQL, the pages, the presenter view, the small-group rule."""
from __future__ import annotations


import pytest
import sqlalchemy as sa

from tests import results_factories as f
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.feedback.models import Answer, QuestionKind, QuestionOption
from webapp.programmes.services import create_programme
from webapp.results import services


def _scores_of(question_id: int) -> list[int | None]:
    """Independent: every answer's score for a question, read straight from the rows."""
    return list(db.session.scalars(
        sa.select(QuestionOption.score).join(Answer, Answer.option_id == QuestionOption.id)
        .where(Answer.question_id == question_id)))


@pytest.fixture
def filled(app, demo):
    """Two sessions with known bookings and answers."""
    with app.app_context():
        first, second = f.sessions(demo)[:2]
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        rating = f.question(demo, kind=QuestionKind.RATING)
        comment_q = f.question(demo, kind=QuestionKind.LONG_TEXT)
        f.register(first, checked_in=True)
        f.register(first, name="B", email="b@example.org", checked_in=True)
        f.register(first, name="C", email="c@example.org")
        f.register(first, name="D", email="d@example.org", status="waiting")
        f.register(first, name="E", email="e@example.org", status="cancelled")
        # first session: 3 responses; second: 1 (and nobody checked in there)
        f.respond(first, {indicator: "Strongly agree", rating: "5 - Very useful",
                          comment_q: "Older comment"}, submitted_at=f.minutes_ago(30))
        f.respond(first, {indicator: "Agree", rating: "2", comment_q: "Newest comment"},
                  submitted_at=f.minutes_ago(1))
        f.respond(first, {indicator: "Don't know"}, submitted_at=f.minutes_ago(10))
        f.respond(second, {indicator: "Strongly disagree", rating: "4"})
        db.session.commit()
        return {"programme": demo, "first": first.id, "second": second.id, "indicator": indicator.id,
                "rating": rating.id}


def test_session_figures_booked_waiting_attended_responses(app, filled):
    with app.app_context():
        programme = f.programme(filled["programme"])
        figures = {row.session.id: row for row in services.session_figures(services.select_sessions(programme))}
        first, second = figures[filled["first"]], figures[filled["second"]]
        assert (first.booked, first.waiting, first.attended, first.responses) == (3, 1, 2, 3)
        # 3 responses from 2 check-ins: attendance was not fully taken, so no rate (never 150%)
        assert first.response_rate is None and "attendance was not fully taken" in str(first.rate)
        assert (second.attended, second.responses, second.response_rate) == (0, 1, None)
        assert str(second.rate) == "Not available: nobody was checked in"
        totals = services.totals(list(figures.values()))
        assert (totals.booked, totals.attended, totals.responses) == (3, 2, 4)
        assert totals.response_rate is None


def test_response_rate_rule():
    rate = services.response_rate
    assert rate(3, 4).value == pytest.approx(0.75) and str(rate(3, 4)) == "75%"
    assert rate(0, 4).value == 0
    assert rate(4, 4).value == 1
    assert rate(0, 0).value is None and str(rate(0, 0)).startswith("Not available: ")
    assert rate(5, 0).value is None and "nobody was checked in" in str(rate(5, 0))
    assert rate(304, 2).value is None and "15200" not in str(rate(304, 2))
    assert "attendance was not fully taken" in str(rate(304, 2))


def test_overall_rate_counts_only_sessions_where_attendance_was_taken():
    taken = services.SessionFigures(session=None, attended=10, responses=4)
    not_taken = services.SessionFigures(session=None, attended=0, responses=50)

    class _Session:
        capacity = 180

    for row in (taken, not_taken):
        row.session = _Session()
    totals = services.totals([taken, not_taken])
    assert totals.response_rate == pytest.approx(0.4)
    assert str(totals.rate) == "40% (from the 1 of 2 sessions where attendance was taken)"
    assert services.totals([taken]).rate == services.ResponseRate(0.4)


def test_distribution_mean_and_percent_agree_match_the_answers(app, filled):
    with app.app_context():
        programme = f.programme(filled["programme"])
        ids = [s.id for s in services.select_sessions(programme)]
        result = next(r for r in services.question_results(programme.feedback_form, ids)
                      if r.question.id == filled["indicator"])
        scores = _scores_of(filled["indicator"])
        scored = [s for s in scores if s is not None]
        assert result.respondents == len(scores) == 4
        assert result.mean == pytest.approx(sum(scored) / len(scored))  # Don't know left out
        assert result.dont_know == scores.count(None) == 1
        assert result.percent_agree == pytest.approx(sum(1 for s in scored if s >= 4) / len(scored))
        shares = {row.option.label: (row.count, row.share) for row in result.options}
        assert shares["Strongly agree"] == (1, 0.25)
        assert shares["Neither agree nor disagree"] == (0, 0.0)


def test_results_page_shows_figures_and_the_definition(client, login_as, filled):
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{filled['programme']}/results").get_data(as_text=True)
    assert "% agree is the number who answered Agree or Strongly agree" in page
    assert "67%" in page  # 2 of 3 answers that are not Don't know
    assert "app-bar__fill--67" in page
    assert 'style="' not in page and "<script>" not in page
    # no personal data for anyone reading results
    assert f.REGISTRANT_NAME not in page and f.REGISTRANT_EMAIL not in page


def test_session_results_page_counts_only_that_session(client, login_as, filled):
    login_as(Role.ORGANISER)
    page = client.get(f"/organiser/programmes/{filled['programme']}/sessions/{filled['second']}/results")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Not available: nobody was checked in" in text
    assert "Newest comment" not in text


def test_comments_newest_first_searchable_and_escaped(app, client, login_as, filled):
    with app.app_context():
        session = db.session.get(services.EventSession, filled["first"])
        comment_q = f.question(filled["programme"], kind=QuestionKind.LONG_TEXT)
        f.respond(session, {comment_q: "<script>alert('x')</script> 100%_sure"}, submitted_at=f.minutes_ago(5))
        db.session.commit()
    login_as(Role.VIEWER)
    base = f"/organiser/programmes/{filled['programme']}/results"
    page = client.get(base).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # newest stored first (the phone form stores a response when it is submitted)
    assert page.index("&lt;script&gt;") < page.index("Newest comment") < page.index("Older comment")
    found = client.get(base, query_string={"q": "100%_S"}).get_data(as_text=True)
    assert "1 comment containing" in found and "Older comment" not in found
    # % and _ are literal characters, not wildcards
    assert "0 comments containing" in client.get(base, query_string={"q": "r%t"}).get_data(as_text=True)
    session_page = client.get(f"/organiser/programmes/{filled['programme']}/sessions/{filled['first']}/results")
    assert "<script>alert" not in session_page.get_data(as_text=True)


def test_comments_are_paginated(app, demo):
    with app.app_context():
        session = f.sessions(demo)[0]
        comment_q = f.question(demo, kind=QuestionKind.LONG_TEXT)
        for number in range(services.COMMENTS_PER_PAGE + 3):
            f.respond(session, {comment_q: f"comment {number}"}, submitted_at=f.minutes_ago(1000 - number))
        db.session.commit()
        first = services.comment_page([session.id])
        last = services.comment_page([session.id], page=2)
        assert first.total == services.COMMENTS_PER_PAGE + 3 and first.pages == 2
        assert first.items[0].text == f"comment {services.COMMENTS_PER_PAGE + 2}"
        assert [c.text for c in last.items] == ["comment 2", "comment 1", "comment 0"]
        assert services.comment_page([session.id], page=99).page == 2


def test_small_groups_are_suppressed_with_a_complement(app, client, login_as, demo):
    with app.app_context():
        session = f.sessions(demo)[0]
        locality = f.question(demo, breakdown="locality")
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        for label, answer, people in (("North East", "Agree", 6), ("North West", "Agree", 5),
                                      ("South", "Disagree", 4)):
            for _ in range(people):
                f.respond(session, {locality: label, indicator: answer})
        db.session.commit()
        tables = services.breakdowns(f.programme(demo).feedback_form, [session.id])
        groups = {g.label: g for g in next(t for t in tables if t.breakdown == "locality").groups}
        assert not groups["North East"].suppressed
        assert groups["North East"].shown_responses == 6 and groups["North East"].percent_agree == 1.0
        assert groups["South"].suppressed
        assert groups["South"].percent_agree is None and groups["South"].shown_responses is None
        # South alone would be 15 - 6 = 9 minus North West's 5: North West is hidden with it.
        assert groups["North West"].suppressed and groups["North West"].shown_responses is None
        # Nobody answered "City-wide" or left the question out: 0 is shown (no one to identify).
        assert groups["City-wide"].shown_responses == 0 and groups[services.NOT_ANSWERED].shown_responses == 0
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    table = page[page.index("By locality"):page.index("By role group")]
    for label in ("South", "North West"):
        row = table[table.index(f">{label}<"):]
        row = row[:row.index("</tr>")]
        assert services.SUPPRESSED_LABEL in row and ">4<" not in row and ">5<" not in row and "0%" not in row
    north_east = table[table.index(">North East<"):]
    assert "100%" in north_east[:north_east.index("</tr>")]


def test_another_programmes_session_is_not_found(app, client, login_as, demo):
    with app.app_context():
        other = create_programme("Another programme", "")
        db.session.commit()
        other_id = other.id
        session_id = f.sessions(demo)[0].id
    login_as(Role.ORGANISER)
    for page in ("results", "presenter"):
        assert client.get(f"/organiser/programmes/{other_id}/sessions/{session_id}/{page}").status_code == 404


def test_empty_programme_results_page(app, client, login_as):
    with app.app_context():
        programme = create_programme("Nothing yet", "")
        db.session.commit()
        programme_id = programme.id
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{programme_id}/results").get_data(as_text=True)
    assert "There are no responses yet" in page


def test_results_links_for_viewers_and_organisers(client, auth, login_as, demo):
    login_as(Role.VIEWER)
    index = client.get("/organiser/programmes").get_data(as_text=True)
    assert f'href="/organiser/programmes/{demo}/results"' in index
    assert f'href="/organiser/programmes/{demo}"' not in index
    auth.logout()
    login_as(Role.ORGANISER)
    show = client.get(f"/organiser/programmes/{demo}").get_data(as_text=True)
    assert f'href="/organiser/programmes/{demo}/results"' in show


def test_comparisons_flag_large_differences_in_words_and_show_each_date(app, client, login_as, demo):
    with app.app_context():
        sessions = f.sessions(demo)
        locality = f.question(demo, breakdown="locality")
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        for number in range(40):
            place, answer = ("North East", "Strongly disagree") if number < 10 else ("South", "Agree")
            f.respond(sessions[0] if number % 2 else sessions[-1], {locality: place, indicator: answer})
        db.session.commit()
        programme = f.programme(demo)
        results = services.results_for(programme, services.select_sessions(programme))
        comparison = next(c for c in services.comparisons(results) if c.question.id == indicator.id)
        # compared: the choice questions, not the "about you" ones nor the free text
        compared = {result.question.id for result in services.compared_questions(results)}
        text_questions = {result.question.id for result in results.questions if not result.question.is_choice}
        assert indicator.id in compared and locality.id not in compared
        assert text_questions and not text_questions & compared
        sections = {section.label: section for section in comparison.sections}
        rows = {row.label: row for row in sections["By locality"].rows}
        assert rows["North East"].difference == services.LOWER and rows["South"].difference == services.HIGHER
        assert (rows["North East"].respondents, rows["South"].respondents) == (10, 30)
        assert rows["North East"].result.percent_disagree == 1.0
        dates = sections["By date"].rows
        assert [row.result.respondents for row in dates if row.result.respondents] == [20, 20]
        assert comparison.overall.percent_agree == 0.75
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{demo}/results/compare").get_data(as_text=True)
    north_east = page[page.index(">North East<"):]
    north_east = north_east[:north_east.index("</tr>")]
    # a cue for the eye and the words for everyone (not colour alone)
    assert "▼" in north_east and "75 points below" in north_east
    assert '<th scope="rowgroup"' in page and "Inspectors' grade:" in page
    programme_page = client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    assert 'id="by-date"' in programme_page and "(n = 20)" in programme_page


def test_comparison_by_date_adds_up_the_sessions_of_each_day(app, demo):
    """The demo's six briefings, two a day: each date's row is the sum of its sessions'
    rows, option by option; no session or date row is hidden (only small groups are);
    and the programme page's table by date compares the indicators alone."""
    from webapp.timezones import local_naive

    with app.app_context():
        sessions = f.sessions(demo)
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        for session, answer in zip(sessions[:3] + sessions[:2],
                                   ["Agree", "Disagree", "Agree", "Strongly agree", "Agree"]):
            f.respond(session, {indicator: answer})
        db.session.commit()
        programme = f.programme(demo)
        results = services.results_for(programme, services.select_sessions(programme))
        days = [local_naive(session.starts_at).date() for session in results.sessions]
        assert days[0] == days[1] != days[2]
        for comparison in services.comparisons(results):
            sections = {section.label: section.rows for section in comparison.sections}
            by_session, by_date = sections["By session"], sections["By date"]
            assert len(by_date) == len(set(days))
            for day, date_row in zip(sorted(set(days)), by_date):
                that_day = [row.result for row, held_on in zip(by_session, days) if held_on == day]
                assert date_row.result.respondents == sum(result.respondents for result in that_day)
                assert [option.count for option in date_row.result.options] == \
                    [sum(counts) for counts in zip(*([option.count for option in r.options] for r in that_day))]
            for row in by_session + by_date:
                assert not row.suppressed and row.respondents == row.result.respondents
                assert row.result.number == comparison.overall.number
        dated = services.comparisons(results, results.indicators, by=("date",))
        assert [c.question.id for c in dated] == [result.question.id for result in results.indicators]
        assert {section.label for c in dated for section in c.sections} == {"By date"}


def test_comparison_sections_appear_when_there_is_something_to_compare(app, demo):
    """By session from two sessions, by date from two dates, by group for the whole
    programme only; `by` chooses among them."""
    with app.app_context():
        sessions, programme = f.sessions(demo), f.programme(demo)

        def sections(chosen, by=services.COMPARE_BY):
            results = services.results_for(programme, chosen)
            return services.comparisons(results, by=by)[0].sections

        assert sections(sessions[:1]) == []
        assert [s.label for s in sections(sessions[:2])] == ["By session"]  # the same day
        assert [s.label for s in sections(sessions[1:3])] == ["By session", "By date"]
        assert [s.label for s in sections(sessions[1:3], by=("date",))] == ["By date"]
        assert [s.label for s in sections(sessions[1:3], by=("session",))] == ["By session"]
        assert [s.label for s in sections(sessions)] == ["By session", "By date", "By locality", "By role group",
                                                         "By organisation"]
        assert [s.label for s in sections(sessions, by=("session", "date"))] == ["By session", "By date"]
        by_session, by_date = sections(sessions[1:3])
        assert [row.label for row in by_session.rows] == [
            f"{session.title} ({services.format_date(session.starts_at)})" for session in sessions[1:3]]
        assert [row.label for row in by_date.rows] == [services.format_date(s.starts_at) for s in sessions[1:3]]


def test_a_group_small_for_one_question_is_hidden_in_its_comparison(app, demo):
    """Ten from the North East answered, but only three of them this indicator: their
    row for it is hidden, and another beside it, though the locality is not small."""
    with app.app_context():
        sessions = f.sessions(demo)
        locality = f.question(demo, breakdown="locality")
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        for number in range(10):
            f.respond(sessions[0], {locality: "North East", **({indicator: "Agree"} if number < 3 else {})})
        for _ in range(30):
            f.respond(sessions[1], {locality: "South", indicator: "Disagree"})
        for _ in range(6):
            f.respond(sessions[2], {locality: "North West", indicator: "Agree"})
        db.session.commit()
        programme = f.programme(demo)
        results = services.results_for(programme, services.select_sessions(programme))
        comparison = next(c for c in services.comparisons(results) if c.question.id == indicator.id)
        rows = {row.label: row for section in comparison.sections if section.label == "By locality"
                for row in section.rows}
        assert rows["North East"].suppressed and rows["North East"].respondents is None
        assert rows["North East"].difference == ""  # 100% against 23% agree, but nothing of a hidden row shows
        assert rows["North West"].suppressed  # the complement: NE could be worked out from the total
        assert not rows["South"].suppressed and rows["South"].respondents == 30
