"""Invitations and password resets are emailed (a real worker, a real SMTP server on
loopback); their one-time links work once, expire, and are never stored in plain text."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, post_form
from webapp.auth import services
from webapp.auth.models import AuditEntry, Role, User
from webapp.db_types import utcnow
from webapp.extensions import db

NEW_PASSWORD = "a brand new passphrase here"


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "PUBLIC_BASE_URL": "https://briefings.example.org", "LOGIN_RATE_LIMIT": "3 per minute"}


def _link(message) -> str:
    match = re.search(r"https://briefings\.example\.org(/account/setup/[A-Za-z0-9_-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def _user(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def _set_password(client, path):
    return post_form(client, path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})


def test_invitation_is_emailed_and_its_link_works_once(app, client, login_as, smtp_server, run_jobs):
    login_as(Role.ADMIN)
    response = post_form(client, "/organiser/users/invite", {"email": "new@example.org", "role": "viewer"},
                         token_url="/organiser/users/invite")
    assert "We will email new@example.org a link" in response.get_data(as_text=True)
    assert smtp_server.messages == [] and _user(app, "new@example.org").invite_token_hash is None
    assert run_jobs() == 1
    [message] = smtp_server.to("new@example.org")
    path = _link(message)
    token = path.rsplit("/", 1)[1]
    user = _user(app, "new@example.org")
    assert user.invite_token_hash == hashlib.sha256(token.encode()).hexdigest()  # the hash, not the token
    assert timedelta(hours=71) < user.invite_expires_at - utcnow() <= timedelta(hours=72)

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _set_password(client, path).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get(path).status_code == 404  # spent
    assert _set_password(client, path).status_code == 404


def test_a_copied_link_replaces_the_emailed_one(app, client, login_as, smtp_server, run_jobs):
    login_as(Role.ADMIN)
    post_form(client, "/organiser/users/invite", {"email": "copy@example.org", "role": "organiser"},
              token_url="/organiser/users/invite")
    user_id = _user(app, "copy@example.org").id
    page = post_form(client, f"/organiser/users/{user_id}/setup-link", token_url="/organiser/users")
    copied = re.search(r'value="https://briefings\.example\.org(/account/setup/[^"]+)"', page.get_data(as_text=True))
    run_jobs()
    assert smtp_server.messages == []  # the waiting email was cancelled, so the copied link still works
    assert client.get(copied.group(1)).status_code == 200


def _forgot(client, email):
    return post_form(client, "/login/forgot", {"email": email}, token_url="/login/forgot")


def _without_token(html: str) -> str:
    return re.sub(r'value="[^"]+"', "", html)


def test_reset_link_for_a_real_account_and_the_same_answer_for_anyone(app, client, make_user, smtp_server,
                                                                     run_jobs):
    assert 'href="/login/forgot"' in client.get("/login").get_data(as_text=True)
    real = make_user(Role.ORGANISER, email="real@example.org")
    gone = make_user(Role.ORGANISER, email="gone@example.org")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    answers = [_forgot(client, email) for email in ("real@example.org", "nobody@example.org", "gone@example.org")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({_without_token(a.get_data(as_text=True)) for a in answers}) == 1
    assert "If there is an account for that address, we will email a link" in answers[0].get_data(as_text=True)

    assert run_jobs() == 1
    assert [m["To"] for m in smtp_server.messages] == ["real@example.org"]
    path = _link(smtp_server.messages[0])
    user = _user(app, "real@example.org")
    assert timedelta(minutes=59) < user.invite_expires_at - utcnow() <= timedelta(hours=1)
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "password.reset_requested")).all()
        assert [e.user_id for e in entries] == [real.id]

    assert _set_password(client, path).status_code == 302
    with app.app_context():
        assert _user(app, "real@example.org").check_password(NEW_PASSWORD)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _set_password(client, path).status_code == 404  # used twice: refused


def test_an_expired_reset_link_is_refused(app, client, make_user, smtp_server, run_jobs):
    make_user(Role.VIEWER, email="late@example.org")
    _forgot(client, "late@example.org")
    run_jobs()
    path = _link(smtp_server.messages[0])
    assert client.get(path).status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "late@example.org"))
        user.invite_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = _set_password(client, path)
    assert response.status_code == 404 and "has expired or has already been used" in response.get_data(as_text=True)


def test_a_failed_send_leaves_no_working_link(app, client, make_user, smtp_server, run_jobs):
    async def refuse(server, session, envelope):
        return "550 No"

    smtp_server.handle_DATA = refuse
    make_user(Role.VIEWER, email="unlucky@example.org")
    _forgot(client, "unlucky@example.org")
    run_jobs()
    assert _user(app, "unlucky@example.org").invite_token_hash is None


def test_reset_requests_are_rate_limited_and_deduplicated(app, client, make_user, smtp_server, run_jobs):
    make_user(Role.VIEWER, email="flooded@example.org")
    assert [_forgot(client, "flooded@example.org").status_code for _ in range(4)] == [200, 200, 200, 429]
    run_jobs()
    assert len(smtp_server.messages) == 1  # one email a quarter of an hour, however often it is asked


def test_request_password_reset_directly(app, make_user):
    make_user(Role.VIEWER, email="direct@example.org")
    with app.app_context():
        services.request_password_reset("  DIRECT@example.org ")
        services.request_password_reset("nobody@example.org")
        from webapp.jobs.models import EmailKind, OutboundEmail
        rows = db.session.scalars(sa.select(OutboundEmail)).all()
        assert [(r.kind, r.to_address) for r in rows] == [(EmailKind.PASSWORD_RESET, "direct@example.org")]
