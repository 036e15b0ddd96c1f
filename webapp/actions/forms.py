from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.actions.models import ActionStatus
from webapp.forms import AppForm
from webapp.sessions.forms import DayField

STATUS_CHOICES = [(status.value, status.label) for status in ActionStatus]


class ActionForm(AppForm):
    area_id = SelectField("Improvement area", coerce=int,
                          validators=[InputRequired("Choose the improvement area this action belongs to")])
    title = TextAreaField("Action", validators=[DataRequired("Enter the action"),
                                                Length(max=300, message="Action must be 300 characters or fewer")])
    owner = StringField("Owner", description="A name or a team, for example Children's Service Executive Group",
                        validators=[Length(max=200, message="Owner must be 200 characters or fewer")])
    due_on = DayField("Due date", description="For example, 2027-03-31. Leave empty if there is none yet.",
                      validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES, default=ActionStatus.NOT_STARTED.value,
                         validators=[DataRequired("Choose a status")])
    progress = TextAreaField("Progress", description="Where the action stands now, in a sentence or two.",
                             validators=[Length(max=4000, message="Progress must be 4000 characters or fewer")])
    finding_ids = SelectMultipleField("Findings it answers", coerce=int, validators=[Optional()])
    theme_ids = SelectMultipleField("Themes in what staff wrote that inform it", coerce=int, validators=[Optional()])

    def __init__(self, areas, findings, themes=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_id.choices = [(area.id, area.title) for area in areas]
        self.finding_ids.choices = [(finding.id, f"{finding.kind_label}: {finding.title}") for finding in findings]
        self.theme_ids.choices = [(theme.id, theme.name) for theme in themes]

    def action_fields(self) -> dict:
        return dict(area_id=self.area_id.data, title=self.title.data or "", owner=self.owner.data or "",
                    due_on=self.due_on.data, status=self.status.data, progress=self.progress.data or "",
                    finding_ids=list(self.finding_ids.data or []), theme_ids=list(self.theme_ids.data or []))


class UpdateForm(AppForm):
    written_on = DayField("Date of the update", validators=[InputRequired("Enter the date of the update")])
    text = TextAreaField("What has been done", description="Published on the “You said, we did” page.",
                         validators=[DataRequired("Enter what has been done"),
                                     Length(max=2000, message="Update must be 2000 characters or fewer")])
    status = SelectField("Status now", choices=STATUS_CHOICES, validators=[DataRequired("Choose a status")])
    notify_attendees = BooleanField("Email it to everyone who attended a session of this programme")


class QuoteForm(AppForm):
    text = TextAreaField("Words to publish",
                         description="Remove anything that could identify a person, a team or a place.",
                         validators=[DataRequired("Enter the words to publish"),
                                     Length(max=1000, message="A quote must be 1000 characters or fewer")])
