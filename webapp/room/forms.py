from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms import AppForm
from webapp.room.models import ANSWER_MAX, QUESTION_MAX, Moderation

# Said instead of Flask-WTF's "The CSRF token has expired.": what happened, and what to do.
EXPIRED_PAGE = "This page was open for a long time and needed refreshing. Press the button again"


class PhoneForm(AppForm):
    """A form on the phone's questions page. Its CSRF token is checked here, not before the
    view, so that a page left open in a pocket for hours keeps what was typed."""

    def validate_on_submit(self, extra_validators=None) -> bool:
        valid = super().validate_on_submit(extra_validators)
        if self.meta.csrf and self.csrf_token.errors:
            self.csrf_token.errors = [EXPIRED_PAGE]
        return valid


class AskForm(PhoneForm):
    text = TextAreaField(
        "Ask a question",
        description=f"Anonymous: we do not record who asked. Up to {QUESTION_MAX} characters.",
        validators=[DataRequired("Enter your question"),
                    Length(max=QUESTION_MAX, message=f"Your question must be {QUESTION_MAX} characters or fewer")])


class VoteForm(PhoneForm):
    """Only its CSRF token: the question is in the URL."""


class ModerationForm(AppForm):
    moderation = RadioField("Questions from the room", choices=[(m.value, m.label) for m in Moderation],
                            validators=[DataRequired("Choose how questions are moderated")])


class AnswerForm(AppForm):
    answer = TextAreaField(
        "Answer",
        description="Published on the programme's “You said, we did” page with the question. "
                    "Do not name or describe a person.",
        validators=[DataRequired("Enter the answer"),
                    Length(max=ANSWER_MAX, message=f"The answer must be {ANSWER_MAX} characters or fewer")])
