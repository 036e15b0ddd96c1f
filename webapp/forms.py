"""The base class of every form in the app."""
import re

from flask_wtf import FlaskForm

# Control characters have no place in anything a person types, and PostgreSQL refuses NUL
# outright. Tabs and line breaks are kept.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value):
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class AppForm(FlaskForm):
    """A Flask-WTF form (CSRF-protected) whose text input is cleaned of control characters."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [strip_control_characters, *unbound_field.kwargs.get("filters", [])]
            return unbound_field.bind(form=form, filters=filters, **options)
