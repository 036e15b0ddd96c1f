"""The form builder's forms. (The phone form is built from the questions themselves:
see services.read_answers.)"""
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.feedback.models import QuestionKind
from webapp.feedback.form_builder import parse_option_lines
from webapp.programmes.models import FINDING_KIND_PLURALS, FindingKind
from webapp.forms import AppForm

CHOICES_TYPED = {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE}


class QuestionForm(AppForm):
    kind = RadioField(
        "Type of question",
        choices=[(kind.value, kind.label) for kind in QuestionKind],
        validators=[DataRequired("Select the type of question")],
    )
    text = TextAreaField(
        "Question",
        description="As staff will read it, for example: How useful was this session?",
        validators=[DataRequired("Enter the question"),
                    Length(max=500, message="Question must be 500 characters or fewer")],
    )
    hint = StringField(
        "Hint (optional)",
        description="A short line under the question, for example: Choose up to two.",
        validators=[Optional(), Length(max=500, message="Hint must be 500 characters or fewer")],
    )
    section = StringField(
        "Section heading (optional)",
        description="Questions with the same heading are shown together, for example: About you (optional).",
        validators=[Optional(), Length(max=120, message="Section heading must be 120 characters or fewer")],
    )
    required = BooleanField("Staff must answer this question")
    answer_options = TextAreaField(
        "Answers to choose from (single and multiple choice only)",
        description="One answer per line. Answers that people have already chosen are hidden, not deleted, "
        "when you remove them.",
        validators=[Optional()],
    )
    max_choices = IntegerField(
        "Most answers a person can choose (multiple choice only, optional)",
        validators=[Optional(), NumberRange(min=1, message="Enter a whole number, 1 or more")],
    )
    # Asked for only when a question people have answered is reworded (see the view).
    confirm_rewording = BooleanField(
        "Yes, change the wording: the results will show which answers were to the old words")
    finding_id = SelectField(
        "Finding this question is about (optional)",
        description="Shown beside the question, with its grade, on the phone form.",
        coerce=int,
        choices=[],
        validators=[Optional()],
    )

    def __init__(self, *args, findings=(), kind_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_locked = kind_locked
        # Grouped under headings (an <optgroup> each): indicators, areas, actions.
        groups: dict[str, list] = {"No finding": [(0, "None")]}
        for finding in findings:
            groups.setdefault(FINDING_KIND_PLURALS[FindingKind(finding.kind)], []).append(
                (finding.id, f"{finding.title} ({finding.grade})" if finding.grade else finding.title))
        self.finding_id.choices = groups

    def option_labels(self) -> list[str]:
        return parse_option_lines(self.answer_options.data)

    def validate_answer_options(self, field):
        if self.kind.data not in CHOICES_TYPED:
            return
        labels = self.option_labels()
        if len(labels) < 2:
            raise ValidationError("Enter at least 2 answers to choose from, one per line")
        if any(len(label) > 200 for label in labels):
            raise ValidationError("Each answer must be 200 characters or fewer")
        if len(set(labels)) != len(labels):
            raise ValidationError("Each answer must be different: remove the repeated line")

    def validate_max_choices(self, field):
        if self.kind.data != QuestionKind.MULTI_CHOICE or field.data is None:
            return
        count = len(self.option_labels())
        if count and field.data > count:
            raise ValidationError(f"Enter a number no bigger than the number of answers ({count})")

    def question_fields(self) -> dict:
        return {
            "kind": self.kind.data,
            "text": self.text.data,
            "hint": self.hint.data or "",
            "section": self.section.data or "",
            "required": bool(self.required.data),
            "max_choices": self.max_choices.data,
            "option_labels": self.option_labels(),
            "finding_id": self.finding_id.data or None,
        }

