"""A catalogue of hostile input thrown at every form: refused with a clear message (the
other answers kept), or stored neutralised and shown escaped; never a 500, never another
person's data.

Add a form to FORMS when it is built; each payload is tried in each of its attacked
fields (one test per form and payload, one request per field)."""
from __future__ import annotations

import itertools
import urllib.parse
from dataclasses import dataclass, field
from collections.abc import Callable
from datetime import datetime, timedelta, UTC

import pytest
import sqlalchemy as sa
from markupsafe import escape

from tests import neighbours
from tests import results_factories
from tests.conftest import csrf_token
from tests.feedback_helpers import feedback_form_of
from webapp.actions.models import Action
from webapp.auth import services as accounts
from webapp.auth.models import Role, User
from webapp.bookings import services as bookings
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.answers import new_submission_key
from webapp.feedback.default_form import build_default_form
from webapp.feedback.models import Question, QuestionKind, QuestionOption
from webapp.forms import AppForm
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.room.models import Moderation, QuestionStatus, RoomQuestion, RoomSettings
from webapp.sessions.models import EventSession


class Raw(bytes):
    """Bytes sent as they are (percent-encoded), e.g. invalid UTF-8 or a lone surrogate."""


PAYLOADS = {
    "script": "<script>alert('x')</script>",
    "html": '<img src=x onerror="alert(1)"><b>bold</b>',
    "attribute_breakout": '" autofocus onfocus="alert(1)" x="',
    "formula": "=HYPERLINK(\"http://evil.example\",\"click\")",
    "formula_plus": "+SUM(1,2)",
    "formula_at": "@cmd|' /C calc'!A0",
    "overlong": "A" * 50_000,
    "nul_bytes": "before\x00after",
    "control_chars": "bell\x07escape\x1b[31m",
    "rtl_override": "\u202egnp.exe",
    "rtl_marks": "\u200fשלום\u200e name",
    "emoji": "Family support \U0001F468\u200D\U0001F469\u200D\U0001F467 works",
    "combining": "Z\u0351\u0360a\u0362l\u0360g\u0351o" + "\u0301" * 300,
    "unicode_edge": "\ufeff\u2028\u00a0\uffff \u0000",
    "sql": "'; DROP TABLE programme; --",
    "path_traversal": "../../../etc/passwd",
    "whitespace_only": " \t\r\n ",
    "empty": "",
    "number_for_text": "12345",
    "negative": "-1",
    "huge_number": "99999999999999999999",
    "float_overflow": "1e309",
    "far_future_date": "9999-12-31",
    "far_future_moment": "9999-12-31T23:59",
    "ancient_date": "0001-01-01",
    "wrong_type": ["a", "b"],
    "invalid_utf8": Raw(b"caf\xe9 \xff\xfe"),
    "lone_surrogate": Raw(b"\xed\xa0\x80 half a pair"),
    # Issue 12: characters XML 1.0 forbids (one broke every workbook), C1 controls, a line
    # break into an email header, and a link sent live inside the HTML email.
    "xml_forbidden": "answer \ufffe\uffff\ufdd0\U0001fffe end",
    "c1_controls": "next\x85line \x9b31m csi",
    "header_injection": "Title\r\nBcc: victim@example.org",
    "phishing_link": '<a href="https://evil.example">Confirm here</a>',
}

# After a success with one of these, the next page is checked for escaping too.
ESCAPING_PAYLOADS = ("script", "html", "attribute_breakout", "phishing_link")

# Markers that a page is a clear refusal (an error message on the form, or a plain page).
REFUSALS = ("There is a problem", "govuk-error-message", "No session has that code", "Page not found",
            "Your answers have not been sent yet")


@dataclass
class HostileForm:
    name: str
    url: str  # placeholders from the `world` fixture
    role: str | None
    fields: dict | Callable[[dict], dict]  # a valid submission; str values are formatted too
    attack: list[str] | Callable[[dict], list[str]]
    token_url: str | None = "/login"
    method: str = "POST"
    # Shown on a 200 that is a success (a thank-you page, a results page)
    success_text: str | None = None
    # Fields whose values must come back on a refusal (default: the other attacked fields)
    kept: list[str] | Callable[[dict], list[str]] | None = None
    # Pages where what was stored is shown (placeholders allowed)
    show: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    # Run (in an app context) before the attack, given the world: data the form needs.
    prepare: Callable[[dict], None] | None = None


def _organiser_pages():
    return ("/organiser/programmes", "/organiser/programmes/{programme_id}",
            "/organiser/programmes/{programme_id}/sessions/{session_id}",
            "/organiser/programmes/{programme_id}/attendees")


def _phone_fields(world):
    return {**world["answers"], "submission_key": "{key}"}


def _phone_attack(world):
    return [*world["text_fields"], world["choice_field"], "submission_key"]


def _phone_kept(world):
    return world["text_fields"]


PERSON = {"name": "Kept Name {n}", "email": "kept{n}@example.org", "job_role": "Kept role",
          "team": "Kept team", "locality": "Kept locality", "organisation": "Kept organisation",
          "access_requirements": "Kept access needs"}
# Dates as the GOV.UK date input sends them: the boxes under one name.
SESSION_FIELDS = {"title": "Kept title", "day": ["6", "5", "2031"], "start_time": "09:30", "end_time": "12:00",
                  "venue": "Kept venue", "address": "Kept address", "locality": "Kept locality",
                  "capacity": "25", "facilitators": "Kept facilitators", "booking_opens_at": "",
                  "booking_closes_at": ["5", "5", "2031", "17:00"], "feedback_opens_at": "",
                  "feedback_closes_at": "", "notes": "Kept notes"}
# One field of each kind and check (the others repeat them).
SESSION_ATTACK = ["title", "day", "start_time", "end_time", "address", "capacity", "booking_closes_at",
                  "feedback_opens_at", "notes"]
QUESTION_FIELDS = {"kind": "multi_choice", "text": "Kept question text", "hint": "Kept hint",
                   "section": "Kept section", "required": "y", "answer_options": "First kept\nSecond kept\nThird",
                   "max_choices": "2", "finding_id": "0"}

ROOM_MODERATION = "/organiser/programmes/{programme_id}/sessions/{session_id}/questions"


def _a_response_a_minute(world) -> None:
    """For the exclusion forms: one response a minute from 00:00 UTC (London time) on 1 January 2020."""
    session = db.session.get(EventSession, world["session_id"])
    for minute in range(60):
        results_factories.respond(session, {}, submitted_at=datetime(2020, 1, 1, 0, minute, tzinfo=UTC))
    db.session.commit()


EXCLUDE_UP_TO_MINUTE_N = ("/organiser/programmes/{programme_id}/sessions/{session_id}/responses/exclude"
                          "?submitted_from=2020-01-01T00:00&submitted_until=2020-01-01T00:{n:02d}")

FORMS = [
    # --- public ---------------------------------------------------------------------
    HostileForm("login", "/login", None, {"email": "a@example.org", "password": "whatever1"},
                ["email", "password"], kept=["email"]),
    HostileForm("booking", "/sessions/{small_session_id}/register", None, PERSON, list(PERSON),
                token_url="/sessions/{small_session_id}/register", show=("/organiser/programmes/{programme_id}/attendees",)),
    HostileForm("move booking", "/booking/{booking_token}/move", None, {"session_id": "{session2_id}"},
                ["session_id"], token_url="/booking/{booking_token}"),
    HostileForm("feedback phone form", "/f/{code}", None, _phone_fields, _phone_attack,
                token_url="/f/{code}", success_text="Your feedback has been sent", kept=_phone_kept,
                show=("/organiser/programmes/{programme_id}/results",
                      "/organiser/programmes/{programme_id}/sessions/{session_id}/results")),
    HostileForm("find my booking", "/booking/find", None, {"email": "person@example.org"}, ["email"],
                token_url="/booking/find", success_text="Check your email"),
    HostileForm("feedback code entry", "/f", None, {"code": "{code}"}, ["code"], token_url=None,
                method="GET", success_text="Give feedback on a session"),
    HostileForm("account setup", "/account/setup/{setup_token}", None,
                {"new_password": "a long enough password", "confirm_password": "a long enough password"},
                ["new_password", "confirm_password"], token_url="/account/setup/{setup_token}", kept=[]),
    # --- organisers -----------------------------------------------------------------
    HostileForm("new programme", "/organiser/programmes/new", Role.ORGANISER,
                {"title": "Programme", "summary": "Summary"}, ["title", "summary"],
                token_url="/organiser/programmes", show=_organiser_pages()),
    HostileForm("edit programme", "/organiser/programmes/{programme_id}/edit", Role.ORGANISER,
                {"title": "Programme", "summary": "Summary"}, ["title", "summary"],
                token_url="/organiser/programmes", show=_organiser_pages()),
    HostileForm("new finding", "/organiser/programmes/{programme_id}/findings/new", Role.ORGANISER,
                {"kind": "indicator", "title": "T", "headline_question": "Q", "grade": "Good",
                 "detail": "", "progress": ""},
                ["kind", "title", "headline_question", "grade", "detail", "progress"],
                token_url="/organiser/programmes", show=_organiser_pages()),
    HostileForm("new action", "/organiser/programmes/{programme_id}/actions/new", Role.ORGANISER,
                lambda w: {"area_id": w["area_id"], "title": "T", "owner": "O", "due_on": "2027-03-31",
                           "status": "on_track", "progress": "P"},
                ["area_id", "title", "owner", "due_on", "status", "progress"],
                token_url="/organiser/programmes",
                show=("/organiser/programmes/{programme_id}/actions", "/programmes/{slug}/you-said-we-did")),
    HostileForm("action update", "/organiser/programmes/{programme_id}/actions/{action_id}/updates/new",
                Role.ORGANISER, {"written_on": ["1", "2", "2027"], "text": "U", "status": "done"},
                ["written_on", "text", "status"], token_url="/organiser/programmes",
                show=("/organiser/programmes/{programme_id}/actions", "/programmes/{slug}/you-said-we-did")),
    HostileForm("quote", "/organiser/programmes/{programme_id}/quotes", Role.ORGANISER, {"text": "Q"}, ["text"],
                token_url="/organiser/programmes", show=("/programmes/{slug}/you-said-we-did",)),
    HostileForm("new theme", "/organiser/programmes/{programme_id}/themes/new", Role.ORGANISER,
                {"name": "Theme {n}", "description": "Kept description"}, ["name", "description"],
                token_url="/organiser/programmes",
                show=("/organiser/programmes/{programme_id}/themes", "/organiser/programmes/{programme_id}/results",
                      "/organiser/programmes/{programme_id}/themes/tag")),
    HostileForm("tag comments", "/organiser/programmes/{programme_id}/themes/tag", Role.ORGANISER,
                {"shown": [], "tags": []}, ["shown", "tags"], token_url="/organiser/programmes", kept=[]),
    HostileForm("theme suggestions", "/organiser/programmes/{programme_id}/themes/suggestions", Role.ORGANISER,
                {"themes_wanted": "3", "untagged_only": "y"}, ["themes_wanted", "untagged_only"],
                token_url="/organiser/programmes", kept=[]),
    HostileForm("change password", "/organiser/account/password", Role.VIEWER,
                {"current_password": "x", "new_password": "long enough 1", "confirm_password": "long enough 1"},
                ["current_password", "new_password", "confirm_password"], token_url="/organiser/programmes",
                kept=[]),
    HostileForm("new session", "/organiser/programmes/{programme_id}/sessions/new", Role.ORGANISER,
                SESSION_FIELDS, SESSION_ATTACK, token_url="/organiser/programmes", show=_organiser_pages()),
    HostileForm("edit session", "/organiser/programmes/{programme_id}/sessions/{session_id}/edit",
                Role.ORGANISER, SESSION_FIELDS, SESSION_ATTACK, token_url="/organiser/programmes",
                show=(*_organiser_pages(), "/booking/{booking_token}", "/sessions/{session_id}/register")),
    HostileForm("walk-in", "/organiser/programmes/{programme_id}/sessions/{session_id}/door/walk-in",
                Role.ORGANISER,
                {"name": "Kept Name {n}", "email": "walkin{n}@example.org", "job_role": "Kept role",
                 "team": "Kept team", "organisation": "Kept organisation"},
                ["name", "email", "job_role", "team", "organisation"], token_url="/organiser/programmes",
                show=("/organiser/programmes/{programme_id}/sessions/{session_id}/door",
                      "/organiser/programmes/{programme_id}/sessions/{session_id}/sign-in-sheet")),
    HostileForm("new question", "/organiser/programmes/{programme_id}/form/questions/new", Role.ORGANISER,
                QUESTION_FIELDS, list(QUESTION_FIELDS), token_url="/organiser/programmes",
                kept=["text", "hint", "section"],
                show=("/organiser/programmes/{programme_id}/form", "/organiser/programmes/{programme_id}/form/preview",
                      "/f/{code}")),
    HostileForm("edit question", "/organiser/programmes/{programme_id}/form/questions/{question_id}/edit",
                Role.ORGANISER, QUESTION_FIELDS, list(QUESTION_FIELDS), token_url="/organiser/programmes",
                kept=["text", "hint", "section"],
                show=("/organiser/programmes/{programme_id}/form", "/organiser/programmes/{programme_id}/form/preview",
                      "/f/{code}")),
    HostileForm("programme results filters", "/organiser/programmes/{programme_id}/results", Role.VIEWER,
                {"q": "families", "page": "1"}, ["q", "page"], token_url=None, method="GET",
                success_text="Comments"),
    HostileForm("session results filters", "/organiser/programmes/{programme_id}/sessions/{session_id}/results",
                Role.VIEWER, {"q": "families", "page": "1"}, ["q", "page"], token_url=None, method="GET",
                success_text="Comments"),
    HostileForm("workbook filters", "/organiser/programmes/{programme_id}/workbook.xlsx", Role.VIEWER,
                {"date_from": "2020-01-01", "date_to": "2040-01-01", "sessions": "{session_id}"},
                ["date_from", "date_to", "sessions"], token_url=None, method="GET", kept=[]),
    HostileForm("attendee search", "/organiser/programmes/{programme_id}/attendees", Role.ORGANISER,
                {"q": "kept", "status": "all"}, ["q", "status"], token_url=None, method="GET",
                success_text="Attendees"),
    HostileForm("door search", "/organiser/programmes/{programme_id}/sessions/{session_id}/door", Role.ORGANISER,
                {"q": "kept"}, ["q"], token_url=None, method="GET", success_text="Door: "),
    HostileForm("audit log page", "/organiser/audit", Role.ADMIN, {"page": "1"}, ["page"], token_url=None,
                method="GET", success_text="Audit log"),
    HostileForm("invite", "/organiser/users/invite", Role.ADMIN,
                {"email": "invitee{n}@example.org", "display_name": "Kept display name", "role": "organiser"},
                ["email", "display_name", "role"], token_url="/organiser/programmes",
                success_text="Invitation created", show=("/organiser/users", "/organiser/audit")),
    HostileForm("change role", "/organiser/users/{user_id}/role", Role.ADMIN, {"role": "viewer"}, ["role"],
                token_url="/organiser/programmes", show=("/organiser/users", "/organiser/audit")),
    # --- room questions (webapp/room) ---------------------------------------------------
    HostileForm("room question", "/f/{code}/questions", None, {"text": "Kept question"}, ["text"],
                token_url="/f/{code}/questions", show=(ROOM_MODERATION, "/f/{code}/questions",
                                                       "/organiser/programmes/{programme_id}/sessions/{session_id}"
                                                       "/presenter?show=questions")),
    HostileForm("room answer", ROOM_MODERATION + "/{room_question_id}/answer", Role.ORGANISER, {"answer": "A"},
                ["answer"], token_url="/organiser/programmes",
                show=(ROOM_MODERATION, "/programmes/{slug}/you-said-we-did")),
    HostileForm("room moderation setting", ROOM_MODERATION + "/moderation", Role.ORGANISER,
                {"moderation": "straight_up"}, ["moderation"], token_url="/organiser/programmes", kept=[]),
    HostileForm("exclusion window", "/organiser/programmes/{programme_id}/sessions/{session_id}/responses/exclude",
                Role.ORGANISER, {"submitted_from": ["1", "1", "2020", "00:00"],
                                 "submitted_until": ["1", "1", "2020", "01:00"]},
                ["submitted_from", "submitted_until"], token_url=None, method="GET",
                success_text="responses found", prepare=_a_response_a_minute),
    # Each attempt's window reaches one minute further, so each success excludes one more
    # of the world's responses (one a minute from 00:00), and its reason is stored.
    HostileForm("exclusion reason", EXCLUDE_UP_TO_MINUTE_N, Role.ORGANISER, {"reason": "Kept reason"}, ["reason"],
                token_url="/organiser/programmes", success_text="Exclude a burst of responses", kept=[],
                show=("/organiser/programmes/{programme_id}/sessions/{session_id}/responses",),
                prepare=_a_response_a_minute),
]


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def world(app, demo, make_user):
    """The demo programme with one booking and an open feedback window, another
    programme with its own session, booking and form, an account and a setup link."""
    with app.app_context():
        programme = db.session.get(Programme, demo)
        first, second = sorted(programme.sessions, key=lambda s: s.id)[:2]
        first.feedback_opens_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        victim = bookings.book(first, name="Vicky Victim", email="vicky.victim@example.org",
                               job_role="Nurse", team="Private team", organisation="NHS").registration

        # Bookings under attack: a few places, then the waiting list (and fewer QR codes to draw).
        small = EventSession(programme_id=demo, title="Small session", starts_at=second.starts_at,
                             ends_at=second.ends_at, venue="Small room", capacity=5)
        db.session.add(small)

        other = Programme(slug="other-programme", title="Other programme", is_open=True)
        other.findings.append(Finding(kind=FindingKind.INDICATOR, position=1, title="Other indicator",
                                      headline_question="Other?", grade="Good"))
        other.findings.append(Finding(kind=FindingKind.ACTION, position=1, title="Other action"))
        db.session.add(other)
        db.session.flush()
        other_session = EventSession(programme_id=other.id, title="Other session", starts_at=first.starts_at,
                                     ends_at=first.ends_at, venue="Elsewhere", capacity=10)
        db.session.add(other_session)
        build_default_form(other)
        db.session.commit()
        other_victim = bookings.book(other_session, name="Otto Other", email="otto.other@example.org",
                                     job_role="Teacher", team="Other team", organisation="Council").registration

        form = feedback_form_of(demo)
        answers, text_fields = {}, []
        for question in form.visible_questions:
            name = f"q{question.id}"
            if question.kind == QuestionKind.ONE_WORD:  # its own hostile test: tests/test_one_word.py
                answers[name] = f"kept{question.id}"
            elif question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
                answers[name] = f"Kept answer {question.id}"
                text_fields.append(name)
            else:
                answers[name] = str(question.visible_options[0].id)
        choice = next(q for q in form.visible_questions if q.kind == QuestionKind.MULTI_CHOICE)
        other_option = db.session.scalars(
            sa.select(QuestionOption.id).join(Question).where(Question.form_id == other.feedback_form.id)
        ).first()
        admin = make_user(Role.ADMIN)
        account = make_user(Role.ORGANISER)
        by = db.session.get(User, admin.id)
        setup_token = accounts.new_setup_link(accounts.invite_user("newcomer@example.org", Role.ORGANISER, by=by),
                                              by=by)
        # Questions from the room go straight up here, so that what is asked is shown at once.
        room_settings = RoomSettings(session_id=first.id, moderation=Moderation.STRAIGHT_UP)
        room_question = RoomQuestion(session_id=first.id, text="A question to answer",
                                     status=QuestionStatus.APPROVED)
        db.session.add_all([room_settings, room_question])
        db.session.commit()
        return {
            "room_question_id": room_question.id,
            "programme_id": demo, "slug": programme.slug, "session_id": first.id, "session2_id": second.id, "code": first.feedback_code,
            "small_session_id": small.id,
            "booking_token": victim.booking_token, "checkin_token": victim.checkin_token,
            "other_programme_id": other.id, "other_session_id": other_session.id,
            "other_booking_token": other_victim.booking_token, "other_checkin_token": other_victim.checkin_token,
            "other_code": other_session.feedback_code, "other_option_id": other_option,
            "question_id": choice.id, "choice_field": f"q{choice.id}",
            "choice_option_ids": [o.id for o in choice.visible_options],
            "answers": answers, "text_fields": text_fields,
            "user_id": account.id, "setup_token": setup_token,
            "area_id": programme.findings_of(FindingKind.ACTION)[0].id,
            "action_id": db.session.scalars(sa.select(Action.id).order_by(Action.id)).first(),
            # Nobody but the holder of a booking's link may see these.
            "victim_private": ["Vicky Victim", "vicky.victim@example.org", "Private team"],
            "private": ["Otto Other", "otto.other@example.org", victim.checkin_token, other_victim.booking_token],
        }


def _csrf_secret(client) -> str | None:
    """The session's CSRF secret, from which its tokens are made: a new one (after signing
    in or out) means the page's token must be read again. Read from the session cookie
    the way Flask reads it (client.session_transaction() costs a request context: a
    third of a millisecond, thousands of times here)."""
    app = client.application
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value).get("csrf_token")


def _encode(data: dict) -> str:
    return urllib.parse.urlencode(data, doseq=True)


def _formatted(value, context):
    return value.format(**context) if isinstance(value, str) else value


def _resolve(spec, world):
    return spec(world) if callable(spec) else spec


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.name)
def test_hostile_input_is_refused_or_neutralised(app, client, login_as, world, form):
    """Every payload in every attacked field, one request each; all problems are
    collected and reported together."""
    if form.role:
        login_as(form.role)
    if form.prepare:
        with app.app_context():
            form.prepare(world)
    problems: list[str] = []
    counter = itertools.count(1)
    token, token_secret = None, None
    for payload_name, payload in PAYLOADS.items():
        for target in _resolve(form.attack, world):
            context = {**world, "n": next(counter), "key": new_submission_key()}
            where = f"{form.name}: {payload_name} in {target}"
            try:
                fields = {name: _formatted(value, context) for name, value in _resolve(form.fields, world).items()}
                data = {**fields, target: payload}
                url = form.url.format(**context)
                if form.token_url:
                    if token is None or _csrf_secret(client) != token_secret:  # first, or signed in or out
                        token = csrf_token(client, form.token_url.format(**context))
                        token_secret = _csrf_secret(client)
                    data["csrf_token"] = token
                if form.method == "GET":
                    response = client.get(url, query_string=_encode(data))
                else:
                    response = client.post(url, data=_encode(data), content_type="application/x-www-form-urlencoded")
                assert response.status_code < 500, where
                _check_response(client, form, response, fields, target, world, where)
            except Exception as error:  # noqa: BLE001 - a 500 raises here (TESTING); report them all
                problems.append(f"{where}: {type(error).__name__}: {str(error).splitlines()[0][:300]}")
    with app.app_context():
        try:
            _assert_nothing_stored_raw()
        except AssertionError as error:
            problems.append(f"{form.name}: control characters stored in {error}")
    # whatever was stored shows escaped wherever it is shown
    if form.role is None:
        login_as(Role.ORGANISER)
    for page in form.show:
        response = client.get(page.format(**world, n=0, key=""))
        try:
            assert response.status_code < 500
            _assert_escaped(response.get_data(as_text=True), f"{form.name}: shown on {page}")
        except AssertionError as error:
            problems.append(str(error))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def _check_response(client, form, response, fields, target, world, where):
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), f"{where}: redirected to {location}"
        if any(name in where for name in ESCAPING_PAYLOADS):
            followed = client.get(location)
            assert followed.status_code < 500, where
            _assert_escaped(followed.get_data(as_text=True), f"{where}, then {location}")
        return
    if not response.mimetype.startswith("text/html"):
        assert response.status_code == 200, where  # a download: the filters were accepted
        return
    body = response.get_data(as_text=True)
    _assert_escaped(body, where)
    if form.role is None:
        private = world["private"] + ([] if "{booking_token}" in form.url else world["victim_private"])
        leaked = [value for value in private if value in body]
        assert not leaked, f"{where}: another person's data on the page: {leaked}"
    if form.success_text and form.success_text in body and response.status_code == 200 and \
            not any(marker in body for marker in REFUSALS[:2]):
        return
    assert any(marker in body for marker in REFUSALS), f"{where}: {response.status_code} is neither done nor refused"
    if response.status_code == 404:
        return
    kept = _resolve(form.kept, world) if form.kept is not None else _resolve(form.attack, world)
    for name in kept:
        value = fields.get(name)
        if name != target and isinstance(value, str) and value.strip():
            assert str(escape(value)) in body, f"{where}: the answer to {name} was not kept"


def _assert_escaped(body: str, where: str):
    for raw in ("<script>alert", "<img src=x", 'onerror="alert', '" autofocus onfocus="alert',
                '<a href="https://evil.example"'):
        assert raw not in body, f"{where}: {raw!r} unescaped"


def _assert_nothing_stored_raw():
    """No control characters, nor any character XML forbids, reached the database, in any
    text column of any table (webapp.text.UNSAFE_CHARACTERS)."""
    from webapp.text import UNSAFE_CHARACTERS

    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (sa.String, sa.Text)):
                values = db.session.execute(sa.select(column).where(column.is_not(None))).scalars()
                for value in values:
                    assert not UNSAFE_CHARACTERS.search(value), f"{table.name}.{column.name}: {value[:60]!r}"


def test_every_form_strips_control_characters():
    """Every Flask-WTF form of the app is an AppForm (the phone form is read by hand
    and strips them itself: see the NUL payloads above)."""
    from flask_wtf import FlaskForm

    import webapp.auth.forms  # noqa: F401
    import webapp.bookings.forms  # noqa: F401
    import webapp.feedback.forms  # noqa: F401
    import webapp.programmes.forms  # noqa: F401
    import webapp.results.forms  # noqa: F401
    import webapp.sessions.forms  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("webapp.") and cls is not AppForm]
    assert len(ours) >= 12
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, AppForm)] == []


def test_booking_form_still_strips_surrounding_spaces(app, client, world):
    from tests.booking_helpers import book_via_http

    response = book_via_http(client, world["session2_id"], {
        **{k: v.format(n=1) for k, v in PERSON.items()}, "name": "  Spaced\x00 Name  ",
        "email": "  Spaced@Example.org "})
    assert response.status_code == 302
    with app.app_context():
        registration = bookings.active_booking(world["session2_id"], "spaced@example.org")
        assert registration.name == "Spaced Name"


def test_stored_script_is_escaped_on_every_page(app, client, login_as, demo):
    from webapp.programmes import services

    with app.app_context():
        programme = db.session.get(services.Programme, demo)
        programme.title = "<script>alert('title')</script>"
        db.session.commit()
    assert b"<script>alert" not in client.get("/").data
    login_as(Role.ORGANISER)
    for page in ("/organiser/programmes", f"/organiser/programmes/{demo}", f"/organiser/programmes/{demo}/edit"):
        body = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body


# --- CSRF ----------------------------------------------------------------------------

FORGED_TOKENS = ["", "x", "A" * 43, "../../etc/passwd", "%00", "1 OR 1=1"]
# The phone's forms check their own token, to keep what was typed: see their own tests
# (and tests/test_room_questions.py for the room's question).
PHONE_FORMS = ("feedback phone form", "room question")
CSRF_FORMS = [form for form in FORMS if form.method == "POST" and form.name not in PHONE_FORMS] + [
    HostileForm("cancel booking", "/booking/{booking_token}/cancel", None, {}, []),
    HostileForm("check in", "/checkin/{checkin_token}", Role.ORGANISER, {}, []),
    HostileForm("door arrived", "/organiser/programmes/{programme_id}/sessions/{session_id}/door/0/arrived",
                Role.ORGANISER, {}, []),
]


@pytest.mark.parametrize("form", CSRF_FORMS, ids=lambda form: form.name)
def test_missing_and_forged_csrf_tokens_are_refused(app, client, login_as, world, form):
    if form.role:
        login_as(form.role)
    context = {**world, "n": 1, "key": new_submission_key()}
    fields = {name: _formatted(value, context) for name, value in _resolve(form.fields, world).items()}
    with app.app_context():
        before = _row_counts()
    for token in [None, *FORGED_TOKENS]:
        data = dict(fields) if token is None else {**fields, "csrf_token": token}
        response = client.post(form.url.format(**context), data=data)
        assert response.status_code == 400, token
        assert b"Your page timed out" in response.data, token
    with app.app_context():
        assert _row_counts() == before
        victim = bookings.find_by_booking_token(world["booking_token"])
        assert victim.status == "confirmed" and victim.checked_in_at is None


def _row_counts() -> dict:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name != "audit_entry"}


@pytest.mark.parametrize("token", [None, *FORGED_TOKENS], ids=lambda token: repr(token))
def test_phone_form_without_a_valid_csrf_token_keeps_the_answers_and_stores_nothing(app, client, world, token):
    client.get(f"/f/{world['code']}")
    data = {**world["answers"], "submission_key": new_submission_key()}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/f/{world['code']}", data=data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Your feedback has been sent" not in body
    for name in world["text_fields"]:
        assert world["answers"][name] in body
    with app.app_context():
        assert neighbours.responses_here() == 0


# --- guessed tokens and codes ------------------------------------------------------------


def _guesses(real: str) -> list[str]:
    return [
        "A" * len(real),
        real[:-1],
        real[:10],
        real.swapcase(),
        real.upper(),
        real + "x",
        real + "%00",
        f"..%2F{real}",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2f",
        "x" * 65,
        "x" * 5000,
        "' OR '1'='1",
        "%F0%9F%98%80",
        "%ED%A0%80",
    ]


@pytest.mark.parametrize("suffix", ["", "/calendar.ics", "/ticket.png", "/ticket.svg"])
def test_guessed_booking_tokens_show_nobody(client, world, suffix):
    for guess in _guesses(world["booking_token"]):
        response = client.get(f"/booking/{guess}{suffix}")
        assert response.status_code in (404, 414), guess
        body = response.get_data(as_text=True)
        assert not [value for value in world["private"] + world["victim_private"] if value in body], guess
    for action in ("cancel", "move"):
        token = csrf_token(client, "/login")
        for guess in _guesses(world["booking_token"])[:8]:
            response = client.post(f"/booking/{guess}/{action}",
                                   data={"csrf_token": token, "session_id": world["session2_id"]})
            assert response.status_code == 404, guess


def test_guessed_checkin_tokens_check_in_nobody(app, client, login_as, world):
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/programmes")
    for guess in _guesses(world["checkin_token"]):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/checkin/{guess}", data={"csrf_token": token})
            assert response.status_code in (404, 414), guess
            assert "Vicky Victim" not in response.get_data(as_text=True)
    with app.app_context():
        assert bookings.find_by_booking_token(world["booking_token"]).checked_in_at is None


def test_a_booking_token_is_not_a_checkin_token_and_back(client, login_as, world):
    assert client.get(f"/booking/{world['checkin_token']}").status_code == 404
    login_as(Role.ORGANISER)
    assert client.get(f"/checkin/{world['booking_token']}").status_code == 404


def test_guessed_feedback_codes_find_nothing(app, client, world):
    code = world["code"]
    for guess in ["ZZZZZZ", code[:-1], code + "2", "..%2F..%2F" + code, "%00", "x" * 5000,
                  "<script>alert(1)</script>", "%ED%A0%80", "%F0%9F%98%80"]:
        for url in (f"/f/{guess}", f"/f?code={guess}"):
            response = client.get(url)
            assert response.status_code in (404, 414), url
            body = response.get_data(as_text=True)
            assert "<script>alert" not in body
            assert response.status_code == 414 or "No session has that code" in body or "Page not found" in body
    # Other case is the same code (codes are typed from a poster), never another session's.
    response = client.get(f"/f/{code.lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/f/{code}"
    token = csrf_token(client, f"/f/{code}")
    response = client.post("/f/ZZZZZZ", data={**world["answers"], "csrf_token": token,
                                              "submission_key": new_submission_key()})
    assert response.status_code == 404
    with app.app_context():
        assert neighbours.responses_here() == 0


def test_guessed_setup_links_set_no_password(app, client, world):
    for guess in _guesses(world["setup_token"]):
        response = client.get(f"/account/setup/{guess}")
        assert response.status_code in (404, 414), guess
        assert "newcomer@example.org" not in response.get_data(as_text=True)


# --- ids of other programmes' objects ------------------------------------------------------


def test_a_booking_cannot_move_to_another_programmes_session(app, client, world):
    token = csrf_token(client, f"/booking/{world['booking_token']}")
    for value in (world["other_session_id"], world["session_id"], "2147483648", "99999999999999999999",
                  "-1", "0", "1e3", "abc", ""):
        response = client.post(f"/booking/{world['booking_token']}/move",
                               data={"csrf_token": token, "session_id": value})
        assert response.status_code == 400, value
        body = response.get_data(as_text=True)
        assert "There is a problem" in body and "Other session" not in body
    with app.app_context():
        victim = bookings.find_by_booking_token(world["booking_token"])
        assert victim.session_id == world["session_id"] and victim.status == "confirmed"
        other = db.session.get(EventSession, world["other_session_id"])
        assert other.confirmed_count == 1


def test_phone_form_refuses_options_of_other_questions_and_programmes(app, client, world):
    code = world["code"]
    with app.app_context():
        form = feedback_form_of(world["programme_id"])
        rating = next(q for q in form.visible_questions if q.kind == QuestionKind.RATING)
        wrong_question_option = str(rating.visible_options[0].id)
    for value in (str(world["other_option_id"]), wrong_question_option, "0", "-1", "99999999999999999999",
                  "1e3", " 1", "abc"):
        token = csrf_token(client, f"/f/{code}")
        response = client.post(f"/f/{code}", data={**world["answers"], world["choice_field"]: value,
                                                   "csrf_token": token, "submission_key": new_submission_key()})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "Select one of the answers shown" in body, value
        for name in world["text_fields"]:
            assert world["answers"][name] in body
    with app.app_context():
        assert neighbours.responses_here() == 0


def test_question_form_refuses_another_programmes_finding(app, client, login_as, world):
    login_as(Role.ORGANISER)
    with app.app_context():
        other_finding = db.session.scalar(
            sa.select(Finding.id).where(Finding.programme_id == world["other_programme_id"]))
        before = db.session.scalar(sa.select(sa.func.count(Question.id)))
    token = csrf_token(client, "/organiser/programmes")
    response = client.post(f"/organiser/programmes/{world['programme_id']}/form/questions/new",
                           data={**QUESTION_FIELDS, "finding_id": other_finding, "csrf_token": token})
    assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Question.id))) == before


def test_workbook_filter_refuses_another_programmes_session(client, login_as, world):
    login_as(Role.VIEWER)
    response = client.get(f"/organiser/programmes/{world['programme_id']}/workbook.xlsx",
                          query_string={"sessions": world["other_session_id"]})
    assert response.status_code == 400
    assert "Other session" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/edit",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/door",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/door/walk-in",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/results",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/attendees.csv",
    "/organiser/programmes/{programme_id}/sessions/{other_session_id}/feedback/poster",
    "/organiser/programmes/{other_programme_id}/sessions/{session_id}",
    "/organiser/programmes/{other_programme_id}/form/questions/{question_id}/edit",
    "/organiser/programmes/abc", "/organiser/programmes/-1", "/organiser/programmes/99999999999999999999",
    "/organiser/programmes/2147483648", "/organiser/programmes/1%00",
    "/organiser/programmes/{programme_id}/findings/0/edit",
    "/sessions/99999999999999999999/register", "/sessions/{other_session_id}0000/register",
])
def test_tampered_ids_are_not_found(client, login_as, world, path):
    login_as(Role.ORGANISER)
    response = client.get(path.format(**world))
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"Vicky Victim" not in response.data and b"Otto Other" not in response.data


def test_a_walk_in_cannot_be_added_to_another_programmes_session(app, client, login_as, world):
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/programmes")
    response = client.post(
        f"/organiser/programmes/{world['programme_id']}/sessions/{world['other_session_id']}/door/walk-in",
        data={"csrf_token": token, "name": "Sneaky"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(
            bookings.Registration.name == "Sneaky")) == 0


# --- open redirects ------------------------------------------------------------------------

@pytest.mark.parametrize("next_url", [
    "//evil.example/", "https://evil.example/", "http:evil.example", "/\\evil.example", "\\\\evil.example",
    "/%2F%2Fevil.example", " //evil.example", "\t//evil.example", "javascript:alert(1)",
    "/organiser\r\nLocation: https://evil.example", "https:/evil.example", "///evil.example",
    "/.//evil.example", "%2F%2Fevil.example",
])
def test_next_never_leaves_the_site(client, make_user, auth, next_url):
    from tests.conftest import PASSWORD

    user = make_user(Role.ORGANISER)
    token = csrf_token(client, "/login")
    response = client.post("/login?" + urllib.parse.urlencode({"next": next_url}),
                           data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urllib.parse.urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "\r" not in location and "\n" not in location
    # Signed in already: the login page redirects at once, just as safely.
    again = client.get("/login?" + urllib.parse.urlencode({"next": next_url}))
    assert again.status_code == 302
    assert not again.headers["Location"].startswith(("//", "/\\", "http"))


def test_oversized_request_body_is_refused(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
