"""Friendly error pages. A 500 rolls the database session back first."""
from flask import Blueprint, render_template
from flask_wtf.csrf import CSRFError

from webapp.extensions import db

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back, check what you entered and try again."),
    403: ("You do not have permission to see this page",
          "If you think you should, ask an administrator of this service."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."),
    405: ("Sorry, that cannot be done here", "Go back and use the buttons on the page."),
    413: ("That was too much to send", "Shorten what you typed and try again."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you sent has been half-saved."),
}


def render_error(status: int):
    title, advice = MESSAGES[status]
    return render_template("errors/error.html", status=status, title=title, advice=advice), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return render_template("errors/csrf.html"), 400


@bp.app_errorhandler(500)
def server_error(error):
    db.session.rollback()
    return render_error(500)


for _status in (400, 403, 404, 405, 413, 429):
    bp.app_errorhandler(_status)(lambda error, status=_status: render_error(status))
