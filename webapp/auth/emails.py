"""Account emails: the invitation and the password reset link. Each one-time link's
token is made when the email is composed, on the worker, and only its hash is saved,
in the same commit that records the email as sent: the token is never stored in plain
text, and a send that fails leaves no working link behind."""
from __future__ import annotations

from email.message import EmailMessage

from flask import current_app, render_template

from webapp import mail
from webapp.auth.models import User
from webapp.auth.services import new_link_token
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.jobs.outbox import renderer
from webapp.links import public_url


def _compose(user: User, kind: str, subject: str, hours: int) -> EmailMessage:
    token = new_link_token(user, hours)
    message = mail.new_message(user.email, subject)
    message.set_content(render_template(f"emails/{kind}.txt", account=user, hours=hours,
                                        link=public_url("auth.setup_account", token=token)))
    return message


def _active_account(message: OutboundEmail) -> User | None:
    user = db.session.get(User, message.user_id) if message.user_id else None
    return user if user is not None and user.active else None


@renderer(EmailKind.ACCOUNT_INVITATION)
def _invitation(message: OutboundEmail) -> EmailMessage | None:
    user = _active_account(message)
    if user is None or user.password_hash is not None:
        return None  # deactivated, or the password is already chosen (with a copied link)
    return _compose(user, "account_invitation", "You are invited to Staff briefings",
                    current_app.config["INVITE_HOURS"])


@renderer(EmailKind.PASSWORD_RESET)
def _password_reset(message: OutboundEmail) -> EmailMessage | None:
    user = _active_account(message)
    return user and _compose(user, "password_reset", "Choose a new password for Staff briefings",
                             current_app.config["RESET_HOURS"])
