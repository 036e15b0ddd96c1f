"""A horizontal bar chart of % agree per indicator, drawn with Pillow (already a
dependency; matplotlib would add tens of megabytes for one chart)."""
from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW, LABEL_WIDTH, MARGIN = 1600, 64, 760, 24
BAR_COLOUR, TEXT_COLOUR, GRID_COLOUR = (29, 112, 184), (11, 12, 12), (200, 200, 200)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        return ImageFont.load_default()


def agreement_chart(rows: list[tuple[str, float]]) -> bytes:
    """rows: (label, share 0..1). A PNG, 1600 px wide (sharp when Word scales it to the page)."""
    font, small = _font(26), _font(22)
    height = MARGIN * 2 + ROW * len(rows) + 40
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    bar_left, bar_right = LABEL_WIDTH + MARGIN, WIDTH - 120
    for tick in range(0, 101, 25):
        x = bar_left + (bar_right - bar_left) * tick / 100
        draw.line([(x, MARGIN), (x, height - 40)], fill=GRID_COLOUR, width=2)
        draw.text((x, height - 34), f"{tick}%", fill=TEXT_COLOUR, font=small, anchor="ma")
    for index, (label, share) in enumerate(rows):
        top = MARGIN + index * ROW
        lines = textwrap.wrap(label, 52)[:2]
        draw.multiline_text((MARGIN, top + 6), "\n".join(lines), fill=TEXT_COLOUR, font=small, spacing=4)
        right = bar_left + (bar_right - bar_left) * max(0.0, min(share, 1.0))
        draw.rectangle([bar_left, top + 10, right, top + ROW - 10], fill=BAR_COLOUR)
        draw.text((right + 10, top + ROW / 2), f"{round(share * 100)}%", fill=TEXT_COLOUR, font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
