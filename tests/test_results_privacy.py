"""Small groups cannot be worked out: complementary suppression everywhere a breakdown
is published, no breakdown for a part of the programme, and a viewer's Responses rows
hide rare "about you" answers."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests import results_factories as f
from webapp.auth.models import Role
from webapp.exports.rows import RARE_GROUP
from webapp.exports.workbook import build_workbook
from webapp.extensions import db
from webapp.feedback.models import QuestionKind
from webapp.results import services
from webapp.results.models import ALL
from webapp.results.services import SMALL_GROUP_MIN, ResultsFilter, hidden_cells


@given(sizes=st.lists(st.integers(0, 30), min_size=1, max_size=9),
       seeds=st.sets(st.integers(0, 8), max_size=3))
def test_hidden_cells_leave_nothing_to_subtract(sizes, seeds):
    seeds = {seed for seed in seeds if seed < len(sizes)}
    hidden = hidden_cells(sizes, seeds)
    assert seeds <= hidden
    assert all(index in hidden for index, size in enumerate(sizes) if 0 < size < SMALL_GROUP_MIN)
    everything_else_hidden = all(index in hidden for index, size in enumerate(sizes) if size)
    if hidden and not everything_else_hidden:
        # total minus the shown cells is the sum of at least two hidden cells, of 5 or more people
        assert len(hidden) >= 2 and sum(sizes[index] for index in hidden) >= SMALL_GROUP_MIN


# (locality, role group, indicator answer, how many people)
PEOPLE = [
    ("North East", "Social work", "Agree", 7),
    ("North East", "Education", "Disagree", 4),
    ("North West", "Police", "Strongly agree", 3),
    ("South", "Social work", "Agree", 6),
    ("South", "Third sector", "Strongly disagree", 1),
    ("City-wide", "Education", "Agree", 5),
    (None, "Social work", "Don't know", 2),
    ("North West", None, "Agree", 6),
]


@pytest.fixture
def small_groups(app, demo):
    with app.app_context():
        first, second = f.sessions(demo)[:2]
        locality = f.question(demo, breakdown="locality")
        role = f.question(demo, breakdown="role_group")
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        rating = f.question(demo, kind=QuestionKind.RATING)
        for number, (place, group, answer, people) in enumerate(PEOPLE):
            for person in range(people):
                answers = {indicator: answer, rating: str(2 + (person + number) % 3)}
                if place:
                    answers[locality] = place
                if group:
                    answers[role] = group
                f.respond(first if person % 2 else second, answers)
        db.session.commit()
    return demo


def _recover(total: int, cells: dict[str, int | None]) -> dict[str, int]:
    """The attack: a published total minus every published part. One part unknown: found."""
    unknown = [label for label, value in cells.items() if value is None]
    if len(unknown) == 1:
        return {unknown[0]: total - sum(value for value in cells.values() if value is not None)}
    return {}


def test_no_hidden_group_can_be_recovered_by_subtraction(app, small_groups):
    """Every breakdown the pages and the workbook publish, attacked figure by figure:
    responses per group, answers per group to each question, and each answer's count."""
    with app.app_context():
        programme = f.programme(small_groups)
        results = services.results_for(programme, services.select_sessions(programme))
        comparisons = services.comparisons(results)
        recovered: dict[tuple, int] = {}
        hidden_somewhere = 0
        for table in results.breakdowns:
            cells = {group.label: group.shown_responses for group in table.groups}
            hidden_somewhere += sum(value is None for value in cells.values())
            for label, value in _recover(results.totals.responses, cells).items():
                recovered[(table.label, label, "responses")] = value
            hidden_labels = {group.label for group in table.groups if group.suppressed}
            for comparison in comparisons:
                section = next(s for s in comparison.sections if s.label == f"By {table.label.lower()}")
                rows = {row.label: row for row in section.rows}
                # a group hidden in the responses table stays hidden in every question's table
                assert all(rows[label].suppressed for label in hidden_labels)
                overall = comparison.overall
                measures = {"answered": (overall.respondents, lambda r: r.respondents)}
                for option in overall.options:
                    measures[option.option.label] = (option.count, lambda r, o=option.option.id: next(
                        (x.count for x in r.result.options if x.option.id == o), 0))
                for name, (total, value_of) in measures.items():
                    cells = {row.label: None if row.suppressed else value_of(row) for row in section.rows}
                    for label, value in _recover(total, cells).items():
                        recovered[(table.label, label, overall.question.id, name)] = value
        assert hidden_somewhere >= 4  # the data really has small groups to protect
        assert recovered == {}


def test_breakdowns_are_published_for_the_whole_programme_only(app, client, login_as, small_groups):
    """A session's page or a filtered workbook with breakdowns could be subtracted from
    the whole programme's: neither has any."""
    with app.app_context():
        programme = f.programme(small_groups)
        first = f.sessions(small_groups)[0]
        assert services.results_for(programme, [first]).breakdowns == []
        out = io.BytesIO()
        build_workbook(programme, out, include_attendance=False, filters=ResultsFilter(session_ids=(first.id,)))
        summary = list(load_workbook(out)["Summary"].iter_rows(values_only=True))
        assert not any(row[0] and str(row[0]).startswith("By ") for row in summary)
        assert any(row[1] == services.BREAKDOWNS_WITHHELD for row in summary)
        session_id = first.id
    login_as(Role.VIEWER)
    page = client.get(f"/organiser/programmes/{small_groups}/sessions/{session_id}/results").get_data(as_text=True)
    assert "By locality" not in page and "Figures by locality, role group and organisation are given" in page
    page = client.get(f"/organiser/programmes/{small_groups}/results/compare").get_data(as_text=True)
    assert "By locality" in page and services.SUPPRESSED_LABEL in page


def _csv_rows(client, programme_id) -> list[dict]:
    response = client.get(f"/organiser/programmes/{programme_id}/responses.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_viewers_see_rare_about_you_answers_as_other(app, client, auth, login_as, small_groups):
    with app.app_context():
        locality = f.question(small_groups, breakdown="locality").text
        role = f.question(small_groups, breakdown="role_group").text
    login_as(Role.VIEWER)
    rows = _csv_rows(client, small_groups)
    localities = {row[locality] for row in rows}
    # South: 7 people, North West: 9, North East: 11, City-wide: 5 -> all shown
    assert {"North East", "North West", "South", "City-wide"} <= localities
    roles = [row[role] for row in rows]
    assert "Police" not in roles and "Third sector" not in roles  # 3 and 1 people
    assert roles.count(RARE_GROUP) == 4 and roles.count("Social work") == 15
    with app.app_context():
        programme = f.programme(small_groups)
        for manager, expected in ((False, 4), (True, 0)):
            out = io.BytesIO()
            build_workbook(programme, out, include_attendance=manager)
            sheet = load_workbook(out)["Responses"]
            header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
            cells = [row[header.index(role)] for row in sheet.iter_rows(min_row=2, values_only=True)]
            assert cells.count(RARE_GROUP) == expected
            assert ("Police" in cells) is manager
    auth.logout()
    login_as(Role.ORGANISER)
    roles = [row[role] for row in _csv_rows(client, small_groups)]
    assert roles.count("Police") == 3 and RARE_GROUP not in roles


def test_rare_answers_are_counted_in_the_exported_sessions(app, small_groups):
    """A value common in the programme but rare in the chosen sessions is hidden there."""
    with app.app_context():
        from webapp.exports.rows import rare_group_options
        first = f.sessions(small_groups)[0]
        questions = [q for q in f.programme(small_groups).feedback_form.questions if q.breakdown]
        counts = services.count_totals([first.id]).get(0, {})
        rare = rare_group_options([first.id], questions)
        for question in questions:
            for option in question.options:
                assert (str(option.id) in rare) == (counts.get((question.id, option.id), 0) < SMALL_GROUP_MIN)
        assert counts[(ALL, ALL)] > 0


def test_breakdown_groups_figures_exactly(app, demo):
    """% agree over the indicators only (not an agreement question of the organiser's own),
    mean usefulness over the rating only, exact for each group; an answer hidden from the
    form keeps its row while it has responses, and one with none has no row."""
    from tests import results_factories as f
    from webapp.feedback import form_builder
    from webapp.feedback.models import QuestionKind
    from webapp.results import services

    with app.app_context():
        session = f.sessions(demo)[0]
        locality = f.question(demo, breakdown="locality")
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        rating = f.question(demo, kind=QuestionKind.RATING)
        own = form_builder.add_question(f.programme(demo).feedback_form, kind="agreement", text="Our own question?")
        for _ in range(6):
            f.respond(session, {locality: "North East", indicator: "Agree", own: "Strongly disagree",
                                rating: rating.options[1].label})
            f.respond(session, {locality: "South", indicator: "Disagree", rating: rating.options[3].label})
        for _ in range(5):
            f.respond(session, {locality: "City-wide", indicator: "Strongly agree"})
        for option in locality.options:
            if option.label in ("City-wide", "North West"):
                option.hidden = True
        db.session.commit()
        programme = f.programme(demo)
        results = services.results_for(programme, services.select_sessions(programme))
        table = next(t for t in results.breakdowns if t.breakdown == "locality")
        groups = {group.label: group for group in table.groups}
        assert "North West" not in groups and groups["City-wide"].responses == 5
        figures = {label: (group.responses, group.percent_agree, group.mean_usefulness)
                   for label, group in groups.items() if label in ("North East", "South", "City-wide")}
        assert figures == {"North East": (6, 1.0, 2.0), "South": (6, 0.0, 4.0), "City-wide": (5, 1.0, None)}
