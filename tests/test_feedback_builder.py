"""The default form from the findings, the form builder, and past answers kept safe."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import neighbours
from tests.conftest import post_form
from tests.feedback_helpers import feedback_form_of, first_session
from webapp.auth.models import AuditEntry
from webapp.exports.workbook import build_workbook
from webapp.extensions import db
from webapp.feedback import answers, default_form, form_builder
from webapp.feedback.models import (AGREEMENT_SCALE, Answer, FeedbackForm, Question, QuestionKind, QuestionOption,
                                    Response)
from webapp.programmes.models import Finding, FindingKind, Programme

FORM = "/organiser/programmes/{}/form"


def answer(session_id: int, question: Question, option: QuestionOption | None = None, text: str | None = None):
    """Store one response that answers `question` (through the service the phone form uses)."""
    row = {"question_id": question.id, "option_id": option.id if option else None, "text": text}
    assert answers.store_response(session_id, answers.new_submission_key(), [row])


# --- the default form ---------------------------------------------------------------


def test_default_form_is_built_from_the_findings(app, demo):
    with app.app_context():
        programme = db.session.get(Programme, demo)
        form = programme.feedback_form
        indicators = programme.findings_of(FindingKind.INDICATOR)
        agreement = [q for q in form.questions if q.kind == QuestionKind.AGREEMENT]
        assert len(indicators) == 9 and [q.finding for q in agreement] == indicators
        first = agreement[0]
        assert first.text == f"Inspectors rated “{indicators[0].title}” as {indicators[0].grade}. How far do you agree?"
        assert first.section == indicators[0].headline_question
        assert [o.label for o in first.options][-1] == "Don't know" and first.options[-1].score is None
        multi = next(q for q in form.questions if q.kind == QuestionKind.MULTI_CHOICE)
        assert multi.max_choices == 2
        assert [o.label for o in multi.options] == [f.title for f in programme.findings_of(FindingKind.ACTION)]
        kinds = [q.kind for q in form.questions]
        assert kinds.count(QuestionKind.RATING) == 1 and kinds.count(QuestionKind.LONG_TEXT) == 2
        assert {q.breakdown for q in form.questions if q.breakdown} == {"role_group", "locality", "organisation"}
        assert [q.position for q in form.questions] == list(range(1, len(form.questions) + 1))


def test_create_default_form_button(app, client, login_as):
    login_as("organiser")
    with app.app_context():
        programme = Programme(slug="p", title="P", findings=[
            Finding(kind=FindingKind.INDICATOR, title="Leadership", headline_question="How good is leadership?",
                    grade="Good"),
            Finding(kind=FindingKind.IMPROVEMENT_AREA, title="Chronologies"),
        ])
        db.session.add(programme)
        db.session.commit()
        programme_id = programme.id
    page = client.get(FORM.format(programme_id)).get_data(as_text=True)
    assert "Create the form from the findings" in page
    response = post_form(client, FORM.format(programme_id) + "/create", token_url=FORM.format(programme_id))
    assert response.status_code == 302
    post_form(client, FORM.format(programme_id) + "/create", token_url=FORM.format(programme_id))  # twice: still one
    with app.app_context():
        forms = db.session.scalars(sa.select(FeedbackForm).where(FeedbackForm.programme_id == programme_id)).all()
        assert len(forms) == 1
        texts = [q.text for q in forms[0].questions]
        assert "Inspectors rated “Leadership” as Good. How far do you agree?" in texts
        multi = next(q for q in forms[0].questions if q.kind == QuestionKind.MULTI_CHOICE)
        assert [o.label for o in multi.options] == ["Chronologies"]
    page = client.get(FORM.format(programme_id)).get_data(as_text=True)
    assert "Leadership" in page and "Create the form" not in page


# --- builder operations through HTTP ------------------------------------------------


@pytest.fixture
def organiser(login_as):
    return login_as("organiser")


def question_count(app, programme_id):
    with app.app_context():
        return len(db.session.get(Programme, programme_id).feedback_form.questions)


@pytest.mark.parametrize(
    ("kind", "extra", "options"),
    [
        ("agreement", {}, ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                           "Strongly agree", "Don't know"]),
        ("rating", {}, ["1 - Not useful", "2", "3", "4", "5 - Very useful"]),
        ("single_choice", {"answer_options": "Yes\r\nNo\r\n\r\n  Not sure  "}, ["Yes", "No", "Not sure"]),
        ("multi_choice", {"answer_options": "A\nB\nC", "max_choices": "2"}, ["A", "B", "C"]),
        ("short_text", {}, []),
        ("long_text", {}, []),
    ],
)
def test_add_a_question_of_every_type(app, client, demo, organiser, kind, extra, options):
    before = question_count(app, demo)
    response = post_form(client, FORM.format(demo) + "/questions/new",
                         {"kind": kind, "text": f"A {kind} question?", "required": "y", **extra},
                         token_url=FORM.format(demo))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        form = db.session.get(Programme, demo).feedback_form
        assert len(form.questions) == before + 1
        question = form.questions[-1]
        assert (question.kind, question.text, question.required) == (kind, f"A {kind} question?", True)
        assert [o.label for o in question.options] == options
        assert question.max_choices == (2 if kind == "multi_choice" else None)
        assert question.position == max(q.position for q in form.questions)


def test_question_errors_come_back_with_what_was_typed(app, client, demo, organiser):
    response = post_form(client, FORM.format(demo) + "/questions/new",
                         {"kind": "multi_choice", "text": "Pick <b>some</b>", "answer_options": "Only one", "max_choices": "5"},
                         token_url=FORM.format(demo))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in html
    assert "Enter at least 2 answers to choose from, one per line" in html
    assert "Pick &lt;b&gt;some&lt;/b&gt;" in html
    post = post_form(client, FORM.format(demo) + "/questions/new",
                     {"kind": "single_choice", "text": "Q", "answer_options": "Same\nSame"}, token_url=FORM.format(demo))
    assert "Each answer must be different" in post.get_data(as_text=True)
    post = post_form(client, FORM.format(demo) + "/questions/new",
                     {"kind": "multi_choice", "text": "Q", "answer_options": "A\nB", "max_choices": "3"},
                     token_url=FORM.format(demo))
    assert "no bigger than the number of answers (2)" in post.get_data(as_text=True)


def test_edit_move_hide_show_and_delete(app, client, demo, organiser):
    with app.app_context():
        questions = db.session.get(Programme, demo).feedback_form.questions
        first_id, second_id = questions[0].id, questions[1].id
    url = FORM.format(demo) + f"/questions/{second_id}"
    edit_page = client.get(url + "/edit").get_data(as_text=True)
    assert "Strongly agree" in edit_page
    response = post_form(client, url + "/edit", {"kind": "agreement", "text": "Reworded?", "section": "S"},
                         token_url=FORM.format(demo))
    assert response.status_code == 302
    post_form(client, url + "/move", {"direction": "up"}, token_url=FORM.format(demo))
    post_form(client, url + "/visibility", {"hidden": "1"}, token_url=FORM.format(demo))
    with app.app_context():
        form = db.session.get(Programme, demo).feedback_form
        assert [q.id for q in form.questions[:2]] == [second_id, first_id]
        moved = db.session.get(Question, second_id)
        assert (moved.text, moved.section, moved.hidden) == ("Reworded?", "S", True)
        assert moved not in form.visible_questions
    post_form(client, url + "/visibility", {"hidden": "0"}, token_url=FORM.format(demo))
    assert client.get(url + "/delete").status_code == 200
    response = post_form(client, url + "/delete", token_url=FORM.format(demo))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Question, second_id) is None
        assert db.session.get(Question, first_id).hidden is False
        audited = db.session.execute(sa.select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
                                     .where(AuditEntry.action.startswith("question."))
                                     .order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in audited] == [
        (action, f"question:{second_id}", "Reworded?")
        for action in ("question.changed", "question.hidden", "question.shown", "question.deleted")]


def test_preview_shows_visible_questions_at_phone_width(app, client, demo, organiser):
    with app.app_context():
        hidden = db.session.get(Programme, demo).feedback_form.questions[0]
        hidden.text = "This one is hidden"
        hidden.hidden = True
        db.session.commit()
    html = client.get(FORM.format(demo) + "/preview").get_data(as_text=True)
    assert "app-phone-preview" in html and "How useful was this session?" in html
    assert "This one is hidden" not in html


def test_a_question_of_another_programme_is_a_404(app, client, demo, organiser):
    with app.app_context():
        other = Programme(slug="other", title="Other")
        db.session.add(other)
        db.session.flush()
        default_form.build_default_form(other)
        db.session.commit()
        other_id = other.id
        question_id = db.session.get(Programme, demo).feedback_form.questions[0].id
    assert client.get(FORM.format(other_id) + f"/questions/{question_id}/edit").status_code == 404


# --- past answers are never destroyed or reinterpreted ------------------------------


def test_a_question_with_answers_cannot_be_deleted(app, client, demo, organiser):
    with app.app_context():
        question = db.session.get(Programme, demo).feedback_form.questions[0]
        answer(first_session(demo).id, question, question.options[3])
        question_id = question.id
        assert form_builder.delete_question(question) is False
    url = FORM.format(demo) + f"/questions/{question_id}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "cannot be deleted" in page and "Hide the question" in page
    post_form(client, url, token_url=FORM.format(demo))
    with app.app_context():
        assert db.session.get(Question, question_id) is not None
        assert neighbours.count_here(Answer) == 1
    builder = client.get(FORM.format(demo)).get_data(as_text=True)
    assert f"/questions/{question_id}/delete" not in builder


def test_rewording_keeps_answers_pointing_at_the_same_options(app, client, demo, organiser):
    with app.app_context():
        question = next(q for q in db.session.get(Programme, demo).feedback_form.questions
                        if q.breakdown == "locality")
        chosen = question.options[1]  # "North West"
        answer(first_session(demo).id, question, chosen)
        question_id, chosen_id = question.id, chosen.id
        labels = [o.label for o in question.options]
    # Reword the question, drop the answered option and one unanswered one, add a new one.
    kept = [label for label in labels if label not in ("North West", "City-wide")] + ["Glasgow-wide"]
    edit = FORM.format(demo) + f"/questions/{question_id}/edit"
    change = {"kind": "single_choice", "text": "Where do you work?", "answer_options": "\n".join(kept)}
    # People answered the old words: rewording asks for confirmation first, and changes nothing
    asked = post_form(client, edit, change, token_url=FORM.format(demo))
    page = asked.get_data(as_text=True)
    assert asked.status_code == 400 and "Tick the box to confirm the new wording" in page
    assert "Where do you work?" in page  # what was typed is kept
    with app.app_context():
        assert db.session.get(Question, question_id).text == "Which locality do you mainly work in?"
    response = post_form(client, edit, {**change, "confirm_rewording": "y"}, token_url=FORM.format(demo))
    assert response.status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.text == "Where do you work?"
        [earlier] = question.earlier_wordings  # the answer keeps the words it answered
        assert earlier.text == "Which locality do you mainly work in?"
        assert db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action == "question.reworded")).all() == ["question.reworded"]
        assert [o.label for o in question.visible_options] == kept
        old = db.session.get(QuestionOption, chosen_id)
        assert old is not None and old.hidden and old.label == "North West"  # hidden, not deleted
        assert "City-wide" not in [o.label for o in question.options]  # never answered: deleted
        stored = db.session.scalars(sa.select(Answer).where(Answer.question_id == question_id)).one()
        assert stored.option_id == chosen_id and stored.option.label == "North West"
        assert stored.wording_id == earlier.id  # the answer keeps the words it was to
    # Typing the hidden option again brings the same option (and its answers) back.
    post_form(client, FORM.format(demo) + f"/questions/{question_id}/edit",
              {"kind": "single_choice", "text": "Where do you work?", "answer_options": "\n".join(kept + ["North West"])},
              token_url=FORM.format(demo))
    with app.app_context():
        assert db.session.get(QuestionOption, chosen_id).hidden is False


def test_the_type_of_an_answered_question_is_fixed(app, client, demo, organiser):
    with app.app_context():
        question = next(q for q in db.session.get(Programme, demo).feedback_form.questions
                        if q.kind == QuestionKind.RATING)
        answer(first_session(demo).id, question, question.options[4])
        question_id = question.id
        with pytest.raises(ValueError):
            form_builder.update_question(question, kind="long_text", text="Changed")
        db.session.rollback()
    page = client.get(FORM.format(demo) + f"/questions/{question_id}/edit").get_data(as_text=True)
    assert "People have answered this question" in page and 'name="kind" type="radio"' not in page
    post_form(client, FORM.format(demo) + f"/questions/{question_id}/edit",
              {"kind": "long_text", "text": "Was it useful?", "confirm_rewording": "y"}, token_url=FORM.format(demo))
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.kind == "rating" and question.text == "Was it useful?"
        assert len(question.options) == 5 and neighbours.count_here(Response) == 1


def test_hidden_questions_leave_the_phone_form_but_keep_their_answers(app, client, demo, organiser):
    with app.app_context():
        question = db.session.get(Programme, demo).feedback_form.questions[0]
        answer(first_session(demo).id, question, question.options[0])
        form_builder.set_question_hidden(question, True)
        form = feedback_form_of(demo)
        assert question.id not in [q.id for q in form.visible_questions]
        assert neighbours.count_here(Answer) == 1


def test_viewers_cannot_change_the_form(app, client, demo, login_as):
    login_as("viewer")
    assert client.get(FORM.format(demo)).status_code == 403


def test_finding_picker_groups_findings_under_headings(app, client, demo, organiser):
    page = client.get(FORM.format(demo) + "/questions/new").get_data(as_text=True)
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S)
    assert [label for label, _ in groups] == ["No finding", "Quality indicators", "Areas for improvement",
                                              "Action-plan improvement areas"]
    options = {label: re.findall(r"<option[^>]*>([^<]+)</option>", body) for label, body in groups}
    assert len(options["Quality indicators"]) == 9 and "(Very Good)" in options["Quality indicators"][0]
    assert len(options["Areas for improvement"]) == 4 and options["Action-plan improvement areas"][0] == "Management of Risk"
    with app.app_context():
        area = db.session.scalar(sa.select(Finding).where(Finding.programme_id == demo,
                                                          Finding.kind == FindingKind.IMPROVEMENT_AREA))
        area_id = area.id
    response = post_form(client, FORM.format(demo) + "/questions/new",
                         {"kind": "long_text", "text": "About this area?", "finding_id": str(area_id)},
                         token_url=FORM.format(demo))
    assert response.status_code == 302
    refused = post_form(client, FORM.format(demo) + "/questions/new",
                        {"kind": "long_text", "text": "About nothing?", "finding_id": "999999"},
                        token_url=FORM.format(demo))
    assert refused.status_code == 200 and "<title>Error:" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Programme, demo).feedback_form.questions[-1].finding_id == area_id


def test_results_and_workbook_say_which_wording_was_answered(app, client, demo, organiser):
    with app.app_context():
        question = next(q for q in db.session.get(Programme, demo).feedback_form.questions
                        if q.kind == QuestionKind.RATING)
        answer(first_session(demo).id, question, question.options[3])
        question_id = question.id
    post_form(client, FORM.format(demo) + f"/questions/{question_id}/edit",
              {"kind": "rating", "text": "Was the session worth your time?", "confirm_rewording": "y"},
              token_url=FORM.format(demo))
    with app.app_context():
        question = db.session.get(Question, question_id)
        answer(first_session(demo).id, question, question.options[2])  # to the new words
        answer(first_session(demo).id, question, question.options[1])
        [earlier] = question.earlier_wordings
        wordings = db.session.scalars(sa.select(Answer.wording_id).where(Answer.question_id == question_id)
                                      .order_by(Answer.id)).all()
        assert wordings == [earlier.id, None, None]
    page = client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    assert "Was the session worth your time?" in page
    assert "Reworded: until " in page and "it read “How useful was this session?” (1 response)" in page
    with app.app_context():
        out = io.BytesIO()
        build_workbook(db.session.get(Programme, demo), out, include_attendance=False)
    rows = list(load_workbook(io.BytesIO(out.getvalue()))["Questions"].iter_rows(values_only=True))
    texts = {row[1] for row in rows[1:] if row[1] and row[1].startswith("Was the session worth your time?")}
    [text] = texts
    assert "it read “How useful was this session?”" in text


# --- the builder's operations, field by field (written after mutation testing) --------


def _audit_entries() -> list[tuple]:
    return list(db.session.execute(sa.select(AuditEntry.action, AuditEntry.target, AuditEntry.user_id,
                                             AuditEntry.detail).order_by(AuditEntry.id)).tuples())


def test_add_question_stores_what_was_typed_trimmed(app, demo, make_user):
    organiser_id = make_user().id
    with app.app_context():
        from webapp.auth.models import User

        organiser = db.session.get(User, organiser_id)
        form = db.session.get(Programme, demo).feedback_form
        last = max(q.position for q in form.questions)
        finding = db.session.get(Programme, demo).findings_of(FindingKind.INDICATOR)[2]
        long_text = "  Which team are you in? " + "x" * 250
        single = form_builder.add_question(
            form, kind="single_choice", text=long_text, hint="  Pick one  ", section=" About you ", required=True,
            max_choices=3, option_labels=["North", "South"], finding_id=finding.id, actor=organiser)
        assert (single.kind, single.text, single.hint, single.section, single.required, single.max_choices,
                single.finding_id, single.position) == (
            QuestionKind.SINGLE_CHOICE, long_text.strip(), "Pick one", "About you", True, None, finding.id, last + 1)
        assert [(o.label, o.position, o.score) for o in single.options] == [("North", 1, None), ("South", 2, None)]
        assert _audit_entries()[-1] == ("question.added", f"question:{single.id}", organiser_id,
                                        long_text.strip()[:200])

        several = form_builder.add_question(form, kind="multi_choice", text="Which?", max_choices=2,
                                            option_labels=["A", "B", "C"])
        assert (several.max_choices, several.position, several.required, several.finding_id) == (2, last + 2, False,
                                                                                                 None)
        scale = form_builder.add_question(form, kind="agreement", text="Agree?", option_labels=["ignored"])
        assert [(o.label, o.score) for o in scale.options] == list(AGREEMENT_SCALE)
        rating = form_builder.add_question(form, kind="rating", text="Rate it")
        assert [o.score for o in rating.options] == [1, 2, 3, 4, 5]
        word = form_builder.add_question(form, kind="one_word", text="One word", option_labels=["ignored"])
        assert word.options == [] and _audit_entries()[-1][2] is None  # no actor: the system


def test_update_question_changes_every_field_and_records_whether_it_was_reworded(app, demo, make_user):
    organiser_id = make_user().id
    with app.app_context():
        from webapp.auth.models import User

        organiser = db.session.get(User, organiser_id)
        programme = db.session.get(Programme, demo)
        finding = programme.findings_of(FindingKind.INDICATOR)[0]
        question = form_builder.add_question(programme.feedback_form, kind="single_choice", text="Team?",
                                             option_labels=["North", "South"])
        # Unanswered: its kind may change, and the options are made afresh.
        form_builder.update_question(question, kind="multi_choice", text="  Teams?  ", hint=" Any ",
                                     section=" You ", required=True, max_choices=2,
                                     option_labels=["East", "West", "North"], finding_id=finding.id,
                                     actor=organiser)
        assert (question.kind, question.text, question.hint, question.section, question.required,
                question.max_choices, question.finding_id) == (QuestionKind.MULTI_CHOICE, "Teams?", "Any", "You",
                                                                 True, 2, finding.id)
        assert [o.label for o in question.options] == ["East", "West", "North"]
        assert _audit_entries()[-1] == ("question.changed", f"question:{question.id}", organiser_id, "Teams?")
        assert question.earlier_wordings == []

        east = question.options[0]
        answer(first_session(demo).id, question, east)
        # Answered: reworded, the answers keep the words they were given to.
        form_builder.update_question(question, kind="multi_choice", text="Which teams?", max_choices=None,
                                     option_labels=["East", "West"], actor=organiser)
        assert question.text == "Which teams?" and question.required is False and question.finding_id is None
        assert [w.text for w in question.earlier_wordings] == ["Teams?"]
        assert db.session.scalar(sa.select(Answer.wording_id).where(Answer.option_id == east.id)) == \
            question.earlier_wordings[0].id
        assert _audit_entries()[-1][0] == "question.reworded"
        # the same words again: not a rewording
        form_builder.update_question(question, kind="multi_choice", text="Which teams?", option_labels=["East"])
        assert len(question.earlier_wordings) == 1 and _audit_entries()[-1][0] == "question.changed"
        assert [(o.label, o.hidden) for o in question.options] == [("East", False)]  # West had no answers: gone
        single = form_builder.add_question(programme.feedback_form, kind="single_choice", text="One?",
                                           option_labels=["A"])
        form_builder.update_question(single, kind="single_choice", text="One?", max_choices=3,
                                     option_labels=["A", "B"])
        assert single.max_choices is None and [o.label for o in single.options] == ["A", "B"]
        with pytest.raises(ValueError):
            form_builder.update_question(question, kind="single_choice", text="Which teams?")
        db.session.rollback()
        assert db.session.get(Question, question.id).kind == QuestionKind.MULTI_CHOICE


def test_the_default_form_question_by_question(app, make_user):
    """PRODUCT.md's default form, in order, for a programme with one indicator and no
    improvement areas: no multiple-choice question then."""
    organiser_id = make_user().id
    with app.app_context():
        from webapp.auth.models import User

        programme = Programme(slug="shape", title="Shape", findings=[
            Finding(kind=FindingKind.INDICATOR, title="Leadership", grade="Good", headline_question="How good?")])
        db.session.add(programme)
        db.session.commit()
        form = default_form.create_default_form(programme, actor=db.session.get(User, organiser_id))
        assert default_form.create_default_form(programme) is form  # twice: the same form, one entry
        rows = [(q.position, q.kind, q.section, q.required, q.max_choices, q.breakdown, q.finding_id is not None,
                 len(q.options)) for q in form.questions]
        about = "About you (optional)"
        assert rows == [
            (1, QuestionKind.AGREEMENT, "How good?", False, None, None, True, 6),
            (2, QuestionKind.RATING, "Your views", False, None, None, False, 5),
            (3, QuestionKind.LONG_TEXT, "Your views", False, None, None, False, 0),
            (4, QuestionKind.LONG_TEXT, "Your views", False, None, None, False, 0),
            (5, QuestionKind.SINGLE_CHOICE, about, False, None, "role_group", False, len(default_form.ROLE_GROUPS) + 1),
            (6, QuestionKind.SINGLE_CHOICE, about, False, None, "locality", False, len(default_form.LOCALITIES) + 1),
            (7, QuestionKind.SINGLE_CHOICE, about, False, None, "organisation", False,
             len(default_form.ORGANISATIONS) + 1),
        ]
        assert all(q.options[-1].label == default_form.PREFER_NOT_TO_SAY for q in form.questions[4:])
        assert form.title == "Your feedback: Shape"
        entries = db.session.execute(sa.select(AuditEntry.action, AuditEntry.target, AuditEntry.user_id,
                                               AuditEntry.detail)).tuples().all()
        assert entries == [("form.created", f"programme:{programme.id}", organiser_id, "Shape")]


def test_answer_counts_count_included_responses_per_question_of_this_form(app, demo):
    """Responses, not answers (two options of one question are one response), only this
    form's questions (the neighbouring programme has answers too), and an excluded burst
    left out."""
    from datetime import timedelta

    from webapp.results import exclusions
    from webapp.sessions.models import EventSession

    with app.app_context():
        form = feedback_form_of(demo)
        multi = next(q for q in form.questions if q.kind == QuestionKind.MULTI_CHOICE)
        text = next(q for q in form.questions if q.kind == QuestionKind.LONG_TEXT)
        session = first_session(demo)
        before = form_builder.answer_counts(form)
        assert set(before) <= {q.id for q in form.questions}
        neighbour_questions = set(db.session.scalars(sa.select(Answer.question_id).join(Response).where(
            Response.session_id.in_(sa.select(EventSession.id).where(
                EventSession.programme_id == neighbours.neighbour_id())))))
        assert neighbour_questions and not set(before) & neighbour_questions
        for options in (multi.options[:2], multi.options[:1]):
            rows = [{"question_id": multi.id, "option_id": option.id, "text": None} for option in options]
            assert answers.store_response(session.id, answers.new_submission_key(),
                                          rows + [{"question_id": text.id, "option_id": None, "text": "More time"}])
        after = form_builder.answer_counts(form)
        assert (after[multi.id] - before.get(multi.id, 0), after[text.id] - before.get(text.id, 0)) == (2, 2)
        newest = db.session.scalar(sa.select(sa.func.max(Response.submitted_at)).where(Response.session_id == session.id))
        exclusions.exclude(session, newest, newest + timedelta(microseconds=1), "A burst", None)
        assert form_builder.answer_counts(form)[multi.id] == after[multi.id] - 1


def test_the_wording_note_counts_the_answers_to_each_earlier_wording(app, demo):
    """Reworded twice: two answers to the first words, one to the second, each said apart
    (and once each: "1 response", "2 responses")."""
    from webapp.results.services import wording_note

    with app.app_context():
        question = form_builder.add_question(feedback_form_of(demo), kind="rating", text="First words?")
        session_id = first_session(demo).id
        answer(session_id, question, question.options[0])
        answer(session_id, question, question.options[1])
        form_builder.update_question(question, kind="rating", text="Second words?")
        answer(session_id, question, question.options[2])
        form_builder.update_question(question, kind="rating", text="Third words?")
        answer(session_id, question, question.options[3])
        note = wording_note(question)
        assert note.startswith("Reworded: until ") and note.endswith(". Those answers were to those words.")
        assert "it read “First words?” (2 responses); until " in note
        assert "it read “Second words?” (1 response)." in note
        assert wording_note(form_builder.add_question(feedback_form_of(demo), kind="rating", text="New")) == ""


def test_the_default_form_asks_which_actions_matter_most(app):
    """With actions and improvement areas both, the multiple-choice question lists the
    actions (up to two, as its hint says); the form opens with its intro."""
    with app.app_context():
        programme = Programme(slug="both", title="Both", findings=[
            Finding(kind=FindingKind.INDICATOR, position=1, title="Leadership", grade="Good",
                    headline_question="How good?"),
            Finding(kind=FindingKind.ACTION, position=1, title="Fewer forms"),
            Finding(kind=FindingKind.ACTION, position=2, title="More supervision"),
            Finding(kind=FindingKind.IMPROVEMENT_AREA, position=1, title="An older kind of finding")])
        db.session.add(programme)
        db.session.commit()
        form = default_form.create_default_form(programme)
        choice = next(q for q in form.questions if q.kind == QuestionKind.MULTI_CHOICE)
        assert [o.label for o in choice.options] == ["Fewer forms", "More supervision"]
        assert (choice.hint, choice.max_choices, choice.section, choice.required) == (
            "Choose up to two.", 2, "Improvement areas", False)
        assert form.intro == ("Tell the senior management team what you think of the findings. "
                              "It takes about two minutes and is anonymous.")


def test_answered_options_are_this_questions_only(app, demo):
    """The options somebody chose, of this question only: no other question's, and no
    empty option for a typed answer."""
    with app.app_context():
        form = feedback_form_of(demo)
        choice = form_builder.add_question(form, kind="single_choice", text="Team?", option_labels=["A", "B", "C"])
        other = form_builder.add_question(form, kind="single_choice", text="Other?", option_labels=["X", "Y"])
        text = next(q for q in form.questions if q.kind == QuestionKind.LONG_TEXT)
        session_id = first_session(demo).id
        answer(session_id, choice, choice.options[1])
        answer(session_id, other, other.options[0])
        answer(session_id, text, text=("Typed"))
        assert form_builder.answered_option_ids(choice) == {choice.options[1].id}
        assert form_builder.answered_option_ids(text) == set()


def test_rewording_one_question_leaves_the_others_answers_as_they_were(app, demo):
    with app.app_context():
        form = feedback_form_of(demo)
        reworded = form_builder.add_question(form, kind="rating", text="First words?")
        kept = form_builder.add_question(form, kind="rating", text="Kept words?")
        session_id = first_session(demo).id
        answer(session_id, reworded, reworded.options[0])
        answer(session_id, kept, kept.options[0])
        form_builder.update_question(reworded, kind="rating", text="Second words?")
        wordings = dict(db.session.execute(sa.select(Answer.question_id, Answer.wording_id)
                                           .where(Answer.question_id.in_([reworded.id, kept.id]))).tuples().all())
        assert wordings == {reworded.id: reworded.earlier_wordings[0].id, kept.id: None}


def test_edited_options_are_numbered_from_one_with_the_hidden_last(app, demo):
    with app.app_context():
        question = form_builder.add_question(feedback_form_of(demo), kind="single_choice", text="Team?",
                                             option_labels=["North", "South", "East"])
        answer(first_session(demo).id, question, question.options[0])
        form_builder.update_question(question, kind="single_choice", text="Team?", option_labels=["West", "South"])
        assert [(o.label, o.position, o.hidden) for o in question.options] == [
            ("West", 1, False), ("South", 2, False), ("North", 3, True)]


def test_hiding_showing_and_deleting_say_who_did_it(app, demo, make_user):
    organiser_id = make_user().id
    with app.app_context():
        from webapp.auth.models import User

        organiser = db.session.get(User, organiser_id)
        question = form_builder.add_question(feedback_form_of(demo), kind="rating", text="Hide me?")
        form_builder.set_question_hidden(question, True, actor=organiser)
        form_builder.set_question_hidden(question, False, actor=organiser)
        question_id = question.id
        assert form_builder.delete_question(question, actor=organiser) is True
        assert db.session.get(Question, question_id) is None
        assert [entry[:3] for entry in _audit_entries()[-3:]] == [
            ("question.hidden", f"question:{question_id}", organiser_id),
            ("question.shown", f"question:{question_id}", organiser_id),
            ("question.deleted", f"question:{question_id}", organiser_id)]
