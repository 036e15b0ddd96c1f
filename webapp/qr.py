"""QR codes as PNG bytes or SVG text, made with the `qrcode` package.

Default error correction is M (15% of the symbol can be lost): enough for glare on a
projector screen or a crease in a poster, while keeping the symbol at the smallest
version for a short URL. Higher levels (Q, H) add modules, which makes each module
smaller at the same printed size, and module size is what limits scanning from the
back of a room.
"""
from __future__ import annotations

import base64
import functools
import io

import qrcode
import qrcode.image.svg
from qrcode import constants

LEVELS = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}


def _make(url: str, error_correction: str, box_size: int) -> qrcode.QRCode:
    # border=4 is the quiet zone the standard asks for.
    code = qrcode.QRCode(error_correction=LEVELS[error_correction], box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, error_correction: str = "M", box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    _make(url, error_correction, box_size).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str, error_correction: str = "M", box_size: int = 10) -> str:
    # The Fill variant paints a white background: the code must scan on a dark slide too.
    factory = qrcode.image.svg.SvgPathFillImage
    image = _make(url, error_correction, box_size).make_image(image_factory=factory)
    return image.to_string(encoding="unicode")


@functools.lru_cache(maxsize=256)
def qr_svg_data_uri(url: str) -> str:
    """The SVG as a data: URI for an <img> (the CSP allows data: images): a page that
    refreshes itself shows it without a request of its own."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()
