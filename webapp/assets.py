"""Templates and static assets.

Why this module exists:

* Templates: our pages use the GOV.UK Frontend component macros ported to Jinja by
  govuk-frontend-jinja. Its README wires them in with a ``PrefixLoader``, so that
  ``{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}``
  works next to our own top-level ``templates/`` folder.
* Static files: CSS and JS change rarely, and staff open the booking and feedback forms
  on phones with weak mobile data. ``asset_url('css/app.css')`` gives a URL with a
  content hash in the name (``/static/css/app.3f2a9c1b.css``) that browsers may cache
  for a year, because a new build gets a new name. Plain ``/static/...`` URLs keep
  working with Flask's normal (revalidated) caching.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path
from typing import cast
from urllib.parse import quote

from flask import Flask, Response, request, url_for
from flask.sessions import SecureCookieSessionInterface
from jinja2 import BaseLoader, BytecodeCache, ChoiceLoader, DictLoader, PackageLoader, PrefixLoader
from werkzeug.security import safe_join

from webapp import templating

CACHE_FOREVER = "public, max-age=31536000, immutable"

# "css/app.3f2a9c1b.css" -> ("css/app", "3f2a9c1b", ".css")
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{8})(?P<ext>\.[A-Za-z0-9]+)?$")


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app in the process. The GOV.UK macros are
    large; without this each new app (one per test) compiles them all again."""

    _store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


def init_app(app: Flask) -> None:
    """Add govuk-frontend-jinja's templates, ``asset_url()`` and immutable caching."""
    app.jinja_env.bytecode_cache = ProcessBytecodeCache()
    app.jinja_loader = ChoiceLoader(
        [
            DictLoader(templating.OVERRIDDEN_TEMPLATES),  # GOV.UK macros made faster (webapp/templating.py)
            cast(BaseLoader, app.jinja_loader),  # our templates/ folder (template_folder="../templates")
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )

    static_folder = Path(cast(str, app.static_folder))
    digests: dict[str, str] = {}  # filename -> content hash, computed once per process

    def digest(filename: str) -> str:
        if filename not in digests:
            path = safe_join(str(static_folder), filename)
            if path is None:
                raise FileNotFoundError(filename)
            digests[filename] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]
        return digests[filename]

    def asset_url(filename: str) -> str:
        """URL of a file under webapp/static with its content hash in the name."""
        stem, ext = posixpath.splitext(filename)
        return url_for("static", filename=f"{stem}.{digest(filename)}{ext}")

    app.jinja_env.globals["asset_url"] = asset_url
    # The favicon as a data: URI in every page rather than one more request per visit.
    app.jinja_env.globals["favicon_data_uri"] = "data:image/svg+xml," + quote(
        (static_folder / "images" / "favicon.svg").read_text().strip().replace('"', "'"), safe="/:='(),.-")

    # The fingerprinted name shares the URL space of the normal static route, so we
    # wrap that route's view rather than add a second, competing rule.
    serve_static = app.view_functions["static"]

    def static(filename: str):
        match = _FINGERPRINTED.match(filename)
        literal = safe_join(str(static_folder), filename)
        if match is None or literal is None or Path(literal).is_file():
            return serve_static(filename=filename)  # a plain name: Flask's normal behaviour
        original = match["stem"] + (match["ext"] or "")
        response = cast(Response, serve_static(filename=original))  # 404s if there is no such file
        if match["digest"] == digest(original):
            response.headers["Cache-Control"] = CACHE_FOREVER
        # An old digest (a page cached from before a deploy) still gets the current
        # file, but with normal caching so the stale name is never pinned for a year.
        return response

    app.view_functions["static"] = static
    app.session_interface = StaticFilesWithoutSession()


class StaticFilesWithoutSession(SecureCookieSessionInterface):
    """Static files are the same for everyone. Flask-Login looks into the session after
    every request, which would make Flask add `Vary: Cookie` and stop a proxy or CDN
    from sharing the CSS with the whole room."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static" and not session.modified:
            return None
        return super().save_session(app, session, response)
