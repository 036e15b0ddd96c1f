"""Accounts: creating, authenticating, ending sessions, and the audit log."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from webapp.audit import AuditAction, record
from webapp.auth import passwords
from webapp.auth.models import AuditEntry, Role, User
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.jobs.outbox import cancel_pending, queue_email
from webapp.pagination import Page, paginate
from webapp.text import normalise_email


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""




def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def password_problem(password: str, email: str | None = None) -> str | None:
    return passwords.problem(password, email)


def _new_account_email(email: str, role: str) -> str:
    """The normalised email for a new account; AccountError if it or the role won't do."""
    email = normalise_email(email)
    _check_role(role)
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address in the correct format, like name@example.org")
    if find_user_by_email(email):
        raise AccountError(f"An account for {email} already exists")
    return email


def create_user(email: str, password: str, role: str, display_name: str = "") -> User:
    email = _new_account_email(email, role)
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    user = User(email=email, role=role, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(None, AuditAction.USER_CREATED, f"user:{user.id}", f"{email} as {role}")
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None.
    Sign-ins and failed attempts on real accounts go in the audit log."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check, so response times don't reveal who has an account.
        passwords.verify(None, password)
        return None
    if not user.check_password(password):
        record(user, AuditAction.SIGN_IN_FAILED, f"user:{user.id}", "wrong password")
        db.session.commit()
        return None
    if not user.active:
        record(user, AuditAction.SIGN_IN_FAILED, f"user:{user.id}", "account deactivated")
        db.session.commit()
        return None
    return user


def signed_in(user: User) -> None:
    """Record a sign-in (after the second factor, when the account has one)."""
    user.last_login_at = utcnow()
    record(user, AuditAction.SIGN_IN, f"user:{user.id}")
    db.session.commit()


def change_password(user: User, new_password: str) -> None:
    problem = password_problem(new_password, user.email)
    if problem:
        raise AccountError(problem)
    user.set_password(new_password)
    user.end_all_sessions()
    record(user, AuditAction.PASSWORD_CHANGED, f"user:{user.id}")
    db.session.commit()


def sign_out_everywhere(user: User) -> None:
    """Signing out ends this account's sessions on every device, not just this cookie."""
    user.end_all_sessions()
    record(user, AuditAction.SIGN_OUT, f"user:{user.id}")
    db.session.commit()


# --- second factor (TOTP) ---------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """What the enrolment QR code holds, for any authenticator app."""
    issuer = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "Staff briefings"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"Staff briefings ({issuer})")


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step (30 s) `code` belongs to, allowing one step of clock drift either way."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or datetime.now())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_second_factor(user: User, code: str, now: datetime | None = None) -> bool:
    """True once per code: a code already used (seen over a shoulder) is refused."""
    step = _matching_step(user.totp_secret or "", code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        record(user, AuditAction.SIGN_IN_FAILED, f"user:{user.id}", "wrong second-factor code")
        db.session.commit()
        return False
    user.totp_last_step = step
    return True


def enable_second_factor(user: User, secret: str, code: str, now: datetime | None = None) -> bool:
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    user.end_all_sessions()  # other devices sign in again, with the code
    record(user, AuditAction.MFA_ENABLED, f"user:{user.id}")
    db.session.commit()
    return True


def disable_second_factor(user: User, code: str, now: datetime | None = None) -> None:
    if current_app.config["REQUIRE_ADMIN_MFA"] and user.role == Role.ADMIN:
        raise AccountError("Admins must keep a second factor on this service")
    if not check_second_factor(user, code, now):
        raise AccountError("That code is not right. Enter the 6 digits your app shows now")
    user.totp_secret = user.totp_last_step = None
    record(user, AuditAction.MFA_DISABLED, f"user:{user.id}")
    db.session.commit()


def needs_second_factor_enrolment(user: User) -> bool:
    return bool(current_app.config["REQUIRE_ADMIN_MFA"]) and user.role == Role.ADMIN and not user.totp_secret


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's cookie holds "id:version"; an old version means a revoked session."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


# --- accounts managed by admins ----------------------------------------------------------

def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"Role must be one of: {', '.join(r.value for r in Role)}")


def _hash_token(token: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(email: str, role: str, by: User, display_name: str = "") -> User:
    """An account with no password yet; the invitation email with its one-time link is
    queued (the link's token is made when the email is sent: see webapp.auth.emails)."""
    email = _new_account_email(email, role)
    user = User(email=email, role=role, display_name=display_name.strip(), password_hash=None)
    db.session.add(user)
    db.session.flush()
    queue_email(EmailKind.ACCOUNT_INVITATION, user.email, user_id=user.id)
    record(by, AuditAction.USER_INVITED, f"user:{user.id}", f"{email} as {role}")
    db.session.commit()
    return user


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """"Forgot your password?": queue a reset link for an active account with this
    address, at most one per quarter of an hour. Says nothing about whether it exists."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    now = now or utcnow()
    queue_email(EmailKind.PASSWORD_RESET, user.email, user_id=user.id,
                dedupe_key=f"password-reset:{user.id}:{now:%Y%m%d%H}:{now.minute // 15}")
    record(user, AuditAction.PASSWORD_RESET_REQUESTED, f"user:{user.id}")
    db.session.commit()


def new_setup_link(user: User, by: User) -> str:
    """A fresh one-time link for an account (a lost invite, or a forgotten password);
    any earlier link stops working."""
    if not user.active:
        raise AccountError("Reactivate the account before creating a link for it")
    token = new_link_token(user, current_app.config["INVITE_HOURS"])
    # This link replaces any emailed one: an email still waiting would replace it in turn.
    cancel_pending(OutboundEmail.user_id == user.id,
                   OutboundEmail.kind.in_([EmailKind.ACCOUNT_INVITATION, EmailKind.PASSWORD_RESET]))
    record(by, AuditAction.USER_SETUP_LINK, f"user:{user.id}", user.email)
    db.session.commit()
    return token


def new_link_token(user: User, hours: int) -> str:
    """A one-time link token for this account, valid for `hours`; only its hash is kept,
    and any earlier link stops working."""
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = _hash_token(token)
    user.invite_expires_at = utcnow() + timedelta(hours=hours)
    return token


def user_for_setup_token(token: str, now: datetime | None = None) -> User | None:
    """The active account this unexpired, unused link belongs to, else None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(sa.select(User).where(User.invite_token_hash == _hash_token(token)))
    if user is None or not user.active or user.invite_expires_at is None:
        return None
    if user.invite_expires_at <= (now or utcnow()):
        return None
    return user


def set_first_password(user: User, password: str) -> None:
    """Use the one-time link: set the password, spend the link, end any other session."""
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.set_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    user.end_all_sessions()
    record(user, AuditAction.PASSWORD_SET, f"user:{user.id}", "with a one-time link")
    db.session.commit()


def deactivate_user(user: User, by: User) -> None:
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account. Ask another admin to do it.")
    if not user.active:
        return
    user.active = False
    user.end_all_sessions()  # signed out everywhere, straight away
    user.invite_token_hash = None
    user.invite_expires_at = None
    record(by, AuditAction.USER_DEACTIVATED, f"user:{user.id}", user.email)
    db.session.commit()


def reactivate_user(user: User, by: User) -> None:
    if user.active:
        return
    user.active = True
    record(by, AuditAction.USER_REACTIVATED, f"user:{user.id}", user.email)
    db.session.commit()


def change_role(user: User, role: Role | str, by: User) -> None:
    _check_role(role)
    if user.id == by.id and role != user.role:
        raise AccountError("You cannot change your own role. Ask another admin to do it.")
    if role == user.role:
        return
    record(by, AuditAction.USER_ROLE_CHANGED, f"user:{user.id}", f"{user.email}: {user.role} to {role}")
    user.role = Role(role)
    db.session.commit()


# --- the audit log -------------------------------------------------------------------------

def audit_page(page: int = 1, per_page: int = 50) -> Page[AuditEntry]:
    """The newest entries first, with who did it loaded alongside."""
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0
    newest_first = (sa.select(AuditEntry).options(selectinload(AuditEntry.user))
                    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    return paginate(total, page, per_page,
                    lambda limit, offset: db.session.scalars(newest_first.limit(limit).offset(offset)).all())


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site: never another host, scheme or a protocol-relative URL."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if any(ord(char) < 32 for char in target):
        return None
    return target
