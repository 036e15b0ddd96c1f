"""Themes: the coding frame, tagging several comments at once, suggestions prepared on
the job queue, and theme counts under the small-group rule on every page and file."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from tests import results_factories as f
from tests.conftest import post_form
from tests.theme_comments import ALL_COMMENTS, CASELOAD, MANAGERS, TRAINING
from webapp.actions.models import Action
from webapp.auth.models import AuditEntry, Role
from webapp.extensions import db
from webapp.feedback.models import Answer, QuestionKind
from webapp.results import services as results
from webapp.themes import counts, services
from webapp.themes.models import (SuggestionRun, SuggestionRunStatus, SuggestionStatus, Theme, ThemeSuggestion,
                                  theme_tag)


def _comment_question(programme_id):
    return f.question(programme_id, kind=QuestionKind.LONG_TEXT)


def _comments(programme_id, texts, session_index=0, **about):
    """One response per text, in one session; returns the answers' ids in order."""
    session = f.sessions(programme_id)[session_index]
    question = _comment_question(programme_id)
    ids = []
    for text in texts:
        answers = {question: text}
        for breakdown, label in about.items():
            answers[f.question(programme_id, breakdown=breakdown)] = label
        response = f.respond(session, answers)
        ids.append(db.session.scalar(sa.select(Answer.id).where(Answer.response_id == response.id,
                                                                Answer.question_id == question.id)))
    db.session.commit()
    return ids


def _tags(theme_id):
    return set(db.session.scalars(sa.select(theme_tag.c.answer_id).where(theme_tag.c.theme_id == theme_id)))


def _audit(action):
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == action))


# ---------------------------------------------------------------------------
# The coding frame
# ---------------------------------------------------------------------------

def test_coding_frame_create_rename_merge_delete(app, demo, make_user):
    with app.app_context():
        organiser = make_user(Role.ORGANISER)
        programme = f.programme(demo)
        ids = _comments(demo, ["Caseloads are too high", "Too much paperwork", "More training please"])
        workload = services.add_theme(programme, "  Workload  ", "Cases and paperwork", actor=organiser)
        paperwork = services.add_theme(programme, "Paperwork", actor=organiser)
        assert workload.name == "Workload"
        with pytest.raises(services.ThemeError, match="already a theme"):
            services.add_theme(programme, "workload", actor=organiser)
        with pytest.raises(services.ThemeError):
            services.add_theme(programme, "   ", actor=organiser)

        services.update_theme(workload, "Caseloads and workload", "Too many cases", actor=organiser)
        assert (workload.name, workload.description) == ("Caseloads and workload", "Too many cases")

        services.save_tags(programme, ids[:2], [(ids[0], workload.id), (ids[1], paperwork.id),
                                                (ids[0], paperwork.id)], actor=organiser)
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        action.themes = [paperwork]
        db.session.commit()

        moved = services.merge_themes(paperwork, workload, actor=organiser)
        assert moved == 1  # ids[0] had both already
        assert db.session.get(Theme, paperwork.id) is None
        assert _tags(workload.id) == {ids[0], ids[1]}
        db.session.expire_all()
        assert [theme.name for theme in db.session.get(Action, action.id).themes] == ["Caseloads and workload"]
        with pytest.raises(services.ThemeError):
            services.merge_themes(workload, workload, actor=organiser)

        services.remove_theme(workload, actor=organiser)
        assert services.themes(programme) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(theme_tag)) == 0
        assert db.session.get(Answer, ids[0]) is not None  # the comment stays
        for action_name in ("theme.added", "theme.changed", "theme.merged", "theme.removed", "theme.tagged"):
            assert _audit(action_name) >= 1, action_name


def test_frame_pages_organisers_edit_viewers_read(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    base = f"/organiser/programmes/{demo}/themes"
    response = post_form(client, f"{base}/new", {"name": "Training", "description": "Courses and induction"},
                         token_url=f"{base}/new")
    assert response.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Training" in page and "Courses and induction" in page and "Add a theme" in page

    response = post_form(client, f"{base}/new", {"name": "", "description": "kept"}, token_url=f"{base}/new")
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and "Enter a name for the theme" in body and 'value="kept"' in body

    response = post_form(client, f"{base}/new", {"name": "training"}, token_url=f"{base}/new")
    assert "There is already a theme called" in response.get_data(as_text=True)

    with app.app_context():
        theme_id = services.themes(f.programme(demo))[0].id
    response = post_form(client, f"{base}/{theme_id}/edit", {"name": "Training and induction", "description": ""},
                         token_url=f"{base}/new")
    assert response.status_code == 302
    with app.app_context():
        other = services.add_theme(f.programme(demo), "Induction").id
    response = post_form(client, f"{base}/{other}/merge", {"target_id": theme_id}, token_url=f"{base}/new")
    assert response.status_code == 302
    response = post_form(client, f"{base}/{theme_id}/delete", token_url=f"{base}/new")
    assert response.status_code == 302
    with app.app_context():
        assert services.themes(f.programme(demo)) == []

    post_form(client, "/logout")
    login_as(Role.VIEWER)
    with app.app_context():
        services.add_theme(f.programme(demo), "Visible to viewers")
    page = client.get(base).get_data(as_text=True)
    assert "Visible to viewers" in page and "Add a theme" not in page and "/merge" not in page
    assert client.get(f"{base}/new").status_code == 403


# ---------------------------------------------------------------------------
# Tagging
# ---------------------------------------------------------------------------

def test_tagging_several_comments_in_one_post(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    with app.app_context():
        programme = f.programme(demo)
        ids = _comments(demo, ["Caseloads are high", "Training on risk", "Managers do not listen", "Nothing"])
        workload = services.add_theme(programme, "Workload").id
        training = services.add_theme(programme, "Training").id
    url = f"/organiser/programmes/{demo}/themes/tag"
    page = client.get(url).get_data(as_text=True)
    for answer_id in ids:
        assert f'name="shown" value="{answer_id}"' in page
    assert f'value="{ids[0]}:{workload}"' in page

    response = post_form(client, url, {"shown": ids, "tags": [f"{ids[0]}:{workload}", f"{ids[0]}:{training}",
                                                              f"{ids[1]}:{training}"]}, token_url=url)
    assert response.status_code == 302
    assert "Saved: 2 comments changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert _tags(workload) == {ids[0]}
        assert _tags(training) == {ids[0], ids[1]}

    # One save also unticks: the first comment keeps only Training.
    post_form(client, url, {"shown": ids[:2], "tags": [f"{ids[0]}:{training}", f"{ids[1]}:{training}"]},
              token_url=url)
    with app.app_context():
        assert _tags(workload) == set()

    untagged = client.get(f"{url}?show=untagged").get_data(as_text=True)
    assert "Managers do not listen" in untagged and "Training on risk" not in untagged
    by_theme = client.get(f"{url}?theme={training}").get_data(as_text=True)
    assert "Training on risk" in by_theme and "Managers do not listen" not in by_theme
    assert "Caseloads are high" in client.get(f"{url}?q=caseloads").get_data(as_text=True)

    # Another programme's theme, or a comment that is not on the page, is refused whole.
    response = post_form(client, url, {"shown": ids[:1], "tags": [f"{ids[2]}:{training}"]}, token_url=url)
    assert "Choose only this programme" in response.get_data(as_text=True)
    with app.app_context():
        assert ids[2] not in _tags(training)


def test_tagging_pages_twenty_comments_at_a_time(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    with app.app_context():
        _comments(demo, [f"Comment number {n}" for n in range(25)])
        services.add_theme(f.programme(demo), "Anything")
    url = f"/organiser/programmes/{demo}/themes/tag"
    first = client.get(url).get_data(as_text=True)
    assert first.count('name="shown"') == services.TAGGING_PER_PAGE and "page 1 of 2" in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert second.count('name="shown"') == 5


# ---------------------------------------------------------------------------
# Suggestions on the job queue
# ---------------------------------------------------------------------------

def test_suggestions_find_the_three_topics_through_the_queue(app, client, demo, login_as, run_jobs):
    login_as(Role.ORGANISER)
    with app.app_context():
        ids = _comments(demo, ALL_COMMENTS)
        existing = services.add_theme(f.programme(demo), "Communication").id
    topic_of = dict(zip(ids, ALL_COMMENTS))
    url = f"/organiser/programmes/{demo}/themes/suggestions"
    response = post_form(client, url, {"themes_wanted": "", "untagged_only": "y"}, token_url=url)
    assert response.status_code == 302
    waiting = client.get(url).get_data(as_text=True)
    assert "Suggestions are being prepared" in waiting and 'http-equiv="refresh"' in waiting

    assert run_jobs() >= 1
    with app.app_context():
        run = db.session.scalars(sa.select(SuggestionRun)).one()
        assert run.status == SuggestionRunStatus.READY and run.comments == 60
        found = {}
        for suggestion in run.suggestions:
            texts = [topic_of[answer_id] for answer_id in suggestion.answer_ids]
            for name, topic, words in (("caseload", CASELOAD, {"caseload", "caseloads", "workload"}),
                                       ("training", TRAINING, {"training"}),
                                       ("managers", MANAGERS, {"managers", "communication", "communicate"})):
                if words & set(suggestion.terms[:2]):
                    found[name] = suggestion.id
                    # Nearly every comment it found is of its topic.
                    assert sum(text in topic for text in texts) >= 0.9 * len(texts), (name, suggestion.terms)
                    assert len(texts) >= 15
        assert set(found) == {"caseload", "training", "managers"}
        names = {s.id: s.name for s in run.suggestions}
    page = client.get(url).get_data(as_text=True)
    assert "Suggestions are being prepared" not in page and names[found["training"]] in page

    decide = f"{url}/{{}}"
    response = post_form(client, decide.format(found["caseload"]),
                         {"decision": "accept", "name": "Caseloads and workload", "description": "Too many cases",
                          "target_id": existing}, token_url=url)
    assert response.status_code == 302
    post_form(client, decide.format(found["managers"]), {"decision": "merge", "name": "x", "target_id": existing},
              token_url=url)
    post_form(client, decide.format(found["training"]), {"decision": "reject", "name": "x"}, token_url=url)
    with app.app_context():
        theme = db.session.scalar(sa.select(Theme).where(Theme.name == "Caseloads and workload"))
        assert theme.description == "Too many cases"
        assert {topic_of[answer_id] for answer_id in _tags(theme.id)} <= set(CASELOAD)
        assert len(_tags(theme.id)) >= 18
        assert {topic_of[answer_id] for answer_id in _tags(existing)} <= set(MANAGERS)
        statuses = {s.id: s.status for s in db.session.scalars(sa.select(ThemeSuggestion))}
        assert statuses[found["caseload"]] == SuggestionStatus.ACCEPTED
        assert statuses[found["managers"]] == SuggestionStatus.MERGED
        assert statuses[found["training"]] == SuggestionStatus.REJECTED
    # A tampered theme id is refused, not handed to the database.
    response = post_form(client, decide.format(found["training"]),
                         {"decision": "merge", "target_id": "99999999999999999999"}, token_url=url)
    assert response.status_code == 302
    # Decided once: a second decision is refused.
    post_form(client, decide.format(found["training"]), {"decision": "accept", "name": "Training"}, token_url=url)
    with app.app_context():
        assert db.session.scalar(sa.select(Theme).where(Theme.name == "Training")) is None

    # A new run reads only the comments still without a theme.
    post_form(client, url, {"themes_wanted": "2", "untagged_only": "y"}, token_url=url)
    run_jobs()
    with app.app_context():
        latest = services.latest_run(f.programme(demo))
        assert latest.comments == 60 - len(_tags(theme.id) | _tags(existing))


def test_suggestions_are_deterministic():
    from webapp.themes.suggest import suggest

    first = [(s.terms, s.indexes) for s in suggest(ALL_COMMENTS)]
    assert first == [(s.terms, s.indexes) for s in suggest(list(ALL_COMMENTS))]
    assert suggest([]) == [] and suggest(["the and of", "a the"]) == []


def test_suggestions_are_never_prepared_in_the_request(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    with app.app_context():
        _comments(demo, ALL_COMMENTS[:10])
    url = f"/organiser/programmes/{demo}/themes/suggestions"
    post_form(client, url, {"untagged_only": "y"}, token_url=url)
    post_form(client, url, {"untagged_only": "y"}, token_url=url)  # joins the run under way
    with app.app_context():
        runs = list(db.session.scalars(sa.select(SuggestionRun)))
        assert [run.status for run in runs] == [SuggestionRunStatus.PENDING]
    response = post_form(client, url, {"themes_wanted": "40"}, token_url=url)
    assert response.status_code == 400 and "Enter a number from 2 to 12" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------
# Theme counts and the small-group rule
# ---------------------------------------------------------------------------

def _counted_programme(app, demo):
    """Locality North East: 6 responses, North West: 3 (a small group), South: 7; the theme
    "Big" is mentioned by 6 people, "Small" by 4."""
    with app.app_context():
        programme = f.programme(demo)
        big = services.add_theme(programme, "Big", "Mentioned by six")
        small = services.add_theme(programme, "Small", "Mentioned by four")
        north_east = _comments(demo, [f"ne {n}" for n in range(6)], locality="North East")
        north_west = _comments(demo, [f"nw {n}" for n in range(3)], session_index=1, locality="North West")
        south = _comments(demo, [f"s {n}" for n in range(7)], session_index=2, locality="South")
        services.save_tags(programme, north_east + north_west + south,
                           [(answer_id, big.id) for answer_id in north_east[:3] + north_west[:2] + south[:1]]
                           + [(answer_id, small.id) for answer_id in north_west[:1] + south[:3]])
        return big.id, small.id


def test_theme_counts_by_session_and_group_hide_small_groups(app, demo):
    big, small = _counted_programme(app, demo)
    with app.app_context():
        programme = f.programme(demo)
        figures = results.results_for(programme, results.select_sessions(programme))
        theme_counts = counts.theme_counts(figures)
        assert [(row.theme.name, row.responses) for row in theme_counts.totals] == [("Big", 6), ("Small", 4)]
        tables = {table.label: table for table in theme_counts.tables}
        locality = {row.label: row for row in tables["By locality"].rows}
        assert locality["South"].count(db.session.get(Theme, big)) == 1
        assert locality["North West"].suppressed and locality["North West"].count(db.session.get(Theme, big)) is None
        # Complementary suppression: the next smallest group (North East, 6) is hidden too.
        assert locality["North East"].suppressed
        sessions = tables["By session"].rows
        assert sessions[1].suppressed  # 3 responses
        # A selection of sessions has totals only: nothing by group to subtract.
        some = results.results_for(programme, results.select_sessions(programme)[:2])
        assert counts.theme_counts(some).tables == []


def test_results_page_shows_theme_counts_with_small_groups_hidden(app, client, demo, login_as):
    _counted_programme(app, demo)
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    section = page[page.index('id="themes"'):]
    assert "Big" in section and "By locality" in section.replace("by locality", "By locality")
    north_west = re.search(r"North West</th>(.*?)</tr>", section, re.S).group(1)
    assert results.SUPPRESSED_LABEL in north_west and ">3<" not in north_west


def test_public_page_and_report_show_only_themes_of_five_or_more(app, client, demo, login_as):
    _counted_programme(app, demo)
    with app.app_context():
        slug = f.programme(demo).slug
    page = client.get(f"/programmes/{slug}/you-said-we-did").get_data(as_text=True)
    assert "What staff wrote about most" in page
    assert "Big" in page and "Mentioned by six" in page
    assert "Small" not in page and "Mentioned by four" not in page

    login_as(Role.VIEWER)
    html = client.get(f"/organiser/programmes/{demo}/report").get_data(as_text=True)
    assert "The main themes in what staff wrote" in html and "Mentioned by six" in html and "Small" not in html
    document = Document(io.BytesIO(client.get(f"/organiser/programmes/{demo}/report.docx").data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "The main themes in what staff wrote" in headings
    themes_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Theme")
    assert [[cell.text for cell in row.cells] for row in themes_table.rows[1:]] == [["Big", "Mentioned by six", "6"]]


def test_public_page_has_no_themes_under_five_responses(app, client, demo):
    with app.app_context():
        programme = f.programme(demo)
        theme = services.add_theme(programme, "Lonely theme")
        ids = _comments(demo, ["one", "two", "three", "four"])
        services.save_tags(programme, ids, [(answer_id, theme.id) for answer_id in ids])
        slug = programme.slug
    assert "Lonely theme" not in client.get(f"/programmes/{slug}/you-said-we-did").get_data(as_text=True)


def test_workbook_themes_sheet_hides_small_groups(app, client, demo, login_as):
    _counted_programme(app, demo)
    login_as(Role.VIEWER)
    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/programmes/{demo}/workbook.xlsx").data))
    sheet = workbook["Themes"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Theme", "Description", "Breakdown", "Group", "Responses in the group",
                       "Responses mentioning the theme"]
    assert ["Big", "Mentioned by six", "All", "Every response", 16, 6] in rows
    assert ["Small", "Mentioned by four", "All", "Every response", 16, 4] in rows
    assert ["Big", "Mentioned by six", "Locality", "South", 7, 1] in rows
    assert ["Big", "Mentioned by six", "Locality", "North West", results.SUPPRESSED_LABEL,
            results.SUPPRESSED_LABEL] in rows
    assert not any(row[3] == "North West" and isinstance(row[5], int) for row in rows)


def test_actions_link_to_themes(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    with app.app_context():
        theme = services.add_theme(f.programme(demo), "Caseloads")
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        action_id, area_id, theme_id = action.id, action.area_id, theme.id
    url = f"/organiser/programmes/{demo}/actions/{action_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "Themes in what staff wrote that inform it" in form
    response = post_form(client, url, {"area_id": area_id, "title": "Review caseloads", "status": "on_track",
                                       "theme_ids": [theme_id]}, token_url=url)
    assert response.status_code == 302
    assert "Staff wrote about: Caseloads" in client.get(f"/organiser/programmes/{demo}/actions").get_data(
        as_text=True)
    with app.app_context():
        assert [t.id for t in db.session.get(Action, action_id).themes] == [theme_id]
    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/programmes/{demo}/workbook.xlsx").data))
    workbook_rows = [[cell.value for cell in row] for row in workbook["Actions"].iter_rows()]
    assert "Themes" in workbook_rows[0]
    assert any("Caseloads" in row for row in workbook_rows)


# ---------------------------------------------------------------------------
# Hostile input in theme names
# ---------------------------------------------------------------------------

HOSTILE_NAME = "=1+1<script>alert(1)</script>\ufffe\x07"


def test_hostile_theme_names_are_neutralised_everywhere(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    base = f"/organiser/programmes/{demo}/themes"
    response = post_form(client, f"{base}/new", {"name": HOSTILE_NAME, "description": "@SUM(A1)\ufffe"},
                         token_url=f"{base}/new")
    assert response.status_code == 302
    with app.app_context():
        programme = f.programme(demo)
        theme = services.themes(programme)[0]
        assert theme.name == "=1+1<script>alert(1)</script>" and theme.description == "@SUM(A1)"
        ids = _comments(demo, [f"comment {n}" for n in range(5)])
        services.save_tags(programme, ids, [(answer_id, theme.id) for answer_id in ids])
        slug = programme.slug
    for url in (base, f"{base}/tag", f"/organiser/programmes/{demo}/results", f"/programmes/{slug}/you-said-we-did",
                f"/organiser/programmes/{demo}/report"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page, url
        assert "&lt;script&gt;alert(1)" in page, url

    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/programmes/{demo}/workbook.xlsx").data))
    cells = [cell for row in workbook["Themes"].iter_rows() for cell in row if cell.value and
             str(cell.value).startswith(("=1+1", "@SUM"))]
    assert cells and all(cell.data_type == "s" for cell in cells)
    document = Document(io.BytesIO(client.get(f"/organiser/programmes/{demo}/report.docx").data))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "=1+1<script>alert(1)</script>" in text and "\ufffe" not in text


def test_proposed_names_say_each_thing_once():
    from webapp.themes.suggest import proposed_name

    assert proposed_name(["caseloads", "caseload", "workload", "caseload workload", "high"]) == \
        "Caseloads, workload and high"
    assert proposed_name(["training"]) == "Training"
    assert proposed_name([]) == "Suggested theme"
