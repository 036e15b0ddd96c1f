"""The results rules one by one: the response rate, its total over sessions, the session
filter and its dates (written after mutation testing: tools/mutation.py --module results)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from tests import results_factories as f
from webapp.extensions import db
from webapp.feedback.models import QuestionKind
from webapp.results import services
from webapp.results.services import ResponseRate, ResultsFilter, SessionFigures
from webapp.sessions.models import EventSession
from webapp.timezones import london_to_utc


@pytest.mark.parametrize("numerator, denominator, expected", [
    (1, 4, 0.25), (0, 4, 0.0), (3, 0, None), (None, 4, None), (3, None, None), (2.5, 5, 0.5)])
def test_ratio(numerator, denominator, expected):
    assert services.ratio(numerator, denominator) == expected


@pytest.mark.parametrize("responses, attended, value, text", [
    (3, 4, 0.75, "75%"),
    (4, 4, 1.0, "100%"),  # exactly everyone
    (5, 4, None, "Not available: more responses (5) than people checked in (4), so attendance was not fully taken"),
    (2, 0, None, "Not available: nobody was checked in"),
    (0, 0, None, "Not available: no check-ins and no responses yet"),
    (0, 3, 0.0, "0%"),
])
def test_the_response_rate_rule(responses, attended, value, text):
    rate = services.response_rate(responses, attended)
    assert (rate.value, str(rate)) == (value, text)


def test_a_rate_with_a_note_says_what_it_covers():
    assert str(ResponseRate(0.5, "from 1 of 2 sessions")) == "50% (from 1 of 2 sessions)"


def _figures(capacity: int, booked: int, waiting: int, attended: int, responses: int) -> SessionFigures:
    return SessionFigures(EventSession(capacity=capacity), booked, waiting, attended, responses)


def test_totals_rate_only_the_sessions_where_attendance_was_taken():
    rows = [_figures(10, 8, 1, 6, 3), _figures(20, 5, 0, 0, 4), _figures(5, 5, 2, 4, 4)]
    totals = services.totals(rows)
    assert (totals.sessions, totals.places, totals.booked, totals.waiting, totals.attended, totals.responses) == (
        3, 35, 18, 3, 10, 11)
    assert (totals.rated_sessions, totals.rated_attended, totals.rated_responses) == (2, 10, 7)
    assert totals.response_rate == 0.7
    assert str(totals.rate) == "70% (from the 2 of 3 sessions where attendance was taken)"
    every = services.totals([rows[0], rows[2]])
    assert str(every.rate) == "70%"
    none = services.totals([rows[1]])
    assert none.response_rate is None and str(none.rate) == "Not available: nobody was checked in"
    assert services.totals([]).response_rate is None


def test_a_filter_describes_itself():
    assert ResultsFilter().describe() == "None: all sessions" and ResultsFilter().is_empty
    session = EventSession(title="North East: morning")
    chosen = ResultsFilter(session_ids=(1, 2))
    assert not chosen.is_empty
    assert chosen.describe({1: session}) == "Sessions: North East: morning; session 2"
    assert chosen.describe() == "Sessions: session 1; session 2"
    assert ResultsFilter(date_from=date(2027, 3, 1)).describe() == \
        "Sessions held from 01/03/2027 to the last session"
    assert ResultsFilter(date_to=date(2027, 3, 2)).describe() == \
        "Sessions held from the first session to 02/03/2027"
    both = ResultsFilter(session_ids=(1,), date_from=date(2027, 3, 1), date_to=date(2027, 3, 2))
    assert both.describe({1: session}) == \
        "Sessions: North East: morning. Sessions held from 01/03/2027 to 02/03/2027"
    assert not ResultsFilter(date_to=date(2027, 3, 2)).is_empty


def test_dates_keep_whole_london_days(app, demo):
    with app.app_context():
        programme = f.programme(demo)
        sessions = f.sessions(demo)
        day = date(2027, 6, 1)  # British Summer Time: midnight in London is 23:00 UTC the day before
        midnight = london_to_utc(day, time(0, 0))
        sessions[0].starts_at, sessions[0].ends_at = midnight, midnight + timedelta(hours=1)
        last = london_to_utc(day, time(23, 59))
        sessions[1].starts_at, sessions[1].ends_at = last, last + timedelta(hours=1)
        before = midnight - timedelta(minutes=1)
        sessions[2].starts_at, sessions[2].ends_at = before, before + timedelta(hours=1)
        db.session.commit()
        ids = [s.id for s in services.select_sessions(programme, ResultsFilter(date_from=day, date_to=day))]
        assert ids == [sessions[0].id, sessions[1].id]
        ids = [s.id for s in services.select_sessions(programme, ResultsFilter(date_to=day - timedelta(days=1)))]
        assert ids[-1] == sessions[2].id and sessions[0].id not in ids and len(ids) == 5
        ids = [s.id for s in services.select_sessions(programme, ResultsFilter(date_from=day))]
        assert ids == [sessions[0].id, sessions[1].id]
        chosen = services.select_sessions(programme, ResultsFilter(session_ids=(sessions[1].id, sessions[2].id)))
        assert [s.id for s in chosen] == [sessions[2].id, sessions[1].id]  # in date order
        assert len(services.select_sessions(programme)) == 7


def test_session_figures_and_response_counts(app, demo):
    with app.app_context():
        first, second = f.sessions(demo)[:2]
        rating = f.question(demo, kind=QuestionKind.RATING)
        f.register(first, checked_in=True)
        f.register(first, name="B", email="b@example.org")
        f.register(first, name="W", email="w@example.org", status="waiting")
        for _ in range(2):
            f.respond(first, {rating: "2"})
        f.respond(second, {rating: "4"})
        db.session.commit()
        rows = {row.session.id: row for row in services.session_figures([first, second])}
        assert (rows[first.id].booked, rows[first.id].waiting, rows[first.id].attended, rows[first.id].responses) \
            == (2, 1, 1, 2)
        assert rows[second.id].responses == 1 and rows[second.id].booked == 0
        assert services.session_figures([]) == []
        assert services.response_count([first.id, second.id]) == 3 and services.response_count([]) == 0


def _result(kind: str, counts: dict[int | None, int]) -> services.QuestionResult:
    """A question's figures from {score: responses} (None: "Don't know"), without a database."""
    from webapp.feedback.models import Question, QuestionOption

    question = Question(kind=kind, text="A finding")
    options = [services.OptionResult(QuestionOption(label=str(score), score=score), count, None)
               for score, count in counts.items()]
    return services.QuestionResult(question, 1, sum(counts.values()), options)


def _agreement(agree: int, disagree: int, dont_know: int = 0) -> services.QuestionResult:
    return _result(QuestionKind.AGREEMENT, {5: agree, 2: disagree, None: dont_know})


@pytest.mark.parametrize("row, overall, expected", [
    # 80% against 50% with 100 and 1,000 answers: 30 points and far beyond chance
    (_agreement(80, 20), _agreement(500, 500), services.HIGHER),
    (_agreement(20, 80), _agreement(500, 500), services.LOWER),
    # 14 points: under the 15-point line, however many answered
    (_agreement(64, 36), _agreement(500, 500), ""),
    # exactly 15 points (65% against 50%): on the line, and z = 3.2, so it counts
    (_agreement(65, 35), _agreement(500, 500), services.HIGHER),
    # 20 points from 5 answers against 1,000: z = 1.1, could be chance
    (_agreement(3, 2), _agreement(800, 200), ""),
    # 40 points from 5 answers: z = 2.2, not chance
    (_agreement(2, 3), _agreement(800, 200), services.LOWER),
    # "Don't know" is left out of % agree: 80 of 100 scored against 50%
    (_agreement(80, 20, dont_know=50), _agreement(500, 500), services.HIGHER),
    # nothing scored in the row: no % agree, nothing to compare
    (_agreement(0, 0, dont_know=9), _agreement(500, 500), ""),
    # exactly 15 points (30% against 15%, both exact in binary): on the line, z = 2.7
    (_agreement(12, 28), _agreement(150, 850), services.HIGHER),
    # 30 points from 10 answers against 50: z = 2.2 (taking the row out of the programme's
    # variance; adding it instead would give 1.8)
    (_agreement(1, 9), _agreement(20, 30), services.LOWER),
    # 20 points from 10 answers against 30: z = 1.5
    (_agreement(7, 3), _agreement(15, 15), ""),
    # the row is the whole programme (one session): no spread, the points decide
    (_agreement(80, 20), _agreement(80, 20), ""),
    (_agreement(80, 20), _agreement(60, 40), services.HIGHER),
])
def test_a_large_difference_in_agreement(row, overall, expected):
    assert services.large_difference(row, overall) == expected


@pytest.mark.parametrize("row_counts, overall_counts, expected", [
    ({5: 10}, {4: 10, 5: 10}, services.HIGHER),  # mean 5 against 4.5: exactly half a point
    ({4: 10}, {4: 10, 5: 10}, services.LOWER),  # 4 against 4.5
    ({4: 3, 5: 1}, {4: 10, 5: 10}, ""),  # 4.25 against 4.5: a quarter
    ({}, {4: 10}, ""),  # nobody rated: no mean
])
def test_a_large_difference_in_rating(row_counts, overall_counts, expected):
    row, overall = _result(QuestionKind.RATING, row_counts), _result(QuestionKind.RATING, overall_counts)
    assert services.large_difference(row, overall) == expected


def test_choice_questions_have_no_large_difference():
    row = _result(QuestionKind.SINGLE_CHOICE, {None: 9})
    overall = _result(QuestionKind.SINGLE_CHOICE, {None: 10})
    assert services.large_difference(row, overall) == ""


def test_word_cloud_sizes_follow_the_top_word():
    words = services.WordList(1, [services.WordCount(word, count) for word, count in
                                  (("hopeful", 10), ("proud", 5), ("calm", 3), ("tired", 1))])
    assert [words.cloud_size(word) for word in words.words] == [6, 3, 3, 1]
    assert [word.word for word in words.common] == ["hopeful", "proud"] and words.rare_responses == 4
    assert words.shown() == words.common and words.shown(everything=True) == words.words


def test_a_page_of_comments_holds_what_each_comment_says(app, demo):
    """Five comments two to a page, newest first, each with its question, session and
    time; the last page holds the one left; a search counts and pages its matches."""
    from datetime import UTC, datetime

    with app.app_context():
        session, other = f.sessions(demo)[:2]
        first_text, second_text = (f.question(demo, kind=QuestionKind.LONG_TEXT, index=i) for i in (0, 1))
        moments = [datetime(2026, 12, 14, 10, minute, tzinfo=UTC) for minute in range(5)]
        for number, moment in enumerate(moments):
            f.respond(session if number % 2 else other, {first_text if number < 3 else second_text: f"Comment {number}"},
                      submitted_at=moment)
        db.session.commit()
        ids = [session.id, other.id]
        first_page = services.comment_page(ids, page=1, per_page=2)
        assert first_page.total == 5 and len(first_page.items) == 2
        assert [(c.text, c.submitted_at, c.question_text, c.session_title) for c in first_page.items] == [
            ("Comment 4", moments[4], second_text.text, other.title),
            ("Comment 3", moments[3], second_text.text, session.title)]
        assert [c.text for c in services.comment_page(ids, page=3, per_page=2).items] == ["Comment 0"]
        assert services.comment_count([]) == 0 and services.response_count([]) == 0
        found = services.comment_page(ids, search="comment 1", per_page=2)
        assert (found.total, [c.text for c in found.items]) == (1, ["Comment 1"])


def test_the_highest_and_lowest_indicators():
    """Three each way by % agree (0% the lowest of all), ties in form order; an indicator
    nobody scored is in neither."""
    def indicator(number: int, agree: int, disagree: int) -> services.QuestionResult:
        result = _agreement(agree, disagree)
        result.number, result.question.finding_id = number, number
        return result

    results = [indicator(1, 5, 5), indicator(2, 9, 1), indicator(3, 1, 9), indicator(4, 9, 1),
               indicator(5, 0, 0), indicator(6, 3, 7), indicator(7, 7, 3), indicator(8, 0, 5)]
    not_an_indicator = _agreement(10, 0)  # no finding: a question of the organiser's own
    highest, lowest = services.ranked_indicators([*results, not_an_indicator])
    assert [r.number for r in highest] == [2, 4, 7] and [r.number for r in lowest] == [8, 3, 6]  # 0% is lowest
    assert [r.number for r in services.ranked_indicators(results, count=1)[0]] == [2]


def test_hidden_questions_and_options_show_while_they_have_answers(app, demo):
    """A hidden question with answers keeps its place in the results, numbered in turn; one
    without answers is left out. So is a hidden option nobody chose, while the options
    after it and a hidden one that was chosen stay. Text answers are counted as such."""
    with app.app_context():
        session = f.sessions(demo)[0]
        form = f.programme(demo).feedback_form
        answered_text, unanswered_text = (f.question(demo, kind=QuestionKind.LONG_TEXT, index=i) for i in (0, 1))
        choice = f.question(demo, kind=QuestionKind.MULTI_CHOICE)
        first, second, third = choice.options[:3]
        f.respond(session, {answered_text: "Kept", choice: [first.label, third.label]})
        for question in (answered_text, unanswered_text):
            question.hidden = True
        first.hidden = second.hidden = True
        db.session.commit()
        results = services.question_results(form, [session.id])
        shown = [result.question for result in results]
        assert answered_text in shown and unanswered_text not in shown
        assert [result.number for result in results] == list(range(1, len(results) + 1))
        assert services.form_questions(form) == [q for q in form.questions if not q.hidden]
        assert services.form_questions(None) == []
        by_question = {result.question.id: result for result in results}
        text = by_question[answered_text.id]
        assert (text.respondents, text.text_answers) == (1, 1)
        chosen = by_question[choice.id]
        assert chosen.text_answers == 0
        assert [option.option.id for option in chosen.options] == [first.id] + [o.id for o in choice.options[2:]]
        assert [(option.count, option.share) for option in chosen.options[:2]] == [(1, 1.0), (1, 1.0)]


def test_sessions_starting_together_keep_the_order_they_were_made_in(app, demo):
    with app.app_context():
        sessions = f.sessions(demo)
        later, earlier = sessions[1], sessions[0]
        later.starts_at = earlier.starts_at  # two rooms at 9:30
        db.session.commit()
        assert [s.id for s in services.select_sessions(f.programme(demo))][:2] == sorted([earlier.id, later.id])


def test_word_lists_per_question_most_given_first(app, demo):
    """Each one-word question's words over the chosen sessions only, most given first and
    ties in alphabetical order, never mixed with another question's; other kinds of
    question have no list, and no sessions give empty lists."""
    from webapp.feedback.form_builder import add_question

    with app.app_context():
        first, second, left_out = f.sessions(demo)[:3]
        form = f.programme(demo).feedback_form
        mood, service = (add_question(form, kind="one_word", text=text) for text in ("Mood?", "Service?"))
        comment = f.question(demo, kind=QuestionKind.LONG_TEXT)
        for session, mood_word, service_word in ((first, "tired", "slow"), (first, "calm", "slow"),
                                                 (second, "hopeful", "fair"), (second, "hopeful", None),
                                                 (first, "hopeful", "hopeful"), (left_out, "angry", "angry")):
            f.respond(session, {mood: mood_word, **({service: service_word} if service_word else {})})
        db.session.commit()
        lists = services.word_lists([mood, service, comment], [first.id, second.id])
        assert set(lists) == {mood.id, service.id}
        assert [(w.word, w.count) for w in lists[mood.id].words] == [("hopeful", 3), ("calm", 1), ("tired", 1)]
        assert [(w.word, w.count) for w in lists[service.id].words] == [("slow", 2), ("fair", 1), ("hopeful", 1)]
        assert lists[mood.id].question_id == mood.id
        assert all(not words.words for words in services.word_lists([mood, service], []).values())
        assert services.word_lists([comment], [first.id]) == {}
