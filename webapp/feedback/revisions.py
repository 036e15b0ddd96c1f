"""A feedback form's revision moves on with every change to what the phone form shows.

The phone form is read by a whole room within a minute, so each worker keeps the form it
built (phone.load_phone_form) and only checks, with one small query, that the form's
revision has not moved on. Every change made through the ORM to a form, a question, an
option or a finding gives the form concerned a new revision in the same transaction, so
an organiser's edit shows on the next request, in every worker and on every host.
(Nothing changes these tables with Core UPDATE or DELETE statements; code that does
must set the revision itself.)
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.feedback.models import FeedbackForm, Question, QuestionOption, new_revision
from webapp.programmes.models import Finding, Programme


@sa.event.listens_for(Session, "before_flush")
def _new_revision_for_changed_forms(session: Session, _flush_context, _instances) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    if not changed:
        return
    forms: set[FeedbackForm] = set()
    with session.no_autoflush:
        for instance in changed:
            form = _form_shown_with(session, instance)
            if form is not None and form not in session.deleted:
                forms.add(form)
    for form in forms:
        form.revision = new_revision()


def _form_shown_with(session: Session, instance) -> FeedbackForm | None:
    """The form whose phone page shows `instance`, if any."""
    if isinstance(instance, FeedbackForm):
        return instance
    if isinstance(instance, QuestionOption):
        instance = instance.question or (instance.question_id and session.get(Question, instance.question_id))
        if not instance:
            return None
    if isinstance(instance, Question):
        return instance.form or (instance.form_id and session.get(FeedbackForm, instance.form_id)) or None
    if isinstance(instance, Finding):
        programme = instance.programme or session.get(Programme, instance.programme_id)
        return programme.feedback_form if programme else None
    return None
