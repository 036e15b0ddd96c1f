"""A scripted burst of feedback responses (issue 12, point 2): the organiser's view of a
session's responses over time flags it, excluding it puts every figure back to what it
was before the burst while keeping the rows, the exclusion is audited, and undoing it
restores the burst. Role rules and CSRF for the new pages."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, UTC

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import neighbours
from tests import results_factories as f
from tests.conftest import csrf_token
from webapp.auth.models import AuditEntry, Role
from webapp.exports.workbook import build_workbook
from webapp.extensions import db
from webapp.feedback.models import QuestionKind, Response, ResponseExclusion
from webapp.results import exclusions, totals
from webapp.results import services as results
from webapp.room.services import room_list
from webapp.timezones import to_local

# Normal responses: two a minute for 20 minutes from 10:00 UTC; the burst: 200 in the two
# minutes from 10:30, one client, all "Strongly disagree" and the same comment.
START = datetime(2027, 3, 17, 10, 0, tzinfo=UTC)
BURST_AT = START + timedelta(minutes=30)
BURST_SIZE = 200
BURST_COMMENT = "BURST: this programme is rubbish"


def _questions(programme_id: int):
    return (f.question(programme_id, kind=QuestionKind.AGREEMENT), f.question(programme_id, breakdown="locality"),
            f.question(programme_id, kind=QuestionKind.RATING), f.question(programme_id, kind=QuestionKind.LONG_TEXT))


def add_normal_responses(app, programme_id: int) -> None:
    with app.app_context():
        session = f.sessions(programme_id)[0]
        indicator, locality, rating, comment = _questions(programme_id)
        for number in range(40):
            f.respond(session, {indicator: ["Agree", "Strongly agree", "Disagree"][number % 3],
                                locality: ["North East", "South"][number % 2], rating: "4",
                                comment: f"Useful session, note {number}"},
                      submitted_at=START + timedelta(seconds=30 * number))
        db.session.commit()


def add_burst(app, programme_id: int) -> None:
    """What one scripted client stored (the rate limits and ceilings are tested in
    test_rate_limits.py; here the burst got through, say from an exempt network)."""
    with app.app_context():
        session = f.sessions(programme_id)[0]
        indicator, locality, rating, comment = _questions(programme_id)
        for number in range(BURST_SIZE):
            f.respond(session, {indicator: "Strongly disagree", locality: "North West", rating: "1 - Not useful",
                                comment: BURST_COMMENT},
                      submitted_at=BURST_AT + timedelta(milliseconds=600 * number))
        db.session.commit()


def figures(app, programme_id: int) -> dict:
    """Every published figure the burst could move: programme and session results,
    breakdowns, comparisons, comments, presenter, "You said, we did", board report."""
    from webapp.actions import public
    from webapp.reports.services import board_report
    from webapp.results.presenter import presentation

    def question_figures(result: results.Results):
        return [(q.question.id, q.respondents, q.mean, [(o.option.id, o.count) for o in q.options])
                for q in result.questions]

    with app.app_context():
        programme = f.programme(programme_id)
        sessions = results.select_sessions(programme)
        whole = results.results_for(programme, sessions)
        first = results.results_for(programme, sessions[:1])
        show = presentation(sessions[0], None, 5, room_list(sessions[0].id))
        page = public.you_said_we_did(programme)
        report = board_report(programme)
        return {
            "programme": (whole.totals.responses, str(whole.totals.rate), question_figures(whole)),
            "session": (first.totals.responses, question_figures(first)),
            "breakdowns": [[(g.label, g.shown_responses, g.percent_agree) for g in table.groups]
                           for table in whole.breakdowns],
            "compare": [[(row.label, row.respondents, row.result.percent_agree) for section in c.sections
                         for row in section.rows] for c in results.comparisons(whole)],
            "comments": [(c.text, c.question_text) for c in results.comment_page(whole.session_ids).items],
            "comment_total": results.comment_page(whole.session_ids).total,
            "presenter": (show.responses, [(r.question.id, r.percent_agree) for r in show.indicators]),
            "public": (page.responses, [(row.question, row.respondents, row.percent_agree) for row in page.agreement]),
            "report": (report.responses, report.feedback_sentence(),
                       [(row.title, row.respondents, row.percent_agree) for row in report.indicators]),
        }


def workbook_values(app, programme_id: int) -> dict:
    with app.app_context():
        out = io.BytesIO()
        build_workbook(f.programme(programme_id), out, include_attendance=True)
    book = load_workbook(io.BytesIO(out.getvalue()))
    return {sheet.title: [row for row in sheet.iter_rows(values_only=True)
                          if not (sheet.title == "Summary" and row and isinstance(row[1], datetime))]
            for sheet in book.worksheets}


def responses_csv(client, programme_id: int) -> list[list[str]]:
    response = client.get(f"/organiser/programmes/{programme_id}/responses.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def stored_responses(app) -> int:
    with app.app_context():
        return neighbours.responses_here()


def _local(moment: datetime) -> str:
    return f"{to_local(moment):%Y-%m-%dT%H:%M}"


def _pages(programme_id: int, session_id: int) -> tuple[str, str]:
    base = f"/organiser/programmes/{programme_id}/sessions/{session_id}/responses"
    return base, base + "/exclude"


def exclude_url(programme_id: int, session_id: int, since: datetime, until: datetime) -> str:
    return f"{_pages(programme_id, session_id)[1]}?submitted_from={_local(since)}&submitted_until={_local(until)}"


@pytest.fixture
def burst(app, demo):
    """The demo programme with 40 normal responses and the figures they give, then the burst."""
    add_normal_responses(app, demo)
    with app.app_context():
        session_id = f.sessions(demo)[0].id
    return {"programme": demo, "session": session_id}


def test_excluding_the_burst_puts_every_figure_back_and_keeps_the_rows(app, client, login_as, burst):
    programme_id, session_id = burst["programme"], burst["session"]
    login_as(Role.ORGANISER)
    before = figures(app, programme_id)
    before_workbook = workbook_values(app, programme_id)
    before_csv = responses_csv(client, programme_id)

    add_burst(app, programme_id)
    assert figures(app, programme_id) != before  # the burst moved the results
    assert workbook_values(app, programme_id) != before_workbook
    assert len(responses_csv(client, programme_id)) == len(before_csv) + BURST_SIZE
    stored = stored_responses(app)
    assert stored == 40 + BURST_SIZE

    # The view over time flags the burst's minutes and offers to exclude exactly them.
    overview, _ = _pages(programme_id, session_id)
    page = client.get(overview).get_data(as_text=True)
    flagged = re.findall(r"<tr class=\"govuk-table__row\">\s*<th scope=\"row\"[^>]*>([^<]+)</th>"
                         r"\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>.*?</td>\s*<td[^>]*>"
                         r"(<strong[^>]*>Far above usual</strong>)?", page, re.S)
    assert [(count, bool(flag)) for _, count, _, flag in flagged if flag] == [("100", True), ("100", True)]
    assert not any(flag for _, count, _, flag in flagged if count != "100")
    assert "2 minutes had far more responses than usual" in page
    link = re.search(r'href="([^"]+/responses/exclude\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == exclude_url(programme_id, session_id, BURST_AT, BURST_AT + timedelta(minutes=2))

    # The confirm step says how many; the POST excludes them.
    confirm = client.get(link).get_data(as_text=True)
    assert f"{BURST_SIZE} responses found" in confirm and f"Exclude these {BURST_SIZE} responses" in confirm
    assert stored_responses(app) == stored and figures(app, programme_id) != before  # nothing changed yet
    response = client.post(link, data={"csrf_token": csrf_token(client, link),
                                       "reason": "200 identical responses in two minutes"})
    assert response.status_code == 302 and response.headers["Location"].endswith(overview)

    assert figures(app, programme_id) == before
    assert workbook_values(app, programme_id) == before_workbook
    assert responses_csv(client, programme_id) == before_csv
    assert stored_responses(app) == stored  # kept, not deleted
    session_page = client.get(f"/organiser/programmes/{programme_id}/sessions/{session_id}/results")
    assert BURST_COMMENT not in session_page.get_data(as_text=True)
    assert f"These results leave out {BURST_SIZE} responses" in session_page.get_data(as_text=True)
    with app.app_context():
        exclusion = db.session.scalar(sa.select(ResponseExclusion))
        exclusion_id = exclusion.id
        assert (exclusion.count, exclusion.reason, exclusion.undone_at) == (
            BURST_SIZE, "200 identical responses in two minutes", None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                 .where(Response.exclusion_id == exclusion.id)) == BURST_SIZE
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "responses.excluded"))
        assert entry.target == f"session:{session_id}" and entry.detail.startswith(f"{BURST_SIZE} responses")
        running = totals.snapshot()
        totals.rebuild()
        assert totals.snapshot() == running
        db.session.rollback()
    page = client.get(overview).get_data(as_text=True)
    assert re.search(r'id="excluded-count">\s*200<', page) and re.search(r'id="included-count">\s*40<', page)
    assert "200 identical responses in two minutes" in page and "already excluded" in page

    # Undo puts the burst back, and is audited too.
    undo = f"{overview}/exclusions/{exclusion_id}/undo"
    assert client.post(undo, data={"csrf_token": csrf_token(client, overview)}).status_code == 302
    after_undo = figures(app, programme_id)
    assert after_undo != before and after_undo["programme"][0] == 40 + BURST_SIZE
    assert len(responses_csv(client, programme_id)) == len(before_csv) + BURST_SIZE
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(~Response.included)) == 0
        assert db.session.get(ResponseExclusion, exclusion_id).undone_at is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "responses.restored")) == 1
    # Undoing twice changes nothing more.
    client.post(undo, data={"csrf_token": csrf_token(client, overview)})
    assert figures(app, programme_id) == after_undo


def test_a_window_with_nothing_to_exclude_says_so_and_stores_nothing(app, client, login_as, burst):
    login_as(Role.ADMIN)
    url = exclude_url(burst["programme"], burst["session"], START - timedelta(hours=2), START - timedelta(hours=1))
    page = client.get(url).get_data(as_text=True)
    assert "No responses in the results were submitted from" in page
    client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "Nothing"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseExclusion)) == 0


def test_the_window_and_the_reason_are_checked(app, client, login_as, burst):
    login_as(Role.ORGANISER)
    _, exclude = _pages(burst["programme"], burst["session"])
    page = client.get(f"{exclude}?submitted_from=2027-03-17T11:00&submitted_until=2027-03-17T10:00")
    assert "The end must be after the start" in page.get_data(as_text=True)
    page = client.get(f"{exclude}?submitted_from=32+13+2027+25:00&submitted_until=").get_data(as_text=True)
    assert "govuk-error-summary" in page and "Enter when the burst ended" in page
    url = exclude_url(burst["programme"], burst["session"], START, START + timedelta(minutes=5))
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "  "})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter why you are excluding these responses" in text
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "x" * 501})
    assert "500 characters or fewer" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseExclusion)) == 0


def test_viewers_neither_see_the_view_nor_exclude(app, client, login_as, burst):
    add_burst(app, burst["programme"])
    login_as(Role.VIEWER)
    overview, _ = _pages(burst["programme"], burst["session"])
    url = exclude_url(burst["programme"], burst["session"], BURST_AT, BURST_AT + timedelta(minutes=2))
    assert client.get(overview).status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client), "reason": "x"}).status_code == 403
    session_page = client.get(f"/organiser/programmes/{burst['programme']}/sessions/{burst['session']}")
    assert session_page.status_code == 403  # the hub that links to it is managers' too
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(~Response.included)) == 0


def test_the_session_page_links_to_the_view(client, login_as, burst):
    login_as(Role.ORGANISER)
    page = client.get(f"/organiser/programmes/{burst['programme']}/sessions/{burst['session']}").get_data(as_text=True)
    assert f'href="{_pages(burst["programme"], burst["session"])[0]}"' in page


def test_excluding_and_undoing_need_the_csrf_token(app, client, login_as, burst):
    add_burst(app, burst["programme"])
    user = login_as(Role.ORGANISER)
    url = exclude_url(burst["programme"], burst["session"], BURST_AT, BURST_AT + timedelta(minutes=2))
    assert client.post(url, data={"reason": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseExclusion)) == 0
        since, until = BURST_AT, BURST_AT + timedelta(minutes=2)
        exclusion_id = exclusions.exclude(f.sessions(burst["programme"])[0], since, until, "by hand",
                                          db.session.get(type(user), user.id)).id
    overview, _ = _pages(burst["programme"], burst["session"])
    assert client.post(f"{overview}/exclusions/{exclusion_id}/undo").status_code == 400
    with app.app_context():
        assert db.session.get(ResponseExclusion, exclusion_id).undone_at is None


def test_an_exclusion_of_another_session_is_not_found(app, client, login_as, burst):
    add_burst(app, burst["programme"])
    user = login_as(Role.ORGANISER)
    with app.app_context():
        first, second = f.sessions(burst["programme"])[:2]
        exclusion_id = exclusions.exclude(first, BURST_AT, BURST_AT + timedelta(minutes=2), "by hand",
                                          db.session.get(type(user), user.id)).id
        second_id = second.id
    other, _ = _pages(burst["programme"], second_id)
    response = client.post(f"{other}/exclusions/{exclusion_id}/undo", data={"csrf_token": csrf_token(client, other)})
    assert response.status_code == 404


def test_the_response_ceiling_counts_included_responses(app, burst):
    """Once the burst is excluded, the people in the room can respond again."""
    from webapp.feedback import answers, phone

    add_burst(app, burst["programme"])
    with app.app_context():
        session = f.sessions(burst["programme"])[0]
        phone_session = phone.phone_session_by_code(session.feedback_code)
        app.config["FEEDBACK_RESPONSES_PER_PLACE"] = 100 / session.capacity  # a ceiling of about 110
        assert answers.at_response_ceiling(phone_session)
        exclusions.exclude(session, BURST_AT, BURST_AT + timedelta(minutes=2), "script", None)
        assert not answers.at_response_ceiling(phone_session)


def test_a_window_from_a_link_shows_in_the_date_boxes(client, login_as, burst):
    login_as(Role.ORGANISER)
    page = client.get(exclude_url(burst["programme"], burst["session"], BURST_AT, BURST_AT + timedelta(minutes=2)))
    text = page.get_data(as_text=True)
    local = to_local(BURST_AT)
    for value in (local.day, local.month, local.year, f"{local:%H:%M}"):
        assert f'value="{value}"' in text


def test_a_reworded_questions_note_counts_included_responses(app, burst):
    from webapp.feedback import form_builder

    add_burst(app, burst["programme"])
    with app.app_context():
        indicator = _questions(burst["programme"])[0]
        form_builder.update_question(indicator, kind=indicator.kind, text="New words", finding_id=indicator.finding_id)
        assert "(240 responses)" in results.wording_note(indicator)
        exclusions.exclude(f.sessions(burst["programme"])[0], BURST_AT, BURST_AT + timedelta(minutes=2), "x", None)
        assert "(40 responses)" in results.wording_note(indicator)


def test_a_workbook_built_before_an_exclusion_or_an_undo_is_not_reused(app, burst):
    from webapp.exports.builds import data_key
    from webapp.results.services import ResultsFilter

    add_burst(app, burst["programme"])
    with app.app_context():
        programme = f.programme(burst["programme"])
        keys = [data_key(programme, ResultsFilter(), True)]
        exclusion = exclusions.exclude(f.sessions(burst["programme"])[0], BURST_AT, BURST_AT + timedelta(minutes=2),
                                       "x", None)
        keys.append(data_key(programme, ResultsFilter(), True))
        exclusions.undo(exclusion, None)
        keys.append(data_key(programme, ResultsFilter(), True))
        assert len(set(keys)) == 3
