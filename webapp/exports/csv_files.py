"""CSV downloads of responses (readers) and attendance (managers only).

Same columns as the workbook's sheets; RFC 4180 quoting by the csv module; a cell
that a spreadsheet would read as a formula gets a leading apostrophe."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from webapp.exports import rows as table_rows
from webapp.programmes.models import Programme
from webapp.results import services as results
from webapp.results.services import ResultsFilter
from webapp.text import csv_cell
from webapp.timezones import local_naive


def csv_value(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return csv_cell(value)
    return "" if value is None else str(value)  # a number: never quoted


def _lines(header: Iterable[str], body: Iterable[Iterable]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow([csv_value(value) for value in header])
    for count, row in enumerate(body, start=1):
        writer.writerow([csv_value(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def responses_csv(programme: Programme, filters: ResultsFilter | None = None,
                  full_detail: bool = False) -> Iterator[str]:
    """Every response; rare "about you" answers hidden unless `full_detail` (managers)."""
    sessions = results.select_sessions(programme, filters)
    session_ids = [session.id for session in sessions]
    questions = [result.question for result in results.question_results(programme.feedback_form, session_ids)]
    return _lines(table_rows.response_headers(questions),
                  table_rows.response_rows(sessions, questions, full_detail=full_detail))


def attendance_csv(programme: Programme, filters: ResultsFilter | None = None) -> Iterator[str]:
    sessions = results.select_sessions(programme, filters)
    return _lines(table_rows.ATTENDANCE_HEADERS, table_rows.attendance_rows(sessions))


def csv_filename(programme: Programme, what: str, moment: datetime) -> str:
    return f"{programme.slug}-{what}-{local_naive(moment):%Y%m%d-%H%M}.csv"
