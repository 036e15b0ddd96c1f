from datetime import datetime, time, UTC

from wtforms import DateField, DateTimeField, IntegerField, RadioField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from webapp.forms import YEAR_RANGE_MESSAGE, AppForm, year_in_range
from webapp.timezones import LONDON, london_to_utc, to_local

MAX_CAPACITY = 5000


class _PlainMessage:
    """Replace WTForms' "Not a valid ... value." with a message that says what to do,
    and treat an empty box as empty (DataRequired/Optional then decide)."""

    invalid_message = "Enter a valid value"

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            self.raw_data = []  # spaces only is empty: InputRequired must say so
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None
        if hasattr(self.data, "year") and not year_in_range(self.data):
            self.data = None
            raise ValueError(YEAR_RANGE_MESSAGE)


# Dates are typed into the GOV.UK date input (day, month and year boxes sent under one
# name, which WTForms joins with spaces) and times into a plain box on the 24-hour clock,
# never <input type="date|time">, which a US English browser shows as mm/dd/yyyy and AM/PM.
# A single ISO value (2026-03-27, 2026-03-27T09:30) is accepted too, for scripts.
TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]


class _BoxesField(_PlainMessage):
    """A field typed into several boxes of a GOV.UK date input: `boxes` are their labels."""

    boxes: tuple[str, ...] = ()

    def box_values(self) -> list[str]:
        """What each box shows: what was typed, or the stored value."""
        if self.raw_data and (len(self.raw_data) == len(self.boxes) or not self.data):
            typed = list(self.raw_data) if len(self.raw_data) == len(self.boxes) else []
            return (typed + [""] * len(self.boxes))[:len(self.boxes)]
        # One ISO value (a link's query string) that parsed: shown in the boxes.
        if not self.data:
            return [""] * len(self.boxes)
        values = [str(self.data.day), str(self.data.month), str(self.data.year)]
        return values + [f"{self.data:%H:%M}"] if len(self.boxes) == 4 else values


class DayField(_BoxesField, DateField):
    boxes = ("Day", "Month", "Year")
    invalid_message = "Enter the date as a day, month and year, like 27 3 2026"

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%d %m %Y", "%Y-%m-%d"], **kwargs)


class ClockField(_PlainMessage, TimeField):
    invalid_message = "Enter the time on the 24-hour clock, like 09:30 or 14:00"

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=TIME_FORMATS, widget=TextInput(), **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return f"{self.data:%H:%M}" if self.data else ""


class MomentField(_BoxesField, DateTimeField):
    boxes = ("Day", "Month", "Year", "Time")
    invalid_message = "Enter the day, month, year and a 24-hour time, like 27 3 2026 and 09:30"

    def __init__(self, label=None, validators=None, **kwargs):
        formats = [f"%d %m %Y {clock}" for clock in TIME_FORMATS] + ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        super().__init__(label, validators, format=formats, **kwargs)


class WholeNumberField(_PlainMessage, IntegerField):
    invalid_message = "Enter the capacity as a whole number, like 180"


def _cap(label: str, limit: int) -> Length:
    return Length(max=limit, message=f"{label} must be {limit} characters or fewer")


def _local_to_utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=LONDON).astimezone(UTC) if moment else None


def _utc_to_local_naive(moment: datetime | None) -> datetime | None:
    return to_local(moment).replace(tzinfo=None) if moment else None


class SessionForm(AppForm):
    title = StringField("Title", description="For example, North East: morning briefing",
                        validators=[DataRequired("Enter a title"), _cap("Title", 200)])
    day = DayField("Date", description="For example, 27 3 2026",
                   validators=[InputRequired("Enter the date of the session")])
    start_time = ClockField("Starts at", description="UK time, 24-hour clock, like 09:30",
                            validators=[InputRequired("Enter the start time")])
    end_time = ClockField("Ends at", description="UK time, 24-hour clock, like 12:00",
                          validators=[InputRequired("Enter the end time")])
    venue = StringField("Venue", validators=[DataRequired("Enter the venue"), _cap("Venue", 200)])
    address = TextAreaField("Address", validators=[Optional(), _cap("Address", 400)])
    locality = StringField("Locality", description="For example, North East",
                           validators=[Optional(), _cap("Locality", 100)])
    capacity = WholeNumberField(
        "Capacity", description="The number of places.",
        validators=[InputRequired("Enter the capacity"),
                    NumberRange(min=1, max=MAX_CAPACITY, message=f"Capacity must be between 1 and {MAX_CAPACITY}")],
    )
    facilitators = StringField("Facilitators", validators=[Optional(), _cap("Facilitators", 400)])
    booking_opens_at = MomentField("Booking opens (optional)", description="Leave empty to open booking now.",
                                   validators=[Optional()])
    booking_closes_at = MomentField("Booking closes (optional)",
                                    description="Leave empty to take bookings until the session starts.",
                                    validators=[Optional()])
    feedback_opens_at = MomentField("Feedback opens (optional)",
                                    description="Leave empty for the default: when the session starts.",
                                    validators=[Optional()])
    feedback_closes_at = MomentField("Feedback closes (optional)",
                                     description="Leave empty for the default: 7 days after the session.",
                                     validators=[Optional()])
    notes = TextAreaField("Notes for attendees", description="Shown on the booking page and in emails.",
                          validators=[Optional(), _cap("Notes for attendees", 4000)])

    # Set by the view when editing: the capacity may not drop below the places taken.
    confirmed_count = 0

    def starts_at(self) -> datetime | None:
        if self.day.data and self.start_time.data:
            return london_to_utc(self.day.data, self.start_time.data)
        return None

    def ends_at(self) -> datetime | None:
        if self.day.data and self.end_time.data:
            return london_to_utc(self.day.data, self.end_time.data)
        return None

    def validate_end_time(self, field):
        starts, ends = self.starts_at(), self.ends_at()
        if starts and ends and ends <= starts:
            raise ValidationError("End time must be after the start time")

    def validate_capacity(self, field):
        if field.data is not None and field.data < self.confirmed_count:
            raise ValidationError(
                f"Capacity cannot be below the {self.confirmed_count} places already booked. "
                "Cancel bookings first if you need fewer places"
            )

    def validate_booking_closes_at(self, field):
        if field.data and self.booking_opens_at.data and field.data <= self.booking_opens_at.data:
            raise ValidationError("Booking must close after it opens")

    def validate_feedback_closes_at(self, field):
        if field.data and self.feedback_opens_at.data and field.data <= self.feedback_opens_at.data:
            raise ValidationError("Feedback must close after it opens")

    def session_fields(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "starts_at": self.starts_at(),
            "ends_at": self.ends_at(),
            "venue": self.venue.data.strip(),
            "address": (self.address.data or "").strip(),
            "locality": (self.locality.data or "").strip(),
            "capacity": self.capacity.data,
            "facilitators": (self.facilitators.data or "").strip(),
            "notes": (self.notes.data or "").strip(),
            "booking_opens_at": _local_to_utc(self.booking_opens_at.data),
            "booking_closes_at": _local_to_utc(self.booking_closes_at.data),
            "feedback_opens_at": _local_to_utc(self.feedback_opens_at.data),
            "feedback_closes_at": _local_to_utc(self.feedback_closes_at.data),
        }

    @staticmethod
    def initial_data(session) -> dict:
        local_start, local_end = to_local(session.starts_at), to_local(session.ends_at)
        return {
            "title": session.title,
            "day": local_start.date(),
            "start_time": time(local_start.hour, local_start.minute),
            "end_time": time(local_end.hour, local_end.minute),
            "venue": session.venue,
            "address": session.address,
            "locality": session.locality,
            "capacity": session.capacity,
            "facilitators": session.facilitators,
            "notes": session.notes,
            "booking_opens_at": _utc_to_local_naive(session.booking_opens_at),
            "booking_closes_at": _utc_to_local_naive(session.booking_closes_at),
            "feedback_opens_at": _utc_to_local_naive(session.feedback_opens_at),
            "feedback_closes_at": _utc_to_local_naive(session.feedback_closes_at),
        }


MAX_MESSAGE_LENGTH = 2000


class SessionMessageForm(AppForm):
    """An organiser's message to everyone booked on a session (a room change, parking)."""

    message = TextAreaField(
        "Message",
        description="Plain text. It is sent as you type it, with the session's details and each person's booking link.",
        validators=[DataRequired("Enter the message to send"),
                    Length(max=MAX_MESSAGE_LENGTH,
                           message=f"Message must be {MAX_MESSAGE_LENGTH:,} characters or fewer")],
    )
    audience = RadioField(
        "Who to email",
        choices=[("confirmed", "People with a place"),
                 ("everyone", "People with a place and people on the waiting list")],
        default="confirmed", validators=[DataRequired("Select who to email")],
    )
