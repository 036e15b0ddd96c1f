from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation

from webapp.auth import passwords
from webapp.auth.models import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Role
from webapp.forms import AppForm


def _password_policy(form, field) -> None:
    """passwords.problem(): not common, not the account's email (`form.account_email`)."""
    problem = passwords.problem(field.data or "", getattr(form, "account_email", None))
    if problem:
        raise StopValidation(problem)


def new_password_field(label: str, missing: str) -> PasswordField:
    """A new password: long enough, not a common one, no composition rules (NIST / OWASP)."""
    return PasswordField(
        label,
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one.",
        validators=[
            DataRequired(missing),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Password must be between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters",
            ),
            _password_policy,
        ],
        render_kw={"autocomplete": "new-password"},
    )


def confirm_password_field(label: str, missing: str, mismatch: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(missing), EqualTo("new_password", mismatch)],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(AppForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field("New password", "Enter a new password")
    confirm_password = confirm_password_field(
        "Confirm new password", "Enter the new password again", "The two new passwords do not match"
    )


ROLE_CHOICES = [
    (Role.ADMIN.value, "Admin: everything, including accounts and the audit log"),
    (Role.ORGANISER.value, "Organiser: programmes, sessions, bookings with personal data, check-in, exports"),
    (Role.VIEWER.value, "Viewer: results and the feedback workbook only, no personal data"),
]


class InviteForm(AppForm):
    email = EmailField(
        "Email address",
        description="Their work email address. They sign in with it.",
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.org",
                  check_deliverability=False),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    display_name = StringField(
        "Name (optional)",
        validators=[Optional(), Length(max=120, message="Name must be 120 characters or fewer")],
        render_kw={"autocomplete": "off"},
    )
    role = RadioField("Role", choices=ROLE_CHOICES, default=Role.ORGANISER.value,
                      validators=[DataRequired("Select a role")])


class RoleForm(AppForm):
    role = RadioField("Role", choices=ROLE_CHOICES, validators=[DataRequired("Select a role")])


class ActionForm(AppForm):
    """A button-only form: the CSRF token is all it carries."""


class SetupPasswordForm(AppForm):
    new_password = new_password_field("Create a password", "Enter a password")
    confirm_password = confirm_password_field(
        "Confirm password", "Enter the password again", "The two passwords do not match"
    )


class TwoFactorCodeForm(AppForm):
    code = StringField(
        "Code from your authenticator app",
        description="The 6 digits your app shows now, for example 123456.",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app"),
                    Length(max=12, message="Enter the 6-digit code from your authenticator app")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class ForgotPasswordForm(AppForm):
    strip_spaces = True
    email = EmailField(
        "Email address",
        description="The address you sign in with.",
        validators=[DataRequired("Enter your email address"),
                    Length(max=254, message="Email address must be 254 characters or fewer")],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
