"""Public pages: the front page, the privacy notice, and the health check."""
from flask import Blueprint, current_app, render_template

from webapp.main import health
from webapp.main.services import upcoming_sessions_by_programme

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", listings=upcoming_sessions_by_programme())


@bp.route("/privacy")
def privacy():
    config = current_app.config
    return render_template("main/privacy.html", retention_days=config["RETENTION_DAYS"],
                           controller=config["PRIVACY_CONTROLLER"].strip(), contact=config["PRIVACY_CONTACT"].strip(),
                           dpo=config["PRIVACY_DPO"].strip(), lawful_basis=config["PRIVACY_LAWFUL_BASIS"].strip())


@bp.route("/healthz")
def healthz():
    """For the load balancer: 503 only when this worker cannot serve (webapp.main.health)."""
    body, status = health.report()
    return body, status, {"Cache-Control": "no-store"}
