"""Each worker keeps the phone form it built; every change an organiser makes to what
the form shows gives it a new revision, so the change shows on the next request, in
every worker."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import make_config
from tests.feedback_helpers import open_feedback, step_pages
from webapp import create_app
from webapp.extensions import db
from webapp.feedback import answers, form_builder, phone
from webapp.feedback.models import FeedbackForm, QuestionKind
from webapp.programmes import services as programme_services
from webapp.programmes.models import Programme


def revision(programme_id: int) -> str:
    return db.session.scalar(sa.select(FeedbackForm.revision).where(FeedbackForm.programme_id == programme_id))


def first_of(form: FeedbackForm, kind: str):
    return next(question for question in form.questions if question.kind == kind)


def reword(form):
    question = first_of(form, QuestionKind.LONG_TEXT)
    form_builder.update_question(question, kind=question.kind, text="Reworded?", section=question.section)


def rename_an_option(form):
    question = first_of(form, QuestionKind.SINGLE_CHOICE)
    labels = [option.label for option in question.visible_options]
    form_builder.update_question(question, kind=question.kind, text=question.text, section=question.section,
                             option_labels=["Renamed", *labels[1:]])


def change_a_finding(form):
    finding = first_of(form, QuestionKind.AGREEMENT).finding
    programme_services.update_finding(finding, kind=finding.kind, title="Renamed indicator",
                                      headline_question=finding.headline_question, grade=finding.grade)


def change_the_intro(form):
    form.intro = "A new introduction."
    db.session.commit()


@pytest.mark.parametrize("change", [
    reword,
    rename_an_option,
    change_a_finding,
    change_the_intro,
    lambda form: form_builder.set_question_hidden(form.questions[0], True),
    lambda form: form_builder.move_question(form.questions[1], "up"),
    lambda form: form_builder.add_question(form, kind=QuestionKind.SHORT_TEXT, text="New?"),
    lambda form: form_builder.delete_question(form.questions[-1]),
], ids=["reword", "rename-option", "finding", "intro", "hide", "move", "add", "delete"])
def test_every_change_to_what_the_form_shows_moves_its_revision_on(app, demo, change):
    with app.app_context():
        before = revision(demo)
        change(db.session.get(Programme, demo).feedback_form)
        db.session.expire_all()
        assert revision(demo) != before


def test_a_response_leaves_the_revision_alone(app, demo):
    with app.app_context():
        before = revision(demo)
        form = phone.load_phone_form(demo)
        session_id = db.session.get(Programme, demo).sessions[0].id
        answers.store_response(session_id, answers.new_submission_key(), [])
        assert revision(demo) == before and phone.load_phone_form(demo) is form


def test_an_unchanged_form_is_not_read_again(app, client, demo):
    code = open_feedback(app, demo)
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/f/{code}").status_code == 200
            first = len(statements)
            assert client.get(f"/f/{code}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) - first == first - 2  # the questions and their options: read once


def test_an_edit_made_in_another_worker_shows_at_once(app, client, demo, database_url):
    code = open_feedback(app, demo)
    assert "Reworded?" not in "".join(step_pages(client, code))  # kept by this worker
    other_worker = create_app(make_config(database_url))
    with other_worker.app_context():
        reword(db.session.get(Programme, demo).feedback_form)
        db.session.remove()
        db.engine.dispose()
    assert "Reworded?" in "".join(step_pages(client, code))


def test_the_phone_form_reads_its_title_intro_and_each_hint(app, demo):
    with app.app_context():
        form = db.session.scalar(sa.select(FeedbackForm).where(FeedbackForm.programme_id == demo))
        question = form_builder.add_question(form, kind="rating", text="Rate it", hint="One is low")
        read = phone.load_phone_form(demo)
        assert (read.id, read.title, read.intro) == (form.id, form.title, form.intro)
        assert next(q for q in read.visible_questions if q.id == question.id).hint == "One is low"


def test_the_only_question_of_a_new_form_is_number_one_and_reaches_the_phone(app):
    with app.app_context():
        programme = Programme(slug="one-question", title="One question")
        programme.feedback_form = FeedbackForm(title="Short")
        db.session.add(programme)
        db.session.commit()
        only = form_builder.add_question(programme.feedback_form, kind="rating", text="Only?")
        assert only.position == 1
        assert [q.id for q in phone.load_phone_form(programme.id).visible_questions] == [only.id]
