"""The presenter view on the room's screen: no figure before 5 responses (or more, if
configured), no finding's % before 5 gave a view on it, the join banner, and slides."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import results_factories as f
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.feedback.models import QuestionKind
from webapp.results.presenter import minimum_responses


def presenter_url(programme_id: int, session_id: int, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/organiser/programmes/{programme_id}/sessions/{session_id}/presenter" + (f"?{query}" if query else "")


@pytest.fixture
def room(app, demo):
    """The first session, with responses added by add(agreement label, ...)."""
    with app.app_context():
        session_id = f.sessions(demo)[0].id
        indicator_id = f.question(demo, kind=QuestionKind.AGREEMENT).id

    def add(*labels: str) -> None:
        with app.app_context():
            session = db.session.get(f.EventSession, session_id)
            indicator = db.session.get(f.Question, indicator_id)
            for label in labels:
                f.respond(session, {indicator: label})
            db.session.commit()

    return {"programme": demo, "session": session_id, "add": add}


def page_of(client, room, **args) -> str:
    response = client.get(presenter_url(room["programme"], room["session"], **args))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def overview_figures(page: str) -> list[str]:
    return re.findall(r'class="app-room__number[^"]*">([^<]*)<', page)


def test_nothing_of_the_organiser_pages_and_a_join_banner(client, login_as, room):
    login_as(Role.VIEWER)
    page = page_of(client, room)
    assert '<meta http-equiv="refresh" content="10">' in page
    assert "govuk-template__header" not in page and "govuk-footer" not in page and "Sign out" not in page
    # The QR code in the page itself (a data: image: no request of its own), the address and the code.
    assert re.search(r'<img class="app-room__qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code that opens http[^"]+/f/[0-9A-Z]{6,8}"', page)
    assert re.search(r'class="app-room__address">[^<]+<wbr>/f/[0-9A-Z]{6,8}<', page)
    assert re.search(r'class="app-room__code">[0-9A-Z]{6,8}<', page)
    assert re.search(r'id="response-count" class="app-room__count-number">0<', page)
    assert "<script>" not in page and 'style="' not in page


def test_no_figure_before_five_responses(client, login_as, room):
    login_as(Role.VIEWER)
    room["add"]("Strongly agree", "Agree", "Agree", "Agree")
    page = page_of(client, room)
    assert re.search(r'id="response-count"[^>]*>4<', page)
    assert "Results appear once 5 people have responded" in page
    assert "%" not in page.split('id="presenter-slide"')[1].split("</main>")[0]
    assert "app-bar__fill" not in page
    for slide in ("1", "2"):  # not on a finding's slide either
        assert "Results appear once 5 people have responded" in page_of(client, room, show=slide)


def test_a_finding_needs_five_views_on_it(client, login_as, room):
    login_as(Role.VIEWER)
    # 5 responses, but one said "Don't know": only 4 gave a view on this finding.
    room["add"]("Strongly agree", "Agree", "Agree", "Disagree", "Don't know")
    page = page_of(client, room)
    assert "Results appear once" not in page
    figures = overview_figures(page)
    assert len(figures) == 1 + 9 and set(figures[1:]) == {"Too few yet"}
    assert "Shown once 5 people have given a view on it." in page_of(client, room, show="1")
    room["add"]("Agree")
    figures = overview_figures(page_of(client, room))
    assert figures[1] == "80%" and set(figures[2:]) == {"Too few yet"}
    finding = page_of(client, room, show="1")
    assert "Finding 1 of 9" in finding and re.search(r'class="app-room__percent">80%<', finding)
    assert "app-bar__fill--80" not in finding  # the distribution: 3 of 6 agree is 50%
    assert "app-bar__fill--50" in finding and re.search(r">Don&#39;t know</th>.*?>1</td>", finding, re.S)


def test_the_minimum_is_configurable_but_never_below_five(app, client, login_as, room):
    assert [minimum_responses(n) for n in (None, 0, 1, 4, 5, 8)] == [5, 5, 5, 5, 5, 8]
    login_as(Role.VIEWER)
    room["add"](*["Agree"] * 6)
    app.config["PRESENTER_MIN_RESPONSES"] = 1
    assert "Results appear once 5" not in page_of(client, room)
    app.config["PRESENTER_MIN_RESPONSES"] = 8
    assert "Results appear once 8 people have responded" in page_of(client, room)
    room["add"]("Agree", "Agree")
    assert overview_figures(page_of(client, room))[1] == "100%"


def test_slides_go_round_and_unknown_ones_are_the_overview(client, login_as, room):
    login_as(Role.VIEWER)
    room["add"](*["Agree"] * 5)

    def links(page: str) -> dict[str, str]:
        """{"prev": slide, "next": slide} from the Previous and Next links."""
        found = re.findall(r'data-slide href="([^"]+)" rel="(prev|next)"', page)
        return {rel: parse_qs(urlsplit(html.unescape(href)).query)["show"][0] for href, rel in found}

    # Nine findings, the demo's one-word question as slide 10 (a word cloud), then the
    # room's questions (tests/test_room_questions.py).
    assert links(page_of(client, room)) == {"prev": "questions", "next": "1"}
    assert links(page_of(client, room, show="9")) == {"prev": "8", "next": "10"}
    assert links(page_of(client, room, show="10")) == {"prev": "9", "next": "questions"}
    assert links(page_of(client, room, show="questions")) == {"prev": "10", "next": "overview"}
    for unknown in ("0", "11", "-1", "²", "1" * 5000, "%3Cscript%3E", "overview"):
        page = page_of(client, room, show=unknown)
        assert "How far staff agree with each grade" in page and "<script>" not in page
    # Stopping the updates stays on the slide, and the slides keep updates off.
    page = page_of(client, room, show="3", updates="off")
    assert "Not updating." in page and 'rel="next"' in page
    next_link = re.search(r'data-slide href="([^"]+)" rel="next"', page).group(1)
    assert parse_qs(urlsplit(html.unescape(next_link)).query) == {"show": ["4"], "updates": ["off"]}


def test_signed_out_people_are_sent_to_sign_in(client, room):
    assert client.get(presenter_url(room["programme"], room["session"])).status_code in (302, 401)
