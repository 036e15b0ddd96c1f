"""Large workbooks built by a worker: the page shows progress, then the file; unchanged
data reuses the file; roles; old files cleaned up; small programmes still stream."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import results_factories as f
from webapp.audit import AuditAction
from webapp.auth.models import AuditEntry, Role
from webapp.db_types import utcnow
from webapp.exports import builds
from webapp.exports.models import BuildStatus, WorkbookBuild
from webapp.extensions import db
from webapp.feedback.models import QuestionKind, Response


@pytest.fixture
def app_config(tmp_path):
    return {"WORKBOOK_STREAM_BELOW": 3, "EXPORTS_DIR": str(tmp_path / "exports")}


def add_responses(app, demo, count: int, text: str = "Clear and useful") -> None:
    with app.app_context():
        session = f.sessions(demo)[0]
        comment = f.question(demo, kind=QuestionKind.LONG_TEXT)
        for _ in range(count):
            f.respond(session, {comment: text})
        db.session.commit()


def workbook_url(demo: int) -> str:
    return f"/organiser/programmes/{demo}/workbook.xlsx"


def start_build(client, demo: int) -> str:
    response = client.get(workbook_url(demo))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert re.search(rf"/organiser/programmes/{demo}/workbook/\d+$", location)
    return location


def download(client, build_page: str):
    page = client.get(build_page).get_data(as_text=True)
    link = re.search(r'href="([^"]+/download)"', page)
    assert link, page
    return client.get(link.group(1))


def exports_audited(app) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == AuditAction.EXPORT_WORKBOOK.value)))


def test_a_large_workbook_is_built_by_the_worker_and_offered_when_ready(app, client, login_as, demo, run_jobs):
    add_responses(app, demo, 5, "=HYPERLINK(\"http://evil.example\",\"x\")")
    login_as(Role.ORGANISER)
    page_url = start_build(client, demo)
    page = client.get(page_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "being built" in html and 'http-equiv="refresh"' in html and "/download" not in html
    assert exports_audited(app) == []  # nothing downloaded yet

    assert run_jobs() == 1
    html = client.get(page_url).get_data(as_text=True)
    assert "Ready to download" in html and 'http-equiv="refresh"' not in html
    assert 'data-refresh-seconds="0"' in html  # the script stops too
    response = download(client, page_url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(response.data))
    assert "Attendance" in workbook.sheetnames
    comments = [row[3] for row in workbook["Comments"].iter_rows(min_row=2, values_only=True)]
    assert comments.count("=HYPERLINK(\"http://evil.example\",\"x\")") == 5  # text, not a formula
    entries = exports_audited(app)
    assert len(entries) == 1
    assert entries[0].detail == "5 responses, 7 sessions, attendance included; filters: None: all sessions"
    with app.app_context():  # a finished build shows every row done
        build = db.session.scalars(sa.select(WorkbookBuild)).one()
        assert (build.rows_done, build.rows_total) == (5, 5)
        builds.file_path(build).unlink()  # its file gone (a disk tidied by hand)
    assert "/download" not in client.get(page_url).get_data(as_text=True)  # no link to offer
    response = client.get(f"{page_url}/download")
    assert response.status_code == 302 and response.headers["Location"] == page_url
    assert len(exports_audited(app)) == 1  # nothing more was handed out


def test_unchanged_data_reuses_the_file_and_a_new_response_builds_again(app, client, login_as, demo, run_jobs):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    first = start_build(client, demo)
    assert start_build(client, demo) == first  # joined while under way
    run_jobs()
    assert start_build(client, demo) == first  # reused once finished
    assert run_jobs() == 0
    add_responses(app, demo, 1)
    second = start_build(client, demo)
    assert second != first
    run_jobs()
    response = download(client, second)
    responses_sheet = load_workbook(io.BytesIO(response.data))["Responses"]
    with app.app_context():
        total = builds.response_count(f.sessions(demo))
    assert responses_sheet.max_row == total + 1


def test_a_viewer_gets_no_attendance_and_cannot_open_an_organisers_build(app, client, auth, login_as, demo,
                                                                        run_jobs):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    organisers = start_build(client, demo)
    run_jobs()
    auth.logout()
    login_as(Role.VIEWER)
    assert client.get(organisers).status_code == 404
    assert client.get(organisers + "/download").status_code == 404
    viewers = start_build(client, demo)
    assert viewers != organisers  # a different file: no personal data in it
    run_jobs()
    workbook = load_workbook(io.BytesIO(download(client, viewers).data))
    assert "Attendance" not in workbook.sheetnames
    auth.logout()
    login_as(Role.ORGANISER)
    assert client.get(viewers).status_code == 200  # the same data an organiser may see


def test_a_build_of_another_programme_is_not_found(app, client, login_as, demo, run_jobs):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    page_url = start_build(client, demo)
    build_id = page_url.rsplit("/", 1)[1]
    assert client.get(f"/organiser/programmes/{demo + 999}/workbook/{build_id}").status_code == 404


def test_small_programmes_still_stream_at_once(app, client, login_as, demo):
    app.config["WORKBOOK_STREAM_BELOW"] = 1_000_000
    add_responses(app, demo, 2)
    login_as(Role.ORGANISER)
    response = client.get(workbook_url(demo))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data))["Summary"]["A1"].value
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WorkbookBuild.id))) == 0
    assert len(exports_audited(app)) == 1


def test_progress_is_reported_while_building(app, demo, make_user, monkeypatch):
    add_responses(app, demo, 7)
    monkeypatch.setattr("webapp.exports.workbook.PROGRESS_EVERY", 2)
    seen: list[tuple[int, int]] = []
    real = builds._set_progress

    def watch(build_id, done, total):
        real(build_id, done, total)
        with db.engine.connect() as connection:  # another connection sees it mid-build
            seen.append(tuple(connection.execute(sa.select(WorkbookBuild.rows_done, WorkbookBuild.rows_total)
                                                 .where(WorkbookBuild.id == build_id)).one()))

    monkeypatch.setattr(builds, "_set_progress", watch)
    with app.app_context():
        user = make_user(Role.ORGANISER)
        build = builds.request_workbook(user, f.programme(demo), builds.filters_from_json({}), True)
        assert builds.run_build(build.id) == BuildStatus.READY
        assert builds.run_build(build.id) is None  # done: a second worker does nothing
        total = builds.response_count(f.sessions(demo))
    assert seen and seen[0][1] == total and [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] > 0  # the rows done are written, not only the total


def test_a_failed_build_says_so(app, client, login_as, demo, run_jobs, monkeypatch):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    page_url = start_build(client, demo)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builds, "build_workbook", broken)
    run_jobs()
    html = client.get(page_url).get_data(as_text=True)
    assert "could not be built" in html and 'http-equiv="refresh"' not in html
    with app.app_context():
        build = db.session.scalars(sa.select(WorkbookBuild)).one()
        assert build.status == BuildStatus.FAILED and "disk full" in build.error
    assert not list(Path(app.config["EXPORTS_DIR"]).glob("*"))  # no half-written file left
    assert start_build(client, demo) != page_url  # asked again: a new build, not the failed one


def test_old_and_superseded_files_are_cleaned_up(app, client, login_as, demo, run_jobs):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    first = start_build(client, demo)
    run_jobs()
    add_responses(app, demo, 1)
    second = start_build(client, demo)
    run_jobs()
    with app.app_context():
        files = sorted(builds.exports_dir().glob("*.xlsx"))
        assert len(files) == 2
        assert builds.clean_up() == 1  # the first: a newer build of the same kind replaced it
        assert len(list(builds.exports_dir().glob("*.xlsx"))) == 1
        assert builds.clean_up(utcnow() + timedelta(hours=25)) == 1
        assert list(builds.exports_dir().glob("*")) == []
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 404


def test_a_lost_build_is_marked_failed_and_a_new_request_starts_another(app, client, login_as, demo, run_jobs):
    add_responses(app, demo, 4)
    login_as(Role.ORGANISER)
    lost = start_build(client, demo)
    with app.app_context():  # its job never ran (worker killed, queue lost it) and time passed
        db.session.execute(sa.update(WorkbookBuild).values(created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    assert start_build(client, demo) != lost  # not joined: it is stale
    with app.app_context():
        builds.clean_up()
    assert "could not be built" in client.get(lost).get_data(as_text=True)


def test_the_data_key_changes_with_everything_the_workbook_shows(app, demo, make_user):
    """Each change below shows in the workbook, so each gives a new key (and a new file);
    the same change in the neighbouring programme, or none, keeps the key."""
    from tests import neighbours
    from tests.booking_helpers import person
    from webapp.bookings import services as bookings
    from webapp.bookings.models import Registration
    from webapp.feedback.answers import new_submission_key, store_response
    from webapp.feedback.form_builder import add_question
    from webapp.programmes.models import Programme
    from webapp.results import exclusions
    from webapp.results.services import ResultsFilter
    from webapp.sessions.models import EventSession

    organiser_id = make_user(Role.ORGANISER).id
    with app.app_context():
        from webapp.auth.models import User

        organiser = db.session.get(User, organiser_id)
        session = f.sessions(demo)[0]
        session.capacity = session.confirmed_count + 1
        db.session.commit()
        question = f.question(demo, kind=QuestionKind.AGREEMENT)
        everything = ResultsFilter()

        def key(filters: ResultsFilter = everything, attendance: bool = True) -> str:
            db.session.expire_all()
            return builds.data_key(db.session.get(Programme, demo), filters, attendance)

        keys = [key()]

        def changed(what: str) -> None:
            keys.append(key())
            assert keys[-1] != keys[-2], f"the key did not change when {what}"

        assert key() == keys[0]  # nothing changed
        assert key(attendance=False) != keys[0]
        assert key(ResultsFilter(session_ids=(session.id,))) != keys[0]
        first = bookings.book(session, **person(1)).registration
        changed("a place was booked")
        waiting = bookings.book(session, **person(2)).registration
        assert waiting.status == "waiting"
        changed("someone joined the waiting list")
        bookings.cancel(db.session.get(Registration, waiting.id))
        changed("someone left the waiting list")
        bookings.check_in(db.session.get(Registration, first.id), organiser)
        changed("someone arrived")
        bookings.undo_check_in(db.session.get(Registration, first.id), organiser)
        changed("an arrival was undone")
        store_response(session.id, new_submission_key(),
                       [{"question_id": question.id, "option_id": question.options[0].id, "text": None}])
        changed("a response came in")
        newest = db.session.scalar(sa.select(sa.func.max(Response.submitted_at)))
        exclusion = exclusions.exclude(db.session.get(EventSession, session.id), newest,
                                       newest + timedelta(microseconds=1), "A burst", None)
        changed("a burst was excluded")
        exclusions.undo(exclusion, None)
        changed("the exclusion was undone")
        add_question(db.session.get(Programme, demo).feedback_form, kind="short_text", text="Anything else?")
        changed("the form changed")
        db.session.get(Programme, demo).title = "Renamed"
        db.session.commit()
        changed("the programme was renamed")
        db.session.get(EventSession, session.id).title = "Renamed session"
        db.session.commit()
        changed("a session was renamed")

        neighbour_session = next(other for other in db.session.scalars(sa.select(EventSession).where(
            EventSession.programme_id == neighbours.neighbour_id())) if other.is_bookable())
        bookings.book(neighbour_session, **person(3))
        assert key() == keys[-1], "a booking in another programme changed the key"


def test_clean_up_and_reuse_at_their_boundaries(app, demo):
    """Lost: pending for longer than STALE_AFTER (not exactly that long). Old: made
    before EXPORTS_KEEP_HOURS ago (not exactly then). Superseded: a finished build with a
    newer finished one of the same programme, filters and attendance. Reused: the newest
    finished build whose file is there, else one under way that is not lost."""
    now = utcnow().replace(microsecond=0)
    keep = timedelta(hours=app.config["EXPORTS_KEEP_HOURS"])

    def build(name: str, status: BuildStatus, age: timedelta, key: str = "k", **fields) -> int:
        made = WorkbookBuild(programme_id=demo, data_key=key, status=status, created_at=now - age,
                             file_name=f"{name}.xlsx" if status == BuildStatus.READY else None, **fields)
        db.session.add(made)
        db.session.flush()
        if made.file_name:
            (builds.exports_dir() / made.file_name).write_bytes(b"xlsx")
        return made.id

    with app.app_context():
        second = timedelta(seconds=1)
        ids = {
            "superseded": build("superseded", BuildStatus.READY, timedelta(hours=2)),
            "newest": build("newest", BuildStatus.READY, timedelta(hours=1)),
            "other filters": build("other", BuildStatus.READY, timedelta(hours=2), "k2", filters={"session_ids": [1]}),
            "with attendance": build("attendance", BuildStatus.READY, timedelta(hours=2), "k3",
                                     include_attendance=True),
            "pending, not lost": build("p1", BuildStatus.PENDING, builds.STALE_AFTER),
            "pending, lost": build("p2", BuildStatus.PENDING, builds.STALE_AFTER + second),
            "building, lost": build("p3", BuildStatus.BUILDING, builds.STALE_AFTER + second),
            "kept to the hour": build("edge", BuildStatus.FAILED, keep),
            "too old": build("old", BuildStatus.FAILED, keep + second),
        }
        db.session.commit()
        assert builds._reusable("k", now).id == ids["newest"]
        (builds.exports_dir() / "newest.xlsx").unlink()  # its file went: the older one of the key will do
        assert builds._reusable("k", now).id == ids["superseded"]
        assert builds._reusable("nothing", now) is None
        assert builds.clean_up(now) == 2
        left = dict(db.session.execute(sa.select(WorkbookBuild.id, WorkbookBuild.status)).tuples().all())
        names = {name: left.get(build_id) for name, build_id in ids.items()}
        assert names == {"newest": BuildStatus.READY, "superseded": None, "other filters": BuildStatus.READY,
                         "with attendance": BuildStatus.READY, "pending, not lost": BuildStatus.PENDING,
                         "pending, lost": BuildStatus.FAILED, "building, lost": BuildStatus.FAILED,
                         "kept to the hour": BuildStatus.FAILED, "too old": None}
        assert sorted(path.name for path in builds.exports_dir().iterdir()) == ["attendance.xlsx", "other.xlsx"]
        lost = db.session.get(WorkbookBuild, ids["pending, lost"])
        assert lost.finished_at == now and lost.error.startswith("Lost")
        # a build under way is joined while it is not lost
        db.session.execute(sa.delete(WorkbookBuild).where(WorkbookBuild.status == BuildStatus.READY))
        db.session.commit()
        assert builds._reusable("k", now - second).id == ids["pending, not lost"]
        assert builds._reusable("k", now) is None  # STALE_AFTER old: not waited for any longer


def test_filters_reach_the_worker_as_they_were_chosen(app, demo):
    """A build's filters are stored as JSON and read back by the worker: sessions, and
    each date, the same; no filter stays no filter."""
    from datetime import date

    from webapp.results.services import ResultsFilter

    chosen = ResultsFilter(session_ids=(3, 5), date_from=date(2026, 1, 5), date_to=date(2026, 2, 28))
    assert builds.filters_from_json(builds.filters_to_json(chosen)) == chosen
    only_until = ResultsFilter(date_to=date(2026, 2, 28))
    assert builds.filters_from_json(builds.filters_to_json(only_until)) == only_until
    assert builds.filters_from_json(builds.filters_to_json(ResultsFilter())) == ResultsFilter()
    assert builds.filters_from_json({}) == ResultsFilter()


def test_a_worker_builds_the_workbook_that_was_asked_for(app, demo, make_user):
    """Two builds waiting: running one builds that one only, with its own filters (one
    session's responses), and it says who asked for it and when."""
    from webapp.auth.models import User
    from webapp.results.services import ResultsFilter

    add_responses(app, demo, 2)  # in the first session
    user_id = make_user(Role.ORGANISER).id
    with app.app_context():
        user, programme, second = db.session.get(User, user_id), f.programme(demo), f.sessions(demo)[1]
        f.respond(second, {f.question(demo, kind=QuestionKind.LONG_TEXT): "From the second session"})
        db.session.commit()
        only_second = builds.request_workbook(user, programme, ResultsFilter(session_ids=(second.id,)), False)
        everything = builds.request_workbook(user, programme, ResultsFilter(), False)
        assert (only_second.requested_by_id, only_second.status) == (user_id, BuildStatus.PENDING)
        assert only_second.created_at > utcnow() - timedelta(minutes=1)
        first_id, other_id = only_second.id, everything.id

        assert builds.run_build(first_id) == BuildStatus.READY
        assert db.session.get(WorkbookBuild, other_id).status == BuildStatus.PENDING
        built = db.session.get(WorkbookBuild, first_id)
        workbook = load_workbook(builds.exports_dir() / built.file_name, read_only=True)
        response_sheet = workbook["Responses"]
        session_column = next(response_sheet.iter_rows(max_row=1, values_only=True)).index("Session")
        shown = {row[session_column] for row in response_sheet.iter_rows(min_row=2, values_only=True)}
        assert len(shown) == 1 and second.title in next(iter(shown))
        workbook.close()


def test_the_data_key_changes_with_the_findings_plan_themes_and_room_questions(app, demo):
    """The sheets beyond the responses (Summary and Indicators, Actions, Themes, Room
    questions) show these too: each change gives a new key, so no stale file is given."""
    from datetime import date

    from webapp.actions.models import Action, ActionStatus, ActionUpdate
    from webapp.feedback.models import Answer
    from webapp.programmes.models import Finding, FindingKind, Programme
    from webapp.results.services import ResultsFilter
    from webapp.room.models import RoomQuestion
    from webapp.sessions.models import EventSession
    from webapp.themes.models import Theme, theme_tag

    with app.app_context():
        def key() -> str:
            db.session.expire_all()
            return builds.data_key(db.session.get(Programme, demo), ResultsFilter(), True)

        keys = [key()]

        def changed(what: str, change) -> None:
            change()
            db.session.commit()
            keys.append(key())
            assert keys[-1] != keys[-2], f"the key did not change when {what}"

        finding = db.session.get(Programme, demo).findings_of(FindingKind.INDICATOR)[0]
        changed("a finding was reworded", lambda: setattr(finding, "title", "Reworded finding"))
        action = db.session.scalars(sa.select(Action).join(Finding, Action.area_id == Finding.id)
                                    .where(Finding.programme_id == demo).order_by(Action.id)).first()
        changed("an action's status changed", lambda: setattr(action, "status", ActionStatus.AT_RISK))
        changed("an action update was written",
                lambda: db.session.add(ActionUpdate(action=action, written_on=date(2027, 1, 4), text="Started")))
        theme = Theme(programme_id=demo, name="Workload")
        changed("a theme was made", lambda: db.session.add(theme))
        f.respond(f.sessions(demo)[0], {f.question(demo, kind=QuestionKind.LONG_TEXT): "Too much paperwork"})
        db.session.commit()
        keys.append(key())
        comment = db.session.scalars(sa.select(Answer).where(Answer.text == "Too much paperwork")).one()
        changed("a comment was tagged",
                lambda: db.session.execute(theme_tag.insert().values(theme_id=theme.id, answer_id=comment.id)))
        question = RoomQuestion(session_id=f.sessions(demo)[0].id, text="Why now?")
        changed("a question was asked in the room", lambda: db.session.add(question))
        changed("a question got a vote", lambda: setattr(question, "votes", 1))
        changed("a question was answered", lambda: setattr(question, "answer", "Because"))
        assert key() == keys[-1]  # nothing changed
        # The same changes in the neighbouring programme are not this workbook's.
        from tests import neighbours

        neighbour_session = db.session.scalars(sa.select(EventSession).where(
            EventSession.programme_id == neighbours.neighbour_id())).first()
        db.session.add_all([RoomQuestion(session_id=neighbour_session.id, text="Elsewhere?"),
                            Theme(programme_id=neighbours.neighbour_id(), name="Elsewhere")])
        for other in db.session.scalars(sa.select(Finding).where(Finding.programme_id == neighbours.neighbour_id())):
            other.title = f"{other.title} (edited)"
        db.session.commit()
        assert key() == keys[-1], "a change in another programme changed the key"


def test_an_old_finished_build_goes_once_even_when_its_file_has_gone(app, demo):
    """Old (made before EXPORTS_KEEP_HOURS ago) and superseded both: counted once; its
    file already removed by hand: no error, the record still goes."""
    now = utcnow()
    with app.app_context():
        old = WorkbookBuild(programme_id=demo, data_key="a", status=BuildStatus.READY, file_name="gone.xlsx",
                            created_at=now - timedelta(hours=app.config["EXPORTS_KEEP_HOURS"], minutes=1))
        newer = WorkbookBuild(programme_id=demo, data_key="b", status=BuildStatus.READY, file_name="here.xlsx",
                              created_at=now - timedelta(minutes=1))
        db.session.add_all([old, newer])
        db.session.commit()
        (builds.exports_dir() / "here.xlsx").write_bytes(b"xlsx")
        assert builds.clean_up(now) == 1
        assert db.session.scalars(sa.select(WorkbookBuild.id)).all() == [newer.id]
        assert (builds.exports_dir() / "here.xlsx").is_file()


def test_files_go_to_the_instance_folder_unless_a_folder_is_set(app, tmp_path):
    """EXPORTS_DIR unset: instance/exports, made with any missing parents; set: that folder."""
    app.config["EXPORTS_DIR"] = None
    app.instance_path = str(tmp_path / "not yet" / "instance")
    with app.app_context():
        assert builds.exports_dir() == tmp_path / "not yet" / "instance" / "exports"
        assert builds.exports_dir().is_dir()
        app.config["EXPORTS_DIR"] = str(tmp_path / "chosen" / "files")
        assert builds.exports_dir() == tmp_path / "chosen" / "files" and builds.exports_dir().is_dir()
