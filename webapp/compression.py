"""Gzip for text responses (pages, CSS, JS, SVG) when the browser accepts it.

Staff open the feedback form on phones with weak mobile data: the stylesheet is ~150 KB,
~20 KB gzipped. A reverse proxy in front may compress too; the app does not rely on it.
Static files are compressed once per process (at the highest level) and kept; pages are
compressed as they go out (level 6: a few KB in well under a millisecond).

On BREACH: our secrets in pages are Flask-WTF CSRF tokens, whose signature changes every
second, so their compressed length leaks nothing useful; session cookies are never in
the body.
"""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

from webapp.caching import app_cache

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
    "application/json", "text/plain",
})
MIN_BYTES = 512  # below this the gzip header and a round of CPU are not worth it
PAGE_LEVEL = 6
STATIC_LEVEL = 9
STATIC_FILES_KEPT = 64


def _wants_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def compress(response: Response) -> Response:
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    is_static = request.endpoint == "static"
    if (response.status_code != 200 or "Content-Encoding" in response.headers or not _wants_gzip()
            or (response.is_streamed and not is_static)):
        return response

    etag, _weak = response.get_etag()
    if is_static and etag:
        # Static files are few and small: each is compressed once per worker, keyed by
        # its ETag (name, size, mtime), so a changed file is a new entry.
        body = app_cache("gzipped_static", STATIC_FILES_KEPT).get_or_make(
            (request.path, etag), lambda: _gzipped(response, STATIC_LEVEL))
    else:
        body = _gzipped(response, PAGE_LEVEL)
    if body is None:  # too small to be worth it
        return response
    old = response.response
    if hasattr(old, "close"):
        old.close()  # the static file left unread because its body came from the cache
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)  # byte ranges of the file, not of this body
    if etag:
        # The same resource in another encoding: a weak validator, so revalidation still works.
        response.set_etag(etag, weak=True)
    return response


def _gzipped(response: Response, level: int) -> bytes | None:
    response.direct_passthrough = False  # static files are sent as a file wrapper
    data = response.get_data()
    return gzip.compress(data, compresslevel=level, mtime=0) if len(data) >= MIN_BYTES else None


def init_app(app: Flask) -> None:
    app.after_request(compress)
