"""Absolute links for emails, QR codes and calendar files, built from PUBLIC_BASE_URL."""
from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
