"""Sign in, sign out, revocation, the login rate limit, safe `next`, CSRF."""
import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token, post_form
from webapp.auth import services
from webapp.auth.models import Role, User
from webapp.extensions import db


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_login_and_logout(client, auth, make_user):
    user = make_user(Role.ORGANISER)
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/programmes"
    assert client.get("/organiser/programmes").status_code == 200

    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/organiser/programmes").status_code == 302


def test_email_is_case_insensitive(client, auth, make_user):
    make_user(Role.ORGANISER, email="ada@example.org")
    assert auth.login("  ADA@Example.org ").status_code == 302


@pytest.mark.parametrize("email_kind", ["known", "unknown"])
def test_bad_password_gets_one_vague_message(client, auth, make_user, email_kind):
    user = make_user(Role.ORGANISER)
    email = user.email if email_kind == "known" else "nobody@example.org"
    response = auth.login(email, "wrong password")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter a correct email address and password" in body
    assert "There is a problem" in body
    assert email in body  # what was typed is kept
    assert "wrong password" not in body  # but never the password
    assert client.get("/organiser/programmes").status_code == 302


def test_missing_fields_say_what_to_do(client):
    response = post_form(client, "/login", {"email": "", "password": ""})
    body = response.get_data(as_text=True)
    assert "Enter your email address" in body and "Enter your password" in body
    assert "<title>Error: Sign in" in body


def test_deactivated_account_cannot_sign_in(app, client, auth, make_user):
    user = make_user(Role.ORGANISER)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert auth.login(user.email).status_code == 200


def test_a_cookie_copied_before_logout_no_longer_works(app, client, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/organiser/programmes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_sessions_on_every_device(app, make_user):
    user = make_user(Role.ORGANISER)
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert post_form(device, "/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    post_form(laptop, "/logout", token_url="/organiser/programmes")
    assert phone.get("/organiser/programmes").status_code == 302


def test_deactivating_ends_sessions(app, client, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    with app.app_context():
        account = db.session.get(User, user.id)
        account.active = False
        account.end_all_sessions()
        db.session.commit()
    assert client.get("/organiser/programmes").status_code == 302


def test_changing_password_keeps_this_device_and_ends_the_others(app, client, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    other = app.test_client()
    post_form(other, "/login", {"email": user.email, "password": PASSWORD})
    response = post_form(client, "/organiser/account/password", {
        "current_password": PASSWORD, "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"}, token_url="/organiser/account/password")
    assert response.status_code == 302
    assert client.get("/organiser/programmes").status_code == 200
    assert other.get("/organiser/programmes").status_code == 302
    with app.app_context():
        assert services.authenticate(user.email, "a brand new passphrase") is not None


def test_change_password_validation_keeps_the_page(client, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    response = post_form(client, "/organiser/account/password", {
        "current_password": "not it", "new_password": "short", "confirm_password": "different"},
        token_url="/organiser/account/password")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Password must be between 12 and 256 characters" in body
    assert "The two new passwords do not match" in body


@pytest.mark.parametrize("target", [
    "/organiser/programmes/new",
])
def test_next_redirect_to_a_local_page(client, make_user, target):
    user = make_user(Role.ORGANISER)
    token = csrf_token(client)
    response = client.post(f"/login?next={target}", data={
        "csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/%0d%0aSet-Cookie:x=1", " //evil.example",
])
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user(Role.ORGANISER)
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target}, data={
        "csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location


def test_organiser_pages_redirect_to_login_with_next(client):
    response = client.get("/organiser/programmes")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Forganiser%2Fprogrammes"


def test_post_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.ORGANISER)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"Your page timed out" in response.data
    assert client.get("/organiser/programmes").status_code == 302


def test_post_with_a_forged_csrf_token_is_refused(client, make_user):
    user = make_user(Role.ORGANISER)
    client.get("/login")
    response = client.post("/login", data={"csrf_token": "forged.token.value", "email": user.email,
                                           "password": PASSWORD})
    assert response.status_code == 400


def test_logout_needs_a_post_with_a_token(client, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/organiser/programmes").status_code == 200


class TestLoginRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_RATE_LIMIT": "3 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute"}

    def test_attempts_from_one_address_are_rate_limited(self, client, auth, make_user):
        user = make_user(Role.ORGANISER)
        for _ in range(3):
            assert auth.login(user.email, "wrong").status_code == 200
        response = auth.login(user.email)  # even the right password now waits
        assert response.status_code == 429
        assert b"Wait a minute" in response.data


def test_passwords_are_hashed_with_the_configured_method(app, make_user):
    user = make_user(Role.ORGANISER)
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0])
    assert PASSWORD not in stored


def test_production_hash_cost(app):
    """The real cost, once: scrypt N=2^17."""
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:131072:8:1"
    with app.app_context():
        user = User(email="cost@example.org", role=Role.ADMIN)
        user.set_password(PASSWORD)
        assert user.password_hash.startswith("scrypt:131072:8:1$")
        assert user.check_password(PASSWORD) and not user.check_password("nope")


def test_users_page_is_for_admins(client, login_as):
    login_as(Role.ADMIN)
    response = client.get("/organiser/users")
    assert response.status_code == 200 and b"admin-" in response.data


def test_account_service_rules(app_ctx):
    with pytest.raises(services.AccountError, match="at least 12"):
        services.create_user("a@example.org", "short", Role.ORGANISER)
    with pytest.raises(services.AccountError, match="Role must be"):
        services.create_user("a@example.org", PASSWORD, "superuser")
    services.create_user("A@Example.org", PASSWORD, Role.VIEWER)
    with pytest.raises(services.AccountError, match="already exists"):
        services.create_user("a@example.org", PASSWORD, Role.VIEWER)
    assert db.session.scalar(sa.select(User.email)) == "a@example.org"
