"""The base class of every form in the app."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from webapp.text import clean_text, one_line


# The largest id an integer column holds: a bigger number sent in a form is refused,
# not handed to the database (SQLite raises OverflowError on it).
MAX_DATABASE_ID = 2**31 - 1


# Dates typed into a form must fall in these years: far outside any programme they are
# mistakes or tampering, and year 1 or 9999 overflows once a time zone or a day is added.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999
YEAR_RANGE_MESSAGE = f"Enter a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}, like 2026-03-27"


def year_in_range(value) -> bool:
    return value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR


def email_domain_allowed(email: str, allowed: list[str]) -> bool:
    """True when `allowed` is empty, or the address is at one of those domains or below one."""
    if not allowed:
        return True
    domain = email.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in allowed)


def strip_control_characters(value):
    """Control characters, and the characters XML forbids, have no place in anything a
    person types (PostgreSQL refuses NUL; U+FFFE broke every workbook). Tabs and line
    breaks are kept (webapp.text.clean_text)."""
    return clean_text(value)


def single_line(value):
    """A one-line field (a title, a venue, a name) never holds a line break, whatever a
    crafted request sends: it would split an email header or a calendar line."""
    return one_line(value) if isinstance(value, str) else value


def strip_surrounding_spaces(value):
    return value.strip() if isinstance(value, str) else value


class AppForm(FlaskForm):
    """A Flask-WTF form (CSRF-protected) whose text input is cleaned of control characters.

    A form that sets `strip_spaces = True` also has surrounding spaces removed before its
    checks (people paste addresses with a trailing space)."""

    strip_spaces = False

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [strip_control_characters, *unbound_field.kwargs.get("filters", [])]
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, (TextAreaField, PasswordField)):
                filters.insert(1, single_line)
            if getattr(form, "strip_spaces", False):
                filters.append(strip_surrounding_spaces)
            return unbound_field.bind(form=form, filters=filters, **options)


class ConfirmForm(AppForm):
    """A button-only POST (delete, open, close, move, confirm): just its CSRF token."""
