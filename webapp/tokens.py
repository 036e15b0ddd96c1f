"""Secrets in URLs: booking and check-in tokens, feedback codes."""
import re
import secrets

# Codes are read off a poster at a distance and typed on a phone: upper case only, and
# neither half of any look-alike pair (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V) is used,
# so a misread character is simply not in the alphabet. 23^8 = 78 billion codes: with a
# few dozen sessions open, a guesser held to FEEDBACK_CODE_RATE_LIMIT unknown codes per
# address finds one in about a million years. (Codes already issued keep their length.)
FEEDBACK_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
FEEDBACK_CODE_LENGTH = 8


def new_url_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


# What a token or a code can look like. Anything else (a NUL byte, which PostgreSQL
# refuses outright, a path, a megabyte) is not looked up at all: a plain 404.
URL_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
FEEDBACK_CODE_PATTERN = re.compile(r"[0-9A-Z]{4,12}")


def is_url_token(value: str | None) -> bool:
    return value is not None and URL_TOKEN_PATTERN.fullmatch(value) is not None


def is_feedback_code(value: str | None) -> bool:
    """After normalise_feedback_code()."""
    return value is not None and FEEDBACK_CODE_PATTERN.fullmatch(value) is not None


def new_feedback_code() -> str:
    return "".join(secrets.choice(FEEDBACK_CODE_ALPHABET) for _ in range(FEEDBACK_CODE_LENGTH))


def normalise_feedback_code(typed: str) -> str:
    """People type codes from a poster: accept lower case, spaces and dashes."""
    return typed.strip().upper().replace(" ", "").replace("-", "")
