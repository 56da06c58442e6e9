"""Password hashing, token secrets and CSRF tokens. No database, no HTTP."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

#: Every token HealthBridge issues starts with this, so leaked tokens are easy to grep for.
TOKEN_PREFIX = "hb_"  # noqa: S105 - a prefix, not a secret
_TOKEN_BYTES = 32
#: URL-safe base64, what ``secrets.token_urlsafe`` produces; ASCII only.
_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (RFC 9106 parameters of argon2-cffi)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a corrupt hash counts as a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real hash of a random password: verifying against it for unknown users takes as long as for
# known ones, so login timing does not reveal which e-mail addresses have accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the time of one password check, for accounts that do not exist."""
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    """A fresh bearer token: ``hb_`` and 43 URL-safe characters (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256. Tokens are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap syntactic check before any database look-up."""
    return (
        token.startswith(TOKEN_PREFIX)
        and 20 <= len(token) <= 100
        and all(c in _TOKEN_ALPHABET for c in token[len(TOKEN_PREFIX) :])
    )


def csrf_token(secret_key: str, binding: str) -> str:
    """The CSRF token of a web session: an HMAC of the session, so it cannot be forged."""
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, binding: str, presented: str | None) -> bool:
    """Constant-time check of a presented CSRF token."""
    if not presented:
        return False
    # Bytes, not str: compare_digest refuses non-ASCII strings, and the value comes from outside.
    return hmac.compare_digest(csrf_token(secret_key, binding).encode(), presented.encode())
