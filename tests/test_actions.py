"""The action plan, approved quotes and the public "You said, we did" page."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests import results_factories as f
from tests.conftest import post_form
from webapp.actions import public, services
from webapp.actions.models import Action, ActionStatus, ActionUpdate, Quote
from webapp.auth.models import AuditEntry, Role
from webapp.demo import seed_data
from webapp.extensions import db
from webapp.feedback.models import QuestionKind
from webapp.programmes.models import FindingKind
from webapp.programmes.services import create_programme


def _area(programme, index=0):
    return programme.findings_of(FindingKind.ACTION)[index]


def _finding(programme, title):
    return next(finding for finding in programme.findings if finding.title == title)


def test_the_demo_loads_the_seed_draft_plan(app, demo):
    with app.app_context():
        plan = services.plan(f.programme(demo))
        assert [area.title for area, _ in plan] == [title for title, _ in seed_data.ACTION_PLAN]
        assert [len(actions) for _, actions in plan] == [4, 4, 4, 3]
        governance = {area.title: actions for area, actions in plan}["Reviewing and strengthening governance"]
        assert governance[-1].title == "Hold 6 sessions with front line staff"
        assert governance[-1].status == ActionStatus.DONE
        risk = plan[0][1][0]
        assert "Assessment and responding to risks and needs" in [finding.title for finding in risk.findings]


def test_add_change_and_remove_an_action_with_links_and_audit(app, demo, make_user):
    with app.app_context():
        organiser = make_user(Role.ORGANISER)
        programme = f.programme(demo)
        indicator = _finding(programme, "Impact on families")
        action = services.add_action(
            programme, actor=organiser, area_id=_area(programme, 1).id, title="  Kinship carers' forum  ",
            owner="Kinship team", due_on=date(2027, 3, 31), status="on_track", progress="Two meetings held",
            finding_ids=[indicator.id, indicator.id])
        assert action.title == "Kinship carers' forum"
        assert [finding.id for finding in action.findings] == [indicator.id]
        assert action.position == 5  # after the seed's four

        services.update_action(action, actor=organiser, area_id=_area(programme, 2).id, title="Forum",
                               owner="", due_on=None, status="at_risk", progress="", finding_ids=[])
        db.session.expire_all()
        action = db.session.get(Action, action.id)
        assert (action.area_id, action.status, action.findings) == (_area(programme, 2).id, ActionStatus.AT_RISK, [])

        update, queued = services.add_update(action, "Venue booked", date(2027, 1, 5), status="done", actor=organiser)
        assert action.status == ActionStatus.DONE and update.action_id == action.id and queued == 0
        services.remove_action(action, actor=organiser)
        assert db.session.get(Action, action.id) is None
        assert db.session.get(ActionUpdate, update.id) is None
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target == f"action:{action.id}"))
        assert sorted(actions) == ["action.added", "action.changed", "action.removed", "action.update_published"]


def test_an_action_cannot_link_another_programmes_findings(app, demo):
    with app.app_context():
        programme = f.programme(demo)
        other = create_programme("Another programme")
        with pytest.raises(services.ActionPlanError):
            services.add_action(other, area_id=_area(programme).id, title="x", owner="", due_on=None,
                                status="not_started", progress="", finding_ids=[])
        area = _area(programme)
        with pytest.raises(services.ActionPlanError):  # an improvement area is not a finding to answer
            services.add_action(programme, area_id=area.id, title="x", owner="", due_on=None,
                                status="not_started", progress="", finding_ids=[area.id])
        assert db.session.scalar(sa.select(sa.func.count(Action.id)).where(Action.title == "x")) == 0


@pytest.fixture
def organiser_client(client, login_as):
    login_as(Role.ORGANISER)
    return client


def test_organisers_add_an_action_and_publish_an_update_through_the_pages(app, demo, organiser_client):
    client = organiser_client
    with app.app_context():
        programme = f.programme(demo)
        area_id, indicator_id = _area(programme).id, _finding(programme, "Impact on families").id
    url = f"/organiser/programmes/{demo}/actions/new"
    response = post_form(client, url, {"area_id": area_id, "title": "", "status": "on_track"}, token_url=url)
    assert response.status_code == 200 and "Enter the action" in response.get_data(as_text=True)
    response = post_form(client, url, {"area_id": area_id, "title": "Shared chronologies", "owner": "Risk group",
                                       "due_on": "2027-06-30", "status": "on_track",
                                       "finding_ids": [indicator_id]}, token_url=url)
    assert response.status_code == 302
    with app.app_context():
        action = db.session.scalar(sa.select(Action).where(Action.title == "Shared chronologies"))
        assert (action.owner, action.due_on, action.status) == ("Risk group", date(2027, 6, 30), ActionStatus.ON_TRACK)
        assert [finding.id for finding in action.findings] == [indicator_id]
    update_url = f"/organiser/programmes/{demo}/actions/{action.id}/updates/new"
    response = post_form(client, update_url, {"written_on": "2027-02-01", "text": "<script>alert(1)</script> pilot",
                                              "status": "at_risk"}, token_url=update_url)
    assert response.status_code == 302
    page = client.get(f"/organiser/programmes/{demo}/actions").get_data(as_text=True)
    assert "Shared chronologies" in page and "1 February 2027" in page and "At risk" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_viewers_read_the_plan_without_edit_links(app, demo, client, login_as):
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{demo}/actions").get_data(as_text=True)
    assert "Management of Risk" in page and "Address levels of absconding" in page
    assert "Publish an update" not in page and "Add an action" not in page


def _respond(programme_id, count, *, comment=None):
    indicator = f.question(programme_id, kind=QuestionKind.AGREEMENT)
    session = f.sessions(programme_id)[0]
    text_question = f.question(programme_id, kind=QuestionKind.LONG_TEXT)
    for number in range(count):
        answers = {indicator: "Agree" if number % 2 == 0 else "Disagree"}
        if comment and number == 0:
            answers[text_question] = comment
        f.respond(session, answers)
    db.session.commit()
    return indicator


def test_the_public_page_shows_nothing_under_five_responses(app, demo, client):
    with app.app_context():
        _respond(demo, 4)
        slug = f.programme(demo).slug
    page = client.get(f"/programmes/{slug}/you-said-we-did").get_data(as_text=True)
    assert "Figures appear here once at least 5 people" in page
    assert "How many agreed" not in page and "%" not in page.split("We did")[0].split("You said")[-1]
    assert "Address levels of absconding" in page  # the plan is public whatever the count


def test_the_public_page_shows_agreement_at_five_and_hides_thin_findings(app, demo, client):
    with app.app_context():
        indicator = _respond(demo, 5)
        slug = f.programme(demo).slug
        page_data = public.you_said_we_did(f.programme(demo))
        rows = {row.finding.id: row for row in page_data.agreement}
        assert rows[indicator.finding_id].percent_agree == pytest.approx(3 / 5)
        # every other indicator had no answers: no figure
        assert all(row.percent_agree is None for key, row in rows.items() if key != indicator.finding_id)
    page = client.get(f"/programmes/{slug}/you-said-we-did").get_data(as_text=True)
    assert "5 people gave feedback" in page and "60%" in page and "Not shown" in page


def test_only_approved_quotes_are_published_word_for_word_and_escaped(app, demo, client, make_user):
    hostile = 'Loved it <img src=x onerror="alert(1)"> =HYPERLINK("http://evil")'
    with app.app_context():
        _respond(demo, 5, comment="Unapproved comment naming Dave from Ward 3")
        programme = f.programme(demo)
        organiser = make_user(Role.ORGANISER)
        answer_id = services.comments_to_quote(programme)[0][0]
        quote = services.approve_quote(programme, "A comment, trimmed by the organiser", answer_id=answer_id,
                                       actor=organiser)
        services.approve_quote(programme, hostile, actor=organiser)
        withdrawn = services.approve_quote(programme, "Withdrawn words", actor=organiser)
        services.withdraw_quote(withdrawn, actor=organiser)
        slug = programme.slug
        # approving the same comment again edits that quote, not a second one
        services.approve_quote(programme, "A comment, trimmed again", answer_id=answer_id, actor=organiser)
        assert db.session.scalar(sa.select(sa.func.count(Quote.id)).where(Quote.answer_id == answer_id)) == 1
        assert db.session.get(Quote, quote.id).text == "A comment, trimmed again"
    page = client.get(f"/programmes/{slug}/you-said-we-did").get_data(as_text=True)
    assert "A comment, trimmed again" in page
    assert "Dave" not in page and "Withdrawn words" not in page
    assert "<img" not in page and "Loved it &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_organisers_approve_a_comment_from_the_quotes_page(app, demo, organiser_client):
    client = organiser_client
    with app.app_context():
        _respond(demo, 1, comment="More time with families")
        answer_id = services.comments_to_quote(f.programme(demo))[0][0]
    url = f"/organiser/programmes/{demo}/quotes"
    assert "More time with families" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"answer_id": answer_id, "text": "More time with families."}, token_url=url)
    assert response.status_code == 302
    with app.app_context():
        quote = db.session.scalar(sa.select(Quote).where(Quote.answer_id == answer_id))
        assert (quote.text, quote.published) == ("More time with families.", True)
    # Another programme's comment, or no comment at all, is refused, not a server error.
    response = post_form(client, url, {"answer_id": 999999, "text": "Made up"}, token_url=url)
    assert response.status_code == 200 and "not one of this programme" in response.get_data(as_text=True)
    response = post_form(client, f"{url}/{quote.id}/withdraw", token_url=url)
    with app.app_context():
        assert db.session.get(Quote, quote.id).published is False


def test_unknown_programme_is_404(client):
    assert client.get("/programmes/no-such-programme/you-said-we-did").status_code == 404


def test_the_workbook_has_an_actions_sheet_with_formulas_kept_as_text(app, demo):
    import io

    from openpyxl import load_workbook

    from webapp.exports.workbook import build_workbook

    with app.app_context():
        programme = f.programme(demo)
        action = services.add_action(programme, area_id=_area(programme).id, title='=HYPERLINK("http://evil","x")',
                                     owner="Risk group", due_on=date(2027, 6, 30), status="at_risk", progress="",
                                     finding_ids=[_finding(programme, "Impact on families").id])
        services.add_update(action, "Older", date(2027, 1, 1))
        services.add_update(action, "Newer", date(2027, 2, 1))
        out = io.BytesIO()
        build_workbook(programme, out, include_attendance=False)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Actions"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Improvement area", "Action", "Owner", "Due", "Status")
    assert len(rows) == 1 + 15 + 1
    added = next(row for row in rows if row[2] == "Risk group")
    assert added[0] == "Management of Risk" and added[1] == '=HYPERLINK("http://evil","x")'
    assert added[3].date() == date(2027, 6, 30) and added[4] == "At risk" and added[6] == "Impact on families"
    assert added[7].date() == date(2027, 2, 1) and added[8] == "Newer"
    cell = next(row for row in sheet.iter_rows(min_row=2) if row[2].value == "Risk group")[1]
    assert cell.data_type == "s" and cell.quotePrefix


def test_the_front_page_and_the_thank_you_page_link_to_you_said_we_did(app, demo, client):
    with app.app_context():
        slug = f.programme(demo).slug
    assert f"/programmes/{slug}/you-said-we-did" in client.get("/").get_data(as_text=True)
    response = client.get(f"/you-said-we-did/{demo}")
    assert response.status_code == 301 and response.headers["Location"] == f"/programmes/{slug}/you-said-we-did"
    assert client.get("/you-said-we-did/999999").status_code == 404


def test_the_thank_you_page_links_to_you_said_we_did(app, demo, client):
    from tests.feedback_helpers import complete_answers, open_feedback
    from tests.test_feedback_form import send

    code = open_feedback(app, demo)
    html = send(client, code, complete_answers(app, demo)).get_data(as_text=True)
    assert "Your feedback has been sent" in html and f'href="/you-said-we-did/{demo}"' in html
