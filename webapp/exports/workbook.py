"""The results workbook for the senior management team (built here, sent by the view).

openpyxl in write-only mode: every sheet streams to a temporary file as rows are
appended, so memory stays flat. Freeze panes and column widths are set before a
sheet's first row (write-only mode writes them first); the autofilter goes at the end.
The two big tables (Responses, Comments) use streamed_sheet, which writes each row as
XML in one go instead of cell by cell: same file, five times less work per cell.

Safety: every string goes through `text_cell`, so text that anyone typed (a comment,
an option label, a session title) is stored as a string and never as a formula, and
characters that Excel refuses are stripped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.utils import get_column_letter

from webapp.db_types import utcnow
from webapp.exports import rows as table_rows
from webapp.actions.services import plan as action_plan
from webapp.bookings.attendance import ATTENDANCE_COLUMNS, attendance_rows, registrations_of
from webapp.exports.streamed_sheet import Styled, create_streamed_sheet
from webapp.tables import Column, headers
from webapp.feedback.models import AGREEMENT_SCALE, QuestionKind
from webapp.programmes.models import Programme
from webapp.results import services as results
from webapp.results.services import ResultsFilter
from webapp.room.services import questions_of_sessions
from webapp.timezones import local_naive
from webapp.staff import coverage as staff_coverage
from webapp.themes.counts import theme_counts
from webapp import text as text_rules
from webapp.text import FORMULA_TRIGGERS

# The sheets of every workbook, in order; "Coverage" comes before "Actions" when the
# programme has a staff list.
# "Room questions" are the questions people asked from their phones (webapp/room);
# "Questions" are the feedback form's.
SHEETS = ("Summary", "Sessions", "Indicators", "Questions", "Responses", "Comments", "Themes", "Room questions",
          "Actions", "Attendance")
EXCEL_CELL_MAX = 32767
NO_RESPONSES = "There are no responses yet."

DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "hh:mm"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.0%"
MEAN_FORMAT = "0.00"
BOLD = Font(bold=True)
HEADING = Font(bold=True, size=14)
# Headers wrap rather than being cut ("Strongly disagr"); a column is widened to fit its
# header up to this width, and a longer header (a question's text) wraps.
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
WIDEST_FOR_A_HEADER = 24

AGREEMENT_POINTS = [(label, score) for label, score in AGREEMENT_SCALE if score is not None]
DONT_KNOW = next(label for label, score in AGREEMENT_SCALE if score is None)


def indicators_columns() -> list[Column]:
    columns = [Column("Headline question", 40), Column("Indicator", 50), Column("Inspection grade", 12)]
    for label, _score in AGREEMENT_POINTS:
        columns += [Column(label, max(9, len(label) + 2), "int"),
                    Column(f"{label} %", max(10, len(label) + 4), "percent")]
    return columns + [Column(DONT_KNOW, 12, "int"), Column("Responses", 11, "int"), Column("Mean", 8, "mean"),
                      Column("% agree", 10, "percent")]


def indicators_headers() -> list[str]:
    return headers(indicators_columns())


def clean_text(value: object) -> str:
    """Text Excel and XML accept (webapp.text.clean_text), within Excel's cell limit."""
    return text_rules.clean_text(str(value))[:EXCEL_CELL_MAX]


_FORMATS = {"percent": PERCENT_FORMAT, "mean": MEAN_FORMAT, "date": DATE_FORMAT,
            "time": TIME_FORMAT, "datetime": DATETIME_FORMAT}


class SheetWriter:
    """One write-only sheet: header, then rows; every value typed by its column."""

    def __init__(self, workbook: Workbook, title: str, columns: list[Column] | None = None):
        self.ws = self.create_sheet(workbook, title)
        self.columns = columns or []
        self.rows_written = 0
        self.print_settings()
        if columns:
            for index, column in enumerate(columns, start=1):
                self.ws.column_dimensions[get_column_letter(index)].width = max(
                    column.width, min(len(column.header) + 2, WIDEST_FOR_A_HEADER))
            self.ws.freeze_panes = "A2"

    def print_settings(self, pages_tall: int = 0) -> None:
        """Printed as a board paper: landscape A4, fitted to the page's width (and to
        `pages_tall` pages, 0 for as many as it takes); set before the first row, as the
        fit-to-page flag is written at the top of the sheet."""
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = pages_tall
        self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.ws.print_options.gridLines = False

    @staticmethod
    def create_sheet(workbook: Workbook, title: str):
        return workbook.create_sheet(title)

    def text_cell(self, value: object, font: Font | None = None):
        """A string cell, never a formula. Text starting with = + - @ tab or CR gets
        data_type 's' forced and a quote prefix, so Excel shows it as typed."""
        text = clean_text(value)
        formula_like = text.startswith(FORMULA_TRIGGERS)
        if not (formula_like or font):
            return text
        cell = WriteOnlyCell(self.ws, value=text)
        if formula_like:
            cell.data_type = "s"
            cell.quotePrefix = True
        if font:
            cell.font = font
        return cell

    def styled(self, value, number_format: str | None = None, font: Font | None = None):
        cell = WriteOnlyCell(self.ws, value=value)
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        return cell

    def value(self, value, kind: str = "text"):
        if value is None:
            return None
        if isinstance(value, str):
            return self.text_cell(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        number_format = _FORMATS.get(kind)
        if number_format:
            return self.styled(value, number_format)
        if isinstance(value, datetime):
            return self.styled(value, DATETIME_FORMAT)
        if isinstance(value, date):
            return self.styled(value, DATE_FORMAT)
        return value

    def header(self, headers: Iterable[str] | None = None) -> None:
        headers = headers if headers is not None else [column.header for column in self.columns]
        cells = []
        for header in headers:
            cell = self.text_cell(header)
            if isinstance(cell, str):
                cell = WriteOnlyCell(self.ws, value=cell)
            cell.font = BOLD
            cell.alignment = HEADER_ALIGNMENT
            cells.append(cell)
        self.ws.append(cells)
        self.rows_written += 1
        self.ws.print_title_rows = f"{self.rows_written}:{self.rows_written}"  # on every printed page

    def row(self, values: Iterable) -> None:
        kinds = [column.kind for column in self.columns]
        self.ws.append([
            self.value(value, kinds[index] if index < len(kinds) else "text")
            for index, value in enumerate(values)
        ])
        self.rows_written += 1

    def plain_row(self, *values) -> None:
        """A row of a label/value sheet (Summary): bold label, typed value."""
        cells = []
        for index, value in enumerate(values):
            if isinstance(value, tuple):  # (value, kind)
                cells.append(self.value(*value))
            elif index == 0 and isinstance(value, str):
                cells.append(self.text_cell(value, font=BOLD))
            else:
                cells.append(self.value(value))
        self.ws.append(cells)
        self.rows_written += 1

    def filter_all(self) -> None:
        last_column = get_column_letter(max(len(self.columns), 1))
        self.ws.auto_filter.ref = f"A1:{last_column}{max(self.rows_written, 1)}"


class StreamedSheetWriter(SheetWriter):
    """The same, for the big tables: rows are written as XML by streamed_sheet (five
    times faster per cell). Values are plain str/int/float or `Styled` (a value and a
    style id), so the same safety rules apply: text cleaned, formula-like text quoted."""

    def __init__(self, workbook: Workbook, title: str, columns: list[Column] | None = None):
        self.style_ids: dict[tuple, int] = {}
        super().__init__(workbook, title, columns)

    @staticmethod
    def create_sheet(workbook: Workbook, title: str):
        return create_streamed_sheet(workbook, title)

    def style_id(self, number_format: str | None = None, font: Font | None = None,
                 quote_prefix: bool = False, alignment: Alignment | None = None) -> int:
        """The workbook's id for a cell style, registered once through an openpyxl cell."""
        key = (number_format, font, quote_prefix, alignment)
        if key not in self.style_ids:
            cell = WriteOnlyCell(self.ws)
            if number_format:
                cell.number_format = number_format
            if font:
                cell.font = font
            if alignment:
                cell.alignment = alignment
            cell.quotePrefix = quote_prefix
            self.style_ids[key] = cell.style_id
        return self.style_ids[key]

    def text_cell(self, value: object, font: Font | None = None, alignment: Alignment | None = None):
        text = clean_text(value)
        if text.startswith(FORMULA_TRIGGERS):
            return Styled(text, self.style_id(font=font, quote_prefix=True, alignment=alignment))
        return Styled(text, self.style_id(font=font, alignment=alignment)) if font or alignment else text

    def styled(self, value, number_format: str | None = None, font: Font | None = None):
        return Styled(value, self.style_id(number_format, font))

    def stamp(self, number_format: str = DATETIME_FORMAT):
        """Turns a naive London datetime into a date cell (None stays empty)."""
        style_id = self.style_id(number_format)
        return lambda moment: None if moment is None else Styled(moment, style_id)

    def header(self, headers: Iterable[str] | None = None) -> None:
        headers = headers if headers is not None else [column.header for column in self.columns]
        self.ws.append([self.text_cell(header, font=BOLD, alignment=HEADER_ALIGNMENT) for header in headers])
        self.rows_written += 1
        self.ws.print_title_rows = f"{self.rows_written}:{self.rows_written}"


# ---------------------------------------------------------------------------


@dataclass
class WorkbookInfo:
    """What the audit entry of an export says it held."""
    responses: int
    sessions: int


def filename_for(programme: Programme, moment: datetime) -> str:
    return f"{programme.slug}-{local_naive(moment):%Y%m%d-%H%M}.xlsx"


Progress = Callable[[int, int], None]
PROGRESS_EVERY = 2000


def build_workbook(programme: Programme, out: IO[bytes] | str, *, include_attendance: bool,
                   filters: ResultsFilter | None = None, now: datetime | None = None,
                   progress: Progress | None = None) -> WorkbookInfo:
    """Write the workbook to `out` (a path or a binary file). Attendance (personal data)
    only when `include_attendance` (organisers and admins): a viewer's workbook has none
    anywhere, and its Responses sheet hides rare "about you" answers.
    `progress(rows done, rows in all)` is called every PROGRESS_EVERY response rows."""
    now = now or utcnow()
    filters = filters or ResultsFilter()
    sessions = results.select_sessions(programme, filters)
    figures = results.results_for(programme, sessions)
    session_ids = figures.session_ids

    workbook = Workbook(write_only=True)
    _summary(workbook, programme, figures, filters, now, include_attendance)
    _sessions(workbook, figures)
    _indicators(workbook, figures)
    _questions(workbook, figures, every_word=include_attendance)
    _responses(workbook, figures, full_detail=include_attendance, progress=progress)
    _comments(workbook, session_ids)
    _themes(workbook, figures)
    _room_questions(workbook, session_ids)
    _coverage(workbook, programme, viewer=not include_attendance)
    _actions(workbook, programme)
    if include_attendance:
        _attendance(workbook, sessions)
    for sheet in workbook.worksheets:  # the printed page says what it is
        sheet.oddHeader.center.text = f"{clean_text(programme.title).replace('&', '&&')}: &A"
        sheet.oddFooter.center.text = "Page &P of &N"
    workbook.save(out)
    return WorkbookInfo(figures.totals.responses, len(sessions))


THEMES_COLUMNS = (Column("Theme", 30), Column("Description", 40), Column("Breakdown", 16), Column("Group", 36),
                  Column("Responses in the group", 12, "int"), Column("Responses mentioning the theme", 14, "int"))


def _themes(workbook, figures: results.Results) -> None:
    """Responses that mention each theme: whole selection, then (whole programme only) by
    session and by group, small groups hidden as on the results page."""
    counts = theme_counts(figures)
    sheet = SheetWriter(workbook, "Themes", list(THEMES_COLUMNS))
    sheet.header()
    for total in counts.totals:
        sheet.row([total.theme.name, total.theme.description, "All", "Every response", figures.totals.responses,
                   total.responses])
    for table in counts.tables:
        breakdown = table.label.removeprefix("By ").capitalize()
        for total in counts.totals:
            for row in table.rows:
                hidden = results.SUPPRESSED_LABEL if row.suppressed else None
                sheet.row([total.theme.name, total.theme.description, breakdown, row.label, hidden or row.size,
                           hidden or row.count(total.theme)])
    if not counts.totals:
        sheet.row(["No comments have been tagged with themes yet."])
    sheet.filter_all()


ACTIONS_COLUMNS = (Column("Improvement area", 30), Column("Action", 50), Column("Owner", 24),
                   Column("Due", 12, "date"), Column("Status", 12), Column("Progress", 40),
                   Column("Findings it answers", 50), Column("Latest update", 12, "date"), Column("Update", 50),
                   Column("Themes", 40))


ROOM_QUESTIONS_COLUMNS = (Column("Session", 30), Column("Date", 12, "date"), Column("Question", 60),
                          Column("Votes", 8, "int"), Column("Status", 22), Column("Answered", 22),
                          Column("Written answer", 60))


def _room_questions(workbook, session_ids: list[int]) -> None:
    """Questions asked in the room: anonymous, so viewers get them too; hidden ones are
    listed with their status (the moderator hid them from the room, not from the SMT)."""
    sheet = SheetWriter(workbook, "Room questions", list(ROOM_QUESTIONS_COLUMNS))
    sheet.header()
    for session, question in questions_of_sessions(session_ids):
        sheet.row([session.title, local_naive(session.starts_at).date(), question.text, question.votes,
                   question.status.label, question.answer_status.label, question.answer or None])
    sheet.filter_all()


def _actions(workbook, programme: Programme) -> None:
    """The action plan: one row per action, with its latest dated update."""
    sheet = SheetWriter(workbook, "Actions", list(ACTIONS_COLUMNS))
    sheet.header()
    for area, actions in action_plan(programme):
        for action in actions:
            latest = action.updates[0] if action.updates else None
            sheet.row([area.title, action.title, action.owner, action.due_on, action.status.label, action.progress,
                       "; ".join(finding.title for finding in action.findings),
                       latest.written_on if latest else None, latest.text if latest else None,
                       "; ".join(theme.name for theme in action.themes)])
    sheet.filter_all()


def _summary(workbook, programme, figures: results.Results, filters: ResultsFilter, now,
             include_attendance: bool) -> None:
    sheet = SheetWriter(workbook, "Summary")
    sheet.print_settings(pages_tall=1)  # the Summary prints on one page
    for letter, width in (("A", 34), ("B", 70), ("C", 14), ("D", 16)):
        sheet.ws.column_dimensions[letter].width = width
    # The title is typed by an organiser: a text cell like any other, never a formula.
    sheet.ws.append([sheet.text_cell(programme.title, font=HEADING)])
    sheet.plain_row("Programme", programme.title)
    sheet.plain_row("Findings headline", programme.summary or "")
    sheet.plain_row("Exported at", (local_naive(now), "datetime"))
    sheet.plain_row("Filters used", filters.describe({s.id: s for s in figures.sessions}))
    sheet.ws.append([])
    totals = figures.totals
    sheet.plain_row("Totals")
    sheet.plain_row("Sessions", totals.sessions)
    sheet.plain_row("Places", totals.places)
    sheet.plain_row("Booked", totals.booked)
    sheet.plain_row("Attended", totals.attended)
    sheet.plain_row("Responses", totals.responses)
    rate = totals.rate
    if rate.value is None:
        sheet.plain_row("Response rate", str(rate))
    else:
        sheet.plain_row("Response rate", (rate.value, "percent"), *([rate.note] if rate.note else []))
    if not totals.responses:
        sheet.ws.append([])
        sheet.plain_row(NO_RESPONSES)
    highest, lowest = results.ranked_indicators(figures.questions)
    for heading, ranked in (("Highest staff agreement", highest), ("Lowest staff agreement", lowest)):
        sheet.ws.append([])
        sheet.plain_row(heading, "Indicator", "% agree")
        if not ranked:
            sheet.plain_row("", NO_RESPONSES)
        for position, result in enumerate(ranked, start=1):
            sheet.plain_row(str(position), result.question.finding.title, (result.percent_agree, "percent"))
    sheet.ws.append([])
    sheet.plain_row("% agree", results.PERCENT_AGREE_DEFINITION)
    sheet.ws.append([])
    if not include_attendance:
        sheet.plain_row("Responses sheet", f"An 'about you' answer given by fewer than {results.SMALL_GROUP_MIN} "
                        f"responses reads '{table_rows.RARE_GROUP}'.")
    sheet.plain_row("Breakdowns", results.BREAKDOWNS_WITHHELD if figures.breakdowns_withheld
                    else f"From the optional 'about you' questions. {results.SMALL_GROUP_RULE}")
    for table in figures.breakdowns:
        sheet.ws.append([])
        sheet.plain_row(f"By {table.label.lower()}", "Group", "Responses", "% agree (all indicators)")
        for group in table.groups:
            if group.suppressed:
                sheet.plain_row("", group.label, results.SUPPRESSED_LABEL)
            else:
                sheet.plain_row("", group.label, group.responses, (group.percent_agree, "percent"),
                                (group.mean_usefulness, "mean"))
        sheet.plain_row("", "(last column: mean usefulness of the session, 1-5)")


def _sessions(workbook, figures: results.Results) -> None:
    columns = [Column("Session", 36), Column("Date", 12, "date"), Column("Start", 8, "time"),
               Column("End", 8, "time"), Column("Venue", 40), Column("Locality", 16), Column("Capacity", 10, "int"),
               Column("Booked", 9, "int"), Column("Waiting", 9, "int"), Column("Attended", 10, "int"),
               Column("Responses", 11, "int"), Column("Response rate", 14, "percent")]
    sheet = SheetWriter(workbook, "Sessions", columns)
    sheet.header()
    for row in figures.figures:
        starts, ends = local_naive(row.session.starts_at), local_naive(row.session.ends_at)
        venue = row.session.venue + (" (cancelled)" if row.session.is_cancelled else "")
        sheet.row([row.session.title, starts.date(), starts.time(), ends.time(), venue, row.session.locality,
                   row.session.capacity, row.booked, row.waiting, row.attended, row.responses,
                   row.response_rate if row.response_rate is not None else str(row.rate)])
    sheet.filter_all()


def _coverage(workbook, programme: Programme, viewer: bool) -> None:
    """Who has been reached, by each grouping of the staff list (a viewer's copy hides small
    groups as the coverage page does). Nothing when the programme has no staff list."""
    first = staff_coverage.coverage(programme, "team", viewer=viewer)
    if not first.total.listed and not first.total.left:
        return
    columns = [Column("Grouping", 16), Column("Group", 36), Column("Listed", 9, "int"), Column("Booked", 9, "int"),
               Column("Attended", 10, "int"), Column("Not yet reached", 15, "int"), Column("Coverage", 10, "percent")]
    sheet = SheetWriter(workbook, "Coverage", columns)
    sheet.header()
    total = first.total
    sheet.row(["Whole programme", "All listed", total.listed, total.booked, total.attended, total.not_reached,
               total.coverage])
    for grouping, heading in staff_coverage.GROUPINGS.items():
        figures = first if grouping == "team" else staff_coverage.coverage(programme, grouping, viewer=viewer)
        for group in figures.groups[grouping]:
            counts = group.counts
            if group.hidden:
                sheet.row([heading, group.name, "fewer than 5", "", "", "", None])
            else:
                sheet.row([heading, group.name, counts.listed, counts.booked, counts.attended, counts.not_reached,
                           counts.coverage])
    sheet.filter_all()


def _indicators(workbook, figures: results.Results) -> None:
    columns = indicators_columns()
    sheet = SheetWriter(workbook, "Indicators", columns)
    sheet.header()
    indicators = figures.indicators
    for result in indicators:
        finding = result.question.finding
        if finding is None:  # indicator_results keeps only questions on a finding
            continue
        by_score: dict[int, int] = {}
        for option in result.options:
            if option.option.score is not None:
                by_score[option.option.score] = by_score.get(option.option.score, 0) + option.count
        values: list[object] = [finding.headline_question or "", finding.title, finding.grade or ""]
        for _label, score in AGREEMENT_POINTS:
            count = by_score.get(score, 0)
            values += [count, results.ratio(count, result.respondents)]
        values += [result.dont_know, result.respondents, result.mean, result.percent_agree]
        sheet.row(values)
    sheet.filter_all()
    if indicators:
        agree_column = len(columns)
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = "% agree with each quality indicator"
        chart.y_axis.title = "% agree"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.x_axis.scaling.orientation = "maxMin"  # first indicator at the top, as in the table
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        chart.legend = None
        last_row = len(indicators) + 1
        chart.add_data(Reference(sheet.ws, min_col=agree_column, min_row=1, max_row=last_row),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet.ws, min_col=2, min_row=2, max_row=last_row))
        chart.height = max(7.5, 1.2 * len(indicators) + 3)
        chart.width = 24
        # Just below the table, where the sheet opens (not off to the right at column S).
        sheet.ws.add_chart(chart, f"A{last_row + 3}")


RARE_WORDS = "(words given by fewer than 5 people: not shown)"


def _questions(workbook, figures: results.Results, every_word: bool = False) -> None:
    columns = [Column("Number", 8, "int"), Column("Question", 60), Column("Type", 18), Column("Answer", 40),
               Column("Count", 8, "int"), Column("Percentage", 11, "percent"), Column("Answered", 10, "int"),
               Column("Mean", 8, "mean")]
    sheet = SheetWriter(workbook, "Questions", columns)
    sheet.header()
    for result in figures.questions:
        kind = QuestionKind(result.kind).label
        text = " ".join(filter(None, (result.question.text, results.wording_note(result.question))))
        if result.question.is_choice:
            for option in result.options:
                sheet.row([result.number, text, kind, option.option.label, option.count,
                           option.share, result.respondents, result.mean])
        elif result.question.id in figures.words:
            # One row per word, most given first; a viewer's workbook leaves out the
            # rare words (as the results pages do) and counts them in one row.
            words = figures.words[result.question.id]
            for word in words.shown(every_word):
                sheet.row([result.number, text, kind, word.word, word.count,
                           results.ratio(word.count, result.respondents), result.respondents, None])
            if not every_word and words.rare_responses:
                sheet.row([result.number, text, kind, RARE_WORDS, words.rare_responses,
                           results.ratio(words.rare_responses, result.respondents), result.respondents, None])
        else:
            sheet.row([result.number, text, kind, "(written answers: see Comments)",
                       result.text_answers, None, result.respondents, None])
    sheet.filter_all()


def _responses(workbook, figures: results.Results, full_detail: bool, progress: Progress | None = None) -> None:
    questions = [result.question for result in figures.questions]
    sheet = StreamedSheetWriter(workbook, "Responses", table_rows.response_columns(questions))
    sheet.header()
    ws = sheet.ws
    submitted_at = sheet.stamp()
    # Hot loop (100,000 rows): text is already cleaned and guarded by text_cell (labels
    # once each, written answers one by one), so each row is appended as it comes.
    total = figures.totals.responses
    for row in table_rows.response_rows(figures.sessions, questions, text=sheet.text_cell,
                                        full_detail=full_detail):
        row[3] = submitted_at(row[3])
        ws.append(row)
        sheet.rows_written += 1
        if progress and sheet.rows_written % PROGRESS_EVERY == 0:
            progress(sheet.rows_written - 1, total)
    if sheet.rows_written == 1:
        sheet.row([None, NO_RESPONSES])
    sheet.filter_all()


def _comments(workbook, session_ids: list[int]) -> None:
    sheet = StreamedSheetWriter(workbook, "Comments", list(table_rows.COMMENT_COLUMNS))
    sheet.header()
    ws = sheet.ws
    submitted_at = sheet.stamp()
    for session, question, moment, comment in table_rows.comment_rows(session_ids, text=sheet.text_cell):
        ws.append((session, question, submitted_at(moment), comment))
        sheet.rows_written += 1
    if sheet.rows_written == 1:
        sheet.row(["", "", None, "There are no comments yet."])
    sheet.filter_all()


def _attendance(workbook, sessions) -> None:
    sheet = SheetWriter(workbook, "Attendance", list(ATTENDANCE_COLUMNS))
    sheet.header()
    for row in attendance_rows(registrations_of([session.id for session in sessions])):
        sheet.row(row)
    sheet.filter_all()
