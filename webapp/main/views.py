"""Public pages: the front page and the privacy notice."""
from flask import Blueprint, render_template

from webapp.main.services import upcoming_sessions_by_programme

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", listings=upcoming_sessions_by_programme())


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")
