"""What a downloadable table is made of, shared by the workbook's sheets and every CSV:
its columns (one list per table, so a CSV and its sheet can never disagree), and the
CSV writing itself (RFC 4180 quoting, formula guard, dates as Excel reads them)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from webapp.text import csv_cell


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14  # in the workbook
    kind: str = "text"  # text, int, percent, mean, date, time, datetime


def headers(columns: Sequence[Column]) -> list[str]:
    return [column.header for column in columns]


def csv_value(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return csv_cell(value)
    return "" if value is None else str(value)  # a number: never quoted


def csv_lines(header: Iterable[str], body: Iterable[Iterable]) -> Iterator[str]:
    """The CSV in chunks of 500 rows, header first: CRLF line ends, every text cell
    through the formula guard."""
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
