"""Security headers on every response, set here rather than by flask-talisman (unmaintained).

Views that return personal data (a list of bookings, a ticket, an export, an invite link)
mark it, so that no browser or proxy keeps a copy:

    from webapp.security import personal_data

    @bp.route("/organiser/sessions/<int:session_id>/attendance.xlsx")
    @managers_only
    @personal_data
    def attendance(session_id): ...

or, inside a view, `mark_personal_data()` (it sets `g.personal_data = True`).
HTML pages seen by a signed-in organiser are never stored either, whether marked or not.
"""
from __future__ import annotations

from functools import wraps
from collections.abc import Callable

from flask import Flask, Response, current_app, g
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# The app uses none of these browser features: a script that got in could not either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
        "payment", "usb",
    )
)


def mark_personal_data() -> None:
    """This response shows personal data: it must not be cached anywhere."""
    g.personal_data = True


def personal_data(view: Callable) -> Callable:
    """Decorator form of mark_personal_data(), for views whose every response has it."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        mark_personal_data()
        return view(*args, **kwargs)

    return wrapped


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Not no-referrer: Flask-WTF's CSRF check on HTTPS compares the Referer's origin.
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    # No other window (a page this one opened, or one that opened it) keeps a handle on it.
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    hsts_seconds = current_app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains")
    if g.get("personal_data") or (response.mimetype == "text/html" and current_user.is_authenticated):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
