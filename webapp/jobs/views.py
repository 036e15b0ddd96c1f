"""Admins: emails that failed for good, and sending them again."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.auth.access import admins_only
from webapp.auth.forms import ActionForm
from webapp.jobs import outbox, services
from webapp.jobs.models import DeliveryStatus
from webapp.security import mark_personal_data

bp = Blueprint("jobs", __name__, url_prefix="/organiser/emails")
bp.add_app_template_global(DeliveryStatus, "DeliveryStatus")


@bp.route("")
@admins_only
def failures():
    mark_personal_data()  # addresses
    return render_template("jobs/failures.html", failures=services.failures_page(request.args.get("page", 1, type=int)),
                           counts=outbox.counts_by_status(), form=ActionForm())


@bp.route("/<int:message_id>/send-again", methods=["POST"])
@admins_only
def send_again(message_id: int):
    if ActionForm().validate_on_submit():
        try:
            message = services.send_again(message_id, current_user)
        except services.EmailError as error:
            flash(str(error), "info")
        else:
            flash(f"The email to {message.to_address} will be sent again. This page shows it if it fails again.",
                  "success")
    return redirect(url_for("jobs.failures", page=request.args.get("page", 1, type=int)))
