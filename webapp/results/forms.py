"""The export filter form on the results page (GET: nothing changes, so no CSRF token)."""
from __future__ import annotations

from wtforms import DateField, SelectMultipleField
from wtforms.validators import Optional, ValidationError

from webapp.forms import YEAR_RANGE_MESSAGE, AppForm, year_in_range
from webapp.results.services import ResultsFilter


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
