"""Secrets in URLs: booking and check-in tokens, feedback codes."""
import secrets

# Codes are typed from a poster: no 0/O, 1/I/L look-alikes, upper case only.
FEEDBACK_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
FEEDBACK_CODE_LENGTH = 6


def new_url_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def new_feedback_code() -> str:
    return "".join(secrets.choice(FEEDBACK_CODE_ALPHABET) for _ in range(FEEDBACK_CODE_LENGTH))


def normalise_feedback_code(typed: str) -> str:
    """People type codes from a poster: accept lower case, spaces and look-alikes."""
    cleaned = typed.strip().upper().replace(" ", "").replace("-", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
