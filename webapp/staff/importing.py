"""Importing a staff list from CSV or Excel, in three steps an organiser can check:
upload (the file is read for its headers and kept), map (which column holds what; every
row is checked into a staging table, in batches, so memory does not grow with the file),
and import (one transaction: new people added, known people updated by email, people no
longer listed removed, with the counts shown first)."""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.dialects import postgresql, sqlite

from webapp.audit import AuditAction, record
from webapp.auth.models import User
from webapp.text import normalise_email
from webapp.db_types import utcnow
from webapp.text import clean_text
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.staff.models import EMAIL_MAX, GROUP_MAX, NAME_MAX, StaffMember, StaffUpload, StaffUploadRow

BATCH = 2000
MAX_COLUMNS = 60
# The fields of a person, in the order the mapping page asks for them.
FIELDS = {
    "name": "Name",
    "email": "Work email",
    "team": "Team or service",
    "locality": "Locality",
    "role_group": "Role group",
    "organisation": "Organisation",
}
REQUIRED = ("name", "email", "team")
# Header words that suggest each field when the mapping page first opens.
_GUESSES = {
    "name": ("full name", "name", "staff name", "employee name"),
    "email": ("email", "e-mail", "work email", "email address"),
    "team": ("team", "service", "team or service", "department"),
    "locality": ("locality", "area", "location"),
    "role_group": ("role group", "role", "job family", "staff group"),
    "organisation": ("organisation", "organization", "employer", "agency"),
}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffListError(ValueError):
    """A file that cannot be imported; the message says why and what to do."""


@dataclass
class Preview:
    rows: int
    valid: int
    errors: int
    added: int
    updated: int
    removed: int
    first_errors: list[StaffUploadRow]


# ---------------------------------------------------------------------------
# Step 1: the upload
# ---------------------------------------------------------------------------

def read_upload(programme: Programme, actor: User, filename: str, content: bytes) -> StaffUpload:
    """Check the file can be read and has headers; keep it for the mapping step."""
    file_type = _file_type(content)
    headers = _headers(next(_raw_rows(file_type, content), None))
    upload = StaffUpload(programme_id=programme.id, user_id=actor.id, filename=clean_text(filename)[:200],
                         file_type=file_type, content=content, headers=headers,
                         mapping=guess_mapping(headers))
    db.session.add(upload)
    db.session.commit()
    return upload


def _file_type(content: bytes) -> str:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise StaffListError("This is a password-protected workbook or an old .xls file. Save it from Excel "
                           "as an .xlsx workbook without a password, or as CSV UTF-8, and upload that.")
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" not in archive.namelist():
                    raise StaffListError("This file is not an Excel workbook. Upload an .xlsx or a CSV file.")
        except zipfile.BadZipFile:
            raise StaffListError("This workbook is damaged and cannot be read. Save it again and upload it.") from None
        return "xlsx"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(content, final=True)
    except UnicodeDecodeError:
        raise StaffListError("This file is not a CSV saved as UTF-8 text. In Excel choose Save As, then "
                           "“CSV UTF-8 (Comma delimited)”, and upload that file.") from None
    if b"\x00" in content:
        raise StaffListError("This file is not a CSV or an Excel workbook. Upload an .xlsx or a CSV file.")
    return "csv"


def _raw_rows(file_type: str, content: bytes) -> Iterator[list[str]]:
    """Each row of the first sheet (or the CSV) as text cells, streamed."""
    if file_type == "csv":
        text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
        try:
            for row in csv.reader(text):
                yield row[:MAX_COLUMNS]
        except csv.Error as error:
            raise StaffListError(f"This CSV file cannot be read ({error}). Save it again as CSV UTF-8.") from None
        return
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(max_col=MAX_COLUMNS):
            cells = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    raise StaffListError(f"Cell {cell.coordinate} holds a formula. Copy the list and paste it "
                                       "as values only, then upload it again.")
                value = cell.value
                cells.append("" if value is None else str(value))
            yield cells
    finally:
        workbook.close()


def _headers(first_row: list[str] | None) -> list[str]:
    headers = [clean_text(header).strip()[:80] for header in (first_row or [])]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise StaffListError("The file is empty, or its first row has no column headings. Put the headings "
                           "(Name, Work email, Team ...) in the first row.")
    return [header or f"Column {number}" for number, header in enumerate(headers, start=1)]


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    lowered = [header.lower().strip() for header in headers]
    mapping: dict[str, int | None] = {}
    for field, words in _GUESSES.items():
        mapping[field] = next((lowered.index(word) for word in words if word in lowered), None)
    return mapping


def sample_rows(upload: StaffUpload, count: int = 5) -> list[list[str]]:
    rows = _raw_rows(upload.file_type, upload.content)
    next(rows, None)
    return [[clean_text(cell)[:80] for cell in row] for _, row in zip(range(count), rows)]


# ---------------------------------------------------------------------------
# Step 2: the mapping, and every row checked
# ---------------------------------------------------------------------------

def check_rows(upload: StaffUpload, mapping: dict[str, int | None]) -> Preview:
    """Stage every row with its error (if any), and say what importing would do."""
    missing = [FIELDS[field] for field in REQUIRED if mapping.get(field) is None]
    if missing:
        raise StaffListError(f"Choose the column that holds: {', '.join(missing)}")
    upload.mapping = mapping
    db.session.execute(sa.delete(StaffUploadRow).where(StaffUploadRow.upload_id == upload.id))
    mapped = {index for index in mapping.values() if index is not None}
    extra = {index: header for index, header in enumerate(upload.headers) if index not in mapped}
    rows = _raw_rows(upload.file_type, upload.content)
    next(rows, None)
    batch: list[dict] = []
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        batch.append(_staged(upload.id, number, cells, mapping, extra))
        if len(batch) >= BATCH:
            db.session.execute(sa.insert(StaffUploadRow), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(StaffUploadRow), batch)
    _mark_duplicates(upload.id)
    db.session.commit()
    return preview(upload)


def _cell(cells: list[str], index: int | None, limit: int) -> str:
    if index is None or index >= len(cells):
        return ""
    return clean_text(cells[index]).strip()[:limit]


def _staged(upload_id: int, number: int, cells: list[str], mapping: dict, extra: dict[int, str]) -> dict:
    email = normalise_email(_cell(cells, mapping.get("email"), EMAIL_MAX + 1))
    values = dict(
        upload_id=upload_id, row_number=number,
        name=_cell(cells, mapping.get("name"), NAME_MAX), email=email[:EMAIL_MAX],
        team=_cell(cells, mapping.get("team"), GROUP_MAX), locality=_cell(cells, mapping.get("locality"), GROUP_MAX),
        role_group=_cell(cells, mapping.get("role_group"), GROUP_MAX),
        organisation=_cell(cells, mapping.get("organisation"), GROUP_MAX),
        labels={header: _cell(cells, index, 200) for index, header in extra.items() if _cell(cells, index, 200)},
    )
    values["error"] = _row_error(values, email)
    return values


def _row_error(values: dict, email: str) -> str:
    if not email:
        return "No email address"
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        return "The email address is not in the right format"
    if not values["name"]:
        return "No name"
    if not values["team"]:
        return "No team or service"
    return ""


def _mark_duplicates(upload_id: int) -> None:
    """A second row with an email already in the file is an error; the first one counts."""
    first = (
        sa.select(StaffUploadRow.email, sa.func.min(StaffUploadRow.row_number).label("first_row"))
        .where(StaffUploadRow.upload_id == upload_id, StaffUploadRow.error == "")
        .group_by(StaffUploadRow.email)
        .having(sa.func.count() > 1)
        .subquery()
    )
    duplicates = db.session.execute(
        sa.select(StaffUploadRow.id, first.c.first_row)
        .join(first, first.c.email == StaffUploadRow.email)
        .where(StaffUploadRow.upload_id == upload_id, StaffUploadRow.error == "",
               StaffUploadRow.row_number != first.c.first_row)
    ).all()
    for start in range(0, len(duplicates), BATCH):
        db.session.execute(
            sa.update(StaffUploadRow),
            [{"id": row_id, "error": f"The same email as row {first_row}"}
             for row_id, first_row in duplicates[start:start + BATCH]],
        )


def _valid_rows(upload_id: int):
    return sa.select(StaffUploadRow).where(StaffUploadRow.upload_id == upload_id, StaffUploadRow.error == "")


def preview(upload: StaffUpload) -> Preview:
    count = sa.func.count()
    rows = db.session.scalar(sa.select(count).where(StaffUploadRow.upload_id == upload.id)) or 0
    valid_emails = _valid_rows(upload.id).with_only_columns(StaffUploadRow.email)
    valid = db.session.scalar(sa.select(count).select_from(valid_emails.subquery())) or 0
    updated = db.session.scalar(sa.select(count).where(
        StaffMember.programme_id == upload.programme_id, StaffMember.email.in_(valid_emails))) or 0
    removed = db.session.scalar(sa.select(count).where(
        StaffMember.programme_id == upload.programme_id, StaffMember.email.not_in(valid_emails))) or 0
    first_errors = list(db.session.scalars(
        sa.select(StaffUploadRow).where(StaffUploadRow.upload_id == upload.id, StaffUploadRow.error != "")
        .order_by(StaffUploadRow.row_number).limit(50)))
    return Preview(rows=rows, valid=valid, errors=rows - valid, added=valid - updated, updated=updated,
                   removed=removed, first_errors=first_errors)


# ---------------------------------------------------------------------------
# Step 3: the import
# ---------------------------------------------------------------------------

def apply_upload(upload: StaffUpload, actor: User) -> Preview:
    """Add, update by email and remove, in one transaction with its audit entry; the
    uploaded file and its staged rows are then deleted."""
    result = preview(upload)
    if result.valid == 0:
        raise StaffListError("No row can be imported: correct the rows listed and upload the file again.")
    programme_id, now = upload.programme_id, utcnow()
    valid = _valid_rows(upload.id).subquery()
    db.session.execute(sa.delete(StaffMember).where(
        StaffMember.programme_id == programme_id, StaffMember.email.not_in(sa.select(valid.c.email))))
    columns = ["name", "email", "team", "locality", "role_group", "organisation", "labels"]
    # (SQLite needs a WHERE in an INSERT ... SELECT ... ON CONFLICT.)
    source = sa.select(sa.literal(programme_id), *[valid.c[name] for name in columns],
                       sa.literal(now, StaffMember.created_at.type), sa.literal(now, StaffMember.updated_at.type)
                       ).where(valid.c.email != "")
    insert = _dialect_insert()(StaffMember).from_select(
        ["programme_id", *columns, "created_at", "updated_at"], source)
    excluded = insert.excluded
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["programme_id", "email"],
        set_={**{name: excluded[name] for name in columns if name != "email"}, "updated_at": excluded.updated_at},
    ))
    record(actor, AuditAction.STAFF_LIST_IMPORTED, f"programme:{programme_id}",
           f"{result.added} added, {result.updated} updated, {result.removed} removed, "
           f"{result.errors} rows not imported")
    db.session.delete(upload)
    db.session.commit()
    return result


def _dialect_insert():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert


def discard_upload(upload: StaffUpload) -> None:
    db.session.delete(upload)
    db.session.commit()
