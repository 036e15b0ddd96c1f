"""The role matrix: every /organiser route, every role, enforced on the server.

Routes are read from the app's URL map, so a route added later without a role rule
fails `test_every_organiser_route_declares_its_roles`, and its access is checked below
without anyone having to remember to add it here."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import make_config
from webapp import create_app
from webapp.auth.models import Role
from webapp.extensions import db

ROLES = [Role.ADMIN, Role.ORGANISER, Role.VIEWER]


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

    with app.app_context():
        session = db.session.scalars(sa.select(EventSession).order_by(EventSession.id)).first()
        registration = Registration(session=session, name="Ada Example", email="ada@example.org",
                                    status="confirmed")
        session.confirmed_count += 1
        db.session.add(registration)
        db.session.commit()
        question = db.session.scalars(sa.select(Question).order_by(Question.id)).first()
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
        db.session.commit()
        values = {
            "build_id": build.id,
            "upload_id": upload.id,
            "programme_id": demo,
            "session_id": session.id,
            "finding_id": db.session.scalars(sa.select(Finding.id).order_by(Finding.id)).first(),
            "form_id": db.session.scalars(sa.select(FeedbackForm.id)).first(),
            "question_id": question.id,
            "option_id": db.session.scalars(
                sa.select(QuestionOption.id).where(QuestionOption.question_id == question.id)
            ).first(),
            "registration_id": registration.id,
            "token": registration.checkin_token,
            "code": session.feedback_code,
            "user_id": make_user(Role.VIEWER).id,
            "message_id": failed_email.id,
            "action_id": action.id,
            "update_id": update.id,
            "quote_id": quote.id,
            "room_question_id": room_question.id,
            "theme_id": theme.id,
            "suggestion_id": suggestion.id,
            "exclusion_id": exclusion.id,
        }
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


@pytest.mark.parametrize(("endpoint", "rule", "method"), ORGANISER_RULES)
def test_anonymous_is_sent_to_sign_in(client, url_values, endpoint, rule, method):
    response = client.open(_url(rule, url_values), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "rule", "method"), ORGANISER_RULES)
def test_role_rules(client, login_as, url_values, endpoint, rule, method, role):
    allowed = _APP.view_functions[endpoint].allowed_roles
    login_as(role)
    response = client.open(_url(rule, url_values), method=method)
    if role in allowed:
        assert response.status_code not in (401, 403), f"{role} refused at {method} {rule}"
        assert response.status_code < 500, f"{method} {rule} failed for {role}"
    else:
        assert response.status_code == 403, f"{role} reached {method} {rule}"


def test_viewers_never_reach_management_pages():
    """Viewers read results; everything that changes data or shows people is closed to them."""
    for endpoint, _rule, method in ORGANISER_RULES:
        allowed = _APP.view_functions[endpoint].allowed_roles
        if method != "GET":
            assert Role.VIEWER not in allowed or endpoint in {"auth.change_password", "auth.two_factor_setup"}, endpoint
