"""CSV downloads of responses (readers) and attendance (managers only).

Same columns as the workbook's sheets; RFC 4180 quoting by the csv module; a cell
that a spreadsheet would read as a formula gets a leading apostrophe."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from webapp.exports import rows as table_rows
from webapp.programmes.models import Programme
from webapp.results import services as results
from webapp.results.services import ResultsFilter
from webapp.bookings.attendance import ATTENDANCE_COLUMNS, attendance_rows, registrations_of
from webapp.tables import csv_lines, headers
from webapp.timezones import local_naive


def responses_csv(programme: Programme, filters: ResultsFilter | None = None,
                  full_detail: bool = False) -> Iterator[str]:
    """Every response; rare "about you" answers hidden unless `full_detail` (managers)."""
    sessions = results.select_sessions(programme, filters)
    session_ids = [session.id for session in sessions]
    questions = [result.question for result in results.question_results(programme.feedback_form, session_ids)]
    return csv_lines(headers(table_rows.response_columns(questions)),
                     table_rows.response_rows(sessions, questions, full_detail=full_detail))


def attendance_csv(programme: Programme, filters: ResultsFilter | None = None) -> Iterator[str]:
    session_ids = [session.id for session in results.select_sessions(programme, filters)]
    return csv_lines(headers(ATTENDANCE_COLUMNS), attendance_rows(registrations_of(session_ids)))


def csv_filename(programme: Programme, what: str, moment: datetime) -> str:
    return f"{programme.slug}-{what}-{local_naive(moment):%Y%m%d-%H%M}.csv"
