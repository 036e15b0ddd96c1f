"""Sign in, sign out, change password, and the admins' list of accounts."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import services
from webapp.auth.access import admins_only, readers
from webapp.auth.forms import ChangePasswordForm, LoginForm
from webapp.auth.models import User
from webapp.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return services.load_user_from_session(session_id)


def _failed_login(response) -> bool:
    # Only failed attempts count against the limit: a successful sign-in redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed_login
)
def login():
    next_url = services.safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("programmes.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            login_user(user)
            return redirect(next_url or url_for("programmes.index"))
        # One vague message: never say whether the account exists.
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends this account's sessions everywhere, not just this cookie.
    current_user.end_all_sessions()
    db.session.commit()
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/organiser/account/password", methods=["GET", "POST"])
@readers
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("Your current password is not correct")
        else:
            services.change_password(current_user, form.new_password.data)
            login_user(current_user._get_current_object())  # keep this device signed in with the new version
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("programmes.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/organiser/users")
@admins_only
def users():
    accounts = db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()
    return render_template("auth/users.html", users=accounts)
