"""The feedback form builder and QR posters (organisers), and the phone form (public)."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from webapp import lookups
from webapp import qr
from webapp.caching import app_cache
from webapp.auth.access import managers_only
from webapp.extensions import csrf, device_key, exempt_address, limit_setting, limiter, retry_after_seconds
from webapp.feedback import answers, codes, default_form, form_builder, phone, steps
from webapp.feedback.forms import QuestionForm
from webapp.forms import ConfirmForm
from webapp.feedback.models import AGREEMENT_SCALE, RATING_SCALE, QuestionKind
from webapp.tokens import normalise_feedback_code

bp = Blueprint("feedback", __name__)

ORGANISER = "/organiser/programmes/<int:programme_id>"


# ---------------------------------------------------------------------------
# Form builder
# ---------------------------------------------------------------------------


@bp.route(f"{ORGANISER}/form")
@managers_only
def builder(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = programme.feedback_form
    return render_template(
        "feedback/builder.html",
        programme=programme,
        form=form,
        counts=form_builder.answer_counts(form) if form else {},
    )


@bp.route(f"{ORGANISER}/form/create", methods=["POST"])
@managers_only
def create_default(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    if ConfirmForm().validate_on_submit():
        existed = programme.feedback_form is not None
        default_form.create_default_form(programme, actor=current_user)
        flash("This programme already has a feedback form." if existed
              else "Feedback form created from the findings. Check it, then preview it.", "success")
    return redirect(url_for("feedback.builder", programme_id=programme.id))


@bp.route(f"{ORGANISER}/form/preview")
@managers_only
def preview(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = lookups.form_of_or_404(programme)
    return render_template("feedback/preview.html", programme=programme, form=form,
                           questions=form.visible_questions, empty_submission=answers.Submission())


@bp.route(f"{ORGANISER}/form/questions/new", methods=["GET", "POST"])
@managers_only
def add_question(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    feedback_form = lookups.form_of_or_404(programme)
    form = QuestionForm(findings=programme.findings)
    if form.validate_on_submit():
        question = form_builder.add_question(feedback_form, actor=current_user, **form.question_fields())
        flash("Question added at the end of the form.", "success")
        return redirect(url_for("feedback.builder", programme_id=programme.id, _anchor=f"question-{question.id}"))
    return render_template("feedback/question_form.html", programme=programme, form=form, question=None,
                           scales=_scales())


def _programme_and_question_or_404(programme_id: int, question_id: int):
    programme = lookups.programme_or_404(programme_id)
    return programme, lookups.question_of_or_404(lookups.form_of_or_404(programme), question_id)


@bp.route(f"{ORGANISER}/form/questions/<int:question_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_question(programme_id: int, question_id: int):
    programme, question = _programme_and_question_or_404(programme_id, question_id)
    has_answers = form_builder.question_has_answers(question)
    form = QuestionForm(findings=programme.findings, kind_locked=has_answers, obj=question)
    if request.method == "GET":
        form.answer_options.data = "\n".join(option.label for option in question.visible_options)
        form.finding_id.data = question.finding_id or 0
    if has_answers:
        # The type of a question with answers is fixed: its answers keep their meaning.
        form.kind.data = question.kind
    status = 200
    if form.validate_on_submit():
        reworded = has_answers and form.text.data.strip() != question.text
        if reworded and not form.confirm_rewording.data:
            # Changing what people answered asks first: their answers were to the old words.
            form.confirm_rewording.errors.append(
                f"People have answered “{question.text}”. Tick the box to confirm the new wording")
            status = 400
        else:
            form_builder.update_question(question, actor=current_user, **form.question_fields())
            flash("Question saved." + (" Answers given before now stay with the old wording." if reworded else ""),
                  "success")
            return redirect(url_for("feedback.builder", programme_id=programme.id,
                                    _anchor=f"question-{question.id}"))
    return render_template("feedback/question_form.html", programme=programme, form=form, question=question,
                           has_answers=has_answers,
                           hidden_options=[option for option in question.options if option.hidden],
                           scales=_scales()), status


@bp.route(f"{ORGANISER}/form/questions/<int:question_id>/move", methods=["POST"])
@managers_only
def move_question(programme_id: int, question_id: int):
    programme, question = _programme_and_question_or_404(programme_id, question_id)
    direction = request.form.get("direction")
    if ConfirmForm().validate_on_submit() and direction in {"up", "down"}:
        form_builder.move_question(question, direction)
    return redirect(url_for("feedback.builder", programme_id=programme.id, _anchor=f"question-{question.id}"))


@bp.route(f"{ORGANISER}/form/questions/<int:question_id>/visibility", methods=["POST"])
@managers_only
def set_visibility(programme_id: int, question_id: int):
    programme, question = _programme_and_question_or_404(programme_id, question_id)
    if ConfirmForm().validate_on_submit():
        hide = request.form.get("hidden") == "1"
        form_builder.set_question_hidden(question, hide, actor=current_user)
        flash("Question hidden: staff no longer see it; its answers are kept." if hide
              else "Question shown on the form again.", "success")
    return redirect(url_for("feedback.builder", programme_id=programme.id, _anchor=f"question-{question.id}"))


@bp.route(f"{ORGANISER}/form/questions/<int:question_id>/delete", methods=["GET", "POST"])
@managers_only
def delete_question(programme_id: int, question_id: int):
    programme, question = _programme_and_question_or_404(programme_id, question_id)
    has_answers = form_builder.question_has_answers(question)
    form = ConfirmForm()
    if not has_answers and form.validate_on_submit():
        form_builder.delete_question(question, actor=current_user)
        flash("Question deleted.", "success")
        return redirect(url_for("feedback.builder", programme_id=programme.id))
    return render_template("feedback/delete_question.html", programme=programme, question=question,
                           has_answers=has_answers, form=form)


def _scales() -> dict:
    return {
        QuestionKind.AGREEMENT: [label for label, _score in AGREEMENT_SCALE],
        QuestionKind.RATING: [label for label, _score in RATING_SCALE],
    }


# ---------------------------------------------------------------------------
# QR codes and posters
# ---------------------------------------------------------------------------

SESSION = f"{ORGANISER}/sessions/<int:session_id>/feedback"


@bp.route(f"{SESSION}/qr.png")
@managers_only
def qr_png(programme_id: int, session_id: int):
    session = lookups.session_of_or_404(lookups.programme_or_404(programme_id), session_id)
    return _download(qr.qr_png(codes.feedback_url(session)), "image/png",
                     f"feedback-{session.feedback_code}.png")


@bp.route(f"{SESSION}/qr.svg")
@managers_only
def qr_svg(programme_id: int, session_id: int):
    session = lookups.session_of_or_404(lookups.programme_or_404(programme_id), session_id)
    return _download(qr.qr_svg(codes.feedback_url(session)), "image/svg+xml",
                     f"feedback-{session.feedback_code}.svg")


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    # Inline so that the poster page can show it; the name is used when saved.
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route(f"{SESSION}/poster")
@managers_only
def poster(programme_id: int, session_id: int):
    return _poster_page("feedback/poster.html", programme_id, session_id)


@bp.route(f"{SESSION}/slide")
@managers_only
def slide(programme_id: int, session_id: int):
    return _poster_page("feedback/slide.html", programme_id, session_id)


def _poster_page(template: str, programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    return render_template(template, programme=programme, session=session,
                           url=codes.feedback_url(session), short_address=codes.short_address(session))


# ---------------------------------------------------------------------------
# The phone form (public, anonymous)
# ---------------------------------------------------------------------------


# In the session cookie: the code of the session this browser last sent feedback on (not
# what it sent). Back after Send fetches the form afresh with a new submission key and
# the browser puts the answers back, so a second Send would store them twice: instead,
# the page says they were sent and offers a blank form for someone else on this device.
SENT_FROM_HERE = "feedback_sent"


@bp.route("/f", methods=["GET"])
@codes.code_limited
def enter_code():
    typed = request.args.get("code", "")
    error = None
    if typed:
        code = normalise_feedback_code(typed)
        if codes.session_by_code(code):
            return redirect(url_for("feedback.respond", code=code))
        error = "No session has that code. Check the code on the poster or the screen and try again"
    return render_template("feedback/enter_code.html", typed=typed, error=error), 200 if not error else 404


def _moving_between_steps() -> bool:
    """A step's Continue or Back stores nothing (like a GET): only sending is limited,
    so a person going back and forth through the steps never meets a limit."""
    return "step" in request.form and request.form.get("action") != STEP_SEND


STEP_SEND, STEP_BACK, STEP_CHANGE = "send", "back", "change-"


@bp.route("/f/<code>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, so that an expired token keeps the answers
# A room of 180 phones, or a webinar of 5,000 staff, shares one address: each phone is
# limited on its own; the address has only an organisation-sized ceiling.
@limiter.limit(limit_setting("FEEDBACK_RATE_LIMIT"), methods=["POST"],
               exempt_when=lambda: exempt_address() or _moving_between_steps())
@limiter.limit(limit_setting("FEEDBACK_DEVICE_RATE_LIMIT"), key_func=device_key, methods=["POST"],
               exempt_when=_moving_between_steps)
@codes.code_limited
def respond(code: str):
    canonical = normalise_feedback_code(code)
    session = phone.phone_session_by_code(canonical)
    if session is None:
        return render_template("feedback/enter_code.html", typed=code,
                               error="No session has that code. Check the code on the poster or the "
                                     "screen and try again"), 404
    if canonical != code and request.method == "GET":
        return redirect(url_for("feedback.respond", code=canonical))

    state = phone.window_state(session)
    form = phone.load_phone_form(session.programme_id)
    questions = form.visible_questions if form else ()
    if state != phone.WindowState.OPEN or not questions:
        return _no_store(render_template("feedback/unavailable.html", session=session, state=state,
                                         states=phone.WindowState, window=session.feedback_window,
                                         has_form=bool(questions)))

    if request.method == "GET":
        if browser_session.get(SENT_FROM_HERE) == session.feedback_code and "another" not in request.args:
            return _no_store(render_template("feedback/sent_before.html", session=session))
        return _step_page(session, form, steps.form_steps(form).get(1), steps.new_draft())
    if "step" in request.form:
        return _step_post(session, form)

    # Every answer in one POST: a page opened before the form came in steps, or a
    # client that sends the whole form at once (the organisers' preview shows it whole).
    submission = answers.read_answers(questions, request.form)
    key = request.form.get("submission_key")
    send_again = False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        send_again = True  # e.g. the phone sat in a pocket for hours: keep every answer
    if not answers.is_submission_key(key):
        key, send_again = answers.new_submission_key(), True
    if send_again or submission.errors:
        return _phone_form(session, form, questions, key, submission, send_again)
    if answers.at_response_ceiling(session):
        current_app.logger.warning("Feedback refused: session %s has reached its ceiling of responses", session.id)
        response = _phone_form(session, form, questions, key, submission, session_full=True)
        response.status_code = 409
        return response

    answers.store_response(session.id, key, submission.rows)
    browser_session[SENT_FROM_HERE] = canonical
    return _no_store(render_template("feedback/thanks.html", session_title=session.title, submission=submission,
                                     programme_id=session.programme_id))


def _step_post(session, form):
    """One step sent: keep its answers in the draft, then go where the button says.
    Only Send on the check step stores anything, once, under the draft's key."""
    all_steps = steps.form_steps(form)
    step = all_steps.get(request.form.get("step", 1, type=int))
    draft = steps.read_draft(request.form.get("draft"), session.feedback_code) or steps.new_draft()
    draft.take(step.questions, request.form)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        # The phone slept past the token's life: the same step, everything kept, a new token.
        return _step_page(session, form, step, draft, send_again=True)

    action = request.form.get("action", "")
    if action == STEP_BACK:
        return _step_page(session, form, all_steps.get(step.number - 1), draft)
    if action.startswith(STEP_CHANGE) and action[len(STEP_CHANGE):].isdigit():
        return _step_page(session, form, all_steps.get(int(action[len(STEP_CHANGE):])), draft)
    if not step.is_check:
        submission = steps.check_step(step, draft)
        if submission.errors:
            return _step_page(session, form, step, draft, submission)
        return _step_page(session, form, all_steps.get(step.number + 1), draft)
    if action != STEP_SEND:
        return _step_page(session, form, step, draft)

    submission = steps.check_all(form, draft)
    if submission.errors:
        # Nothing answered is the check page's error; a question's error (the form
        # changed meanwhile) is shown on that question's step.
        wrong = [question_id for question_id in submission.errors if question_id != answers.NOTHING_ANSWERED]
        shown = all_steps.step_of(wrong[0]) if wrong else step
        return _step_page(session, form, shown, draft, submission)
    if answers.at_response_ceiling(session):
        current_app.logger.warning("Feedback refused: session %s has reached its ceiling of responses", session.id)
        response = _step_page(session, form, step, draft, submission, session_full=True)
        response.status_code = 409
        return response
    answers.store_response(session.id, draft.submission_key, submission.rows)
    browser_session[SENT_FROM_HERE] = session.feedback_code
    return _no_store(render_template("feedback/thanks.html", session_title=session.title, submission=submission,
                                     programme_id=session.programme_id))


def _step_page(session, form, step, draft, submission=None, send_again=False, wait=None, session_full=False):
    all_steps = steps.form_steps(form)
    if submission is None:
        # Answers put back as they were typed or chosen; errors only when asked for.
        submission = answers.read_answers(step.questions, draft.formdata()) if step.questions \
            else answers.Submission()
        submission.errors.clear()
    summary = answers.read_answers(form.visible_questions, draft.formdata()) if step.is_check else None
    return _no_store(render_template(
        "feedback/step.html",
        session=session,
        form=form,
        steps=all_steps,
        step=step,
        draft=steps.sign_draft(draft, session.feedback_code),
        submission=submission,
        summary=summary,
        send_again=send_again,
        wait=wait,
        session_full=session_full,
    ))


def _phone_form(session, form, questions, key, submission=None, send_again=False, wait=None,
                session_full=False):
    if submission is None:
        fields = _blank_questions_html(form)
        submission = answers.Submission()
    else:
        fields = get_template_attribute("feedback/_questions.html", "question_fields")(questions, submission)
    return _no_store(render_template(
        "feedback/respond.html",
        session=session,
        form=form,
        questions=questions,
        question_fields_html=fields,
        submission_key=key,
        submission=submission,
        send_again=send_again,
        wait=wait,
        session_full=session_full,
    ))


def _blank_questions_html(form: phone.PhoneForm):
    """The unanswered questions' HTML, the same for the whole room: rendered once per
    content of the form. The form is read fresh on every request and is its own key
    (a frozen dataclass), so an organiser's edit shows at once; nothing goes stale."""
    def render():
        macro = get_template_attribute("feedback/_questions.html", "question_fields")
        return macro(form.visible_questions, answers.Submission())

    return app_cache("feedback_questions_html", 32).get_or_make(form, render)


def _no_store(body: str) -> Response:
    # The page carries a CSRF token and perhaps someone's answers: never cache it.
    response = Response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def too_many(error):
    """Over a limit. A phone sending its answers gets the form back with every answer
    kept and when to press Send again; anything else is told when to try again."""
    wait = retry_after_seconds()
    headers = {"Retry-After": str(wait)}
    session = None
    if request.endpoint == "feedback.respond" and request.method == "POST":
        session = phone.phone_session_by_code(normalise_feedback_code(request.view_args["code"]))
    form = phone.load_phone_form(session.programme_id) if session else None
    if form is None or not form.visible_questions:
        return render_template("feedback/too_many.html", wait=wait), 429, headers
    if "step" in request.form:
        all_steps = steps.form_steps(form)
        draft = steps.read_draft(request.form.get("draft"), session.feedback_code) or steps.new_draft()
        step = all_steps.get(request.form.get("step", 1, type=int))
        draft.take(step.questions, request.form)
        response = _step_page(session, form, step, draft, wait=wait)
        response.status_code = 429
        response.headers.update(headers)
        return response
    questions = form.visible_questions
    key = request.form.get("submission_key")
    if not answers.is_submission_key(key):
        key = answers.new_submission_key()
    response = _phone_form(session, form, questions, key, answers.read_answers(questions, request.form),
                           wait=wait)
    response.status_code = 429
    response.headers.update(headers)
    return response
