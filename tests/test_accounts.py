"""Organiser accounts managed by admins, the one-time link to set a password, idle
sessions, and the audit log."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, post_form
from webapp.auth import services
from webapp.auth.models import AuditEntry, Role, User
from webapp.db_types import utcnow
from webapp.extensions import db

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _actions(app) -> list[tuple[str | None, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, AuditEntry.action, AuditEntry.detail)
            .outerjoin(User, AuditEntry.user_id == User.id)
            .order_by(AuditEntry.id)
        ).all()
        return [tuple(row) for row in rows]


def _invite(client, email="new.person@example.org", role="organiser", name="New Person"):
    return post_form(client, "/organiser/users/invite",
                     {"email": email, "display_name": name, "role": role},
                     token_url="/organiser/users/invite")


def _link_path(response) -> str:
    match = re.search(r'value="http://localhost(/account/setup/[A-Za-z0-9_-]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


# --- invitations and the one-time link -------------------------------------------------------

def test_admin_invites_and_the_person_sets_a_first_password(app, client, login_as, auth):
    admin = login_as(Role.ADMIN)
    response = _invite(client)
    assert response.status_code == 200
    assert "We will email New Person a link" in response.get_data(as_text=True)
    with app.app_context():
        invited_id = services.find_user_by_email("new.person@example.org").id
    # The admin may also copy a link to send it themselves.
    response = post_form(client, f"/organiser/users/{invited_id}/setup-link", token_url="/organiser/users")
    assert response.headers["Cache-Control"] == "no-store"
    path = _link_path(response)
    token = path.rsplit("/", 1)[1]

    with app.app_context():
        invited = services.find_user_by_email("new.person@example.org")
        assert invited.role == "organiser" and invited.display_name == "New Person"
        assert invited.password_hash is None
        # Stored hashed, never as given.
        assert invited.invite_token_hash and token not in invited.invite_token_hash
        assert timedelta(hours=71) < invited.invite_expires_at - utcnow() <= timedelta(hours=72)
        invited_id = invited.id

    # No password yet: nothing can sign in to it.
    auth.logout()
    assert auth.login("new.person@example.org", "").status_code == 200

    page = client.get(path)
    assert page.status_code == 200
    assert "new.person@example.org" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    mismatch = post_form(client, path, {"new_password": NEW_PASSWORD, "confirm_password": "something else"},
                         token_url=path)
    assert mismatch.status_code == 200
    assert "The two passwords do not match" in mismatch.get_data(as_text=True)

    done = post_form(client, path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
                     token_url=path)
    assert done.status_code == 302 and done.headers["Location"] == "/organiser/programmes"
    assert client.get("/organiser/programmes").status_code == 200  # signed in as the new person

    # The link is spent.
    assert client.get(path).status_code == 404
    auth.logout()
    assert auth.login("new.person@example.org", NEW_PASSWORD).status_code == 302

    actions = _actions(app)
    assert (admin.email, "user.invited", "new.person@example.org as organiser") in actions
    assert ("new.person@example.org", "password.set", "with a one-time link") in actions
    assert _user(app, invited_id).invite_token_hash is None


def test_setup_link_expires_after_72_hours(app, client, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        by = db.session.get(User, admin.id)
        user = services.invite_user("late@example.org", "viewer", by=by)
        token = services.new_setup_link(user, by=by)
        assert services.user_for_setup_token(token) is not None
        later = utcnow() + timedelta(hours=72, seconds=1)
        assert services.user_for_setup_token(token, now=later) is None
        assert services.user_for_setup_token(token, now=utcnow() + timedelta(hours=71)) is not None
        user.invite_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(f"/account/setup/{token}")
    assert response.status_code == 404
    assert "has expired or has already been used" in response.get_data(as_text=True)


def test_guessed_and_old_setup_links_do_not_work(app, client, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        by = db.session.get(User, admin.id)
        user = services.invite_user("twice@example.org", "organiser", by=by)
        first = services.new_setup_link(user, by=by)
        second = services.new_setup_link(user, by=by)
    assert client.get(f"/account/setup/{first}").status_code == 404  # replaced by the second
    assert client.get(f"/account/setup/{first[:-1]}x").status_code == 404
    assert client.get("/account/setup/" + "A" * 43).status_code == 404
    assert client.get(f"/account/setup/{second}").status_code == 200


def test_invite_form_errors_keep_what_was_typed(client, login_as, make_user):
    login_as(Role.ADMIN)
    taken = make_user(Role.VIEWER)
    response = _invite(client, email="not-an-email", name="Typed Name")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Invite a user" in html
    assert "Enter an email address in the correct format" in html
    assert 'value="Typed Name"' in html

    response = _invite(client, email=taken.email.upper())
    assert f"An account for {taken.email} already exists" in response.get_data(as_text=True)


def test_password_link_for_an_existing_account_keeps_the_old_password_until_used(app, client, login_as, make_user, auth):
    login_as(Role.ADMIN)
    forgetful = make_user(Role.ORGANISER)
    response = post_form(client, f"/organiser/users/{forgetful.id}/setup-link",
                         token_url=f"/organiser/users/{forgetful.id}")
    assert response.status_code == 200
    path = _link_path(response)
    auth.logout()
    assert auth.login(forgetful.email, PASSWORD).status_code == 302
    other_device = app.test_client()
    post_form(other_device, path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, token_url=path)
    # Setting the password signed the account out everywhere else.
    assert client.get("/organiser/programmes").status_code == 302
    assert auth.login(forgetful.email, PASSWORD).status_code == 200
    assert auth.login(forgetful.email, NEW_PASSWORD).status_code == 302


# --- deactivate, reactivate, change role -------------------------------------------------------

def test_deactivating_ends_the_accounts_sessions_at_once(app, client, login_as, make_user, auth):
    organiser = make_user(Role.ORGANISER)
    their_browser = app.test_client()
    post_form(their_browser, "/login", {"email": organiser.email, "password": PASSWORD})
    assert their_browser.get("/organiser/programmes").status_code == 200

    admin = login_as(Role.ADMIN)
    # the account page links to a question; answering it is what deactivates
    account_page = client.get(f"/organiser/users/{organiser.id}").get_data(as_text=True)
    assert f'href="/organiser/users/{organiser.id}/deactivate"' in account_page
    assert f'action="/organiser/users/{organiser.id}/deactivate"' not in account_page
    question = client.get(f"/organiser/users/{organiser.id}/deactivate").get_data(as_text=True)
    assert f"Are you sure you want to deactivate {organiser.email}?" in question
    assert "Yes, deactivate the account" in question and _user(app, organiser.id).active
    response = post_form(client, f"/organiser/users/{organiser.id}/deactivate",
                         token_url=f"/organiser/users/{organiser.id}/deactivate")
    assert response.status_code == 302
    assert their_browser.get("/organiser/programmes").status_code == 302  # signed out
    assert not _user(app, organiser.id).active
    assert "Deactivated" in client.get("/organiser/users").get_data(as_text=True)

    refused = post_form(their_browser, "/login", {"email": organiser.email, "password": PASSWORD})
    assert refused.status_code == 200

    post_form(client, f"/organiser/users/{organiser.id}/reactivate", token_url=f"/organiser/users/{organiser.id}")
    assert _user(app, organiser.id).active
    again = post_form(their_browser, "/login", {"email": organiser.email, "password": PASSWORD})
    assert again.status_code == 302

    actions = _actions(app)
    assert (admin.email, "user.deactivated", organiser.email) in actions
    assert (admin.email, "user.reactivated", organiser.email) in actions
    assert (organiser.email, "sign_in.failed", "account deactivated") in actions


def test_account_list_links_are_not_mistaken_for_email_links(client, login_as, make_user):
    login_as(Role.ADMIN)
    other = make_user(Role.VIEWER)
    page = client.get("/organiser/users").get_data(as_text=True)
    assert f">{other.email}</a>" not in page and "mailto:" not in page
    assert f'href="/organiser/users/{other.id}">Manage<span class="govuk-visually-hidden"> the account of ' \
           f'{other.email}</span></a>' in page


def test_change_password_is_linked_from_the_header(client, login_as):
    assert "Change password" not in client.get("/").get_data(as_text=True)
    login_as(Role.VIEWER)
    page = client.get("/organiser/programmes").get_data(as_text=True)
    assert '<a href="/organiser/account/password" class="govuk-link govuk-link--inverse' in page
    assert client.get("/organiser/account/password").status_code == 200


def test_change_role(app, client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    viewer = make_user(Role.VIEWER)
    response = post_form(client, f"/organiser/users/{viewer.id}/role", {"role": "organiser"},
                         token_url=f"/organiser/users/{viewer.id}")
    assert response.status_code == 302
    assert _user(app, viewer.id).role == "organiser"
    assert (admin.email, "user.role_changed", f"{viewer.email}: viewer to organiser") in _actions(app)

    bad = post_form(client, f"/organiser/users/{viewer.id}/role", {"role": "superuser"},
                    token_url=f"/organiser/users/{viewer.id}")
    assert bad.status_code == 400
    assert _user(app, viewer.id).role == "organiser"


def test_an_admin_cannot_deactivate_or_demote_themselves(app, client, login_as):
    admin = login_as(Role.ADMIN)
    post_form(client, f"/organiser/users/{admin.id}/deactivate", token_url="/organiser/users")
    post_form(client, f"/organiser/users/{admin.id}/role", {"role": "viewer"}, token_url="/organiser/users")
    me = _user(app, admin.id)
    assert me.active and me.role == "admin"
    assert client.get("/organiser/users").status_code == 200  # still signed in, still admin

    with app.app_context():
        me = db.session.get(User, admin.id)
        with pytest.raises(services.AccountError, match="cannot deactivate your own account"):
            services.deactivate_user(me, by=me)
        with pytest.raises(services.AccountError, match="cannot change your own role"):
            services.change_role(me, "organiser", by=me)
    page = client.get(f"/organiser/users/{admin.id}").get_data(as_text=True)
    assert "Deactivate account" not in page and "This is your own account" in page


def test_unknown_account_is_404(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/organiser/users/99999").status_code == 404
    assert post_form(client, "/organiser/users/99999/deactivate", token_url="/organiser/users").status_code == 404


# --- idle sessions ---------------------------------------------------------------------------

def test_session_expires_after_the_idle_period(app, client, login_as):
    login_as(Role.ORGANISER)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    assert idle == 60 * 60

    with client.session_transaction() as session:
        session["last_active"] = int(time.time()) - idle + 120  # 58 minutes ago
    assert client.get("/organiser/programmes").status_code == 200
    with client.session_transaction() as session:
        assert session["last_active"] >= int(time.time()) - 5  # activity moved the clock on

    with client.session_transaction() as session:
        session["last_active"] = int(time.time()) - idle - 1
    response = client.get("/organiser/programmes?sort=title")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/organiser/programmes?sort%3Dtitle"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out because you had not used the service for 60 minutes" in login_page
    assert client.get("/organiser/programmes").status_code == 302  # really signed out


def test_idle_timeout_is_configurable_and_public_pages_still_show(app, client, login_as):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login_as(Role.ADMIN)
    with client.session_transaction() as session:
        session["last_active"] = int(time.time()) - 6 * 60
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "not used the service for 5 minutes" in response.get_data(as_text=True)
    assert client.get("/organiser/programmes").status_code == 302


def test_a_session_without_an_activity_time_is_not_trusted(client, login_as):
    login_as(Role.ORGANISER)
    with client.session_transaction() as session:
        del session["last_active"]
    assert client.get("/organiser/programmes").status_code == 302


# --- the audit log ---------------------------------------------------------------------------

def test_sign_ins_are_audited(app, auth, make_user):
    user = make_user(Role.VIEWER)
    auth.login(user.email, "wrong password")
    auth.login("nobody@example.org", "wrong password")
    auth.login(user.email)
    auth.logout()
    actions = [(email, action) for email, action, _ in _actions(app)]
    assert actions == [(user.email, "sign_in.failed"), (user.email, "sign_in"), (user.email, "sign_out")]


def test_audit_log_page_is_paginated_newest_first(app, client, login_as):
    login_as(Role.ADMIN)
    with app.app_context():
        for number in range(120):
            services.record(None, "retention.purged", "", f"entry number {number}")
        db.session.commit()
    first = client.get("/organiser/audit").get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert "entry number 119" in first and "entry number 70<" in first and "entry number 69<" not in first
    assert "Deleted old booking details" in first and "the system" in first
    third = client.get("/organiser/audit?page=3").get_data(as_text=True)
    assert "entry number 0<" in third and "Signed in" in third
    assert "Page 3 of 3" in third
    # Out-of-range and nonsense pages land on a real page rather than failing.
    assert "Page 3 of 3" in client.get("/organiser/audit?page=99").get_data(as_text=True)
    assert "Page 1 of 3" in client.get("/organiser/audit?page=abc").get_data(as_text=True)


def test_audit_log_is_for_admins_only(client, login_as):
    login_as(Role.ORGANISER)
    assert client.get("/organiser/audit").status_code == 403
    assert client.get("/organiser/users/invite").status_code == 403
