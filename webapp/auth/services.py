"""Accounts: creating, authenticating, ending sessions, and the audit log."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.auth.models import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, AuditEntry, Role, User
from webapp.db_types import utcnow
from webapp.extensions import db


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def password_problem(password: str) -> str | None:
    """NIST/OWASP: a minimum length, a sane maximum, no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    return None


def create_user(email: str, password: str, role: str, display_name: str = "") -> User:
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise AccountError(f"Role must be one of: {', '.join(r.value for r in Role)}")
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address in the correct format, like name@example.org")
    if find_user_by_email(email):
        raise AccountError(f"An account for {email} already exists")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = User(email=email, role=role, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check, so response times don't reveal who has an account.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a real password", method=method)
    return _dummy_hashes[method]


def change_password(user: User, new_password: str) -> None:
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem)
    user.set_password(new_password)
    user.end_all_sessions()
    record(user, "password.changed", f"user:{user.id}")
    db.session.commit()


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's cookie holds "id:version"; an old version means a revoked session."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def record(user: User | None, action: str, target: str = "", detail: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(user_id=user.id if user else None, action=action, target=target, detail=detail)
    db.session.add(entry)
    return entry


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
