"""Single sign-on with OpenID Connect (issue 18), against a real provider on loopback
(tests/oidc/provider.js, the certified `oidc-provider` package): the whole code flow through
HTTP, every forged or unacceptable ID token refused, accounts matched by verified email, roles
from groups, refusals in the audit log, sign-out, and the settings that must stop the app."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_config, post_form
from tests.oidc_helpers import CALLBACK_PATH
from webapp import create_app
from webapp.auth.models import AuditEntry, Role, User
from webapp.extensions import db

NOT_SIGNED_IN = 302  # what /organiser/programmes answers someone who is not signed in


@pytest.fixture
def sso_settings() -> dict:
    """Override in a test (through indirect parametrisation or a local fixture) to change them."""
    return {}


@pytest.fixture
def app_config(oidc_provider, sso_settings):
    return {"OIDC_ISSUER": oidc_provider.issuer, "OIDC_CLIENT_ID": "registered-below",
            "OIDC_CLIENT_SECRET": "registered-below", "OIDC_PROVIDER_NAME": "Test provider",
            "OIDC_ROLE_GROUPS": "SMT-Admins=admin, briefing-organisers=organiser", **sso_settings}


class SignIn:
    """Signs a test client in at the provider, step by step or all at once."""

    def __init__(self, app, provider):
        self.app, self.provider = app, provider

    def start(self, client, next_url: str | None = None):
        response = client.get("/login/oidc" + (f"?next={next_url}" if next_url else ""))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def at_provider(self, start, login: str, cancel: bool = False) -> str:
        """The path and query the provider sends the person back to."""
        callback = self.provider.sign_in(start.headers["Location"], login, cancel=cancel)
        assert callback.startswith(self.app.config["PUBLIC_BASE_URL"] + CALLBACK_PATH)
        parts = urlsplit(callback)
        return f"{parts.path}?{parts.query}"

    def __call__(self, client, login: str, next_url: str | None = None, cancel: bool = False):
        return client.get(self.at_provider(self.start(client, next_url), login, cancel=cancel))


@pytest.fixture
def sso(app, oidc_provider) -> SignIn:
    """The app registered at the provider (for its own redirect URI)."""
    oidc_provider.register_client(app)
    return SignIn(app, oidc_provider)


def _audit(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(entry.action, entry.user_id, entry.detail)
                for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def _account(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user:
            db.session.expunge(user)
        return user


def _refused(response, message: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 403, body[:500]
    assert "There is a problem" in body and "<title>Error: Sign in" in body
    assert message in body, body
    return body


# --- the whole flow ------------------------------------------------------------------------------

def test_sign_in_page_offers_the_provider_and_the_password(client, sso):
    body = client.get("/login").get_data(as_text=True)
    assert 'href="/login/oidc"' in body and "Sign in with Test provider" in body
    assert "Or sign in with a password" in body and 'name="password"' in body


def test_an_organiser_signs_in_with_the_provider(app, client, sso, make_user):
    user = make_user(Role.ORGANISER, email="olu@example.org")
    start = sso.start(client, next_url="/organiser/audit")
    authorize = urlsplit(start.headers["Location"])
    params = parse_qs(authorize.query)
    # Code flow with PKCE (S256), a state and a nonce; the redirect URI from PUBLIC_BASE_URL.
    assert authorize.geturl().startswith(app.config["OIDC_ISSUER"] + "/auth?")
    assert params["response_type"] == ["code"] and params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) == 43 and len(params["state"][0]) >= 20
    assert params["nonce"] and params["scope"] == ["openid email profile"]
    assert params["redirect_uri"] == ["http://localhost/login/oidc/callback"]

    done = client.get(sso.at_provider(start, "olu@example.org"))
    assert done.status_code == 302 and done.headers["Location"] == "/organiser/audit"
    assert client.get("/organiser/programmes").status_code == 200
    assert ("sign_in", user.id, "single sign-on (Test provider)") in _audit(app)
    assert _account(app, "olu@example.org").last_login_at is not None


def test_an_unsafe_next_address_is_ignored(client, sso, make_user):
    make_user(Role.VIEWER, email="vic@example.org")
    response = sso(client, "vic@example.org", next_url="//evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/organiser/programmes"


def test_email_matching_ignores_case(client, sso, make_user):
    make_user(Role.ORGANISER, email="OLU@Example.org".lower())
    assert sso(client, "olu@example.org").status_code == 302


# --- forged and unacceptable tokens ----------------------------------------------------------------

@pytest.mark.parametrize("mode, reason", [
    ("wrong_audience", "ID token rejected: invalid_claim"),
    ("wrong_issuer", "ID token rejected: invalid_claim"),
    ("expired", "ID token rejected: expired_token"),
    ("bad_signature", "ID token rejected: bad_signature"),
    ("alg_none", "ID token rejected"),
    ("wrong_nonce", "ID token rejected: invalid_claim"),
])
def test_a_forged_id_token_is_refused(app, client, sso, oidc_provider, make_user, mode, reason):
    make_user(Role.ADMIN, email="ada@example.org")
    oidc_provider.tamper(mode)
    _refused(sso(client, "ada@example.org"), "did not work. Try again.")
    assert client.get("/organiser/programmes").status_code == NOT_SIGNED_IN
    [(action, user_id, detail)] = [entry for entry in _audit(app) if entry[0].startswith("sign_in")]
    assert action == "sign_in.sso_refused" and user_id is None
    assert detail.startswith("single sign-on: " + reason), detail


def test_a_replayed_callback_is_refused(app, client, sso, make_user):
    make_user(Role.ORGANISER, email="olu@example.org")
    start = sso.start(client)
    before = client.get_cookie("session").value  # the cookie that still holds the state
    callback = sso.at_provider(start, "olu@example.org")
    assert client.get(callback).status_code == 302
    post_form(client, "/logout", token_url="/organiser/programmes")

    # The same browser: the state was spent.
    _refused(client.get(callback), "That sign-in had expired or was already used")
    # A copy of the cookie taken before: the state is there, but the code was spent.
    thief = app.test_client()
    thief.set_cookie("session", before)
    _refused(thief.get(callback), "did not work. Try again.")
    assert thief.get("/organiser/programmes").status_code == NOT_SIGNED_IN
    reasons = [detail for action, _, detail in _audit(app) if action == "sign_in.sso_refused"]
    assert reasons == ["single sign-on: unknown or reused state",
                       "single sign-on: token request refused: invalid_grant"]


def test_a_callback_nobody_started_is_refused(client, sso):
    _refused(client.get(f"{CALLBACK_PATH}?code=abc&state=xyz"), "That sign-in had expired or was already used")


def test_a_response_from_another_issuer_is_refused(app, client, sso):
    callback = sso.at_provider(sso.start(client), "olu@example.org")
    forged = callback.replace("iss=http", "iss=https")
    assert forged != callback
    _refused(client.get(forged), "did not work")
    assert _audit(app)[-1][2] == "single sign-on: the response came from another issuer"


def test_a_hostile_error_in_the_callback_is_neutralised(app, client, sso):
    body = _refused(client.get(f"{CALLBACK_PATH}?error=%00%07<script>x</script>"), "cancelled or refused")
    assert "<script>x" not in body
    assert _audit(app)[-1][2] == "single sign-on: provider said <script>x</script>"  # escaped where shown


@pytest.mark.parametrize("sso_settings", [{"LOGIN_RATE_LIMIT": "2 per minute"}])
def test_refused_callbacks_count_against_the_sign_in_limit(client, sso):
    for _ in range(2):
        assert client.get(f"{CALLBACK_PATH}?code=a&state=b").status_code == 403
    assert client.get(f"{CALLBACK_PATH}?code=a&state=b").status_code == 429


def test_cancelling_at_the_provider(app, client, sso):
    _refused(sso(client, "olu@example.org", cancel=True), "cancelled or refused at the provider")
    assert _audit(app)[-1][2] == "single sign-on: provider said access_denied"


# --- who may come in -------------------------------------------------------------------------------

def test_an_unverified_email_is_refused_even_for_a_real_account(app, client, sso, make_user):
    make_user(Role.ADMIN, email="una@example.org")
    _refused(sso(client, "una@example.org"), "Test provider has not verified the email address una@example.org")
    assert client.get("/organiser/programmes").status_code == NOT_SIGNED_IN
    assert _audit(app)[-1][:2] == ("sign_in.sso_refused", None)


def test_an_unknown_person_is_told_what_to_do(app, client, sso, make_user):
    _refused(sso(client, "vic@example.org"),
             "There is no account for vic@example.org in Staff briefings. Ask an administrator to invite you")
    assert _account(app, "vic@example.org") is None
    assert _audit(app)[-1] == ("sign_in.sso_refused", None, "single sign-on: no account for vic@example.org")
    admin = app.test_client()
    post_form(admin, "/login", {"email": make_user(Role.ADMIN).email, "password": PASSWORD})
    audit_page = admin.get("/organiser/audit").get_data(as_text=True)
    assert "Single sign-on refused" in audit_page and "no account for vic@example.org" in audit_page


def test_a_deactivated_account_is_refused_although_the_provider_said_yes(app, client, sso, make_user):
    user = make_user(Role.ORGANISER, email="olu@example.org")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    _refused(sso(client, "olu@example.org"), "Your account has been deactivated")
    assert client.get("/organiser/programmes").status_code == NOT_SIGNED_IN
    assert _audit(app)[-1] == ("sign_in.failed", user.id, "single sign-on: account deactivated")


@pytest.mark.parametrize("sso_settings", [{"OIDC_ALLOWED_DOMAINS": ["example.org"], "OIDC_AUTO_CREATE": True}])
def test_only_allowed_domains(app, client, sso, make_user):
    make_user(Role.ORGANISER, email="ext@elsewhere.example")
    _refused(sso(client, "ext@elsewhere.example"), "ext@elsewhere.example is not an address this service accepts")
    assert sso(app.test_client(), "vic@example.org").status_code == 302


@pytest.mark.parametrize("sso_settings", [{"OIDC_AUTO_CREATE": True}])
@pytest.mark.parametrize("login, role", [
    ("ada@example.org", Role.ADMIN),  # in smt-admins (the mapping's case does not matter)
    ("olu@example.org", Role.ORGANISER),  # in briefing-organisers
    ("vic@example.org", Role.VIEWER),  # in no mapped group
])
def test_auto_created_accounts_take_their_role_from_groups(app, client, sso, login, role):
    assert sso(client, login).status_code == 302
    account = _account(app, login)
    assert account.role == role and account.password_hash is None and account.active
    assert [entry[0] for entry in _audit(app)] == ["user.created", "sign_in"]
    assert _audit(app)[0][2] == f"{login} as {role}, at first single sign-on"
    # Afterwards the role is the admins' to change, like any account's.
    assert client.get("/organiser/users").status_code == (200 if role == Role.ADMIN else 403)


@pytest.mark.parametrize("sso_settings", [{"OIDC_AUTO_CREATE": True, "OIDC_ROLE_GROUPS": ""}])
def test_without_a_mapping_new_accounts_are_viewers(app, client, sso):
    assert sso(client, "ada@example.org").status_code == 302
    assert _account(app, "ada@example.org").role == Role.VIEWER


@pytest.mark.parametrize("sso_settings", [{"OIDC_AUTO_CREATE": True}])
def test_hostile_claims_are_refused_or_neutralised(app, client, sso, make_user):
    _refused(sso(client, "bademail@example.org"), "gave an email address that is not valid")
    assert _audit(app)[-1][2] == "single sign-on: email not valid"

    assert sso(client, "hostile@example.org").status_code == 302
    account = _account(app, "hostile@example.org")
    assert account.display_name == "<script>alert(1)</script>=1+1"  # no control character
    assert account.role == Role.VIEWER  # a formula or a number is not a group

    admin = app.test_client()
    post_form(admin, "/login", {"email": make_user(Role.ADMIN).email, "password": PASSWORD})
    page = admin.get("/organiser/users").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


@pytest.mark.parametrize("sso_settings", [{"OIDC_EMAIL_CLAIM": "email"}])
def test_an_account_without_an_email_claim_is_refused(client, sso):
    _refused(sso(client, "nomail@example.org"), "did not tell us your email address")


@pytest.mark.parametrize("verified, accepted", [
    (True, True), ("true", True), ("1", True),
    (False, False), ("false", False), (None, False), (1.5, False), ("yes please", False),
])
def test_which_verified_values_count(app, make_user, verified, accepted):
    """Entra ID sends no email_verified: there the claim is xms_edov (README)."""
    from webapp.auth import oidc

    make_user(Role.VIEWER, email="vic@example.org")
    app.config["OIDC_EMAIL_VERIFIED_CLAIM"] = "xms_edov"
    claims = {"email": "vic@example.org", "email_verified": True, "xms_edov": verified}
    with app.test_request_context():
        if accepted:
            assert oidc.sign_in_with_claims(claims).email == "vic@example.org"
        else:
            with pytest.raises(oidc.SignInRefused, match="has not verified"):
                oidc.sign_in_with_claims(claims)


# --- signing out -----------------------------------------------------------------------------------

def test_signing_out_ends_the_session_and_offers_the_providers_sign_out(app, client, sso, make_user):
    make_user(Role.ORGANISER, email="olu@example.org")
    sso(client, "olu@example.org")
    response = post_form(client, "/logout", token_url="/organiser/programmes")
    assert response.status_code == 302 and response.headers["Location"] == "/signed-out"
    assert client.get("/organiser/programmes").status_code == NOT_SIGNED_IN
    body = client.get("/signed-out").get_data(as_text=True)
    assert "You have signed out of Staff briefings" in body and "Sign out of Test provider" in body
    [link] = re.findall(r'href="(http://127\.0\.0\.1:\d+/session/end[^"]*)"', body)
    query = parse_qs(urlsplit(html.unescape(link)).query)
    assert query["client_id"] == [app.config["OIDC_CLIENT_ID"]]
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]


def test_a_password_sign_in_does_not_offer_the_providers_sign_out(client, sso, auth, make_user):
    user = make_user(Role.ORGANISER)
    auth.login(user.email)
    assert auth.logout().headers["Location"] == "/login"


# --- settings --------------------------------------------------------------------------------------

# CSRF off: the view itself must refuse the password, not just the missing token.
@pytest.mark.parametrize("sso_settings", [{"PASSWORD_LOGIN": False, "WTF_CSRF_ENABLED": False}])
def test_password_sign_in_can_be_turned_off(app, client, sso, make_user):
    user = make_user(Role.ADMIN)
    body = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test provider" in body and 'name="password"' not in body
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/organiser/programmes").status_code == NOT_SIGNED_IN


def test_a_provider_that_is_down_is_said_plainly(app, client):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = client.get("/login/oidc")
    assert response.status_code == 503
    assert "Signing in with Test provider is not working at the moment" in response.get_data(as_text=True)


def test_discovery_must_name_the_configured_issuer(app, client, sso, oidc_provider):
    # The same provider reached by another name: its discovery document names 127.0.0.1.
    app.config["OIDC_ISSUER"] = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    assert client.get("/login/oidc").status_code == 503


@pytest.mark.parametrize("settings, message", [
    ({"PASSWORD_LOGIN": False}, "PASSWORD_LOGIN=0 needs single sign-on"),
    ({"OIDC_ISSUER": "https://login.example.org"}, "set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too"),
    ({"OIDC_ISSUER": "https://login.example.org", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b",
      "OIDC_ROLE_GROUPS": "smt=boss"}, "OIDC_ROLE_GROUPS: 'smt=boss' must be GROUP=ROLE"),
])
def test_settings_that_cannot_work_stop_the_app(settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(make_config("sqlite://", **settings))


def test_production_needs_an_https_issuer(tmp_path):
    from config import ProductionConfig

    config = type("Production", (ProductionConfig,), {
        "SECRET_KEY": "x" * 40, "ALLOW_SQLITE_IN_PRODUCTION": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite'}",
        "OIDC_ISSUER": "http://login.example.org", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b"})
    with pytest.raises(RuntimeError, match="OIDC_ISSUER must be an https:// address in production"):
        create_app(config)
