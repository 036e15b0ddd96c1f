"""Public pages: the front page, the privacy notice, and the health check."""
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from webapp.extensions import db
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
    """For the load balancer: 200 when this worker can reach the database, else 503."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("Health check: the database is unreachable")
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
