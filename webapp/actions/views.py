"""The action plan (organisers edit, viewers read), approved quotes, and the public
"You said, we did" page."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.actions import public, services
from webapp.actions.forms import ActionForm, QuoteForm, UpdateForm
from webapp.auth.access import managers_only, readers
from webapp.confirm import confirm_then_act
from webapp.forms import ConfirmForm
from webapp.programmes.models import FindingKind
from webapp.results.services import SMALL_GROUP_MIN
from webapp.themes.services import themes as programme_themes
from webapp.timezones import LONDON

bp = Blueprint("actions", __name__)


def _plan_url(programme, action=None) -> str:
    return url_for("actions.plan", programme_id=programme.id, _anchor=f"action-{action.id}" if action else None)


@bp.route("/organiser/programmes/<int:programme_id>/actions")
@readers
def plan(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    return render_template("actions/plan.html", programme=programme, plan=services.plan(programme),
                           can_manage=current_user.can_manage)


def _action_form(programme, **kwargs) -> ActionForm:
    return ActionForm(programme.findings_of(FindingKind.ACTION), services.linkable_findings(programme),
                      programme_themes(programme), **kwargs)


def _save_action(programme, form: ActionForm, action=None):
    """Validate and save; the response to return, or None to show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        if action is None:
            action = services.add_action(programme, actor=current_user, **form.action_fields())
            flash("Action added to the plan.", "success")
        else:
            services.update_action(action, actor=current_user, **form.action_fields())
            flash("Action saved.", "success")
    except services.ActionPlanError as error:
        form.form_errors.append(str(error))
        return None
    return redirect(_plan_url(programme, action))


@bp.route("/organiser/programmes/<int:programme_id>/actions/new", methods=["GET", "POST"])
@managers_only
def add(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = _action_form(programme)
    area_id = request.args.get("area", type=int)
    if request.method == "GET" and area_id:
        form.area_id.data = area_id
    return _save_action(programme, form) or render_template(
        "actions/action_form.html", form=form, programme=programme, action=None)


@bp.route("/organiser/programmes/<int:programme_id>/actions/<int:action_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(programme_id: int, action_id: int):
    programme = lookups.programme_or_404(programme_id)
    action = lookups.action_of_or_404(programme, action_id)
    form = _action_form(programme, obj=action)
    if request.method == "GET":
        form.finding_ids.data = [finding.id for finding in action.findings]
        form.theme_ids.data = [theme.id for theme in action.themes]
    return _save_action(programme, form, action) or render_template(
        "actions/action_form.html", form=form, programme=programme, action=action)


@bp.route("/organiser/programmes/<int:programme_id>/actions/<int:action_id>/delete", methods=["GET", "POST"])
@managers_only
def delete(programme_id: int, action_id: int):
    programme = lookups.programme_or_404(programme_id)
    action = lookups.action_of_or_404(programme, action_id)
    return confirm_then_act("actions/delete.html", lambda: services.remove_action(action, actor=current_user),
                            "Action removed from the plan.", _plan_url(programme), programme=programme, action=action)


@bp.route("/organiser/programmes/<int:programme_id>/actions/<int:action_id>/updates/new", methods=["GET", "POST"])
@managers_only
def add_update(programme_id: int, action_id: int):
    programme = lookups.programme_or_404(programme_id)
    action = lookups.action_of_or_404(programme, action_id)
    form = UpdateForm()
    if request.method == "GET":
        form.written_on.data = datetime.now(LONDON).date()
        form.status.data = action.status.value
    if form.validate_on_submit():
        _update, queued = services.add_update(action, form.text.data, form.written_on.data, status=form.status.data,
                                     notify_attendees=form.notify_attendees.data, actor=current_user)
        emailed = (f" We will email it to {queued} people who attended."
                   if form.notify_attendees.data else "")
        flash(f"Update published on the “You said, we did” page.{emailed}", "success")
        return redirect(_plan_url(programme, action))
    return render_template("actions/update_form.html", form=form, programme=programme, action=action)


@bp.route("/organiser/programmes/<int:programme_id>/actions/<int:action_id>/updates/<int:update_id>/delete",
          methods=["POST"])
@managers_only
def delete_update(programme_id: int, action_id: int, update_id: int):
    programme = lookups.programme_or_404(programme_id)
    action = lookups.action_of_or_404(programme, action_id)
    update = lookups.action_update_of_or_404(action, update_id)
    if ConfirmForm().validate_on_submit():
        services.remove_update(update, actor=current_user)
        flash("Update removed.", "success")
    return redirect(_plan_url(programme, action))


@bp.route("/organiser/programmes/<int:programme_id>/quotes", methods=["GET", "POST"])
@managers_only
def quotes(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = QuoteForm()
    if form.validate_on_submit():
        try:
            services.approve_quote(programme, form.text.data, answer_id=request.form.get("answer_id", type=int),
                                   actor=current_user)
        except services.ActionPlanError as error:
            form.form_errors.append(str(error))
        else:
            flash("Quote published on the “You said, we did” page.", "success")
            return redirect(url_for("actions.quotes", programme_id=programme.id))
    search = request.args.get("q", "")[:200]
    return render_template("actions/quotes.html", programme=programme, form=form, search=search,
                           quotes=services.quotes(programme), comments=services.comments_to_quote(programme, search))


@bp.route("/organiser/programmes/<int:programme_id>/quotes/<int:quote_id>/withdraw", methods=["POST"])
@managers_only
def withdraw_quote(programme_id: int, quote_id: int):
    programme = lookups.programme_or_404(programme_id)
    quote = lookups.quote_of_or_404(programme, quote_id)
    if ConfirmForm().validate_on_submit():
        services.withdraw_quote(quote, actor=current_user)
        flash("Quote withdrawn: it is no longer published.", "success")
    return redirect(url_for("actions.quotes", programme_id=programme.id))


@bp.route("/you-said-we-did/<int:programme_id>")
def you_said_we_did_by_id(programme_id: int):
    """The thank-you page's link: the phone form knows the programme's id, not its slug."""
    programme = lookups.programme_or_404(programme_id)
    return redirect(url_for("actions.you_said_we_did", slug=programme.slug), 301)


@bp.route("/programmes/<slug>/you-said-we-did")
def you_said_we_did(slug: str):
    page = public.you_said_we_did(lookups.programme_by_slug_or_404(slug))
    return render_template("actions/you_said_we_did.html", page=page, programme=page.programme,
                           small_group_min=SMALL_GROUP_MIN)
