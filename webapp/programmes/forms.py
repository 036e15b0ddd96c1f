from webapp.forms import AppForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.programmes.models import GRADES, FindingKind


def _reminder_days(form, field) -> None:
    parts = [part.strip() for part in (field.data or "").split(",") if part.strip()]
    if any(not part.isdigit() or not 1 <= int(part) <= 60 for part in parts):
        raise ValidationError("Enter whole numbers of days from 1 to 60, separated by commas, like 7, 1")


def reminder_days_text(reminder_hours: list[int]) -> str:
    return ", ".join(str(hours // 24) for hours in reminder_hours)


def reminder_hours_from_days(text: str) -> str:
    days = [int(part) for part in (text or "").split(",") if part.strip().isdigit()]
    return ",".join(str(day * 24) for day in sorted(set(days), reverse=True))


class ProgrammeForm(AppForm):
    title = StringField(
        "Title",
        description="For example, Joint inspection of children's services: staff briefings",
        validators=[DataRequired("Enter a title"), Length(max=200, message="Title must be 200 characters or fewer")],
    )
    summary = TextAreaField(
        "Findings headline",
        description="One or two sentences that staff and the workbook's summary will show.",
        validators=[Optional(), Length(max=2000, message="Findings headline must be 2000 characters or fewer")],
    )
    reminder_days = StringField(
        "Remind people booked, days before their session",
        description="For example, 7, 1 (a week before and the day before). Leave empty to send no reminders.",
        default="7, 1",
        validators=[Length(max=40, message="Enter at most a few numbers of days"), _reminder_days],
    )
    allows_several_places = BooleanField(
        "A person may book more than one session of this programme",
        description="Leave unticked for a programme everyone attends once: someone who books a second "
        "session is offered to move their first booking instead.",
    )


class FindingForm(AppForm):
    kind = RadioField(
        "Kind of finding",
        choices=[(kind.value, kind.label) for kind in FindingKind],
        validators=[DataRequired("Select the kind of finding")],
    )
    title = StringField(
        "Finding",
        description="The indicator, the area for improvement, or the improvement area's name.",
        validators=[DataRequired("Enter the finding"),
                    Length(max=300, message="Finding must be 300 characters or fewer")],
    )
    headline_question = StringField(
        "Headline question (quality indicators only)",
        description="For example, How well are the lives of children and young people improving?",
        # No Optional(): it would stop the indicator check below from running.
        validators=[Length(max=300, message="Headline question must be 300 characters or fewer")],
    )
    grade = SelectField(
        "Inspection grade (quality indicators only)",
        choices=[("", "Select a grade")] + [(grade, grade) for grade in GRADES],
        validate_choice=False,  # checked in validate_grade, which knows the kind
    )
    detail = TextAreaField(
        "Actions or description",
        validators=[Optional(), Length(max=4000, message="Actions must be 4000 characters or fewer")],
    )
    progress = TextAreaField(
        "Progress (action-plan items only)",
        validators=[Optional(), Length(max=4000, message="Progress must be 4000 characters or fewer")],
    )

    def validate_headline_question(self, field):
        if self.kind.data == FindingKind.INDICATOR and not (field.data or "").strip():
            raise ValidationError("Enter the headline question this indicator sits under")

    def validate_grade(self, field):
        if self.kind.data == FindingKind.INDICATOR and field.data not in GRADES:
            raise ValidationError("Select the grade the inspectors gave this indicator")
        if field.data and field.data not in GRADES:
            raise ValidationError("Select a grade from the list")

    def finding_fields(self) -> dict:
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "headline_question": self.headline_question.data or None,
            "grade": self.grade.data or None,
            "detail": self.detail.data or "",
            "progress": self.progress.data or "",
        }

