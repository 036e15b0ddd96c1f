"""Secrets in URLs: booking and check-in tokens, feedback codes."""
import secrets

# Codes are read off a poster at a distance and typed on a phone: upper case only, and
# neither half of any look-alike pair (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V) is used,
# so a misread character is simply not in the alphabet. 23^6 = 148 million codes.
FEEDBACK_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
FEEDBACK_CODE_LENGTH = 6


def new_url_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def new_feedback_code() -> str:
    return "".join(secrets.choice(FEEDBACK_CODE_ALPHABET) for _ in range(FEEDBACK_CODE_LENGTH))


def normalise_feedback_code(typed: str) -> str:
    """People type codes from a poster: accept lower case, spaces and dashes."""
    return typed.strip().upper().replace(" ", "").replace("-", "")
