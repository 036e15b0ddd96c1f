"""Signing in with the organisation's own account: OpenID Connect (Microsoft Entra ID, or any
certified provider), configured from the environment (OIDC_* in config.py).

Authlib's Flask client does the protocol: the authorization code flow with PKCE (S256), a
state and a nonce kept in the signed session cookie and spent on return, and the ID token's
signature checked against the provider's published keys (discovery + JWKS). Authlib, requests
and joserfc are imported where the flow needs them: together they add about 18 MB and 0.4 s to
every process (web and job workers alike), and most sites never turn single sign-on on. This module adds
what Authlib leaves to the application: the issuer named in discovery must be the configured
one, the ID token's audience must be this client (Authlib checks only `azp`), only asymmetric
signatures are accepted, and the person must map to an active account by a verified email.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, request, session, url_for

from webapp.audit import AuditAction, record
from webapp.auth import services
from webapp.auth.models import Role, User
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.forms import email_domain_allowed, strip_control_characters
from webapp.text import normalise_email

log = logging.getLogger(__name__)

CLIENT = "briefings_oidc"  # key in app.extensions
ROLE_GROUPS = "briefings_oidc_role_groups"
# Session keys: where to go after signing in, and that this session came from the provider.
NEXT_URL = "oidc_next"
SIGNED_IN_WITH_PROVIDER = "oidc_signed_in"
# Symmetric (HS*) signatures would use the client secret as the key, and "none" is no signature.
ASYMMETRIC_ALGORITHMS = ("RS", "PS", "ES", "Ed")
ROLE_RANK = {Role.VIEWER: 0, Role.ORGANISER: 1, Role.ADMIN: 2}


class SignInRefused(Exception):
    """The provider's answer does not let this person in. `str()` is for the person;
    `reason` goes in the audit log, against `user` when the account is known."""

    def __init__(self, message: str, reason: str, user: User | None = None):
        super().__init__(message)
        self.reason = reason
        self.user = user


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its discovery document will not do."""


# --- set-up ------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Check the OIDC settings once, at start-up, so a mistake stops the app with a clear
    message instead of failing the first person who signs in."""
    config = app.config
    if not config["OIDC_ISSUER"]:
        if not config["PASSWORD_LOGIN"]:
            raise RuntimeError("PASSWORD_LOGIN=0 needs single sign-on: set OIDC_ISSUER, OIDC_CLIENT_ID "
                               "and OIDC_CLIENT_SECRET, or nobody can sign in")
        return
    if not (config["OIDC_CLIENT_ID"] and config["OIDC_CLIENT_SECRET"]):
        raise RuntimeError("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too")
    app.extensions[ROLE_GROUPS] = parse_role_groups(config["OIDC_ROLE_GROUPS"])


def parse_role_groups(text: str) -> dict[str, str]:
    """"smt-admins=admin, briefing-organisers=organiser" -> {group: role}; groups compared
    without regard to case."""
    mapping = {}
    for pair in filter(None, (item.strip() for item in text.split(","))):
        group, _, role = (part.strip() for part in pair.rpartition("="))
        if not group or role not in {r.value for r in Role}:
            raise RuntimeError(f"OIDC_ROLE_GROUPS: {pair!r} must be GROUP=ROLE with a role of "
                               f"{', '.join(r.value for r in Role)}")
        mapping[group.lower()] = role
    return mapping


def enabled() -> bool:
    return bool(current_app.config["OIDC_ISSUER"])


def provider_name() -> str:
    return current_app.config["OIDC_PROVIDER_NAME"]


def _client():
    """Authlib's client for this app, made on first use (settings are read then)."""
    client = current_app.extensions.get(CLIENT)
    if client is None:
        from authlib.integrations.flask_client import OAuth

        config = current_app.config
        oauth = OAuth(current_app)
        client = oauth.register(
            "oidc",
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                           "default_timeout": config["OIDC_TIMEOUT"]},
        )
        current_app.extensions[CLIENT] = client
    return client


def _metadata(client) -> dict:
    """The provider's discovery document, checked: it must speak for the configured issuer
    (OpenID Connect Discovery 1.0, section 4.3), and only asymmetric signatures count."""
    import requests

    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"discovery failed: {error}") from error
    if str(metadata.get("issuer", "")).rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
        client.server_metadata.clear()  # fetch it again next time
        raise ProviderUnavailable(f"discovery names issuer {metadata.get('issuer')!r}, "
                                  f"not OIDC_ISSUER {current_app.config['OIDC_ISSUER']!r}")
    metadata["id_token_signing_alg_values_supported"] = [
        alg for alg in metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        if str(alg).startswith(ASYMMETRIC_ALGORITHMS)
    ]
    return metadata


# --- the flow ----------------------------------------------------------------------------------

def redirect_uri() -> str:
    # From PUBLIC_BASE_URL, not the request's Host header: it must match the registration exactly.
    return current_app.config["PUBLIC_BASE_URL"] + url_for("auth.oidc_callback")


def start(next_url: str | None):
    """The redirect to the provider's sign-in page."""
    client = _client()
    _metadata(client)
    session[NEXT_URL] = services.safe_next_url(next_url)
    return client.authorize_redirect(redirect_uri())


def finish() -> tuple[User, str | None]:
    """Complete the sign-in the provider has sent the person back from: the account, and
    where they were going. Every refusal is recorded in the audit log."""
    try:
        claims = _verified_claims()
        user = sign_in_with_claims(claims)
    except SignInRefused as refusal:
        action = AuditAction.SIGN_IN_FAILED if refusal.user else AuditAction.SSO_REFUSED
        target = f"user:{refusal.user.id}" if refusal.user else ""
        # The reason may quote the provider or the query string: no control characters (PostgreSQL
        # refuses NUL), and not much of it.
        reason = strip_control_characters(refusal.reason)[:300]
        record(refusal.user, action, target, f"single sign-on: {reason}")
        db.session.commit()
        log.warning("single sign-on refused: %s", reason)
        raise
    return user, session.pop(NEXT_URL, None)


def _verified_claims() -> Mapping:
    """The ID token's claims once Authlib and the checks above have accepted it."""
    if request.args.get("error"):
        session.pop(NEXT_URL, None)
        raise SignInRefused("Signing in was cancelled or refused at the provider. Try again.",
                            f"provider said {request.args['error'][:60]}")
    client = _client()
    metadata = _metadata(client)
    # RFC 9207: a provider that names itself in the response must be the one we asked.
    returned_issuer = request.args.get("iss")
    if returned_issuer is not None and returned_issuer != metadata["issuer"]:
        raise SignInRefused(_TRY_AGAIN, "the response came from another issuer")
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    config = current_app.config
    try:
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
        })
    except AuthlibBaseError as error:
        if error.error == "mismatching_state":
            raise SignInRefused("That sign-in had expired or was already used. Sign in again.",
                                "unknown or reused state") from error
        raise SignInRefused(_TRY_AGAIN, f"token request refused: {error.error}") from error
    except JoseError as error:
        raise SignInRefused(_TRY_AGAIN, f"ID token rejected: {error.error}") from error
    except requests.RequestException as error:
        raise SignInRefused(_TRY_AGAIN, "the provider could not be reached") from error
    if not token.get("userinfo"):
        raise SignInRefused(_TRY_AGAIN, "no ID token in the token response")
    return token["userinfo"]


_TRY_AGAIN = "Signing in with your organisation's account did not work. Try again."


# --- who the person is here --------------------------------------------------------------------

def sign_in_with_claims(claims: Mapping) -> User:
    """The active account for the person these (already verified) ID token claims describe,
    created as a viewer (or with a role from their groups) when OIDC_AUTO_CREATE allows it.
    Records the sign-in and commits; raises SignInRefused (recorded by the caller)."""
    config = current_app.config
    email = _verified_email(claims)
    user = services.find_user_by_email(email)
    if user is None:
        if not config["OIDC_AUTO_CREATE"]:
            raise SignInRefused(
                f"There is no account for {email} in Staff briefings. Ask an administrator to "
                "invite you, then sign in again.", f"no account for {email}")
        user = _create_account(email, claims)
    elif not user.active:
        raise SignInRefused("Your account has been deactivated. Ask an administrator if you "
                            "still need it.", "account deactivated", user)
    user.last_login_at = utcnow()
    record(user, AuditAction.SIGN_IN, f"user:{user.id}", f"single sign-on ({provider_name()})")
    db.session.commit()
    return user


def _verified_email(claims: Mapping) -> str:
    config = current_app.config
    raw = claims.get(config["OIDC_EMAIL_CLAIM"])
    if not isinstance(raw, str) or not raw:
        raise SignInRefused("Your organisation's account did not tell us your email address, so "
                            "it cannot be matched to an account here.", "no email in the ID token")
    try:
        email = normalise_email(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise SignInRefused("Your organisation's account gave an email address that is not "
                            "valid, so it cannot be used to sign in.", "email not valid") from error
    if not _is_true(claims.get(config["OIDC_EMAIL_VERIFIED_CLAIM"])):
        raise SignInRefused(f"{provider_name()} has not verified the email address {email}, so it "
                            "cannot be used to sign in here.", f"email {email} not verified")
    if not email_domain_allowed(email, config["OIDC_ALLOWED_DOMAINS"]):
        raise SignInRefused(f"Sign in with your work account: {email} is not an address this "
                            "service accepts.", f"{email}: domain not allowed")
    return email


def _is_true(value) -> bool:
    # JSON true; some providers (Entra ID's xms_edov among them) have sent "true" or "1".
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "1"})


def _create_account(email: str, claims: Mapping) -> User:
    role = role_from_groups(claims.get(current_app.config["OIDC_GROUPS_CLAIM"]))
    name = claims.get("name")
    user = User(email=email, role=role, password_hash=None,
                display_name=strip_control_characters(name).strip()[:120] if isinstance(name, str) else "")
    db.session.add(user)
    db.session.flush()
    record(user, AuditAction.USER_CREATED, f"user:{user.id}", f"{email} as {role}, at first single sign-on")
    return user


def role_from_groups(groups) -> str:
    """The highest role that OIDC_ROLE_GROUPS gives any of the person's groups; viewer if none."""
    mapping = current_app.extensions.get(ROLE_GROUPS) or {}
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return Role.VIEWER.value
    roles = [mapping[group.lower()] for group in groups if isinstance(group, str) and group.lower() in mapping]
    return max(roles, key=lambda role: ROLE_RANK[Role(role)], default=Role.VIEWER.value)


# --- signing out -------------------------------------------------------------------------------

def end_session_url() -> str | None:
    """The provider's end-session address (RP-initiated logout), coming back to the sign-in
    page; None when the provider has none or cannot be reached."""
    client = _client()
    try:
        if not _metadata(client).get("end_session_endpoint"):
            return None
    except ProviderUnavailable:
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=current_app.config["PUBLIC_BASE_URL"] + url_for("auth.login"),
        client_id=current_app.config["OIDC_CLIENT_ID"],
    )["url"]
