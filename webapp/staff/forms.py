"""Forms of the staff list: the upload, the column mapping, invitations."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField

from webapp.forms import AppForm
from webapp.staff.importing import FIELDS, REQUIRED
from webapp.staff.models import NotApplicable


class UploadForm(AppForm):
    file = FileField("Staff list", description="A CSV file (saved as CSV UTF-8) or an Excel workbook (.xlsx), "
                                               "with column headings in the first row.",
                     validators=[FileRequired("Choose the file with the staff list")])


def mapping_form(headers: list[str], mapping: dict, formdata=None) -> AppForm:
    """One select per field, each listing the file's columns."""
    choices = [("", "Not in this file")] + [(str(index), header) for index, header in enumerate(headers)]

    class MappingForm(AppForm):
        pass

    for field, label in FIELDS.items():
        required = " (required)" if field in REQUIRED else ""
        setattr(MappingForm, field, SelectField(f"{label}{required}", choices=choices,
                                                default="" if mapping.get(field) is None else str(mapping[field])))
    return MappingForm(formdata=formdata)


def mapping_from(form) -> dict[str, int | None]:
    return {field: (int(getattr(form, field).data) if getattr(form, field).data not in ("", None) else None)
            for field in FIELDS}


class InviteForm(AppForm):
    session_id = SelectField("Session to invite them to", coerce=int,
                             validate_choice=True)
    who = RadioField("Who to invite", default="not_attended", choices=[
        ("not_attended", "Everyone listed who has not attended a briefing"),
        ("not_booked", "Only those with no booking either"),
    ])
    again = BooleanField("Also invite again people already invited to this session")


class AnswerForm(AppForm):
    answer = RadioField("Does this briefing apply to you?", choices=[
        (NotApplicable.LEFT.value, "I have left, or no longer work in these services"),
        (NotApplicable.ATTENDED_ELSEWHERE.value, "I attended another briefing"),
    ], validators=[])
