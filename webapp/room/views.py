"""Room questions: the phone page (public, anonymous: /f/<code>/questions) and the
moderation page (organisers, linked from the session's page)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only
from webapp.extensions import csrf, device_key, exempt_address, limit_setting, limiter, retry_after_seconds
from webapp.feedback import codes, phone
from webapp.forms import ConfirmForm
from webapp.room import services
from webapp.room.forms import EXPIRED_PAGE, AnswerForm, AskForm, ModerationForm, VoteForm
from webapp.room.models import AnswerStatus, Moderation, QuestionStatus
from webapp.tokens import normalise_feedback_code

bp = Blueprint("room", __name__)

PHONE = "/f/<code>/questions"
ORGANISER = "/organiser/programmes/<int:programme_id>/sessions/<int:session_id>/questions"
UNKNOWN_CODE = "No session has that code. Check the code on the poster or the screen and try again"


@bp.app_context_processor
def room_enums() -> dict:
    return {"QuestionStatus": QuestionStatus, "AnswerStatus": AnswerStatus}


# ---------------------------------------------------------------------------
# The phone page (public, anonymous)
# ---------------------------------------------------------------------------


def _phone_limits(device_limit: str):
    """A device's own limit, an organisation-sized ceiling per address, and the code limits
    (a guess at /f/<code>/questions counts with the guesses at /f/<code>, not on its own)."""
    def decorate(view):
        view = codes.code_limited(view)
        view = limiter.limit(limit_setting(device_limit), key_func=device_key, methods=["POST"])(view)
        return limiter.limit(limit_setting("ROOM_RATE_LIMIT"), methods=["POST"], exempt_when=exempt_address)(view)
    return decorate


def _open_session(code: str):
    """(session, None) when the session's questions are open, else (None, the page to return)."""
    session = phone.phone_session_by_code(normalise_feedback_code(code))
    if session is None:
        return None, (render_template("feedback/enter_code.html", typed=code, error=UNKNOWN_CODE), 404)
    state = phone.window_state(session)
    if state != phone.WindowState.OPEN:
        return None, _no_store(render_template("room/closed.html", session=session, state=state,
                                               states=phone.WindowState,
                                               window=session.feedback_window))
    return session, None


def _device_secret() -> str | None:
    """The browser's random secret, kept in its session cookie (see extensions.device_key)."""
    secret = browser_session.get("csrf_token")
    return secret if isinstance(secret, str) and secret else None


def _phone_page(session, form: AskForm, status: int = 200, wait: int | None = None) -> Response:
    listing = services.room_list(session.id)
    response = _no_store(render_template(
        "room/questions.html", session=session, form=form, listing=listing,
        refresh_seconds=current_app.config["ROOM_REFRESH_SECONDS"],
        voted=services.voted_by(listing.questions, _device_secret()), wait=wait))
    response.status_code = status
    return response


def _no_store(body: str) -> Response:
    response = Response(body)
    response.headers["Cache-Control"] = "no-store"  # a CSRF token, perhaps a typed question
    return response


def _back_to_list(session, anchor: str | None = None):
    return redirect(url_for("room.questions", code=session.feedback_code, _anchor=anchor))


@bp.route(PHONE, methods=["GET"])
@_phone_limits("ROOM_QUESTION_DEVICE_RATE_LIMIT")
def questions(code: str):
    session, closed = _open_session(code)
    if closed:
        return closed
    if session.feedback_code != code:
        return _back_to_list(session)
    return _phone_page(session, AskForm(formdata=None))


@bp.route(PHONE, methods=["POST"])
@csrf.exempt  # checked by the form, so that an expired page keeps the question typed
@_phone_limits("ROOM_QUESTION_DEVICE_RATE_LIMIT")
def ask(code: str):
    session, closed = _open_session(code)
    if closed:
        return closed
    form = AskForm()
    if form.validate_on_submit():
        try:
            question = services.ask(session.id, form.text.data)
        except services.RoomError as error:
            form.text.errors.append(str(error))
        else:
            flash("Your question has been sent. It appears below once the moderator approves it."
                  if question.status == QuestionStatus.PENDING else "Your question has been sent.", "success")
            return _back_to_list(session, f"question-{question.id}"
                                 if question.status == QuestionStatus.APPROVED else "questions")
    return _phone_page(session, form, status=400)


@bp.route(f"{PHONE}/<int:question_id>/vote", methods=["POST"])
@csrf.exempt  # checked by the form: an expired page says so instead of a bare error page
@_phone_limits("ROOM_VOTE_DEVICE_RATE_LIMIT")
def vote(code: str, question_id: int):
    session, closed = _open_session(code)
    if closed:
        return closed
    question = lookups.room_question_of_or_404(session, question_id)
    device = _device_secret()  # a valid form means the browser has one
    if not VoteForm().validate_on_submit() or device is None:
        flash(EXPIRED_PAGE + ".")
    else:
        try:
            counted = services.vote(question, device)
        except services.RoomError as error:
            flash(str(error) + ".")
        else:
            flash("Your vote has been counted." if counted else "You have already voted for this question.",
                  "success" if counted else "info")
    return _back_to_list(session, f"question-{question.id}")


@bp.errorhandler(429)
def too_many(error):
    """Over a limit: a question being asked comes back with its words and when to press Ask again."""
    wait = retry_after_seconds()
    headers = {"Retry-After": str(wait)}
    if request.endpoint == "room.ask":
        session = phone.phone_session_by_code(normalise_feedback_code(request.view_args["code"]))
        if session is not None:
            form = AskForm(meta={"csrf": False})
            response = _phone_page(session, form, status=429, wait=wait)
            response.headers.update(headers)
            return response
    return render_template("feedback/too_many.html", wait=wait), 429, headers


# ---------------------------------------------------------------------------
# Moderation (organisers)
# ---------------------------------------------------------------------------


def _programme_and_session_or_404(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    return programme, lookups.session_of_or_404(programme, session_id)


def _moderation_url(programme, session, anchor: str | None = None) -> str:
    return url_for("room.moderate", programme_id=programme.id, session_id=session.id, _anchor=anchor)


def _render_moderation(programme, session, settings_form: ModerationForm | None = None, status: int = 200):
    if settings_form is None:
        settings_form = ModerationForm(formdata=None, moderation=services.moderation_of(session.id).value)
    listing = services.room_list(session.id)
    return render_template(
        "room/moderate.html", programme=programme, session=session, settings_form=settings_form,
        questions=services.all_questions(session.id), listing=listing,
        phone_url=f"{codes.feedback_url(session)}/questions",
    ), status


@bp.route(ORGANISER)
@managers_only
def moderate(programme_id: int, session_id: int):
    return _render_moderation(*_programme_and_session_or_404(programme_id, session_id))


@bp.route(f"{ORGANISER}/moderation", methods=["POST"])
@managers_only
def set_moderation(programme_id: int, session_id: int):
    programme, session = _programme_and_session_or_404(programme_id, session_id)
    form = ModerationForm()
    if not form.validate_on_submit():
        return _render_moderation(programme, session, form, status=400)
    moderation = Moderation(form.moderation.data)
    services.set_moderation(session, moderation, actor=current_user)
    flash(f"Saved: {moderation.label.lower()}.", "success")
    return redirect(_moderation_url(programme, session))


def _moderation_step(programme_id: int, session_id: int, question_id: int, operation, message: str):
    """A button on the moderation page: one operation on one question, then back to it."""
    programme, session = _programme_and_session_or_404(programme_id, session_id)
    question = lookups.room_question_of_or_404(session, question_id)
    if ConfirmForm().validate_on_submit():
        try:
            operation(question, actor=current_user)
        except services.RoomError as error:
            flash(str(error) + ".")
        else:
            flash(message, "success")
    return redirect(_moderation_url(programme, session, f"question-{question.id}"))


@bp.route(f"{ORGANISER}/<int:room_question_id>/approve", methods=["POST"])
@managers_only
def approve(programme_id: int, session_id: int, room_question_id: int):
    return _moderation_step(programme_id, session_id, room_question_id, services.approve,
                            "Question shown to the room.")


@bp.route(f"{ORGANISER}/<int:room_question_id>/hide", methods=["POST"])
@managers_only
def hide(programme_id: int, session_id: int, room_question_id: int):
    return _moderation_step(programme_id, session_id, room_question_id, services.hide,
                            "Question hidden. The room sees only that a question was hidden.")


@bp.route(f"{ORGANISER}/<int:room_question_id>/answered", methods=["POST"])
@managers_only
def mark_answered(programme_id: int, session_id: int, room_question_id: int):
    return _moderation_step(programme_id, session_id, room_question_id, services.mark_answered,
                            "Question marked answered.")


@bp.route(f"{ORGANISER}/<int:room_question_id>/not-answered", methods=["POST"])
@managers_only
def mark_not_answered(programme_id: int, session_id: int, room_question_id: int):
    return _moderation_step(programme_id, session_id, room_question_id,
                            lambda question, actor: services.mark_answered(question, actor, answered=False),
                            "Question marked not answered.")


@bp.route(f"{ORGANISER}/<int:room_question_id>/answer", methods=["GET", "POST"])
@managers_only
def answer(programme_id: int, session_id: int, room_question_id: int):
    programme, session = _programme_and_session_or_404(programme_id, session_id)
    question = lookups.room_question_of_or_404(session, room_question_id)
    form = AnswerForm(data={"answer": question.answer})
    status = 200
    if form.validate_on_submit():
        try:
            services.write_answer(question, form.answer.data, actor=current_user)
        except services.RoomError as error:
            form.answer.errors.append(str(error))
        else:
            flash("Answer saved." + (" It is published on the “You said, we did” page."
                                     if question.status == QuestionStatus.APPROVED else
                                     " It is published once the question is shown."), "success")
            return redirect(_moderation_url(programme, session, f"question-{question.id}"))
    if request.method == "POST":
        status = 400
    return render_template("room/answer.html", programme=programme, session=session, question=question,
                           form=form), status
