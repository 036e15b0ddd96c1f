"""How a results figure reads on a page. Plain functions, registered as template globals:
a results page formats a few hundred figures, and a Jinja macro call costs about ten
times a function call (they were macros in results/_macros.html)."""
from __future__ import annotations

from markupsafe import Markup

EMPTY = "–"


def percent(share: float | None, empty: str = EMPTY) -> str:
    """0.625 -> "62%" (rounded as "%.0f" rounds); None -> the empty mark."""
    return empty if share is None else f"{share * 100:.0f}%"


def number(value: float | None, places: int = 2, empty: str = EMPTY) -> str:
    return empty if value is None else f"{value:.{places}f}"


def bar(whole: int) -> Markup:
    """A bar that repeats a figure for the eye (aria-hidden: the number is in the table),
    its width a class from 0 to 100, never an inline style (the CSP forbids them)."""
    width = max(0, min(int(whole), 100))  # an int: nothing to escape
    return Markup(f'<div class="app-bar" aria-hidden="true"><div class="app-bar__fill app-bar__fill--{width}">'
                  '</div></div>')
