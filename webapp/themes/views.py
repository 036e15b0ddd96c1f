"""The coding frame (organisers edit, viewers read), the tagging page and the suggestions
(organisers)."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only, readers
from webapp.confirm import confirm_then_act
from webapp.pagination import requested_page
from webapp.themes import services
from webapp.themes.forms import DecisionForm, MergeForm, SuggestForm, TaggingForm, ThemeForm
from webapp.themes.models import SuggestionRunStatus, SuggestionStatus

bp = Blueprint("themes", __name__, url_prefix="/organiser/programmes/<int:programme_id>/themes")

REFRESH_SECONDS = 3


def _frame_url(programme) -> str:
    return url_for("themes.frame", programme_id=programme.id)


@bp.route("")
@readers
def frame(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    return render_template("themes/frame.html", programme=programme, rows=services.frame(programme),
                           can_manage=current_user.can_manage)


def _save_theme(programme, form: ThemeForm, theme=None):
    if not form.validate_on_submit():
        return None
    try:
        if theme is None:
            services.add_theme(programme, form.name.data, form.description.data or "", actor=current_user)
            flash("Theme added.", "success")
        else:
            services.update_theme(theme, form.name.data, form.description.data or "", actor=current_user)
            flash("Theme saved.", "success")
    except services.ThemeError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return None
    return redirect(_frame_url(programme))


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def add(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = ThemeForm()
    return _save_theme(programme, form) or render_template("themes/theme_form.html", form=form,
                                                           programme=programme, theme=None)


@bp.route("/<int:theme_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(programme_id: int, theme_id: int):
    programme = lookups.programme_or_404(programme_id)
    theme = lookups.theme_of_or_404(programme, theme_id)
    form = ThemeForm(obj=theme)
    return _save_theme(programme, form, theme) or render_template("themes/theme_form.html", form=form,
                                                                  programme=programme, theme=theme)


@bp.route("/<int:theme_id>/merge", methods=["GET", "POST"])
@managers_only
def merge(programme_id: int, theme_id: int):
    programme = lookups.programme_or_404(programme_id)
    theme = lookups.theme_of_or_404(programme, theme_id)
    form = MergeForm([other for other in services.themes(programme) if other.id != theme.id])
    if form.validate_on_submit():
        target = lookups.theme_of_or_404(programme, form.target_id.data)
        try:
            moved = services.merge_themes(theme, target, actor=current_user)
        except services.ThemeError as error:
            form.target_id.errors = [str(error)]
        else:
            flash(f"“{theme.name}” merged into “{target.name}”: {moved} comments gained it.", "success")
            return redirect(_frame_url(programme))
    return render_template("themes/merge.html", form=form, programme=programme, theme=theme)


@bp.route("/<int:theme_id>/delete", methods=["GET", "POST"])
@managers_only
def delete(programme_id: int, theme_id: int):
    programme = lookups.programme_or_404(programme_id)
    theme = lookups.theme_of_or_404(programme, theme_id)
    return confirm_then_act("themes/delete.html", lambda: services.remove_theme(theme, actor=current_user),
                            "Theme deleted. The comments are still there, without it.", _frame_url(programme),
                            programme=programme, theme=theme)


def _tagging_filters() -> dict:
    """The tagging page's filters from the query string (kept across a save)."""
    show = request.args.get("show", "")
    return {"show": show if show == services.UNTAGGED else "",
            "theme": request.args.get("theme", type=int) or None,
            "q": request.args.get("q", "")[:200],
            "page": requested_page()}


@bp.route("/tag", methods=["GET", "POST"])
@managers_only
def tag(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    filters = _tagging_filters()
    form = TaggingForm()
    if form.validate_on_submit():
        pairs = form.pairs()
        try:
            if pairs is None:
                raise services.ThemeError("Choose themes from the boxes on the page")
            changed = services.save_tags(programme, form.shown.data or [], pairs, actor=current_user)
        except services.ThemeError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"Saved: {changed} {'comment' if changed == 1 else 'comments'} changed.", "success")
            return redirect(url_for("themes.tag", programme_id=programme.id,
                                    **{key: value for key, value in filters.items() if value}))
    page = services.tagging_page(programme, search=filters["q"], show=filters["show"], theme_id=filters["theme"],
                                 page=filters["page"])
    return render_template("themes/tag.html", form=form, programme=programme, page=page, filters=filters,
                           themes=services.themes(programme), untagged=services.UNTAGGED)


@bp.route("/suggestions", methods=["GET", "POST"])
@managers_only
def suggestions(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = SuggestForm()
    if form.validate_on_submit():
        try:
            services.request_suggestions(programme, themes_wanted=form.themes_wanted.data,
                                         untagged_only=form.untagged_only.data, actor=current_user)
        except services.ThemeError as error:
            form.themes_wanted.errors = [str(error)]
        else:
            flash("Suggestions are being prepared: this page shows them when they are ready.", "success")
            return redirect(url_for("themes.suggestions", programme_id=programme.id))
    run = services.latest_run(programme)
    waiting = run is not None and run.status in (SuggestionRunStatus.PENDING, SuggestionRunStatus.RUNNING)
    samples = {suggestion.id: services.sample_comments(programme, suggestion)
               for suggestion in (run.suggestions if run else [])}
    response = make_response(render_template(
        "themes/suggestions.html", form=form, programme=programme, run=run, samples=samples,
        themes=services.themes(programme), run_statuses=SuggestionRunStatus, statuses=SuggestionStatus,
        refresh_seconds=REFRESH_SECONDS if waiting else None), 400 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/suggestions/<int:suggestion_id>", methods=["POST"])
@managers_only
def decide(programme_id: int, suggestion_id: int):
    programme = lookups.programme_or_404(programme_id)
    suggestion = lookups.theme_suggestion_of_or_404(programme, suggestion_id)
    form = DecisionForm()
    back = redirect(url_for("themes.suggestions", programme_id=programme.id, _anchor=f"suggestion-{suggestion.id}"))
    if not form.validate_on_submit():
        flash("That did not work: " + "; ".join(message for messages in form.errors.values() for message in messages),
              "error")
        return back
    try:
        if form.decision.data == "accept":
            theme = services.accept_suggestion(programme, suggestion, form.name.data or "",
                                               form.description.data or "", actor=current_user)
            flash(f"Theme “{theme.name}” added with {suggestion.size} comments.", "success")
        elif form.decision.data == "merge":
            target = services.theme_of(programme, form.target_id.data)
            tagged = services.merge_suggestion(programme, suggestion, target, actor=current_user)
            flash(f"{tagged} comments added to “{target.name if target else ''}”.", "success")
        else:
            services.reject_suggestion(suggestion, actor=current_user)
            flash("Suggestion rejected.", "success")
    except services.ThemeError as error:
        flash(str(error), "error")
    return back
