"""Results pages and the presenter view (organisers and viewers; no personal data)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from webapp import lookups
from webapp.pagination import requested_page
from webapp import qr
from webapp.auth.access import readers
from webapp.feedback import services as feedback_services
from webapp.results import presenter as presenter_services
from webapp.results import services
from webapp.results.forms import ExportFilterForm
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
    url = feedback_services.feedback_url(session)
    return render_template(
        "results/presenter.html",
        programme=programme,
        session=session,
        show=presenter_services.presentation(
            session, request.args.get("show"), current_app.config["PRESENTER_MIN_RESPONSES"],
            room_services.room_list(session.id, limit=current_app.config["PRESENTER_QUESTIONS"])),
        definition=services.PERCENT_AGREE_DEFINITION,
        feedback_url=url,
        short_address=feedback_services.short_address(session),
        qr_image=qr.qr_svg_data_uri(url),
        updates="off" if request.args.get("updates") == "off" else None,
        refresh_seconds=0 if request.args.get("updates") == "off" else refresh_seconds,
        default_refresh_seconds=refresh_seconds,
    )


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
