"""The export filter form on the results page (GET: nothing changes, so no CSRF token),
and the forms that exclude a burst of responses."""
from __future__ import annotations

from datetime import datetime

from wtforms import DateField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.feedback.models import EXCLUSION_REASON_MAX
from webapp.forms import YEAR_RANGE_MESSAGE, AppForm, year_in_range
from webapp.results.services import ResultsFilter
from webapp.sessions.forms import MomentField
from webapp.timezones import london_to_utc


def _check_year(field) -> None:
    # Year 9999 would overflow when the day after the end date is worked out.
    if not year_in_range(field.data):
        raise ValidationError(YEAR_RANGE_MESSAGE)


class ExportFilterForm(AppForm):
    class Meta:
        csrf = False

    sessions = SelectMultipleField(
        "Sessions",
        coerce=int,
        description="Leave all unticked to include every session.",
        validators=[Optional()],
    )
    date_from = DateField("Sessions held from", validators=[Optional()],
                          description="Leave empty for no limit.")
    date_to = DateField("Sessions held up to and including", validators=[Optional()],
                        description="Leave empty for no limit.")

    def __init__(self, sessions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions.choices = [(session.id, session.title) for session in sessions]

    def validate_date_from(self, field):
        _check_year(field)

    def validate_date_to(self, field):
        _check_year(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Enter an end date on or after the start date")

    def to_filter(self) -> ResultsFilter:
        return ResultsFilter(
            session_ids=tuple(sorted(self.sessions.data or ())),
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )


class ExclusionWindowForm(AppForm):
    """Which responses a burst is: a window of submission times (read from the query
    string, like a search; the excluding POST has its own token)."""

    class Meta:
        csrf = False

    submitted_from = MomentField("Submitted from", description="UK time, for example 27 3 2026 and 09:31",
                                 validators=[InputRequired("Enter when the burst started")])
    submitted_until = MomentField("Submitted until", description="UK time. Responses sent at this minute are "
                                  "not included, for example 27 3 2026 and 09:33",
                                  validators=[InputRequired("Enter when the burst ended")])

    def validate_submitted_until(self, field):
        if self.submitted_from.data and field.data and field.data <= self.submitted_from.data:
            raise ValidationError("The end must be after the start")

    def window(self) -> tuple[datetime, datetime]:
        """(from, until) in UTC."""
        since, until = (london_to_utc(moment.date(), moment.time())
                        for moment in (self.submitted_from.data, self.submitted_until.data))
        return since, until


class ExclusionForm(AppForm):
    reason = TextAreaField(
        "Why are you excluding these responses?",
        description="For example, 200 identical responses in two minutes from one script. "
                    "Recorded with the exclusion; not shown to viewers.",
        validators=[DataRequired("Enter why you are excluding these responses"),
                    Length(max=EXCLUSION_REASON_MAX,
                           message=f"The reason must be {EXCLUSION_REASON_MAX} characters or fewer")])
