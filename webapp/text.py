"""Text that people typed, made safe to store and to write into any file.

One rule, applied twice: when text is stored (every form, through webapp.forms) and
again whenever a file is written (workbook, CSV, calendar, email), so that text stored
before the rule existed, or by a path that skipped a form, can never break a file. A
single U+FFFE in one answer used to make every workbook of its programme fail."""
from __future__ import annotations

import re

# What XML 1.0 forbids (the workbook and any .docx are XML; lxml refuses to write it),
# plus what no person types and some readers choke on: C0 controls other than tab and
# line breaks, DEL and the C1 controls, lone surrogates, and the Unicode noncharacters
# (U+FDD0..U+FDEF and the last two code points of every plane, U+FFFE and U+FFFF among them).
_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
# Line breaks, for text that must stay on one line (a title, an email subject).
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")

# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value):
    """`value` without the characters above; anything that is not a str is returned as is."""
    return UNSAFE_CHARACTERS.sub("", value) if isinstance(value, str) else value


def one_line(value: str) -> str:
    """Cleaned text with any line break turned into a space."""
    return LINE_BREAKS.sub(" ", clean_text(value or ""))


def csv_cell(value) -> str:
    """A CSV cell: cleaned text that a spreadsheet shows as typed, never runs as a formula."""
    text = "" if value is None else clean_text(str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def normalise_email(email: str | None) -> str:
    """How an address is compared and stored: matched whatever its case and spaces."""
    return (email or "").strip().lower()


def like_contains(text: str) -> str:
    """A LIKE pattern (with escape "\\") finding `text` anywhere: % and _ typed in a search
    box are searched for, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
