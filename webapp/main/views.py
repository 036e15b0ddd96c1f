"""Public pages: the front page, the privacy notice and the health check."""
import sqlalchemy as sa
from flask import Blueprint, render_template

from webapp.extensions import db

from webapp.main.services import upcoming_sessions_by_programme

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", listings=upcoming_sessions_by_programme())


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.route("/healthz")
def healthz():
    """For load balancers and the benchmarks: the app answers and the database too."""
    db.session.execute(sa.text("SELECT 1"))
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
