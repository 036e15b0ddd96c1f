"""Organisers create and edit programmes and their findings."""
import sqlalchemy as sa

from tests import neighbours
from tests.conftest import post_form
from webapp.auth.models import AuditEntry, Role
from webapp.extensions import db
from webapp.models import Finding, FindingKind, Programme
from webapp.programmes import services


def _post(client, url, data):
    return post_form(client, url, data, token_url="/organiser/programmes")


def test_create_programme(app, client, login_as):
    login_as(Role.ORGANISER)
    response = _post(client, "/organiser/programmes/new", {"title": "Winter briefings", "summary": "Findings."})
    assert response.status_code == 302
    with app.app_context():
        programme = db.session.scalar(sa.select(Programme).where(Programme.slug != neighbours.SLUG))
        assert programme.title == "Winter briefings" and programme.slug == "winter-briefings"
        assert not programme.is_open
    page = client.get(response.headers["Location"])
    assert b"Winter briefings" in page.data and b"created" in page.data


def test_programme_validation_keeps_what_was_typed(app, client, login_as):
    login_as(Role.ORGANISER)
    response = _post(client, "/organiser/programmes/new", {"title": "", "summary": "Keep me <b>please</b>"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a title" in body and "There is a problem" in body
    assert "Keep me &lt;b&gt;please&lt;/b&gt;" in body
    response = _post(client, "/organiser/programmes/new", {"title": "x" * 201})
    assert "Title must be 200 characters or fewer" in response.get_data(as_text=True)
    with app.app_context():
        # Nothing new: only the neighbouring programme every test database holds.
        assert db.session.scalars(sa.select(Programme.slug)).all() == [neighbours.SLUG]


def test_slugs_stay_unique(app_ctx):
    first = services.create_programme("Staff briefings")
    second = services.create_programme("Staff briefings!")
    assert first.slug == "staff-briefings" and second.slug == "staff-briefings-2"


def test_edit_and_open_and_close(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    response = _post(client, f"/organiser/programmes/{demo}/edit", {"title": "Renamed", "summary": "New"})
    assert response.status_code == 302
    _post(client, f"/organiser/programmes/{demo}/status", {"open": "0"})
    with app.app_context():
        programme = db.session.get(Programme, demo)
        assert programme.title == "Renamed" and not programme.is_open
    assert b"Renamed" not in client.get("/").data  # closed: off the front page
    _post(client, f"/organiser/programmes/{demo}/status", {"open": "1"})
    assert b"Renamed" in client.get("/").data


def test_add_indicator_needs_headline_and_grade(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    url = f"/organiser/programmes/{demo}/findings/new"
    response = _post(client, url, {"kind": "indicator", "title": "Impact on staff", "grade": ""})
    body = response.get_data(as_text=True)
    assert "Enter the headline question this indicator sits under" in body
    assert "Select the grade the inspectors gave this indicator" in body
    assert 'value="Impact on staff"' in body
    response = _post(client, url, {"kind": "indicator", "title": "Impact on staff",
                                   "headline_question": "How well?", "grade": "Good"})
    assert response.status_code == 302
    with app.app_context():
        finding = db.session.scalar(sa.select(Finding).where(Finding.title == "Impact on staff"))
        assert finding.grade == "Good" and finding.position == 10


def test_bad_kind_and_grade_are_refused(client, login_as, demo):
    login_as(Role.ORGANISER)
    response = _post(client, f"/organiser/programmes/{demo}/findings/new",
                     {"kind": "secret", "title": "x", "headline_question": "q", "grade": "Brilliant"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not a valid choice" in body


def test_non_indicators_drop_grades(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    _post(client, f"/organiser/programmes/{demo}/findings/new",
          {"kind": "improvement_area", "title": "Better data", "headline_question": "q", "grade": "Good"})
    with app.app_context():
        finding = db.session.scalar(sa.select(Finding).where(Finding.title == "Better data"))
        assert finding.grade is None and finding.headline_question is None


def test_edit_reorder_and_remove_findings(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    with app.app_context():
        areas = db.session.scalars(sa.select(Finding).where(
            Finding.programme_id == demo, Finding.kind == FindingKind.IMPROVEMENT_AREA
        ).order_by(Finding.position)).all()
        first_id, second_id = areas[0].id, areas[1].id
    base = f"/organiser/programmes/{demo}/findings"
    assert _post(client, f"{base}/{second_id}/move", {"direction": "up"}).status_code == 302
    _post(client, f"{base}/{first_id}/edit", {"kind": "improvement_area", "title": "Edited area"})
    assert client.get(f"{base}/{first_id}/delete").status_code == 200
    with app.app_context():
        programme = db.session.get(Programme, demo)
        ordered = [f.id for f in programme.findings_of(FindingKind.IMPROVEMENT_AREA)]
        assert ordered[:2] == [second_id, first_id]
        assert db.session.get(Finding, first_id).title == "Edited area"
    _post(client, f"{base}/{first_id}/delete", {})
    with app.app_context():
        assert db.session.get(Finding, first_id) is None
        audited = db.session.execute(sa.select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
                                     .where(AuditEntry.action.startswith("finding."))
                                     .order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in audited] == [("finding.changed", f"finding:{first_id}", "Edited area"),
                                               ("finding.removed", f"finding:{first_id}", "Edited area")]


def test_removing_an_indicator_keeps_its_question(app, client, login_as, demo):
    from webapp.models import Question

    login_as(Role.ORGANISER)
    with app.app_context():
        question = db.session.scalars(sa.select(Question).join(Finding).where(Finding.programme_id == demo)).first()
        finding_id, question_id, text = question.finding_id, question.id, question.text
    _post(client, f"/organiser/programmes/{demo}/findings/{finding_id}/delete", {})
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.text == text and question.finding_id is None


def test_another_programmes_finding_is_not_found(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    with app.app_context():
        other = services.create_programme("Other")
        finding = services.add_finding(other, kind="improvement_area", title="Theirs")
        other_finding = finding.id
    assert client.get(f"/organiser/programmes/{demo}/findings/{other_finding}/edit").status_code == 404
    assert _post(client, f"/organiser/programmes/{demo}/findings/{other_finding}/delete", {}).status_code == 404
    assert client.get("/organiser/programmes/999999").status_code == 404


def test_viewer_sees_the_list_but_cannot_create(client, login_as, demo):
    login_as(Role.VIEWER)
    page = client.get("/organiser/programmes")
    assert page.status_code == 200 and b"Create a programme" not in page.data
    assert _post(client, "/organiser/programmes/new", {"title": "Nope"}).status_code == 403
