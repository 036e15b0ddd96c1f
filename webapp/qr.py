"""QR codes as PNG bytes or SVG text. Generic: the caller chooses the error correction."""
from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def _qr(url: str, error_correction: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=LEVELS[error_correction], box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, error_correction: str = "M", box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(url, error_correction, box_size).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str, error_correction: str = "M", box_size: int = 10) -> str:
    image = _qr(url, error_correction, box_size).make_image(image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")
