"""The account services' rules, called directly: each condition with a case on either side
(written after mutation testing: tools/mutation.py --module auth)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from webapp.auth import services
from webapp.auth.models import AuditEntry, Role, User
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail

NEW_PASSWORD = "a quite different passphrase"


def _audit(action: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        sa.select(AuditEntry.user_id, AuditEntry.target, AuditEntry.detail)
        .where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _emails(kind: EmailKind, status: DeliveryStatus | None = None) -> int:
    query = sa.select(sa.func.count(OutboundEmail.id)).where(OutboundEmail.kind == kind)
    if status is not None:
        query = query.where(OutboundEmail.status == status)
    return db.session.scalar(query)


def test_a_new_account_needs_a_real_address_a_known_role_and_a_good_password(app_ctx):
    with pytest.raises(services.AccountError, match="Role must be one of: admin, organiser, viewer"):
        services.create_user("a@example.org", PASSWORD, "owner")
    with pytest.raises(services.AccountError, match="correct format"):
        services.create_user("no-at-sign", PASSWORD, "viewer")
    longest = "x" * (254 - len("@example.org")) + "@example.org"
    with pytest.raises(services.AccountError, match="correct format"):
        services.create_user("y" + longest, PASSWORD, "viewer")
    with pytest.raises(services.AccountError, match="at least"):
        services.create_user("short@example.org", "short", "viewer")
    user = services.create_user(" " + longest.upper() + " ", PASSWORD, "viewer", display_name="Longest")
    assert user.email == longest and user.role == Role.VIEWER and user.check_password(PASSWORD)
    assert _audit("user.created") == [(None, f"user:{user.id}", f"{longest} as viewer")]
    with pytest.raises(services.AccountError, match=f"An account for {longest} already exists"):
        services.create_user(longest, PASSWORD, "admin")
    assert services.find_user_by_email(longest.upper()).id == user.id


def test_sign_in_checks_the_password_and_the_account(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    assert services.authenticate("nobody@example.org", PASSWORD) is None
    assert services.authenticate("ada@example.org", "wrong password") is None
    assert _audit("sign_in.failed") == [(user.id, f"user:{user.id}", "wrong password")]
    assert services.authenticate(" ADA@example.org", PASSWORD).id == user.id
    assert len(_audit("sign_in.failed")) == 1  # a good sign-in adds no failure
    user.active = False
    db.session.commit()
    assert services.authenticate("ada@example.org", PASSWORD) is None
    assert _audit("sign_in.failed")[-1] == (user.id, f"user:{user.id}", "account deactivated")
    services.signed_in(_user(user.id))
    assert _user(user.id).last_login_at is not None and _audit("sign_in") == [(user.id, f"user:{user.id}", "")]


def test_changing_the_password_ends_every_session(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    version = user.session_version
    with pytest.raises(services.AccountError):
        services.change_password(user, "ada@example.org and more")
    assert _user(user.id).session_version == version
    services.change_password(_user(user.id), NEW_PASSWORD)
    user = _user(user.id)
    assert user.check_password(NEW_PASSWORD) and user.session_version == version + 1
    assert _audit("password.changed") == [(user.id, f"user:{user.id}", "")]
    services.sign_out_everywhere(user)
    assert _user(user.id).session_version == version + 2 and len(_audit("sign_out")) == 1


def test_a_session_cookie_names_an_active_account_and_its_current_version(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    cookie = f"{user.id}:{user.session_version}"
    assert services.load_user_from_session(cookie).id == user.id
    for bad in ("", "x:1", f"{user.id}:", f"{user.id}:x", f"{user.id}:{user.session_version + 1}",
                f"{user.id + 1000}:1"):
        assert services.load_user_from_session(bad) is None, bad
    user.active = False
    db.session.commit()
    assert services.load_user_from_session(cookie) is None


# --- the second factor --------------------------------------------------------------------------


# One moment per test, given to the service too: a test that crossed a 30-second step
# between two lines saw "the next step" become the current one (it failed once).
NOW = datetime(2026, 11, 30, 9, 0, 10)


def _code(secret: str, steps_from_now: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(NOW) + steps_from_now)


def test_a_second_factor_code_is_taken_once_with_one_step_of_drift(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    secret = services.new_totp_secret()
    assert len(secret) >= 16 and services.new_totp_secret() != secret
    assert services.enable_second_factor(user, secret, "12345", NOW) is False and user.totp_secret is None
    version = user.session_version
    code = _code(secret)
    assert services.enable_second_factor(user, secret, f" {code[:3]} {code[3:]} ", NOW) is True
    user = _user(user.id)
    assert user.totp_secret == secret and user.session_version == version + 1
    assert len(_audit("mfa.enabled")) == 1
    assert services.check_second_factor(user, code, NOW) is False  # used at enrolment
    assert _audit("sign_in.failed")[-1][2] == "wrong second-factor code"
    assert services.check_second_factor(user, _code(secret, 1), NOW) is True  # the clock one step ahead
    assert services.check_second_factor(user, _code(secret, 1), NOW) is False
    assert services.check_second_factor(user, _code(secret, 2), NOW) is False  # two steps: too far
    assert services.check_second_factor(user, "abcdef", NOW) is False
    assert services.check_second_factor(user, "1234567", NOW) is False


def test_a_code_one_step_behind_is_taken_and_an_older_one_refused(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    secret = services.new_totp_secret()
    user.totp_secret = secret
    db.session.commit()
    assert services.check_second_factor(user, _code(secret, -2), NOW) is False
    assert services.check_second_factor(user, _code(secret, -1), NOW) is True
    assert user.totp_last_step == pyotp.TOTP(secret).timecode(NOW) - 1


def test_without_a_moment_the_clock_decides(app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    secret = services.new_totp_secret()
    totp = pyotp.TOTP(secret)
    assert services.enable_second_factor(user, secret, totp.at(datetime.now() - timedelta(minutes=5))) is False
    assert services.enable_second_factor(user, secret, totp.now()) is True


def test_turning_the_second_factor_off(app, app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "admin")
    secret = services.new_totp_secret()
    services.enable_second_factor(user, secret, _code(secret), NOW)
    app.config["REQUIRE_ADMIN_MFA"] = True
    assert services.needs_second_factor_enrolment(user) is False  # has one
    with pytest.raises(services.AccountError, match="Admins must keep"):
        services.disable_second_factor(user, _code(secret, 1), NOW)
    app.config["REQUIRE_ADMIN_MFA"] = False
    with pytest.raises(services.AccountError, match="That code is not right"):
        services.disable_second_factor(user, "000000" if _code(secret, 1) != "000000" else "111111", NOW)
    services.disable_second_factor(user, _code(secret, 1), NOW)
    user = _user(user.id)
    assert (user.totp_secret, user.totp_last_step) == (None, None) and len(_audit("mfa.disabled")) == 1


def test_only_admins_must_enrol_and_only_when_required(app, app_ctx):
    admin = services.create_user("admin@example.org", PASSWORD, "admin")
    organiser = services.create_user("organiser@example.org", PASSWORD, "organiser")
    app.config["REQUIRE_ADMIN_MFA"] = False
    assert services.needs_second_factor_enrolment(admin) is False
    app.config["REQUIRE_ADMIN_MFA"] = True
    assert services.needs_second_factor_enrolment(admin) is True
    assert services.needs_second_factor_enrolment(organiser) is False


def test_the_enrolment_qr_names_the_service(app, app_ctx):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    app.config["PUBLIC_BASE_URL"] = "https://briefings.example.org"
    uri = services.totp_uri(user, services.new_totp_secret())
    assert uri.startswith("otpauth://totp/") and "ada%40example.org" in uri
    assert "issuer=Staff%20briefings%20%28briefings.example.org%29" in uri


# --- accounts managed by admins -------------------------------------------------------------------


@pytest.fixture
def admin(app_ctx):
    return services.create_user("admin@example.org", PASSWORD, "admin")


def test_an_invitation_queues_its_email_and_a_setup_link_replaces_it(app, admin):
    invited = services.invite_user(" New@Example.org ", "viewer", by=admin, display_name="  New Person ")
    assert (invited.email, invited.display_name, invited.password_hash) == ("new@example.org", "New Person", None)
    assert _emails(EmailKind.ACCOUNT_INVITATION, DeliveryStatus.PENDING) == 1
    assert _audit("user.invited") == [(admin.id, f"user:{invited.id}", "new@example.org as viewer")]
    token = services.new_setup_link(invited, by=admin)
    assert _emails(EmailKind.ACCOUNT_INVITATION, DeliveryStatus.PENDING) == 0  # the emailed link is replaced
    assert _audit("user.setup_link") == [(admin.id, f"user:{invited.id}", "new@example.org")]
    assert services.user_for_setup_token(token).id == invited.id
    expires = _user(invited.id).invite_expires_at
    assert utcnow() + timedelta(hours=app.config["INVITE_HOURS"]) - expires < timedelta(minutes=1)
    with pytest.raises(services.AccountError):
        services.set_first_password(_user(invited.id), "short")
    services.set_first_password(_user(invited.id), NEW_PASSWORD)
    user = _user(invited.id)
    assert user.check_password(NEW_PASSWORD) and (user.invite_token_hash, user.invite_expires_at) == (None, None)
    assert services.user_for_setup_token(token) is None  # spent
    assert _audit("password.set") == [(user.id, f"user:{user.id}", "with a one-time link")]


def test_a_deactivated_account_gets_no_link(admin):
    user = services.invite_user("gone@example.org", "viewer", by=admin)
    token = services.new_setup_link(user, by=admin)
    services.deactivate_user(user, by=admin)
    assert services.user_for_setup_token(token) is None
    with pytest.raises(services.AccountError, match="Reactivate"):
        services.new_setup_link(_user(user.id), by=admin)


def test_a_password_reset_is_queued_at_most_once_a_quarter_hour(admin):
    noon = datetime(2027, 3, 1, 12, 0)
    services.request_password_reset("nobody@example.org", now=noon)
    assert _emails(EmailKind.PASSWORD_RESET) == 0
    services.request_password_reset("ADMIN@example.org", now=noon)
    services.request_password_reset("admin@example.org", now=noon + timedelta(minutes=14))
    assert _emails(EmailKind.PASSWORD_RESET) == 1
    services.request_password_reset("admin@example.org", now=noon + timedelta(minutes=15))
    assert _emails(EmailKind.PASSWORD_RESET) == 2
    assert len(_audit("password.reset_requested")) == 3  # every request is logged, one email is sent
    admin.active = False
    db.session.commit()
    services.request_password_reset("admin@example.org", now=noon + timedelta(minutes=45))
    assert _emails(EmailKind.PASSWORD_RESET) == 2


def test_deactivating_and_reactivating(admin):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    with pytest.raises(services.AccountError, match="your own account"):
        services.deactivate_user(admin, by=admin)
    version = user.session_version
    services.new_link_token(user, 1)
    services.deactivate_user(user, by=admin)
    user = _user(user.id)
    assert not user.active and user.session_version == version + 1 and user.invite_token_hash is None
    assert user.invite_expires_at is None
    services.deactivate_user(user, by=admin)  # already: nothing more
    assert _audit("user.deactivated") == [(admin.id, f"user:{user.id}", "ada@example.org")]
    services.reactivate_user(user, by=admin)
    services.reactivate_user(_user(user.id), by=admin)
    assert _user(user.id).active and len(_audit("user.reactivated")) == 1


def test_changing_a_role(admin):
    user = services.create_user("ada@example.org", PASSWORD, "organiser")
    with pytest.raises(services.AccountError, match="Role must be one of"):
        services.change_role(user, "owner", by=admin)
    with pytest.raises(services.AccountError, match="your own role"):
        services.change_role(admin, "viewer", by=admin)
    services.change_role(admin, "admin", by=admin)  # the same role: nothing to do
    services.change_role(user, "organiser", by=admin)
    assert _audit("user.role_changed") == []
    services.change_role(user, Role.VIEWER, by=admin)
    assert _user(user.id).role == Role.VIEWER
    assert _audit("user.role_changed") == [(admin.id, f"user:{user.id}", "ada@example.org: organiser to viewer")]


def test_the_audit_log_pages_newest_first(admin):
    for _ in range(3):
        services.sign_out_everywhere(admin)
    first = services.audit_page(1, per_page=2)
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    assert first.total == total == 4 and [e.action for e in first.items] == ["sign_out", "sign_out"]
    last = services.audit_page(2, per_page=2)
    assert [e.action for e in last.items] == ["sign_out", "user.created"]
    assert last.items[-1].user is None and first.items[0].user.id == admin.id


@pytest.mark.parametrize("target, expected", [
    (None, None), ("", None), ("/organiser", "/organiser"), (" /organiser?x=1 ", "/organiser?x=1"),
    ("https://evil.example/", None), ("//evil.example", None), ("/\\evil.example", None), ("organiser", None),
    ("/x\nLocation: y", None), ("/x\x7f", "/x\x7f"), ("/a:b", "/a:b"),
])
def test_only_a_path_on_this_site_is_a_next_url(target, expected):
    assert services.safe_next_url(target) == expected
