"""The export filter form on the results page (GET: nothing changes, so no CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField
from wtforms.validators import Optional, ValidationError

from webapp.results.services import ResultsFilter


class ExportFilterForm(FlaskForm):
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

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Enter an end date on or after the start date")

    def to_filter(self) -> ResultsFilter:
        return ResultsFilter(
            session_ids=tuple(sorted(self.sessions.data or ())),
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
