"""Sign in, sign out, change password, idle sessions, accounts managed by admins
(invite, deactivate, change role), the one-time link to set a password, and the audit log."""
import base64
import time

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_login import (current_user, login_required, login_user, logout_user, user_logged_in,
                         user_logged_out)

from webapp import lookups
from webapp.pagination import requested_page
from webapp.audit import AuditAction
from webapp.auth import oidc, services
from webapp.auth.access import admins_only, readers
from webapp.auth import emails  # noqa: F401  (registers the account emails' renderers)
from webapp.auth.forms import (ActionForm, ChangePasswordForm, ForgotPasswordForm, InviteForm, LoginForm, RoleForm,
                               SetupPasswordForm, TwoFactorCodeForm)
from webapp.auth.models import Role, User
from webapp.auth.passwords import PasswordCheckBusy
from webapp.extensions import db, email_key, exempt_address, limit_setting, limiter, login_manager
from webapp.qr import qr_svg
from webapp.security import mark_personal_data

bp = Blueprint("auth", __name__)

LAST_ACTIVE = "last_active"
SIGNED_IN_AT = "signed_in_at"
# Between the password and the second factor: (the account's session id, when).
PENDING_SECOND_FACTOR = "pending_second_factor"
SECOND_FACTOR_MINUTES = 5
ENROLLING_SECRET = "totp_enrolling"

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return services.load_user_from_session(session_id)


@user_logged_in.connect
def _start_idle_clock(_app, **_extra) -> None:
    # Signing in again on this device (a new password, a second factor turned on) keeps
    # the original sign-in time: only signing out starts a new lifetime.
    session[LAST_ACTIVE] = int(time.time())
    session.setdefault(SIGNED_IN_AT, session[LAST_ACTIVE])


@user_logged_out.connect
def _end_lifetime(_app, **_extra) -> None:
    session.pop(SIGNED_IN_AT, None)


@bp.before_app_request
def end_idle_sessions():
    """Sign out a session left unused for SESSION_IDLE_MINUTES. The time of the last request
    is in the signed session cookie, so an old copy of the cookie is just as expired."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = int(time.time())
    idle_minutes = current_app.config["SESSION_IDLE_MINUTES"]
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    last_active, signed_in_at = session.get(LAST_ACTIVE), session.get(SIGNED_IN_AT)
    # Activity extends the idle timer, never the sign-in itself (SESSION_HOURS).
    within_lifetime = isinstance(signed_in_at, int) and now - signed_in_at <= lifetime
    if within_lifetime and isinstance(last_active, int) and now - last_active <= idle_minutes * 60:
        if now - last_active >= 60:  # rewrite the cookie at most once a minute
            session[LAST_ACTIVE] = now
        return _enrol_if_required()
    logout_user()
    session.pop(LAST_ACTIVE, None)
    session.pop(SIGNED_IN_AT, None)
    if within_lifetime:
        flash(f"You were signed out because you had not used the service for {idle_minutes} minutes. "
              "Sign in again to carry on.", "info")
    else:
        flash(f"You were signed out because you signed in more than {lifetime / 3600:g} hours ago. "
              "Sign in again to carry on.", "info")
    view = current_app.view_functions.get(request.endpoint)
    if hasattr(view, "allowed_roles") or request.endpoint == "auth.logout":
        next_url = request.full_path if request.method == "GET" and request.query_string else request.path
        return redirect(url_for("auth.login", next=next_url if request.method == "GET" else None))
    return None  # a public page: show it, signed out


def _enrol_if_required():
    """REQUIRE_ADMIN_MFA: an admin without a second factor sets one up before anything else."""
    if (current_user.is_authenticated and services.needs_second_factor_enrolment(current_user)
            and request.endpoint not in {"auth.two_factor_setup", "auth.logout", "static"}):
        flash("Set up a second factor to carry on: this service requires one for admins.", "info")
        return redirect(url_for("auth.two_factor_setup"))
    return None


def _pending_account_key() -> str:
    pending = session.get(PENDING_SECOND_FACTOR) or ["", 0]
    return f"t{pending[0]}"


def _busy(template: str, form, **context):
    """Too many password checks at once on this worker: ask to try again in a moment."""
    form.form_errors.append("Many people are signing in at this moment. Wait 10 seconds and try again.")
    return render_template(template, form=form, **context), 503, {"Retry-After": "10"}


def _signed_in(user: User, next_url: str | None):
    services.signed_in(user)
    login_user(user)
    return redirect(next_url or url_for("programmes.index"))


# Every attempt counts, before its password is checked: parallel attempts cannot slip
# through while the first are still being checked. Per address (an office signs in
# through one gateway: a ceiling) and per account, wherever the attempts come from.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limit_setting("LOGIN_RATE_LIMIT"), methods=["POST"], exempt_when=exempt_address)
@limiter.limit(limit_setting("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=email_key, methods=["POST"])
def login():
    next_url = services.safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("programmes.index"))
    if not current_app.config["PASSWORD_LOGIN"]:
        return _login_page(status=403 if request.method == "POST" else 200)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except PasswordCheckBusy:
            return _busy("auth/login.html", form)
        if user and user.totp_secret:
            session[PENDING_SECOND_FACTOR] = [user.get_id(), int(time.time())]
            return redirect(url_for("auth.two_factor", next=next_url))
        if user:
            session.pop(oidc.SIGNED_IN_WITH_PROVIDER, None)
            return _signed_in(user, next_url)
        # One vague message: never say whether the account exists.
        form.email.errors.append("Enter a correct email address and password")
    return _login_page(form)


def _login_page(form: LoginForm | None = None, sso_error: str | None = None, status: int = 200):
    """The sign-in page: the password form (unless PASSWORD_LOGIN=0), the provider's button
    (when single sign-on is configured) and, after a refused single sign-on, why."""
    if form is None and current_app.config["PASSWORD_LOGIN"]:
        form = LoginForm(formdata=None)
    return render_template("auth/login.html", form=form, sso_error=sso_error,
                           sso_name=oidc.provider_name() if oidc.enabled() else None,
                           next_url=services.safe_next_url(request.args.get("next"))), status


@bp.route("/login/oidc")
def oidc_login():
    """Off to the provider's sign-in page (a link, not a form: the strict CSP's form-action
    would stop a form's redirect to another site)."""
    if not oidc.enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("programmes.index"))
    try:
        return oidc.start(request.args.get("next"))
    except oidc.ProviderUnavailable as error:
        current_app.logger.error("single sign-on unavailable: %s", error)
        return _login_page(sso_error=_PROVIDER_DOWN.format(oidc.provider_name()), status=503)


_PROVIDER_DOWN = "Signing in with {} is not working at the moment. Try again in a few minutes."


@bp.route("/login/oidc/callback")
@limiter.limit(limit_setting("LOGIN_RATE_LIMIT"), exempt_when=exempt_address)
def oidc_callback():
    """Where the provider sends the person back, with a code to exchange for an ID token."""
    if not oidc.enabled():
        abort(404)
    try:
        user, next_url = oidc.finish()
    except oidc.SignInRefused as refusal:
        return _login_page(sso_error=str(refusal), status=403)
    except oidc.ProviderUnavailable as error:
        current_app.logger.error("single sign-on unavailable: %s", error)
        return _login_page(sso_error=_PROVIDER_DOWN.format(oidc.provider_name()), status=503)
    login_user(user)
    session[oidc.SIGNED_IN_WITH_PROVIDER] = True
    return redirect(next_url or url_for("programmes.index"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(limit_setting("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_pending_account_key, methods=["POST"])
def two_factor():
    """The second step of signing in, for an account with a second factor."""
    next_url = services.safe_next_url(request.args.get("next"))
    pending = session.get(PENDING_SECOND_FACTOR)
    user = None
    if isinstance(pending, list) and len(pending) == 2 and time.time() - pending[1] <= SECOND_FACTOR_MINUTES * 60:
        user = services.load_user_from_session(str(pending[0]))
    if user is None or not user.totp_secret:
        session.pop(PENDING_SECOND_FACTOR, None)
        flash("Sign in again: the code must be entered within 5 minutes of the password.", "info")
        return redirect(url_for("auth.login", next=next_url))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if services.check_second_factor(user, form.code.data):
            session.pop(PENDING_SECOND_FACTOR, None)
            return _signed_in(user, next_url)
        form.code.errors.append("That code is not right. Enter the 6 digits your app shows now")
    return render_template("auth/two_factor.html", form=form)


@bp.route("/organiser/account/two-factor", methods=["GET", "POST"])
@readers
def two_factor_setup():
    """Turn the second factor on (scan a QR code, type a code) or off."""
    mark_personal_data()  # the secret is on the page
    form = TwoFactorCodeForm()
    user = current_user._get_current_object()
    if user.totp_secret:
        if form.validate_on_submit():
            try:
                services.disable_second_factor(user, form.code.data)
            except services.AccountError as error:
                form.code.errors.append(str(error))
            else:
                flash("Second factor turned off. You sign in with your password alone.", "success")
                return redirect(url_for("auth.two_factor_setup"))
        required = current_app.config["REQUIRE_ADMIN_MFA"] and user.role == Role.ADMIN
        return render_template("auth/two_factor_setup.html", form=form, enabled=True, required=required)
    secret = session.get(ENROLLING_SECRET)
    if not isinstance(secret, str) or request.method == "GET":
        secret = session[ENROLLING_SECRET] = services.new_totp_secret()
    if form.validate_on_submit():
        if services.enable_second_factor(user, secret, form.code.data):
            session.pop(ENROLLING_SECRET, None)
            login_user(user)  # this device stays signed in; the others sign in again
            flash("Second factor turned on. You will be asked for a code each time you sign in.", "success")
            return redirect(url_for("programmes.index"))
        form.code.errors.append("That code is not right. Enter the 6 digits your app shows now")
    uri = services.totp_uri(user, secret)
    qr = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(uri, "M").encode()).decode()
    return render_template("auth/two_factor_setup.html", form=form, enabled=False, secret=secret, qr=qr)


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    """The same page afterwards whether or not there is an account for the address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/forgot_password.html", form=form, asked=True)
    return render_template("auth/forgot_password.html", form=form, asked=False)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends this account's sessions everywhere, not just this cookie.
    services.sign_out_everywhere(current_user)
    logout_user()
    if session.pop(oidc.SIGNED_IN_WITH_PROVIDER, False) and oidc.enabled():
        return redirect(url_for("auth.signed_out"))
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/signed-out")
def signed_out():
    """After signing out of a session that began at the provider: the person may still be
    signed in there (on a shared computer, the next person would be too), so offer its
    end-session page."""
    if not oidc.enabled():
        return redirect(url_for("auth.login"))
    return render_template("auth/signed_out.html", sso_name=oidc.provider_name(),
                           end_session_url=oidc.end_session_url())


@bp.route("/organiser/account/password", methods=["GET", "POST"])
@readers
def change_password():
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        try:
            correct = current_user.check_password(form.current_password.data)
        except PasswordCheckBusy:
            return _busy("auth/change_password.html", form)
        if not correct:
            form.current_password.errors.append("Your current password is not correct")
        else:
            services.change_password(current_user, form.new_password.data)
            login_user(current_user._get_current_object())  # keep this device signed in with the new version
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("programmes.index"))
    return render_template("auth/change_password.html", form=form)


# --- accounts, for admins ------------------------------------------------------------------

@bp.route("/organiser/users")
@admins_only
def users():
    accounts = db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()
    return render_template("auth/users.html", users=accounts)


def _show_setup_link(user: User, token: str):
    mark_personal_data()  # the link is as good as a password until it is used
    link = f"{current_app.config['PUBLIC_BASE_URL']}{url_for('auth.setup_account', token=token)}"
    return render_template("auth/setup_link.html", account=user, link=link, invited=not user.password_hash)


@bp.route("/organiser/users/invite", methods=["GET", "POST"])
@admins_only
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite_user(
                form.email.data, form.role.data, by=current_user, display_name=form.display_name.data or ""
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            return render_template("auth/invited.html", account=user, action_form=ActionForm())
    return render_template("auth/invite.html", form=form)


@bp.route("/organiser/users/<int:user_id>")
@admins_only
def user(user_id: int):
    account = lookups.user_or_404(user_id)
    role_form = RoleForm(role=account.role)
    return render_template("auth/user.html", account=account, role_form=role_form, action_form=ActionForm())


@bp.route("/organiser/users/<int:user_id>/role", methods=["POST"])
@admins_only
def change_role(user_id: int):
    account = lookups.user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(account, form.role.data, by=current_user)
        except services.AccountError as error:
            form.role.errors.append(str(error))
        else:
            flash(f"{account.email} is now {account.role}.", "success")
            return redirect(url_for("auth.user", user_id=account.id))
    return render_template("auth/user.html", account=account, role_form=form, action_form=ActionForm()), 400


def _account_action(user_id: int, action, done_message: str):
    account = lookups.user_or_404(user_id)
    if ActionForm().validate_on_submit():
        try:
            action(account, by=current_user)
        except services.AccountError as error:
            flash(str(error), "error")
        else:
            flash(done_message.format(email=account.email), "success")
    return redirect(url_for("auth.user", user_id=account.id))


@bp.route("/organiser/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@admins_only
def deactivate(user_id: int):
    if request.method == "GET":  # "Are you sure?" first: nothing irreversible in one tap
        account = lookups.user_or_404(user_id)
        return render_template("auth/deactivate.html", account=account, form=ActionForm())
    return _account_action(user_id, services.deactivate_user,
                           "{email} is deactivated and has been signed out everywhere.")


@bp.route("/organiser/users/<int:user_id>/reactivate", methods=["POST"])
@admins_only
def reactivate(user_id: int):
    return _account_action(user_id, services.reactivate_user, "{email} can sign in again.")


@bp.route("/organiser/users/<int:user_id>/setup-link", methods=["POST"])
@admins_only
def setup_link(user_id: int):
    account = lookups.user_or_404(user_id)
    if ActionForm().validate_on_submit():
        try:
            token = services.new_setup_link(account, by=current_user)
        except services.AccountError as error:
            flash(str(error), "error")
        else:
            return _show_setup_link(account, token)
    return redirect(url_for("auth.user", user_id=account.id))


@bp.route("/organiser/audit")
@admins_only
def audit():
    page = requested_page()
    return render_template("auth/audit.html", audit=services.audit_page(page), label_of=AuditAction.label_of)


# --- the one-time link ------------------------------------------------------------------------

@bp.route("/account/setup/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 404)
def setup_account(token: str):
    mark_personal_data()
    account = services.user_for_setup_token(token)
    if account is None:
        return render_template("auth/setup_invalid.html"), 404
    form = SetupPasswordForm()
    form.account_email = account.email
    if form.validate_on_submit():
        try:
            services.set_first_password(account, form.new_password.data)
        except PasswordCheckBusy:
            return _busy("auth/setup.html", form, account=account)
        logout_user()  # whoever was signed in on this browser, it is this person now
        login_user(account)
        flash("Your password is set and you are signed in.", "success")
        return redirect(url_for("programmes.index"))
    return render_template("auth/setup.html", form=form, account=account)
