from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.forms import MAX_DATABASE_ID, AppForm
from webapp.themes.models import THEME_DESCRIPTION_MAX, THEME_NAME_MAX
from webapp.themes.suggest import MAX_THEMES, MIN_THEMES

NAME_TOO_LONG = f"Theme name must be {THEME_NAME_MAX} characters or fewer"
DESCRIPTION_TOO_LONG = f"Description must be {THEME_DESCRIPTION_MAX} characters or fewer"


class ThemeForm(AppForm):
    name = StringField("Name", description="A few words, for example Caseloads and workload.",
                       validators=[DataRequired("Enter a name for the theme"),
                                   Length(max=THEME_NAME_MAX, message=NAME_TOO_LONG)])
    description = StringField("Short description", description="What comments under this theme are about.",
                              validators=[Length(max=THEME_DESCRIPTION_MAX, message=DESCRIPTION_TOO_LONG)])


class MergeForm(AppForm):
    target_id = SelectField("Merge into", coerce=int,
                            validators=[InputRequired("Choose the theme to merge into")])

    def __init__(self, others, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_id.choices = [(theme.id, theme.name) for theme in others]


class TaggingForm(AppForm):
    """One page of comments: `shown` lists the comments on the page, `tags` the ticked
    boxes as "answer id:theme id". Rendered by hand (a table of checkboxes)."""

    shown = SelectMultipleField(coerce=int, validate_choice=False)
    tags = SelectMultipleField(validate_choice=False)

    def validate_shown(self, field) -> None:
        if any(not 0 < value <= MAX_DATABASE_ID for value in field.data or []):
            raise ValidationError("Reload the page: it lists comments that do not exist")

    def pairs(self) -> list[tuple[int, int]] | None:
        """The ticked (answer id, theme id) pairs; None if a box was tampered with."""
        out = []
        for value in self.tags.data or []:
            answer_id, _, theme_id = value.partition(":")
            if not (answer_id.isdigit() and theme_id.isdigit()):
                return None
            pair = (int(answer_id), int(theme_id))
            if not all(0 < part <= MAX_DATABASE_ID for part in pair):
                return None
            out.append(pair)
        return out


class SuggestForm(AppForm):
    themes_wanted = IntegerField(
        "How many themes to suggest", description=f"From {MIN_THEMES} to {MAX_THEMES}. Leave empty to let the "
        "server choose from the number of comments.",
        validators=[Optional(), NumberRange(min=MIN_THEMES, max=MAX_THEMES,
                                            message=f"Enter a number from {MIN_THEMES} to {MAX_THEMES}")])
    untagged_only = BooleanField("Only comments that have no theme yet", default=True)


class DecisionForm(AppForm):
    """What the organiser decides about one suggestion (the button pressed says which)."""

    name = StringField("Name", validators=[Length(max=THEME_NAME_MAX, message=NAME_TOO_LONG)])
    description = StringField("Short description",
                              validators=[Length(max=THEME_DESCRIPTION_MAX, message=DESCRIPTION_TOO_LONG)])
    target_id = SelectField("Or add its comments to", coerce=int, validate_choice=False,
                            validators=[Optional(), NumberRange(min=1, max=MAX_DATABASE_ID,
                                                                message="Choose one of the themes")])
    decision = SelectField(choices=[("accept", "accept"), ("merge", "merge"), ("reject", "reject")],
                           validators=[DataRequired("Choose what to do with the suggestion")])
