"""Results pages and the presenter view (organisers and viewers; no personal data)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.pagination import requested_page
from webapp import qr
from webapp.auth.access import managers_only, readers
from webapp.feedback import codes
from webapp.forms import ConfirmForm
from webapp.results import exclusions
from webapp.results import presenter as presenter_services
from webapp.results import services
from webapp.results.forms import ExclusionForm, ExclusionWindowForm, ExportFilterForm
from webapp.room import services as room_services
from webapp.themes.counts import theme_counts

bp = Blueprint("results", __name__, url_prefix="/organiser")
bp.add_app_template_global(services.wording_note, "wording_note")


def render_programme_results(programme, export_form: ExportFilterForm | None = None, status: int = 200):
    sessions = services.select_sessions(programme)
    results = services.results_for(programme, sessions)
    search = request.args.get("q", "")[:200]
    comments = services.comment_page(results.session_ids, search, requested_page())
    if export_form is None:
        export_form = ExportFilterForm(sessions, formdata=None)
    return _render_results(
        "results/programme.html",
        programme=programme,
        session=None,
        results=results,
        comparisons=services.comparisons(results, results.indicators, by=("date",)),
        comments=comments,
        export_form=export_form,
        theme_counts=theme_counts(results),
    ), status


@bp.route("/programmes/<int:programme_id>/results")
@readers
def programme_results(programme_id: int):
    return render_programme_results(lookups.programme_or_404(programme_id))


@bp.route("/programmes/<int:programme_id>/results/compare")
@readers
def compare(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    results = services.results_for(programme, services.select_sessions(programme))
    return _render_results(
        "results/compare.html",
        programme=programme,
        comparisons=services.comparisons(results),
        large_points=round(services.LARGE_PERCENT_POINTS * 100),
        large_mean=services.LARGE_MEAN_DIFFERENCE,
    )


@bp.route("/programmes/<int:programme_id>/sessions/<int:session_id>/results")
@readers
def session_results(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    results = services.results_for(programme, [session])
    comments = services.comment_page([session.id], request.args.get("q", "")[:200], requested_page())
    return _render_results(
        "results/session.html",
        programme=programme,
        session=session,
        results=results,
        comments=comments,
    )


@bp.route("/programmes/<int:programme_id>/sessions/<int:session_id>/presenter")
@readers
def presenter(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    refresh_seconds = current_app.config["PRESENTER_REFRESH_SECONDS"]
    url = codes.feedback_url(session)
    return render_template(
        "results/presenter.html",
        programme=programme,
        session=session,
        show=presenter_services.presentation(
            session, request.args.get("show"), current_app.config["PRESENTER_MIN_RESPONSES"],
            room_services.room_list(session.id, limit=current_app.config["PRESENTER_QUESTIONS"])),
        definition=services.PERCENT_AGREE_DEFINITION,
        feedback_url=url,
        short_address=codes.short_address(session),
        qr_image=qr.qr_svg_data_uri(url),
        updates="off" if request.args.get("updates") == "off" else None,
        refresh_seconds=0 if request.args.get("updates") == "off" else refresh_seconds,
        default_refresh_seconds=refresh_seconds,
    )


# ---------------------------------------------------------------------------
# Bursts: responses over time, excluding a burst, putting it back (managers only:
# per-minute counts of a small session could say who answered when)
# ---------------------------------------------------------------------------


@bp.route("/programmes/<int:programme_id>/sessions/<int:session_id>/responses")
@managers_only
def responses_over_time(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    return render_template("results/responses_over_time.html", programme=programme, session=session,
                           timeline=exclusions.timeline(session), flag_rule=exclusions.FLAG_RULE,
                           undo_form=ConfirmForm())


@bp.route("/programmes/<int:programme_id>/sessions/<int:session_id>/responses/exclude", methods=["GET", "POST"])
@managers_only
def exclude_responses(programme_id: int, session_id: int):
    """Pick a window (GET), see how many responses it covers, give a reason and exclude them (POST)."""
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    window = ExclusionWindowForm(formdata=request.args if request.args else None)
    form = ExclusionForm()
    found, described = None, ""
    if request.args and window.validate():
        since, until = window.window()
        described = exclusions.describe_window(since, until)
        found = exclusions.count_in_window(session, since, until)
        if found and form.validate_on_submit():
            try:
                exclusion = exclusions.exclude(session, since, until, form.reason.data.strip(), current_user)
            except exclusions.ExclusionError:
                found = exclusions.count_in_window(session, since, until)  # someone else was quicker
            else:
                flash(f"{exclusion.count} responses excluded from the results. They are kept, and can be put "
                      "back from this page.", "success")
                return redirect(url_for("results.responses_over_time", programme_id=programme.id,
                                        session_id=session.id))
    return render_template("results/exclude_responses.html", programme=programme, session=session, window=window,
                           form=form, found=found, described=described)


@bp.route("/programmes/<int:programme_id>/sessions/<int:session_id>/responses/exclusions/<int:exclusion_id>/undo",
          methods=["POST"])
@managers_only
def undo_exclusion(programme_id: int, session_id: int, exclusion_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    exclusion = lookups.exclusion_of_or_404(session, exclusion_id)
    if ConfirmForm().validate_on_submit():
        try:
            restored = exclusions.undo(exclusion, current_user)
        except exclusions.ExclusionError as error:
            flash(str(error), "info")
        else:
            flash(f"{restored} responses put back into the results.", "success")
    return redirect(url_for("results.responses_over_time", programme_id=programme.id, session_id=session.id))


def _render_results(template: str, **context) -> str:
    """A results page, with what the shared figures partial needs to explain them."""
    return render_template(
        template,
        definition=services.PERCENT_AGREE_DEFINITION,
        suppressed_label=services.SUPPRESSED_LABEL,
        small_group_rule=services.SMALL_GROUP_RULE,
        breakdowns_withheld=services.BREAKDOWNS_WITHHELD,
        **context,
    )
