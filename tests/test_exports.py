"""The workbook and CSV downloads: sheets, headers, figures, dates, safety, roles, filters."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import results_factories as f
from webapp.auth.models import AuditEntry, Role
from webapp.exports.workbook import AGREEMENT_POINTS, SHEETS, build_workbook, indicators_headers
from webapp.bookings.attendance import ATTENDANCE_COLUMNS
from webapp.extensions import db
from webapp.tables import headers
from webapp.feedback.models import Answer, QuestionKind, QuestionOption, Response
from webapp.programmes.services import create_programme
from webapp.results import services
from webapp.timezones import local_naive, to_local

INJECTIONS = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(A1:A2)", "-2+3", "@SUM(A1)",
              "\tcmd", "\rcmd"]


@pytest.fixture
def filled(app, demo):
    with app.app_context():
        first, second = f.sessions(demo)[:2]
        indicators = [q for q in f.programme(demo).feedback_form.questions if q.kind == QuestionKind.AGREEMENT]
        multi = f.question(demo, kind=QuestionKind.MULTI_CHOICE)
        comment_q = f.question(demo, kind=QuestionKind.LONG_TEXT)
        f.register(first, checked_in=True, job_role="Senior practitioner", organisation="HSCP")
        f.register(first, name="Other Person", email="other@example.org", checked_in=True)
        f.register(second, name="Waiting Person", email="waiting@example.org", status="waiting")
        labels = ["Strongly agree", "Agree", "Agree", "Disagree", "Don't know", "Neither agree nor disagree"]
        for number, label in enumerate(labels):
            session = first if number < 4 else second
            f.respond(session, {indicators[0]: label, indicators[1]: labels[-1 - number],
                                multi: [o.label for o in multi.options[:2]]},
                      submitted_at=f.minutes_ago(60 - number))
        for number, text in enumerate(INJECTIONS):
            f.respond(first, {comment_q: text}, submitted_at=f.minutes_ago(30 - number))
        f.respond(second, {comment_q: "bell\x07 and soh\x01 and vertical\x0btab"}, submitted_at=f.minutes_ago(5))
        db.session.commit()
        return {"programme": demo, "first": first.id, "second": second.id}


def _build(app, programme_id, *, include_attendance=True, filters=None):
    with app.app_context():
        out = io.BytesIO()
        build_workbook(f.programme(programme_id), out, include_attendance=include_attendance, filters=filters)
        return out.getvalue()


def _load(data: bytes):
    return load_workbook(io.BytesIO(data))


def _rows(ws):
    return list(ws.iter_rows(values_only=True))


def _header(ws):
    return list(next(ws.iter_rows(min_row=1, max_row=1, values_only=True)))


def _summary(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}


def test_sheet_names_order_and_headers(app, filled):
    workbook = _load(_build(app, filled["programme"]))
    assert workbook.sheetnames == list(SHEETS)
    assert _header(workbook["Sessions"]) == ["Session", "Date", "Start", "End", "Venue", "Locality", "Capacity", "Booked",
                                             "Waiting", "Attended", "Responses", "Response rate"]
    assert _header(workbook["Indicators"]) == indicators_headers()
    assert indicators_headers()[:5] == ["Headline question", "Indicator", "Inspection grade",
                                        "Strongly disagree", "Strongly disagree %"]
    assert indicators_headers()[-4:] == ["Don't know", "Responses", "Mean", "% agree"]
    assert _header(workbook["Questions"]) == ["Number", "Question", "Type", "Answer", "Count", "Percentage",
                                              "Answered", "Mean"]
    with app.app_context():
        questions = [q.text for q in f.programme(filled["programme"]).feedback_form.visible_questions]
    assert _header(workbook["Responses"]) == ["Response number", "Session", "Locality", "Submitted at",
                                              *questions]
    assert _header(workbook["Comments"]) == ["Session", "Question", "Submitted at", "Comment"]
    assert _header(workbook["Attendance"]) == [
        "Session", "Session starts", "Name", "Email", "Job role", "Team or service", "Locality", "Organisation",
        "Access requirements", "Status", "Walk-in", "Booked at", "Checked in at"]
    for ws in workbook.worksheets[1:]:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(cell.font.b for cell in ws[1]), ws.title
        for cell in ws[1]:
            assert ws.column_dimensions[cell.column_letter].width >= 8, (ws.title, cell.value)


def test_figures_equal_the_answers_and_the_results_pages(app, client, login_as, filled):
    workbook = _load(_build(app, filled["programme"]))
    with app.app_context():
        programme = f.programme(filled["programme"])
        indicators = [q for q in programme.feedback_form.questions if q.kind == QuestionKind.AGREEMENT]
        # Independent: straight from the answer rows.
        expected = {}
        for question in indicators:
            scores = list(db.session.scalars(
                sa.select(QuestionOption.score).join(Answer, Answer.option_id == QuestionOption.id)
                .where(Answer.question_id == question.id)))
            scored = [s for s in scores if s is not None]
            expected[question.finding.title] = {
                "responses": len(scores), "dont_know": scores.count(None),
                "mean": sum(scored) / len(scored) if scored else None,
                "agree": sum(1 for s in scored if s >= 4) / len(scored) if scored else None,
                "strongly_agree": scores.count(5), "scores": scores,
                "headline": question.finding.headline_question, "grade": question.finding.grade,
            }
        total_responses = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.session_id.in_([filled["first"], filled["second"]])))
        sessions = f.sessions(filled["programme"])
    rows = _rows(workbook["Indicators"])[1:]
    assert len(rows) == len(indicators)
    headers = indicators_headers()
    for row in rows:
        want = expected[row[1]]
        values = dict(zip(headers, row))
        assert values["Responses"] == want["responses"]
        assert values["Don't know"] == want["dont_know"]
        assert values["Strongly agree"] == want["strongly_agree"]
        assert values["Headline question"] == want["headline"] and values["Inspection grade"] == want["grade"]
        for label, score in AGREEMENT_POINTS:  # each point of the scale: its count and its share
            assert values[label] == want["scores"].count(score), label
            share = want["scores"].count(score) / want["responses"] if want["responses"] else None
            assert values[f"{label} %"] == pytest.approx(share), label
        assert values["Mean"] == pytest.approx(want["mean"]) if want["mean"] is not None else values["Mean"] is None
        assert values["% agree"] == pytest.approx(want["agree"]) if want["agree"] is not None \
            else values["% agree"] is None
    first_indicator = rows[0]
    assert first_indicator[-1] == pytest.approx(3 / 5)  # SA, A, A of 5 (Don't know left out)
    summary = _summary(workbook["Summary"])
    assert summary["Responses"] == total_responses
    assert summary["Sessions"] == len(sessions)
    assert summary["Booked"] == 2 and summary["Attended"] == 2
    # more responses than check-ins: no rate, and the reason instead
    assert summary["Response rate"].startswith("Not available: more responses")
    session_rows = _rows(workbook["Sessions"])[1:]
    assert [row[0] for row in session_rows] == [s.title for s in sessions]
    assert [row[10] for row in session_rows[:2]] == [4 + len(INJECTIONS), 3]
    assert session_rows[0][9] == 2 and session_rows[1][8] == 1
    # The results page shows the same % agree.
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{filled['programme']}/results").get_data(as_text=True)
    assert f"{first_indicator[-1] * 100:.0f}%" in page


def test_dates_and_times_are_real_excel_values(app, filled):
    workbook = _load(_build(app, filled["programme"]))
    with app.app_context():
        first = f.sessions(filled["programme"])[0]
        starts = to_local(first.starts_at)
    session_row = workbook["Sessions"][2]
    assert session_row[1].is_date and session_row[1].value.date() == starts.date()
    assert session_row[1].number_format == "dd/mm/yyyy"
    assert session_row[2].value == starts.time().replace(tzinfo=None) and session_row[2].number_format == "hh:mm"
    rate = session_row[11].value  # a fraction, or why there is none
    assert rate.startswith("Not available: ") if isinstance(rate, str) else \
        workbook["Sessions"]["L2"].number_format == "0.0%"
    submitted = workbook["Responses"]["D2"]
    assert submitted.is_date and isinstance(submitted.value, datetime)
    assert submitted.number_format == "dd/mm/yyyy hh:mm"
    assert workbook["Comments"]["C2"].is_date
    booked = workbook["Attendance"]["L2"]
    assert booked.is_date and isinstance(booked.value, datetime)
    assert isinstance(_summary(workbook["Summary"])["Exported at"], datetime)


def test_formula_injection_stays_text(app, filled):
    data = _build(app, filled["programme"])
    workbook = _load(data)
    comments = {row[3].value: row[3] for row in workbook["Comments"].iter_rows(min_row=2)}
    for text in INJECTIONS:
        cell = comments[text.replace("\r", "\n") if text not in comments and text.startswith("\r") else text]
        assert cell.data_type == "s", repr(text)
        assert cell.quotePrefix, repr(text)
    responses_text = [c.value for row in workbook["Responses"].iter_rows(min_row=2) for c in row
                      if isinstance(c.value, str)]
    assert "=1+1" in responses_text and "@SUM(A1)" in responses_text
    # No formula element anywhere in the sheets: nothing typed became a formula.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(SHEETS)
        for name in sheets:
            xml = archive.read(name).decode()
            assert not re.search(r"<(\w+:)?f[ >/]", xml), name
        assert "=1+1" in archive.read("xl/worksheets/sheet6.xml").decode()


def test_carriage_return_and_tab_round_trip(app, filled):
    workbook = _load(_build(app, filled["programme"]))
    values = [row[3] for row in _rows(workbook["Comments"])[1:]]
    assert "\tcmd" in values
    assert "\rcmd" in values or "\ncmd" in values  # XML may normalise a lone CR


def test_illegal_characters_are_stripped(app, filled):
    workbook = _load(_build(app, filled["programme"]))
    values = [row[3] for row in _rows(workbook["Comments"])[1:]]
    assert "bell and soh and verticaltab" in values


def test_viewer_workbook_has_no_attendance_and_no_personal_data(app, filled):
    data = _build(app, filled["programme"], include_attendance=False)
    workbook = _load(data)
    assert workbook.sheetnames == list(SHEETS[:-1])
    for ws in workbook.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                text = str(value or "")
                for secret in (f.REGISTRANT_NAME, f.REGISTRANT_EMAIL, "Other Person", "other@example.org",
                               "Senior practitioner", "@example.org"):
                    assert secret not in text, (ws.title, text)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert f.REGISTRANT_EMAIL.encode() not in everything and f.REGISTRANT_NAME.encode() not in everything
    manager = _load(_build(app, filled["programme"], include_attendance=True))
    attendance = _rows(manager["Attendance"])
    assert attendance[1][2:4] == (f.REGISTRANT_NAME, f.REGISTRANT_EMAIL)
    assert [row[9] for row in attendance[1:]] == ["Confirmed", "Confirmed", "Waiting list"]


def test_session_and_date_filters(app, filled):
    with app.app_context():
        second = db.session.get(services.EventSession, filled["second"])
        day = to_local(second.starts_at).date()
        title = second.title
    only_second = _load(_build(app, filled["programme"],
                               filters=services.ResultsFilter(session_ids=(filled["second"],))))
    responses = _rows(only_second["Responses"])[1:]
    assert len(responses) == 3 and {row[1] for row in responses} == {title}
    assert len(_rows(only_second["Sessions"])) == 2
    assert "Sessions: " + title in _summary(only_second["Summary"])["Filters used"]
    by_date = _load(_build(app, filled["programme"], filters=services.ResultsFilter(date_from=day, date_to=day)))
    with app.app_context():
        same_day = [s for s in f.sessions(filled["programme"]) if to_local(s.starts_at).date() == day]
    assert len(_rows(by_date["Sessions"])) == 1 + len(same_day)
    nothing = _load(_build(app, filled["programme"], filters=services.ResultsFilter(
        date_from=date(2000, 1, 1), date_to=date(2000, 1, 2))))
    assert _rows(nothing["Responses"])[1][1] == "There are no responses yet."


def test_chart_points_at_the_percent_agree_cells(app, filled):
    data = _build(app, filled["programme"])
    workbook = _load(data)
    indicators = workbook["Indicators"]
    count = indicators.max_row - 1
    agree_column = indicators_headers().index("% agree") + 1
    letter = indicators.cell(row=1, column=agree_column).column_letter
    assert indicators.cell(row=1, column=agree_column).value == "% agree"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = archive.read(charts[0]).decode()
        drawing_rels = [n for n in archive.namelist() if n.startswith("xl/worksheets/_rels/")]
        assert any("drawing" in archive.read(n).decode() for n in drawing_rels if "sheet3" in n)
    assert re.search(r"<(c:)?barChart>", xml) and re.search(r'<(c:)?barDir val="bar"/>', xml)
    assert f"<f>'Indicators'!{letter}1</f>" in xml  # the series title: the "% agree" header
    assert f"'Indicators'!${letter}$2:${letter}${count + 1}" in xml
    assert f"'Indicators'!$B$2:$B${count + 1}" in xml


CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
TEXT = "{http://schemas.openxmlformats.org/drawingml/2006/main}t"
EMU_PER_CM = 360_000


def test_chart_reads_as_percent_agree_from_0_to_100_with_both_axes_shown(app, filled):
    """What a board member sees: a titled bar chart, its value axis 0% to 100% with a
    title, both axes drawn (openpyxl hides them unless told), no legend for one series,
    24 cm wide and 1.2 cm taller for each indicator."""
    from xml.etree import ElementTree

    data = _build(app, filled["programme"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        chart = ElementTree.fromstring(archive.read("xl/charts/chart1.xml"))
        drawing = ElementTree.fromstring(archive.read("xl/drawings/drawing1.xml"))
    indicators = _load(data)["Indicators"].max_row - 1

    assert chart.find(f"{CHART}style").get("val") == "10"
    assert [t.text for t in chart.find(f"{CHART}chart/{CHART}title").iter(TEXT)] == ["% agree with each quality indicator"]
    value_axis, category_axis = chart.find(f"{CHART}chart/{CHART}plotArea/{CHART}valAx"), \
        chart.find(f"{CHART}chart/{CHART}plotArea/{CHART}catAx")
    assert [t.text for t in value_axis.find(f"{CHART}title").iter(TEXT)] == ["% agree"]
    assert value_axis.find(f"{CHART}numFmt").get("formatCode") == "0%"
    assert value_axis.find(f"{CHART}scaling/{CHART}min").get("val") == "0"
    assert value_axis.find(f"{CHART}scaling/{CHART}max").get("val") == "1"
    assert value_axis.find(f"{CHART}delete").get("val") == category_axis.find(f"{CHART}delete").get("val") == "0"
    assert category_axis.find(f"{CHART}scaling/{CHART}orientation").get("val") == "maxMin"
    assert chart.find(f"{CHART}chart/{CHART}legend") is None
    size = drawing.find(f"{DRAWING}oneCellAnchor/{DRAWING}ext")
    assert indicators == 9
    assert int(size.get("cx")) == 24 * EMU_PER_CM
    assert int(size.get("cy")) == round((1.2 * indicators + 3) * EMU_PER_CM)


def test_empty_programme_exports_a_valid_workbook(app):
    with app.app_context():
        programme = create_programme("Nothing yet", "")
        db.session.commit()
        programme_id = programme.id
    workbook = _load(_build(app, programme_id))
    assert workbook.sheetnames == list(SHEETS)
    summary = _summary(workbook["Summary"])
    assert summary["Responses"] == 0
    assert "There are no responses yet." in summary
    assert _rows(workbook["Responses"])[1][1] == "There are no responses yet."
    assert _rows(workbook["Themes"])[1:] == [("No comments have been tagged with themes yet.",) + (None,) * 5]
    rows = _rows(workbook["Summary"])
    for heading in ("Highest staff agreement", "Lowest staff agreement"):
        below = rows[next(i for i, row in enumerate(rows) if row[0] == heading) + 1]
        assert below[:3] == (None, "There are no responses yet.", None)
    assert _rows(workbook["Room questions"])[1:] == []
    assert not any(name.startswith("xl/charts") for name in zipfile.ZipFile(io.BytesIO(
        _build(app, programme_id))).namelist())


def test_download_headers_filename_and_audit(app, client, login_as, filled):
    user = login_as(Role.VIEWER)
    response = client.get(f"/organiser/programmes/{filled['programme']}/workbook.xlsx",
                          query_string={"sessions": [filled["first"]]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r'attachment; filename=joint-inspection-[a-z0-9-]+-\d{8}-\d{4}\.xlsx',
                        response.headers["Content-Disposition"])
    workbook = _load(response.data)
    assert "Attendance" not in workbook.sheetnames
    assert len(_rows(workbook["Sessions"])) == 2
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.workbook"))
        assert entry.user_id == user.id and "attendance omitted" in entry.detail


def test_manager_download_has_attendance(client, login_as, filled):
    login_as(Role.ORGANISER)
    response = client.get(f"/organiser/programmes/{filled['programme']}/workbook.xlsx")
    assert _load(response.data).sheetnames == list(SHEETS)


def test_invalid_date_range_comes_back_with_an_error(client, login_as, filled):
    login_as(Role.VIEWER)
    response = client.get(f"/organiser/programmes/{filled['programme']}/workbook.xlsx",
                          query_string={"date_from": "2026-05-02", "date_to": "2026-05-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in page and "Enter an end date on or after the start date" in page


def test_csv_downloads_same_columns_and_protection(app, client, login_as, filled):
    login_as(Role.ORGANISER)
    response = client.get(f"/organiser/programmes/{filled['programme']}/responses.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    workbook = _load(_build(app, filled["programme"]))
    assert rows[0] == _header(workbook["Responses"])
    assert len(rows) == workbook["Responses"].max_row
    texts = {cell for row in rows for cell in row}
    for text in INJECTIONS:
        assert "'" + text in texts, repr(text)
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in texts)
    attendance = client.get(f"/organiser/programmes/{filled['programme']}/attendance.csv")
    attendance_rows = list(csv.reader(io.StringIO(attendance.data.decode("utf-8-sig"), newline="")))
    assert attendance_rows[0] == headers(ATTENDANCE_COLUMNS)
    assert attendance_rows[1][2:4] == [f.REGISTRANT_NAME, f.REGISTRANT_EMAIL]
    assert attendance.headers["Cache-Control"] == "no-store"


def test_csv_quotes_per_rfc_4180(app, demo):
    from webapp.tables import csv_lines

    text = "".join(csv_lines(["a", "b"], [['say "hi", then\nleave', "-1"]]))
    assert text == 'a,b\r\n"say ""hi"", then\nleave",\'-1\r\n'


def test_viewer_cannot_download_attendance(client, login_as, filled):
    login_as(Role.VIEWER)
    assert client.get(f"/organiser/programmes/{filled['programme']}/attendance.csv").status_code == 403
    response = client.get(f"/organiser/programmes/{filled['programme']}/responses.csv")
    assert response.status_code == 200
    assert f.REGISTRANT_EMAIL not in response.data.decode("utf-8-sig")


def test_multiple_choices_join_in_one_cell(app, filled):
    workbook = _load(_build(app, filled["programme"]))
    with app.app_context():
        multi = f.question(filled["programme"], kind=QuestionKind.MULTI_CHOICE)
        labels = [o.label for o in multi.options[:2]]
        column = _header(workbook["Responses"]).index(multi.text)
    assert _rows(workbook["Responses"])[1][column] == "; ".join(labels)



def test_streamed_sheets_keep_typed_and_organiser_text_exactly(app, filled):
    """Responses and Comments are written as XML by streamed_sheet: markup, spaces, a
    carriage return inside text and formula-like labels all come back exactly."""
    tricky = "  <b>Tea & \"biscuits\"</b>\rline two  "
    with app.app_context():
        first = db.session.get(f.EventSession, filled["first"])
        first.title = "=cmd|' /C calc'!A0"
        first.locality = "-North & <East>"
        multi = f.question(filled["programme"], kind=QuestionKind.MULTI_CHOICE)
        multi.options[0].label = "@first option"
        comment_q = f.question(filled["programme"], kind=QuestionKind.LONG_TEXT)
        f.respond(first, {comment_q: tricky}, submitted_at=f.minutes_ago(1))
        db.session.commit()
        second_label, multi_text, comment_text = multi.options[1].label, multi.text, comment_q.text
    data = _build(app, filled["programme"])
    workbook = _load(data)
    responses = workbook["Responses"]
    assert all(cell.font.bold for cell in responses[1])
    rows = list(responses.iter_rows(min_row=2))
    mine = [row for row in rows if row[1].value == "=cmd|' /C calc'!A0"]
    assert mine and all(row[1].data_type == "s" and row[1].quotePrefix for row in mine)
    assert all(row[2].value == "-North & <East>" and row[2].quotePrefix for row in mine)
    header = _header(responses)
    multi_cells = [row[header.index(multi_text)] for row in mine if row[header.index(multi_text)].value]
    assert multi_cells and all(c.value == f"@first option; {second_label}" and c.quotePrefix for c in multi_cells)
    assert tricky in [row[header.index(comment_text)].value for row in mine]
    comments = {row[3].value: row for row in workbook["Comments"].iter_rows(min_row=2)}
    assert comments[tricky][0].value == "=cmd|' /C calc'!A0" and comments[tricky][0].quotePrefix
    assert comments[tricky][2].is_date and comments[tricky][2].number_format == "dd/mm/yyyy hh:mm"
    assert comments["\rcmd"][3].quotePrefix  # the carriage return itself survives
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(r"<(\w+:)?f[ >/]", archive.read(name).decode()), name


def test_the_openpyxl_private_api_the_streamed_sheet_uses_is_there():
    """An openpyxl upgrade fails here, loudly, before it can break a download."""
    from webapp.exports import streamed_sheet

    assert streamed_sheet.private_api_problems() == []


def test_streamed_sheet_refuses_what_it_cannot_write_safely():
    from lxml.etree import XMLSyntaxError
    from openpyxl import Workbook

    from webapp.exports.streamed_sheet import create_streamed_sheet
    from webapp.timezones import LONDON

    workbook = Workbook(write_only=True)
    sheet = create_streamed_sheet(workbook, "Rows")
    with pytest.raises(TypeError):
        sheet.append([datetime(2025, 1, 1, 9, 0, tzinfo=LONDON)])  # Excel has no time zones
    sheet = create_streamed_sheet(workbook, "More")
    with pytest.raises(TypeError):
        sheet.append([object()])
    sheet = create_streamed_sheet(workbook, "Control")
    with pytest.raises(XMLSyntaxError):
        sheet.append(["bell\x07"])  # must be cleaned first: never a corrupt file


def test_workbook_reads_and_prints_like_a_board_paper(app, filled):
    """The chart where the Indicators sheet opens; headers never cut; every sheet printable
    (landscape, fitted to the width, header row repeated, a title in the page header);
    the Summary on one page."""
    workbook = _load(_build(app, filled["programme"]))
    indicators = workbook["Indicators"]
    [chart] = indicators._charts
    anchor = chart.anchor._from
    assert anchor.col == 0  # column A, under the table: not at column S
    assert anchor.row == indicators.max_row + 2  # row 13 for 9 indicators: two blank rows below the table
    with app.app_context():
        title = f.programme(filled["programme"]).title
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (1, "1", None), ws.title  # 1 is the default, left out
        assert ws.oddHeader.center.text == f"{title.replace('&', '&&')}: &A", ws.title
        if ws.title == "Summary":
            assert int(ws.page_setup.fitToHeight) == 1
            continue
        assert int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        for cell in ws[1]:  # every header fits its column, or wraps
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= len(str(cell.value)) + 1 or cell.alignment.wrap_text, (ws.title, cell.value)
    strongly = indicators_headers().index("Strongly disagree") + 1
    assert indicators.column_dimensions[indicators.cell(1, strongly).column_letter].width >= len("Strongly disagree")


def test_response_rows_cell_by_cell(app, demo):
    """Rows straight from response_rows: written answers merged into the right response
    (however they interleave with responses that have none), choices joined in the form's
    order whatever order they were given in, an excluded response and its text left out,
    and rare "about you" answers hidden unless full detail is asked for."""
    from datetime import timedelta

    from webapp.exports.rows import RARE_GROUP, response_rows
    from webapp.results import exclusions

    with app.app_context():
        session, other = f.sessions(demo)[:2]
        locality = f.question(demo, breakdown="locality")
        multi = f.question(demo, kind=QuestionKind.MULTI_CHOICE)
        first_text, second_text = (f.question(demo, kind=QuestionKind.LONG_TEXT, index=i) for i in (0, 1))
        a, b = (option.label for option in multi.options[:2])
        # b first on the form now, though a was made first (a lower id): the form's order counts
        for option in multi.options[:2]:
            option.position = {a: 2, b: 1}[option.label]
        made = [
            f.respond(session, {locality: "North East", first_text: "first"}),
            f.respond(other, {second_text: "only text"}),
            f.respond(session, {multi: [a, b]}),
            f.respond(session, {first_text: "left out"}),
            f.respond(session, {second_text: "last", locality: "South", first_text: "also last"}),
        ]
        for _ in range(5):  # South is common enough to be shown to anyone
            f.respond(other, {locality: "South"})
        db.session.commit()
        left_out = made[3]
        exclusions.exclude(session, left_out.submitted_at, left_out.submitted_at + timedelta(microseconds=1),
                           "A burst", None)
        questions = [locality, multi, first_text, second_text]
        sessions = [session, other]

        def table(full_detail: bool) -> dict[int, list]:
            return {row[0]: row for row in response_rows(sessions, questions, full_detail=full_detail)}

        full = table(True)
        assert left_out.id not in full and len(full) == 9
        expected = {
            made[0].id: [session.title, session.locality, "North East", None, "first", None],
            made[1].id: [other.title, other.locality, None, None, None, "only text"],
            made[2].id: [session.title, session.locality, None, f"{b}; {a}", None, None],
            made[4].id: [session.title, session.locality, "South", None, "also last", "last"],
        }
        for response in made:
            if response.id in expected:
                row = full[response.id]
                assert [*row[1:3], *row[4:]] == expected[response.id], response.id
                assert row[3] == local_naive(response.submitted_at)
        viewer = table(False)
        assert viewer[made[0].id][4] == RARE_GROUP and viewer[made[4].id][4] == "South"
        assert [row[5:] for row in viewer.values()] == [row[5:] for row in full.values()]
        assert list(response_rows([], questions)) == []


def test_sessions_sheet_row_by_row(app, demo):
    """Each session's row: a cancelled one says so beside its venue; a rate is a number
    where attendance was taken, else the reason in words."""
    from webapp.sessions.models import SessionStatus

    with app.app_context():
        held, cancelled, quiet = f.sessions(demo)[:3]
        for number in range(4):
            f.register(held, email=f"p{number}@example.org", checked_in=True)
        f.register(held, email="waiting@example.org", status="waiting")
        question = f.question(demo, kind=QuestionKind.AGREEMENT)
        for _ in range(3):
            f.respond(held, {question: "Agree"})
        cancelled.status = SessionStatus.CANCELLED
        db.session.commit()
        expected = {
            held.title: [held.venue, held.capacity, 4, 1, 4, 3, 0.75],
            cancelled.title: [f"{cancelled.venue} (cancelled)", cancelled.capacity, 0, 0, 0, 0,
                              "Not available: no check-ins and no responses yet"],
            quiet.title: [quiet.venue, quiet.capacity, 0, 0, 0, 0, "Not available: no check-ins and no responses yet"],
        }
        starts = {s.title: local_naive(s.starts_at) for s in (held, cancelled, quiet)}
    rows = {row[0]: row for row in _rows(_load(_build(app, demo))["Sessions"])[1:]}
    for title, values in expected.items():
        row = rows[title]
        assert [row[4], *row[6:]] == values, title
        assert (row[1].date(), row[2]) == (starts[title].date(), starts[title].time())


def test_summary_ranks_the_indicators_and_hides_small_groups(app, demo):
    """The three indicators staff agreed with most and least, numbered, with their % agree;
    a breakdown group of fewer than 5 reads as suppressed, with no figure beside it."""
    from webapp.results import services

    with app.app_context():
        session = f.sessions(demo)[0]
        indicators = [q for q in f.programme(demo).feedback_form.questions
                      if q.kind == QuestionKind.AGREEMENT and q.finding_id]
        locality = f.question(demo, breakdown="locality")
        usefulness = f.question(demo, kind=QuestionKind.RATING)
        shares = [0.9, 0.1, 0.5, 0.7, 0.3]  # agree, of ten, for the first five indicators
        for person in range(10):
            answers = {q: ("Agree" if person < share * 10 else "Disagree") for q, share in zip(indicators, shares)}
            place = "North East" if person < 5 else "North West" if person < 7 else "South"
            useful = "5 - Very useful" if person < 2 else "2"  # North East: (5 + 5 + 2 + 2 + 2) / 5
            f.respond(session, {**answers, locality: place, usefulness: useful})
        db.session.commit()
        titles = [q.finding.title for q in indicators]
    summary = _load(_build(app, demo))["Summary"]
    rows = [list(row) for row in summary.iter_rows(values_only=True)]
    breakdowns = next(row for row in rows if row[0] == "Breakdowns")
    assert breakdowns[1] == f"From the optional 'about you' questions. {services.SMALL_GROUP_RULE}"
    start = next(i for i, row in enumerate(rows) if row[0] == "Highest staff agreement")
    assert rows[start][1:3] == ["Indicator", "% agree"]
    assert [row[:3] for row in rows[start + 1:start + 4]] == [
        ["1", titles[0], pytest.approx(0.9)], ["2", titles[3], pytest.approx(0.7)], ["3", titles[2], 0.5]]
    start = next(i for i, row in enumerate(rows) if row[0] == "Lowest staff agreement")
    assert [row[:3] for row in rows[start + 1:start + 4]] == [
        ["1", titles[1], pytest.approx(0.1)], ["2", titles[4], pytest.approx(0.3)], ["3", titles[2], 0.5]]
    by_locality = next(i for i, row in enumerate(rows) if row[0] == "By locality")
    assert rows[by_locality][1:4] == ["Group", "Responses", "% agree (all indicators)"]
    groups = {row[1]: row[2:5] for row in rows[by_locality + 1:by_locality + 8] if row[0] is None and row[2]}
    # the first five people: 5 + 1 + 5 + 5 + 3 agreements of 25 answers, usefulness 3.2
    assert groups["North East"] == [5, pytest.approx(19 / 25), pytest.approx(3.2)]
    north_east = next(r for r in summary.iter_rows(min_row=by_locality + 2) if r[1].value == "North East")
    assert (north_east[3].number_format, north_east[4].number_format) == ("0.0%", "0.00")
    # two and three: both hidden, so neither can be worked out from the total
    assert groups["North West"] == groups["South"] == [services.SUPPRESSED_LABEL, None, None]
    assert [None, "(last column: mean usefulness of the session, 1-5)"] in [row[:2] for row in rows[by_locality:]]


def test_indicator_shares_show_as_percentages_in_columns_wide_enough_to_read(app, filled):
    """On the Indicators sheet a share reads 45.0%, not 0.45; a mean 3.25; and each column
    is wide enough for its words (the headline and indicator widest, a header never cut)."""
    from openpyxl.utils import get_column_letter

    sheet = _load(_build(app, filled["programme"]))["Indicators"]
    header_row, first_row = list(sheet.iter_rows(min_row=1, max_row=2))
    formats = {header.value: cell.number_format for header, cell in zip(header_row, first_row)}
    shares = [f"{label} %" for label, _score in AGREEMENT_POINTS] + ["% agree"]
    assert {header: formats[header] for header in shares} == dict.fromkeys(shares, "0.0%")
    assert formats["Mean"] == "0.00"
    assert formats["Responses"] == formats["Strongly agree"] == "General"
    widths = {header.value: sheet.column_dimensions[get_column_letter(number)].width
              for number, header in enumerate(header_row, start=1)}
    assert widths == {
        "Headline question": 40, "Indicator": 50, "Inspection grade": 18,
        "Strongly disagree": 19, "Strongly disagree %": 21, "Disagree": 10, "Disagree %": 12,
        "Neither agree nor disagree": 28, "Neither agree nor disagree %": 30, "Agree": 9, "Agree %": 10,
        "Strongly agree": 16, "Strongly agree %": 18, "Don't know": 12, "Responses": 11, "Mean": 8, "% agree": 10}


def test_csv_downloads_keep_to_the_sessions_chosen(app, filled):
    """Responses and attendance filtered to one session hold that session's rows only."""
    from webapp.exports import csv_files
    from webapp.results.services import ResultsFilter

    def read(lines) -> list[list[str]]:
        return list(csv.reader(io.StringIO("".join(lines), newline="")))

    second = ResultsFilter(session_ids=(filled["second"],))
    with app.app_context():
        programme = f.programme(filled["programme"])
        second_title = next(s.title for s in f.sessions(filled["programme"]) if s.id == filled["second"])
        for lines_for in (csv_files.responses_csv, csv_files.attendance_csv):
            everything, chosen = read(lines_for(programme)), read(lines_for(programme, second))
            column = chosen[0].index("Session")
            assert len(chosen) > 1 and all(second_title in row[column] for row in chosen[1:]), lines_for.__name__
            assert len(everything) > len(chosen), lines_for.__name__
        attendance = read(csv_files.attendance_csv(programme, second))
        assert [row[2] for row in attendance[1:]] == ["Waiting Person"]


def test_every_sheet_prints_as_a_board_paper(app, filled):
    """Landscape A4, one page wide (the Summary on one page), grid lines off, the header
    row repeated on every page of a table."""
    workbook = _load(_build(app, filled["programme"]))
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth) == ("landscape", 9, 1), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and not sheet.print_options.gridLines, sheet.title
    assert workbook["Summary"].page_setup.fitToHeight == 1
    assert workbook["Responses"].page_setup.fitToHeight == 0
    with app.app_context():
        f.programme(filled["programme"]).title = "Health & care briefings"
        db.session.commit()
    for sheet in _load(_build(app, filled["programme"])).worksheets:  # each printed page says what it is
        assert sheet.oddHeader.center.text == "Health && care briefings: &A", sheet.title  # & doubled: literal
        assert sheet.oddFooter.center.text == "Page &P of &N", sheet.title
    assert workbook["Responses"].print_title_rows == "$1:$1"


def test_summary_opens_with_the_title_and_what_was_exported(app, filled):
    """The title as a heading, then what the figures are of, in columns wide enough to read."""
    with app.app_context():
        programme = f.programme(filled["programme"])
        programme.summary = "Good progress, with work to do"
        db.session.commit()
        title = programme.title
    sheet = _load(_build(app, filled["programme"]))["Summary"]
    assert sheet["A1"].value == title and sheet["A1"].font.b and sheet["A1"].font.sz == 14
    labels = [row[0] for row in sheet.iter_rows(min_row=2, max_row=5, values_only=True)]
    assert sheet["A2"].font.b and not sheet["B2"].font.b  # a bold label, then its value
    assert labels == ["Programme", "Findings headline", "Exported at", "Filters used"]
    assert sheet["B3"].value == "Good progress, with work to do"
    assert {letter: sheet.column_dimensions[letter].width for letter in "ABCD"} == {"A": 34, "B": 70, "C": 14, "D": 16}


def test_room_questions_sheet_keeps_to_the_sessions_chosen(app, filled):
    """Each question with its session, the session's date, votes, both statuses and the
    written answer (an empty cell when there is none); a filter keeps to its sessions."""
    from webapp.room.models import AnswerStatus, QuestionStatus, RoomQuestion

    with app.app_context():
        first, second = (db.session.get(f.EventSession, filled[key]) for key in ("first", "second"))
        db.session.add_all([
            RoomQuestion(session_id=first.id, text="When will caseloads fall?", votes=7,
                         status=QuestionStatus.APPROVED, answer_status=AnswerStatus.IN_WRITING,
                         answer="By the spring"),
            RoomQuestion(session_id=second.id, text="Who chairs the panel?", votes=2,
                         status=QuestionStatus.HIDDEN, answer_status=AnswerStatus.OPEN)])
        db.session.commit()
        first_row = (first.title, datetime.combine(local_naive(first.starts_at).date(), datetime.min.time()),
                     "When will caseloads fall?", 7, "Shown", "Answered in writing", "By the spring")
        second_row = (second.title, datetime.combine(local_naive(second.starts_at).date(), datetime.min.time()),
                      "Who chairs the panel?", 2, "Hidden by the moderator", "Not answered yet", None)
    sheet = _load(_build(app, filled["programme"]))["Room questions"]
    assert _rows(sheet)[1:] == [first_row, second_row]
    assert sheet["B2"].number_format == "dd/mm/yyyy"  # a date, read as one
    assert sheet.auto_filter.ref == "A1:G3"  # the filter covers every row written
    only_second = _load(_build(app, filled["programme"],
                               filters=services.ResultsFilter(session_ids=(filled["second"],))))
    assert _rows(only_second["Room questions"])[1:] == [second_row]


def _checked_in_and_answered(app, demo: int, people: int, answers: list[str]) -> None:
    """`people` checked in at the demo's first session, and one response per answer to its
    first indicator: a response rate the sheets can show."""
    with app.app_context():
        session = f.sessions(demo)[0]
        indicator = next(q for q in f.programme(demo).feedback_form.questions if q.kind == QuestionKind.AGREEMENT)
        for number in range(people):
            f.register(session, name=f"Person {number}", email=f"person{number}@example.org", checked_in=True)
        for answer in answers:
            f.respond(session, {indicator: answer})
        db.session.commit()


def test_summary_totals_rate_and_notes_row_by_row(app, demo):
    """Totals as the Sessions sheet adds them up, the response rate as a percentage, what
    % agree means, and (on a copy without attendance) how rare groups read."""
    from webapp.exports.rows import RARE_GROUP

    _checked_in_and_answered(app, demo, 4, ["Agree", "Disagree"])
    for include_attendance in (True, False):
        workbook = _load(_build(app, demo, include_attendance=include_attendance))
        places = sum(row[6] for row in _rows(workbook["Sessions"])[1:])
        summary = workbook["Summary"]
        rows = {row[0].value: row[1:] for row in summary.iter_rows() if row[0].value}
        assert [cell.value for cell in rows["Totals"]] == [None, None, None]
        assert rows["Places"][0].value == places
        assert rows["Response rate"][0].value == pytest.approx(0.5) and rows["Response rate"][0].number_format == "0.0%"
        sessions = rows["Sessions"][0].value
        assert sessions > 1 and rows["Response rate"][1].value == (
            f"from the 1 of {sessions} sessions where attendance was taken")  # what the rate covers
        assert rows["% agree"][0].value == services.PERCENT_AGREE_DEFINITION
        assert ("Responses sheet" in rows) is not include_attendance
    assert rows["Responses sheet"][0].value == (
        f"An 'about you' answer given by fewer than {services.SMALL_GROUP_MIN} responses reads '{RARE_GROUP}'.")


def test_streamed_headers_are_bold_and_wrapped_even_when_they_look_like_formulas(app, demo):
    """A question's text heads its column on the Responses sheet: bold, wrapped at the top,
    and (typed by an organiser) kept as text when it starts like a formula."""
    with app.app_context():
        f.question(demo, kind=QuestionKind.LONG_TEXT).text = "=What would help most?"
        db.session.commit()
    header = next(_load(_build(app, demo))["Responses"].iter_rows(min_row=1, max_row=1))
    formula_like = next(cell for cell in header if cell.value == "=What would help most?")
    assert formula_like.data_type == "s" and formula_like.quotePrefix
    for cell in (header[0], formula_like):
        assert cell.font.b and cell.alignment.wrap_text and cell.alignment.vertical == "top", cell.value


def test_questions_sheet_shares_and_means_read_as_such_in_columns_wide_enough(app, filled):
    from openpyxl.utils import get_column_letter

    sheet = _load(_build(app, filled["programme"]))["Questions"]
    header_row = next(sheet.iter_rows(min_row=1, max_row=1))
    widths = {header.value: sheet.column_dimensions[get_column_letter(number)].width
              for number, header in enumerate(header_row, start=1)}
    assert widths == {"Number": 8, "Question": 60, "Type": 18, "Answer": 40, "Count": 8, "Percentage": 12,
                      "Answered": 10, "Mean": 8}
    scored = next(row for row in sheet.iter_rows(min_row=2) if row[7].value is not None)
    assert (scored[5].number_format, scored[7].number_format) == ("0.0%", "0.00")


def test_sessions_sheet_formats_and_widths(app, demo):
    """Dates, clock times and the response rate read as such, in columns wide enough."""
    from openpyxl.utils import get_column_letter

    _checked_in_and_answered(app, demo, 2, ["Agree"])
    sheet = _load(_build(app, demo))["Sessions"]
    header_row, first_row = list(sheet.iter_rows(min_row=1, max_row=2))
    formats = {header.value: cell.number_format for header, cell in zip(header_row, first_row)}
    assert (formats["Date"], formats["Start"], formats["End"], formats["Response rate"]) == (
        "dd/mm/yyyy", "hh:mm", "hh:mm", "0.0%")
    assert first_row[11].value == pytest.approx(0.5)
    widths = {header.value: sheet.column_dimensions[get_column_letter(number)].width
              for number, header in enumerate(header_row, start=1)}
    assert widths == {"Session": 36, "Date": 12, "Start": 8, "End": 8, "Venue": 40, "Locality": 16, "Capacity": 10,
                      "Booked": 9, "Waiting": 9, "Attended": 10, "Responses": 11, "Response rate": 15}
