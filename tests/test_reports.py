"""The board report: the Word document opened with python-docx (headings, tables, the
chart and its alternative text, figures equal to the results pages) and the HTML page."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa
from docx import Document

from tests import results_factories as f
from webapp.actions import services as actions
from webapp.actions.models import Action
from webapp.auth.models import Role
from webapp.demo.services import add_synthetic_responses
from webapp.extensions import db
from webapp.reports.docx import build_docx
from webapp.reports.services import board_report
from webapp.results import services as results


@pytest.fixture
def reported(app, demo):
    with app.app_context():
        programme = f.programme(demo)
        add_synthetic_responses(programme, 40, seed=3)
        for registration_session in f.sessions(demo)[:2]:
            for n in range(3):
                f.register(registration_session, name=f"Reported Attendee {n}",
                           email=f"p{n}-{registration_session.id}@example.org", checked_in=True)
        db.session.commit()
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        actions.add_update(action, "Chronologies shared", date(2027, 2, 1), status="on_track")
        actions.approve_quote(programme, 'Less paperwork <script>x</script>')
    return demo


def _docx(app, programme_id):
    with app.app_context():
        return Document(io.BytesIO(build_docx(board_report(f.programme(programme_id)))))


def test_the_word_report_has_headings_tables_and_the_results_figures(app, reported):
    document = _docx(app, reported)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert ("Heading 1", "Communication with Staff") in headings
    assert ("Heading 2", "Staff agreement with the inspectors' evaluations") in headings
    assert ("Heading 2", "The action plan") in headings
    opening = next(p.text for p in document.paragraphs if "frontline staff and managers" in p.text)
    assert "met 6 frontline staff and managers at 2 events" in opening
    indicators, plan = document.tables
    assert [c.text for c in indicators.rows[0].cells] == ["Quality indicator", "Inspectors' grade", "Staff who agree"]
    assert indicators.rows[0]._tr.trPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None
    with app.app_context():
        programme = f.programme(reported)
        figures = results.results_for(programme, results.select_sessions(programme))
        expected = {r.question.finding.title: f"{round(r.percent_agree * 100)}%" for r in figures.indicators
                    if r.question.finding.grade}
    shown = {row.cells[0].text: row.cells[2].text for row in indicators.rows[1:]}
    assert shown == expected
    assert len(plan.rows) == 1 + 15 and "Chronologies shared" in [c.text for row in plan.rows for c in row.cells]
    assert "“Less paperwork <script>x</script>”" in [p.text for p in document.paragraphs]
    pictures = document.inline_shapes
    assert len(pictures) == 1
    alt = pictures[0]._inline.docPr.get("descr")
    assert alt.startswith("Bar chart of the percentage of staff who agree") and next(iter(expected.values())) in alt


def test_no_figures_under_five_responses(app, demo):
    with app.app_context():
        add_synthetic_responses(f.programme(demo), 4, seed=1)
    document = _docx(app, demo)
    assert len(document.tables) == 1  # the action plan only
    assert any("Fewer than 5 people have given feedback" in p.text for p in document.paragraphs)
    assert len(document.inline_shapes) == 0


def test_viewers_download_the_report_and_read_the_page(app, reported, client, login_as):
    login_as(Role.VIEWER)
    response = client.get(f"/organiser/programmes/{reported}/report.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    assert Document(io.BytesIO(response.data)).tables
    page = client.get(f"/organiser/programmes/{reported}/report").get_data(as_text=True)
    assert "Communication with Staff" in page and "Table 1" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "@example.org" not in page and "Reported Attendee" not in page


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_libreoffice_converts_the_report(app, reported, tmp_path):
    path = tmp_path / "report.docx"
    with app.app_context():
        path.write_bytes(build_docx(board_report(f.programme(reported))))
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([binary, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, timeout=120, capture_output=True)
    assert (tmp_path / "report.pdf").stat().st_size > 1000
