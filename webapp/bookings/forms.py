from flask import current_app
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.bookings.models import ACCESS_MAX, EMAIL_MAX, NAME_MAX, SHORT_TEXT_MAX
from webapp.forms import MAX_DATABASE_ID, AppForm, email_domain_allowed
from webapp.sessions.forms import MomentField
from webapp.timezones import london_to_utc


def in_allowed_domains(email: str) -> bool:
    """The address is at one of ALLOWED_EMAIL_DOMAINS (False when none are set)."""
    allowed = current_app.config.get("ALLOWED_EMAIL_DOMAINS") or []
    return bool(allowed) and email_domain_allowed((email or "").strip(), allowed)


def _cap(label: str, limit: int) -> Length:
    return Length(max=limit, message=f"{label} must be {limit} characters or fewer")


def _email_field(description: str, missing_message: str, **kwargs) -> EmailField:
    """A work email address, as booking and finding a booking both ask for it."""
    return EmailField("Work email address", description=description, validators=[
        DataRequired(missing_message),
        _cap("Email address", EMAIL_MAX),
        Email("Enter an email address in the correct format, like name@example.org", check_deliverability=False),
    ], **kwargs)


class BookingForm(AppForm):
    strip_spaces = True  # before the checks, as people paste addresses

    name = StringField("Full name", validators=[DataRequired("Enter your full name"), _cap("Full name", NAME_MAX)])
    email = _email_field("We send your booking confirmation and calendar file here.",
                         "Enter your work email address")
    job_role = StringField("Job role", description="For example, social worker, health visitor, teacher",
                           validators=[DataRequired("Enter your job role"), _cap("Job role", SHORT_TEXT_MAX)])
    team = StringField("Team or service",
                       validators=[DataRequired("Enter your team or service"), _cap("Team or service", SHORT_TEXT_MAX)])
    locality = StringField("Locality (optional)", description="For example, North East, North West, South or city-wide",
                           validators=[Optional(), _cap("Locality", SHORT_TEXT_MAX)])
    organisation = StringField(
        "Organisation", description="For example, Glasgow City Council, NHS Greater Glasgow and Clyde",
        validators=[DataRequired("Enter your organisation"), _cap("Organisation", SHORT_TEXT_MAX)])
    access_requirements = TextAreaField(
        "Access requirements (optional)",
        description="Anything we should arrange so that you can take part, such as step-free access or a hearing loop.",
        validators=[Optional(), _cap("Access requirements", ACCESS_MAX)],
    )

    def validate_email(self, field):
        allowed = current_app.config.get("ALLOWED_EMAIL_DOMAINS") or []
        if not field.data or "@" not in field.data:
            return
        if not email_domain_allowed(field.data, allowed):
            names = " or ".join(f"@{d}" for d in allowed)
            raise ValidationError(f"Enter your work email address: it must end in {names}")

    def person(self) -> dict:
        return {name: getattr(self, name).data or "" for name in
                ("name", "email", "job_role", "team", "locality", "organisation", "access_requirements")}


class FindBookingForm(AppForm):
    strip_spaces = True
    email = _email_field("The address you booked with.", "Enter the email address you booked with",
                         render_kw={"autocomplete": "email", "spellcheck": "false"})


class MoveForm(AppForm):
    session_id = RadioField("Which session would you like instead?", coerce=int,
                            validators=[DataRequired("Select the session you would like to move to"),
                                        NumberRange(1, MAX_DATABASE_ID, "Select one of the sessions listed")],
                            validate_choice=False)


class WalkInForm(AppForm):
    name = StringField("Full name",
                       validators=[DataRequired("Enter the person's full name"), _cap("Full name", NAME_MAX)])
    email = EmailField("Email address (optional)", validators=[
        Optional(), _cap("Email address", EMAIL_MAX),
        Email("Enter an email address in the correct format, like name@example.org", check_deliverability=False)])
    job_role = StringField("Job role (optional)", validators=[Optional(), _cap("Job role", SHORT_TEXT_MAX)])
    team = StringField("Team or service (optional)", validators=[Optional(), _cap("Team or service", SHORT_TEXT_MAX)])
    organisation = StringField("Organisation (optional)", validators=[Optional(), _cap("Organisation", SHORT_TEXT_MAX)])


class BurstForm(AppForm):
    """Which bookings a scripted burst made: a window of booking times, perhaps a domain."""

    class Meta:
        csrf = False  # a filter read from the query string; the cancelling POST has its own token

    booked_from = MomentField("Booked from", description="UK time, like 2026-03-27 09:00",
                              validators=[InputRequired("Enter when the burst started")])
    booked_until = MomentField("Booked until", description="UK time, like 2026-03-27 09:05",
                               validators=[InputRequired("Enter when the burst ended")])
    email_ending = StringField("Email addresses ending with (optional)", description="For example, @invented.example",
                               validators=[Optional(), _cap("Email ending", EMAIL_MAX)])

    def validate_booked_until(self, field):
        if self.booked_from.data and field.data and field.data <= self.booked_from.data:
            raise ValidationError("The end must be after the start")

    def window(self):
        """(from, until) in UTC."""
        return tuple(london_to_utc(moment.date(), moment.time()) for moment in (self.booked_from.data,
                                                                                 self.booked_until.data))
