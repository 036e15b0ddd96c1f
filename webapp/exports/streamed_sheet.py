"""A write-only sheet for the big tables (Responses, Comments): rows go to the file as XML.

Why: openpyxl's write-only sheet builds, types and checks a cell object for every value
and then writes it element by element, about 25 microseconds a cell; the Responses sheet
of 100,000 responses has two million cells, which made the whole workbook slower than
pandas writing that one sheet. Here a row becomes one XML string (about 5 microseconds
a cell), which lxml parses and writes into openpyxl's own stream: lxml stays the
serialiser, so the file is well-formed or the export fails; it is never corrupt.

Everything else (header of the file, frozen panes, widths, autofilter, styles, the zip)
is openpyxl's. A row may hold only None, str, int, float and `Styled` values; strings
must already be cleaned of the characters Excel refuses (workbook.clean_text) and any
text that could be a formula must be a `Styled` string with the quote-prefix style.

openpyxl's private API used here, all of it, and nothing else: the write-only sheet's
row writer `WriteOnlyWorksheet._write_rows` (a generator fed rows, writing through
`self._writer.xf`), and `Workbook._add_sheet`. Checked against openpyxl 3.1.5 (pinned in
pyproject.toml); `private_api_problems()` says what an upgrade broke, and
tests/test_exports.py fails on any version not in CHECKED_OPENPYXL_VERSIONS until someone
reads the new release's code and adds it.
"""
from __future__ import annotations

from datetime import datetime

import inspect

import openpyxl
from lxml.etree import fromstring
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


_LETTERS = [get_column_letter(index) for index in range(1, 16385)]
CHECKED_OPENPYXL_VERSIONS = ("3.1.5",)


def private_api_problems() -> list[str]:
    """What this module relies on in openpyxl that the installed version lacks."""
    problems = []
    if openpyxl.__version__ not in CHECKED_OPENPYXL_VERSIONS:
        problems.append(f"openpyxl {openpyxl.__version__} is not one this module was checked against "
                        f"({', '.join(CHECKED_OPENPYXL_VERSIONS)})")
    if not inspect.isgeneratorfunction(getattr(WriteOnlyWorksheet, "_write_rows", None)):
        problems.append("WriteOnlyWorksheet._write_rows is no longer a generator method")
    if not callable(getattr(openpyxl.Workbook, "_add_sheet", None)):
        problems.append("Workbook._add_sheet is gone")
    return problems


class Styled:
    """A value with a cell style of the workbook (`style_id` from a styled openpyxl cell)."""

    __slots__ = ("value", "style_id")

    def __init__(self, value: str | int | float | datetime, style_id: int):
        self.value = value
        self.style_id = style_id


def _escape(text: str) -> str:
    """Text in XML: markup escaped, and a carriage return kept (a parser would read \n).
    Four replaces beat str.translate several times over on short strings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _text(reference: str, text: str, style: str = "") -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _cell(reference: str, value, style: str = "") -> str:
    kind = type(value)
    if kind is str:
        return _text(reference, value, style)
    if kind is int or kind is float:
        return f'<c r="{reference}"{style} t="n"><v>{value!r}</v></c>'
    if kind is datetime:
        if value.tzinfo is not None:
            raise TypeError("Excel has no time zones: convert to London time and drop tzinfo first")
        return f'<c r="{reference}"{style} t="n"><v>{to_excel(value)!r}</v></c>'
    raise TypeError(f"A streamed sheet cannot write {kind.__name__} values")


def row_xml(row_number: int, values) -> str:
    number = str(row_number)
    parts = [f'<row r="{number}">']
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        reference = _LETTERS[index] + number
        kind = type(value)
        if kind is str:  # most cells
            parts.append(_text(reference, value))
        elif kind is Styled:
            parts.append(_cell(reference, value.value, f' s="{value.style_id}"'))
        else:
            parts.append(_cell(reference, value))
    parts.append("</row>")
    return "".join(parts)


class StreamedSheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet with its row writer replaced (same generator protocol
    as openpyxl 3.1's `_write_rows`: pinned in pyproject.toml; tests read files back)."""

    def _write_rows(self):
        xf = self._writer.xf.send(True)
        with xf.element("sheetData"):
            row_number = 1
            try:
                while True:
                    values = yield
                    xf.write(fromstring(row_xml(row_number, values)))
                    row_number += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)


def create_streamed_sheet(workbook, title: str) -> StreamedSheet:
    sheet = StreamedSheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)
    return sheet
