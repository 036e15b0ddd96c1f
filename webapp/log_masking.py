"""Secrets in URLs never reach a log line.

Booking, check-in and set-password links carry a token that is as good as a password for
what it opens. Every log record made in the process (the app's, werkzeug's, gunicorn's
access log) has them replaced by "[token]" as it is created, so no handler, file or log
shipper ever sees one."""
from __future__ import annotations

import logging
import re

# The app's token URLs, and any long URL-safe run that looks like a token (256-bit tokens
# are 43 characters) wherever it appears, e.g. in a Referer.
TOKEN_IN_PATH = re.compile(r"(/(?:booking|checkin|account/setup)/)[^/?#\s\"'%]+")  # not a %s placeholder
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")


def mask(text: str) -> str:
    return LONG_TOKEN.sub("[token]", TOKEN_IN_PATH.sub(r"\1[token]", text))


_FORMATTER = logging.Formatter()


def _masked(value):
    return mask(value) if isinstance(value, str) else value


def install() -> None:
    """Wrap the log record factory once per process."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_tokens", False):
        return

    def factory(*args, **kwargs):
        record = current(*args, **kwargs)
        record.msg = _masked(record.msg)
        if isinstance(record.args, dict):  # in place: gunicorn passes its own dict type
            for key, value in list(record.args.items()):
                record.args[key] = _masked(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            # A traceback can quote a URL or a query's parameters; formatters reuse exc_text.
            record.exc_text = mask(_FORMATTER.formatException(record.exc_info))
        return record

    factory.masks_tokens = True  # type: ignore[attr-defined]  # marks our factory, so it is installed once
    logging.setLogRecordFactory(factory)
