"""The board report as a Word document: real headings, tables with marked header rows,
the chart as an image with alternative text. Opens in Word and LibreOffice."""
from __future__ import annotations

from collections.abc import Sequence

import io

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm

from webapp.reports.chart import agreement_chart
from webapp.reports.services import THEMES_NOTE, BoardReport, chart_alt_text, percent
from webapp.text import clean_text


def _text(value: object) -> str:
    """Text Word's XML accepts (no control characters)."""
    return clean_text(str(value or ""))


def _table(document, headers: list[str], rows: Sequence[Sequence[object]], caption: str):
    document.add_paragraph(_text(caption), style="Caption")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    # Screen readers and Word repeat and announce a row marked as the table's header.
    properties = header._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)
    for cell, text in zip(header.cells, headers):
        cell.text = ""
        cell.paragraphs[0].add_run(_text(text)).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = _text(value)
    return table


def build_docx(report: BoardReport) -> bytes:
    document = Document()
    document.core_properties.title = _text(f"{report.programme.title}: communication with staff")
    document.core_properties.language = "en-GB"
    document.add_heading(_text(report.programme.title), level=0)
    document.add_heading("Communication with Staff", level=1)
    document.add_paragraph(_text(report.opening()))
    if report.reach_sentence():
        document.add_paragraph(_text(report.reach_sentence()))
    document.add_paragraph(_text(report.feedback_sentence()))

    if report.figures_shown and report.indicators:
        document.add_heading("Staff agreement with the inspectors' evaluations", level=2)
        _table(document, ["Quality indicator", "Inspectors' grade", "Staff who agree"],
               [[row.title, row.grade, percent(row.percent_agree)] for row in report.indicators],
               "Table 1: staff agreement against the inspectors' grade for each quality indicator")
        charted = [(row.title, row.percent_agree) for row in report.indicators if row.percent_agree is not None]
        if charted:
            document.add_paragraph()
            document.add_picture(io.BytesIO(agreement_chart(charted)), width=Cm(16))
            # The picture's alternative text: docPr's descr is what Word shows as "Alt Text".
            inline = document.inline_shapes[-1]._inline
            inline.docPr.set("descr", _text(chart_alt_text(report)))
            inline.docPr.set("title", "Staff agreement with each quality indicator")
            document.add_paragraph("Figure 1: % of staff who agree with each quality indicator", style="Caption")
        document.add_paragraph(
            "“Staff who agree” counts Agree and Strongly agree, out of everyone who answered except "
            "“Don't know”. An indicator that fewer than 5 people answered is not shown.")

    if report.themes:
        document.add_heading("The main themes in what staff wrote", level=2)
        _table(document, ["Theme", "What it covers", "Staff who wrote about it"],
               [[row.theme.name, row.theme.description, row.responses] for row in report.themes],
               "Table 2: the themes staff wrote about most")
        document.add_paragraph(THEMES_NOTE)

    if report.quotes:
        document.add_heading("What staff said", level=2)
        for quote in report.quotes:
            document.add_paragraph(_text(f"“{quote.text}”"), style="Quote")

    document.add_heading("The action plan", level=2)
    rows = [[area.title, action.title, action.owner, action.due_on.strftime("%-d %B %Y") if action.due_on else "",
             action.status.label, action.updates[0].text if action.updates else action.progress]
            for area, area_actions in report.plan for action in area_actions]
    if rows:
        _table(document, ["Improvement area", "Action", "Owner", "Due", "Status", "Latest progress"], rows,
               f"Table {3 if report.themes else 2}: the action plan and progress against it")
    else:
        document.add_paragraph("The action plan has no actions yet.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
