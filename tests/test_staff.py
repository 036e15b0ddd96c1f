"""The staff list: importing it (mapping, row errors, re-import, bad files), coverage with
known answers, suppression for viewers, invitations through the real queue and a real
SMTP server, the "does not apply to me" answer, and the retention purge."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.booking_helpers import make_session, person
from tests.conftest import csrf_token
from webapp.auth.models import AuditEntry, Role, User
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.retention.services import purge
from webapp.sessions.models import EventSession
from webapp.staff import coverage, importing, invitations
from webapp.staff.models import NotApplicable, StaffInvitation, StaffMember, StaffUpload

HEADER = "Full name,Email,Team,Locality,Role,Organisation,Grade\r\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\r\n" for row in rows)).encode("utf-8")


LIST = _csv(
    "Ann Able,ANN@example.org ,Team A,North East,Social worker,Council,Band 6",
    "Ben Bell,ben@example.org,Team A,North East,Social worker,Council,Band 7",
    "Cat Cole,cat@example.org,Team B,South,Teacher,Education,",
    "Dan Dee,dan@example.org,Team B,South,Teacher,Education,",
    "Eve Eck,not-an-email,Team B,South,Teacher,Education,",
    "Fay Fox,fay@example.org,,South,Teacher,Education,",
    "Ann Again,ann@example.org,Team C,South,Teacher,Education,",
)


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "PUBLIC_BASE_URL": "https://briefings.example.org"}


@pytest.fixture
def organiser(app):
    with app.app_context():
        user = User(email="organiser@example.org", role=Role.ORGANISER)
        user.set_password("a long enough password")
        db.session.add(user)
        db.session.commit()
        return user.id


def _import(app, programme_id: int, organiser_id: int, content: bytes) -> importing.Preview:
    with app.app_context():
        from webapp.programmes.models import Programme
        programme = db.session.get(Programme, programme_id)
        actor = db.session.get(User, organiser_id)
        upload = importing.read_upload(programme, actor, "staff.csv", content)
        importing.check_rows(upload, upload.mapping)
        return importing.apply_upload(upload, actor)


@pytest.fixture
def programme_id(app):
    session_id = make_session(app, capacity=10, days_ahead=-3)
    with app.app_context():
        return db.session.get(EventSession, session_id).programme_id


def test_the_mapping_is_guessed_and_every_row_error_is_shown_before_anything_is_stored(
        app, programme_id, organiser):
    with app.app_context():
        from webapp.programmes.models import Programme
        upload = importing.read_upload(db.session.get(Programme, programme_id), db.session.get(User, organiser),
                                       "staff.csv", LIST)
        assert upload.headers == ["Full name", "Email", "Team", "Locality", "Role", "Organisation", "Grade"]
        assert upload.mapping == {"name": 0, "email": 1, "team": 2, "locality": 3, "role_group": 4,
                                  "organisation": 5}
        preview = importing.check_rows(upload, upload.mapping)
        assert (preview.rows, preview.valid, preview.errors, preview.added, preview.removed) == (7, 4, 3, 4, 0)
        assert [(row.row_number, row.error) for row in preview.first_errors] == [
            (6, "The email address is not in the right format"), (7, "No team or service"),
            (8, "The same email as row 2")]
        assert db.session.scalar(sa.select(sa.func.count(StaffMember.id))) == 0  # nothing stored yet
        with pytest.raises(importing.StaffListError, match="Team or service"):
            importing.check_rows(upload, {**upload.mapping, "team": None})


def test_import_then_reimport_updates_by_email_removes_and_never_duplicates(app, programme_id, organiser):
    done = _import(app, programme_id, organiser, LIST)
    assert (done.added, done.updated, done.removed) == (4, 0, 0)
    with app.app_context():
        ann = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == "ann@example.org"))
        assert (ann.name, ann.team, ann.labels) == ("Ann Able", "Team A", {"Grade": "Band 6"})
    again = _import(app, programme_id, organiser, _csv(
        "Ann Able,ann@example.org,Team Z,North East,Social worker,Council,",
        "Cat Cole,CAT@example.org,Team B,South,Teacher,Education,",
        "Gus Gray,gus@example.org,Team B,South,Teacher,Education,"))
    assert (again.added, again.updated, again.removed) == (1, 2, 2)
    with app.app_context():
        people = db.session.execute(sa.select(StaffMember.email, StaffMember.team).order_by(StaffMember.email)).all()
        assert people == [("ann@example.org", "Team Z"), ("cat@example.org", "Team B"), ("gus@example.org", "Team B")]
        entries = db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "staff.imported")).all()
        assert entries[-1] == "1 added, 2 updated, 2 removed, 0 rows not imported"


def _xlsx(rows, formula: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["A3"] = "=HYPERLINK(\"https://evil.example\",\"x\")"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_excel_workbook_imports_too(app, programme_id, organiser):
    content = _xlsx([["Name", "Work email", "Service"], ["Ann Able", "ann@example.org", "Team A"]])
    assert _import(app, programme_id, organiser, content).added == 1


@pytest.mark.parametrize("content, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "password-protected"),
    ("Name,Email,Team\r\nZoë,zoe@example.org,Équipe\r\n".encode("cp1252"), "UTF-8"),
    (b"PK\x03\x04not really a zip", "damaged"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV"),
    (_xlsx([["Name", "Email", "Team"], ["Ann", "ann@example.org", "A"], ["Ben", "ben@example.org", "B"]],
           formula=True), "formula"),
])
def test_bad_files_get_a_clear_message_and_store_nothing(app, programme_id, organiser, content, message):
    with app.app_context():
        from webapp.programmes.models import Programme
        programme = db.session.get(Programme, programme_id)
        actor = db.session.get(User, organiser)
        with pytest.raises(importing.StaffListError, match=message):
            upload = importing.read_upload(programme, actor, "bad", content)
            importing.check_rows(upload, upload.mapping)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(StaffMember.id))) == 0


def _login(client, app, role=Role.ORGANISER):
    from tests.conftest import PASSWORD, post_form
    with app.app_context():
        user = User(email=f"{role}-staff@example.org", role=role)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    assert post_form(client, "/login", {"email": f"{role}-staff@example.org", "password": PASSWORD}).status_code == 302


def test_the_whole_import_through_the_pages(app, client, programme_id):
    _login(client, app)
    base = f"/organiser/programmes/{programme_id}/staff"
    token = csrf_token(client, f"{base}/upload")
    response = client.post(f"{base}/upload", data={"csrf_token": token, "file": (io.BytesIO(LIST), "staff.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert "Which column holds what?" in page and "Ann Able" in page
    form = {"csrf_token": csrf_token(client, mapping_url), "name": "0", "email": "1", "team": "2",
            "locality": "3", "role_group": "4", "organisation": "5"}
    response = client.post(mapping_url, data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import 4 people" in page and "The same email as row 2" in page
    upload_id = int(re.search(r"/uploads/(\d+)", mapping_url).group(1))
    response = client.post(f"{base}/uploads/{upload_id}/import", data={"csrf_token": csrf_token(client, base)})
    assert "4 added, 0 updated, 0 removed; 3 rows with problems" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(StaffUpload, upload_id) is None  # the file is not kept
    csv_file = client.get(f"{base}/people.csv")
    assert csv_file.status_code == 200 and "ann@example.org" in csv_file.get_data(as_text=True)
    assert csv_file.headers["Cache-Control"] == "no-store"


def test_a_file_over_the_limit_is_refused_with_a_message(app, client, programme_id):
    app.config["STAFF_UPLOAD_MAX_BYTES"] = 10_000
    _login(client, app)
    url = f"/organiser/programmes/{programme_id}/staff/upload"
    big = b"Name,Email,Team\r\n" + b"x" * 20_000
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(big), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "must be smaller than" in response.get_data(as_text=True)


@pytest.fixture
def listed(app, programme_id, organiser):
    """Ten people in two teams; known bookings and attendance."""
    rows = [f"Person {n},person{n}@example.org,{'Team A' if n <= 6 else 'Team B'},"
            f"{'North' if n <= 3 else 'South'},Social worker,Council," for n in range(1, 11)]
    _import(app, programme_id, organiser, _csv(*rows))
    with app.app_context():
        past = db.session.scalar(sa.select(EventSession).where(EventSession.programme_id == programme_id))
        # Booked the past session: 1-4 (1-3 came), and someone not on the list who came.
        for n in (1, 2, 3, 4, 99):
            db.session.add(Registration(session_id=past.id, status="confirmed", **person(n),
                                        checked_in_at=utcnow() if n in (1, 2, 3, 99) else None))
        db.session.commit()
        ahead = make_session(app, capacity=10, days_ahead=30, programme_id=programme_id, title="Mop-up briefing")
        bookings.book(db.session.get(EventSession, ahead), **person(5, email="  PERSON5@Example.org "))
    return ahead


def test_coverage_on_a_small_list_with_known_answers(app, programme_id, listed):
    with app.app_context():
        from webapp.programmes.models import Programme
        figures = coverage.coverage(db.session.get(Programme, programme_id), "team")
        total = figures.total
        assert (total.listed, total.attended, total.booked, total.absent, total.not_reached) == (10, 3, 2, 1, 7)
        assert figures.unlisted_attended == 1
        teams = {row.name: row.counts for row in figures.groups["team"]}
        assert (teams["Team A"].listed, teams["Team A"].attended, teams["Team B"].attended) == (6, 3, 0)
        below = coverage.below_threshold(figures, "team", 0.6)
        assert [row.name for row in below] == ["Team B", "Team A"]


def test_viewers_see_groups_under_5_hidden_with_one_more(app, client, programme_id, listed):
    with app.app_context():
        from webapp.programmes.models import Programme
        figures = coverage.coverage(db.session.get(Programme, programme_id), "locality", viewer=True)
        localities = {row.name: row.hidden for row in figures.groups["locality"]}
        assert localities == {"North": True, "South": True}  # 3 people: hidden, and so is the other
    _login(client, app, Role.VIEWER)
    page = client.get(f"/organiser/programmes/{programme_id}/staff?by=locality").get_data(as_text=True)
    assert "fewer than 5" in page and "person1@example.org" not in page
    assert client.get(f"/organiser/programmes/{programme_id}/staff/people.csv").status_code == 403
    assert client.get(f"/organiser/programmes/{programme_id}/staff/upload").status_code == 403


def test_invitations_through_the_worker_once_each_with_the_does_not_apply_answer(
        app, client, programme_id, listed, organiser, smtp_server, run_jobs):
    with app.app_context():
        from webapp.programmes.models import Programme
        programme = db.session.get(Programme, programme_id)
        session = db.session.get(EventSession, listed)
        plan = invitations.plan(programme, session, without_booking=True, again=False)
        # Not attended and no booking: 4 booked (and missed), 5 has booked the mop-up.
        assert sorted(p.email for p in plan.people) == [f"person{n}@example.org" for n in (10, 6, 7, 8, 9)]
        assert len(invitations.plan(programme, session, without_booking=False, again=False).people) == 7
        assert invitations.invite(programme, session, db.session.get(User, organiser),
                                  without_booking=True, again=False) == 5
        # Sending again skips those already invited, unless asked.
        assert invitations.plan(programme, session, without_booking=True, again=False).people == []
        assert invitations.invite(programme, session, db.session.get(User, organiser),
                                  without_booking=True, again=False) == 0
    run_jobs()
    assert len([m for m in smtp_server.messages if m["Subject"] == "Invitation: Mop-up briefing"]) == 5
    message = smtp_server.to("person6@example.org")[0]
    text = message.get_body(("plain",)).get_content()
    assert "you are on the staff list" in text and "does not apply to you" in text
    book_url = re.search(r"(https://briefings.example.org/sessions/\d+/register\?invitation=\S+)", text).group(1)
    answer_url = re.search(r"(https://briefings.example.org/invitation/\S+)", text).group(1)

    form = client.get(book_url.removeprefix("https://briefings.example.org")).get_data(as_text=True)
    assert 'value="Person 6"' in form and 'value="person6@example.org"' in form
    path = answer_url.removeprefix("https://briefings.example.org")
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "answer": "left"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    with app.app_context():
        person6 = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == "person6@example.org"))
        assert person6.not_applicable == NotApplicable.LEFT
        figures = coverage.coverage(db.session.get(Programme, programme_id))
        assert (figures.total.listed, figures.total.left) == (9, 1)
        results = invitations.results(db.session.get(EventSession, listed))
        assert (results.invited, results.sent, results.failed) == (5, 5, 0)
    assert client.get("/invitation/not-a-real-token").status_code == 404


def test_the_retention_purge_removes_the_list_of_a_finished_programme(app, programme_id, organiser):
    _import(app, programme_id, organiser, LIST)
    with app.app_context():
        report = purge(after_days=1, now=utcnow() + timedelta(days=10))
        assert report.staff_listed == 4
        assert db.session.scalar(sa.select(sa.func.count(StaffMember.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(StaffInvitation.id))) == 0


def test_the_upload_is_refused_without_its_csrf_token(app, client, programme_id):
    _login(client, app)
    url = f"/organiser/programmes/{programme_id}/staff/upload"
    response = client.post(url, data={"file": (io.BytesIO(LIST), "staff.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(StaffUpload.id))) == 0


def test_the_workbook_has_a_coverage_sheet_with_small_groups_hidden_for_viewers(app, programme_id, listed):
    from openpyxl import load_workbook

    from webapp.exports.workbook import build_workbook
    from webapp.programmes.models import Programme

    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        for full, expected_north in ((True, 3), (False, "fewer than 5")):
            out = io.BytesIO()
            build_workbook(programme, out, include_attendance=full)
            sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True)["Coverage"]
            rows = list(sheet.iter_rows(values_only=True))
            assert rows[0][:3] == ("Grouping", "Group", "Listed")
            assert rows[1][:5] == ("Whole programme", "All listed", 10, 2, 3)
            north = next(row for row in rows if row[:2] == ("Locality", "North"))
            assert north[2] == expected_north


def test_the_coverage_sheet_reads_coverage_as_a_percentage_in_columns_wide_enough(app, programme_id, listed):
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from webapp.exports.workbook import build_workbook
    from webapp.programmes.models import Programme

    with app.app_context():
        out = io.BytesIO()
        build_workbook(db.session.get(Programme, programme_id), out, include_attendance=True)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Coverage"]
    header_row, whole_programme = list(sheet.iter_rows(min_row=1, max_row=2))
    assert whole_programme[-1].value == pytest.approx(0.3) and whole_programme[-1].number_format == "0.0%"
    widths = {header.value: sheet.column_dimensions[get_column_letter(number)].width
              for number, header in enumerate(header_row, start=1)}
    assert widths == {"Grouping": 16, "Group": 36, "Listed": 9, "Booked": 9, "Attended": 10,
                      "Not yet reached": 17, "Coverage": 10}


def test_the_board_report_says_how_many_on_the_staff_list_were_reached(app, programme_id, listed):
    from webapp.programmes.models import Programme
    from webapp.reports.services import board_report

    with app.app_context():
        report = board_report(db.session.get(Programme, programme_id))
        assert report.reach_sentence() == ("Of the 10 staff on the list the programme set out to reach, 3 (30%) "
                                           "have attended a briefing; 7 are still to be reached.")


def test_the_privacy_notice_covers_the_staff_list(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "If you are on the staff list" in page and "Nothing connects the list to the feedback" in page


def test_the_workbooks_coverage_sheet_hides_small_teams_from_viewers_only(app, programme_id, organiser):
    """Every grouping, the team one included, reads "fewer than 5" for a small group in the
    copy without attendance (a viewer's), and shows its figures in the organiser's."""
    from openpyxl import load_workbook

    from webapp.exports.workbook import build_workbook
    from webapp.programmes.models import Programme

    _import(app, programme_id, organiser, LIST)

    def coverage_rows(include_attendance: bool) -> dict[tuple[str, str], tuple]:
        with app.app_context():
            out = io.BytesIO()
            build_workbook(db.session.get(Programme, programme_id), out, include_attendance=include_attendance)
        sheet = load_workbook(io.BytesIO(out.getvalue()))["Coverage"]
        return {(row[0], row[1]): row[2:] for row in sheet.iter_rows(min_row=2, values_only=True)}

    viewer, organisers = coverage_rows(False), coverage_rows(True)
    for grouping in ("Team or service", "Locality"):
        small = [key for key in organisers if key[0] == grouping and isinstance(organisers[key][0], int)
                 and organisers[key][0] < 5]
        assert small, grouping
        for key in small:
            assert viewer[key][0] == "fewer than 5", key
