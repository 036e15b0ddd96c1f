"""Passwords: the policy for new ones, and hashing and checking them without letting a
burst of sign-ins starve everything else on the worker.

A password check costs about a second of CPU and 128 MiB (scrypt, N=2^17): 48 sign-ins at
once pushed the front page from 2 ms to 27 s. At most PASSWORD_CHECKS_AT_ONCE run at once
in a worker process; others wait up to PASSWORD_CHECK_WAIT_SECONDS, then are told to try
again in a moment (PasswordCheckBusy)."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
# Padding people add to a common word to reach a length: "Liverpool1234!" is "liverpool".
_PADDING = re.compile(r"^[\d\W_]+|[\d\W_]+$")


class PasswordCheckBusy(RuntimeError):
    """Too many password checks are running in this worker: try again in a moment."""


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (data/LICENCE-common-passwords.txt), lower case."""
    return frozenset(line.strip().lower() for line in COMMON_PASSWORDS_FILE.read_text().splitlines() if line.strip())


def is_common(password: str) -> bool:
    lowered = password.lower()
    squeezed = re.sub(r"\s+", "", lowered)
    stem = _PADDING.sub("", lowered)
    repeated = re.fullmatch(r"(.+?)\1+", squeezed)  # "password password"
    listed = common_passwords()
    return (lowered in listed or squeezed in listed or (len(stem) >= 4 and stem in listed)
            or (repeated is not None and repeated.group(1) in listed))


def problem(password: str, email: str | None = None) -> str | None:
    """Why a new password will not do (OWASP ASVS 5.0 6.2: length, a list of common and
    breached passwords, no composition rules), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if email:
        lowered, address = password.lower(), email.strip().lower()
        local = address.partition("@")[0]
        if address in lowered or (len(local) >= 4 and local in lowered):
            return "Password must not contain your email address"
    if is_common(password):
        return "That password is too common: it is on a list of passwords people often use. Choose another"
    return None


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    size = current_app.config["PASSWORD_CHECKS_AT_ONCE"]
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def check_slot():
    """One of the worker's PASSWORD_CHECKS_AT_ONCE slots for a hash, or PasswordCheckBusy."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=current_app.config["PASSWORD_CHECK_WAIT_SECONDS"]):
        raise PasswordCheckBusy("Many people are signing in at once")
    try:
        yield
    finally:
        semaphore.release()


def hash_password(password: str) -> str:
    with check_slot():
        return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches. Without a hash (an account invited but not set up yet)
    the same work is done against a dummy hash, so the time taken does not tell."""
    with check_slot():
        if not stored_hash:
            check_password_hash(_dummy_hash(), password)
            return False
        return check_password_hash(stored_hash, password)


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a real password", method=method)
    return _dummy_hashes[method]
