"""The role matrix: every /organiser route, every role, enforced on the server.

Who may use each route is written out below (EXPECTED_ROLES), not read from the code
under test, so a route whose roles are loosened fails here. Routes are read from the
app's URL map, so a route added later fails `test_the_role_table_lists_every_route`
until someone decides, in this table, who may use it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions, make_config
from webapp import create_app
from webapp.auth.models import Role
from webapp.extensions import db

ROLES = [Role.ADMIN, Role.ORGANISER, Role.VIEWER]
ADMINS = frozenset({Role.ADMIN})
MANAGERS = frozenset({Role.ADMIN, Role.ORGANISER})  # personal data and every change
EVERYONE = frozenset({Role.ADMIN, Role.ORGANISER, Role.VIEWER})  # reading results, and one's own account

EXPECTED_ROLES = {
    "actions.add": MANAGERS,
    "actions.add_update": MANAGERS,
    "actions.delete": MANAGERS,
    "actions.delete_update": MANAGERS,
    "actions.edit": MANAGERS,
    "actions.plan": EVERYONE,
    "actions.quotes": MANAGERS,
    "actions.withdraw_quote": MANAGERS,
    "auth.audit": ADMINS,
    "auth.change_password": EVERYONE,
    "auth.change_role": ADMINS,
    "auth.deactivate": ADMINS,
    "auth.invite": ADMINS,
    "auth.reactivate": ADMINS,
    "auth.setup_link": ADMINS,
    "auth.two_factor_setup": EVERYONE,
    "auth.user": ADMINS,
    "auth.users": ADMINS,
    "bookings.cancel_burst": MANAGERS,
    "bookings.organiser_cancel": MANAGERS,
    "bookings.programme_attendees": MANAGERS,
    "bookings.programme_attendees_csv": MANAGERS,
    "bookings.session_attendees_csv": MANAGERS,
    "checkin.arrived": MANAGERS,
    "checkin.door": MANAGERS,
    "checkin.not_arrived": MANAGERS,
    "checkin.sign_in_sheet": MANAGERS,
    "checkin.walk_in": MANAGERS,
    "exports.attendance_csv": MANAGERS,
    "exports.responses_csv": EVERYONE,
    "exports.workbook": EVERYONE,
    "exports.workbook_build": EVERYONE,
    "exports.workbook_build_download": EVERYONE,
    "feedback.add_question": MANAGERS,
    "feedback.builder": MANAGERS,
    "feedback.create_default": MANAGERS,
    "feedback.delete_question": MANAGERS,
    "feedback.edit_question": MANAGERS,
    "feedback.move_question": MANAGERS,
    "feedback.poster": MANAGERS,
    "feedback.preview": MANAGERS,
    "feedback.qr_png": MANAGERS,
    "feedback.qr_svg": MANAGERS,
    "feedback.set_visibility": MANAGERS,
    "feedback.slide": MANAGERS,
    "jobs.failures": ADMINS,
    "jobs.send_again": ADMINS,
    "programmes.add_finding": MANAGERS,
    "programmes.create": MANAGERS,
    "programmes.delete_finding": MANAGERS,
    "programmes.edit": MANAGERS,
    "programmes.edit_finding": MANAGERS,
    "programmes.home": EVERYONE,
    "programmes.index": EVERYONE,
    "programmes.move_finding": MANAGERS,
    "programmes.set_status": MANAGERS,
    "programmes.show": MANAGERS,
    "reports.report": EVERYONE,
    "reports.report_docx": EVERYONE,
    "results.compare": EVERYONE,
    "results.exclude_responses": MANAGERS,
    "results.presenter": EVERYONE,
    "results.programme_results": EVERYONE,
    "results.responses_over_time": MANAGERS,
    "results.session_results": EVERYONE,
    "results.undo_exclusion": MANAGERS,
    "room.answer": MANAGERS,
    "room.approve": MANAGERS,
    "room.hide": MANAGERS,
    "room.mark_answered": MANAGERS,
    "room.mark_not_answered": MANAGERS,
    "room.moderate": MANAGERS,
    "room.set_moderation": MANAGERS,
    "sessions.cancel": MANAGERS,
    "sessions.create": MANAGERS,
    "sessions.duplicate": MANAGERS,
    "sessions.edit": MANAGERS,
    "sessions.message": MANAGERS,
    "sessions.show": MANAGERS,
    "staff.apply": MANAGERS,
    "staff.invitation_results": MANAGERS,
    "staff.invite": MANAGERS,
    "staff.mapping": MANAGERS,
    "staff.overview": EVERYONE,
    "staff.people_csv": MANAGERS,
    "staff.preview": MANAGERS,
    "staff.upload": MANAGERS,
    "themes.add": MANAGERS,
    "themes.decide": MANAGERS,
    "themes.delete": MANAGERS,
    "themes.edit": MANAGERS,
    "themes.frame": EVERYONE,
    "themes.merge": MANAGERS,
    "themes.suggestions": MANAGERS,
    "themes.tag": MANAGERS,
}


def _organiser_rules():
    app = create_app(make_config("sqlite://"))
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/organiser"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                rules.append((rule.endpoint, rule.rule, method))
    return app, rules


_APP, ORGANISER_RULES = _organiser_rules()


@pytest.fixture
def app_config():
    # Role rules are what is tested here; CSRF has its own tests.
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


@pytest.fixture
def url_values(app, demo, make_user):
    """A real object for every kind of id an organiser URL can carry.

    A new URL parameter name needs a value here (the test says which one is missing)."""
    from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail
    from webapp.models import (EventSession, FeedbackForm, Finding, Question, QuestionOption, Registration,
                               WorkbookBuild)

    viewer_id = make_user(Role.VIEWER).id
    with app.app_context():
        session = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == demo)
                                     .order_by(EventSession.id)).first()
        registration = Registration(session=session, name="Ada Example", email="ada@example.org",
                                    status="confirmed")
        session.confirmed_count += 1
        db.session.add(registration)
        db.session.commit()
        form_id = db.session.scalar(sa.select(FeedbackForm.id).where(FeedbackForm.programme_id == demo))
        question = db.session.scalars(sa.select(Question).where(Question.form_id == form_id)
                                      .order_by(Question.id)).first()
        from webapp.db_types import utcnow
        from webapp.feedback.models import ResponseExclusion

        exclusion = ResponseExclusion(session_id=session.id, window_from=utcnow(), window_until=utcnow(),
                                      reason="A burst", count=0)
        db.session.add(exclusion)
        from webapp.staff.models import StaffUpload
        upload = StaffUpload(programme_id=demo, filename="staff.csv", file_type="csv",
                             content=b"Name,Email,Team\r\n", headers=["Name", "Email", "Team"], mapping={})
        db.session.add(upload)
        failed_email = OutboundEmail(kind=EmailKind.REMINDER, to_address="ada@example.org",
                                     status=DeliveryStatus.FAILED, registration_id=registration.id)
        db.session.add(failed_email)
        build = WorkbookBuild(programme_id=demo, data_key="0" * 64, filters={})
        db.session.add(build)
        from datetime import date

        from webapp.actions.models import Action, ActionUpdate, Quote

        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        update = ActionUpdate(action=action, written_on=date(2027, 1, 1), text="Started")
        quote = Quote(programme_id=demo, text="Approved words", published=True)
        db.session.add_all([update, quote])
        from webapp.room.models import RoomQuestion

        room_question = RoomQuestion(session_id=session.id, text="A question from the room")
        db.session.add(room_question)
        from webapp.themes.models import SuggestionRun, Theme, ThemeSuggestion

        theme = Theme(programme_id=demo, name="Workload")
        run = SuggestionRun(programme_id=demo, status="ready")
        suggestion = ThemeSuggestion(run=run, name="Caseload, workload", terms=["caseload"], answer_ids=[])
        db.session.add_all([theme, run, suggestion])
        db.session.flush()  # the ids, read below before the commit expires every object
        values = {
            "build_id": build.id,
            "upload_id": upload.id,
            "programme_id": demo,
            "session_id": session.id,
            "finding_id": db.session.scalars(sa.select(Finding.id).where(Finding.programme_id == demo)
                                             .order_by(Finding.id)).first(),
            "form_id": form_id,
            "question_id": question.id,
            "option_id": db.session.scalars(
                sa.select(QuestionOption.id).where(QuestionOption.question_id == question.id)
            ).first(),
            "registration_id": registration.id,
            "token": registration.checkin_token,
            "code": session.feedback_code,
            "user_id": viewer_id,
            "message_id": failed_email.id,
            "action_id": action.id,
            "update_id": update.id,
            "quote_id": quote.id,
            "room_question_id": room_question.id,
            "theme_id": theme.id,
            "suggestion_id": suggestion.id,
            "exclusion_id": exclusion.id,
        }
        db.session.commit()
    return values


def _url(rule: str, values: dict) -> str:
    adapter_rule = next(r for r in _APP.url_map.iter_rules() if r.rule == rule)
    missing = set(adapter_rule.arguments) - set(values)
    assert not missing, f"url_values needs a value for {missing} (route {rule})"
    with _APP.test_request_context():
        from flask import url_for

        return url_for(adapter_rule.endpoint, **{name: values[name] for name in adapter_rule.arguments})


def test_every_organiser_route_declares_its_roles():
    undeclared = [
        endpoint
        for endpoint, _rule, _method in ORGANISER_RULES
        if not hasattr(_APP.view_functions[endpoint], "allowed_roles")
    ]
    assert not undeclared, f"organiser routes without roles_required: {sorted(set(undeclared))}"


def test_there_are_organiser_routes_to_check():
    assert len(ORGANISER_RULES) >= 10


def test_the_role_table_lists_every_route():
    routes = {endpoint for endpoint, _rule, _method in ORGANISER_RULES}
    assert sorted(routes - set(EXPECTED_ROLES)) == [], "add these routes to EXPECTED_ROLES"
    assert sorted(set(EXPECTED_ROLES) - routes) == [], "these routes are gone: take them out of EXPECTED_ROLES"


def _refused_first(allowed: frozenset[Role]) -> list[Role]:
    """The roles in the order they are tried on one database: a refused request changes
    nothing, so every refusal meets the data as url_values made it; the allowed roles
    come after, weakest first (one may delete what the next then gets a 404 for: the
    role check comes before any lookup, so a 404 still means the role was let in)."""
    return sorted(ROLES, key=lambda role: (role in allowed, -ROLES.index(role)))


@pytest.mark.parametrize(("endpoint", "rule", "method"), ORGANISER_RULES)
def test_role_rules(app, make_user, url_values, endpoint, rule, method):
    """Anonymous visitors are sent to sign in; each role is let in or refused as
    EXPECTED_ROLES says. One database per route, not per role: that tripled the time of
    the suite's biggest module."""
    url = _url(rule, url_values)
    response = app.test_client().open(url, method=method)
    assert response.status_code == 302, f"anonymous {method} {rule} answered {response.status_code}"
    assert response.headers["Location"].startswith("/login?next=")
    allowed = EXPECTED_ROLES[endpoint]
    for role in _refused_first(allowed):
        client = app.test_client()
        signed_in = AuthActions(client).login(make_user(role).email)
        assert signed_in.status_code == 302, f"{role} could not sign in"
        response = client.open(url, method=method)
        if role in allowed:
            assert response.status_code not in (401, 403), f"{role} refused at {method} {rule}"
            assert response.status_code < 500, f"{method} {rule} failed for {role}"
        else:
            assert response.status_code == 403, f"{role} reached {method} {rule}"


def test_viewers_never_reach_management_pages():
    """Viewers read results; everything that changes data or shows people is closed to them."""
    for endpoint, _rule, method in ORGANISER_RULES:
        allowed = EXPECTED_ROLES[endpoint]
        if method != "GET":
            assert Role.VIEWER not in allowed or endpoint in {"auth.change_password", "auth.two_factor_setup"}, endpoint
