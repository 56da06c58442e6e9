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
#: Fewer different characters than this is a pattern, not a password ("aaaaaaaaaa", "1212121212").
MIN_DISTINCT_CHARACTERS = 5
#: Passwords of ten or more characters that lead the published lists of breached passwords, and
#: the obvious ones of this platform; compared without case and with digits and symbols at the
#: end taken off ("Password2026!" is "password").
_COMMON_PASSWORDS = frozenset(
    """
    password passwords passw0rd p@ssword p@ssw0rd qwerty qwertyuiop qwertyuiop1 qwerty1234
    qwertyqwerty asdfghjkl asdfghjkl1 zxcvbnm zxcvbnmasdf 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc
    qazwsxedc qazwsxedcrfv abc abcdefghij abcdefgh abcdef iloveyou letmein welcome welcome1
    administrator admin changeme changeit default secret sunshine princess football baseball
    superman batman dragon monkey master shadow trustno1 starwars whatever freedom computer
    internet samsung google michael jennifer jordan23 liverpool chelsea arsenal manchester
    healthbridge health hospital doctor nurse ministry asean korea seoul jakarta bangkok manila
    hanoi singapore malaysia indonesia thailand philippines vietnam cambodia myanmar brunei laos
    timorleste covid pandemic outbreak
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def password_weakness(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """Why ``password`` is too weak to accept, or ``None``: the minimum policy beyond its length
    (no common or breached password, no pattern of a few characters, not the account's own
    name or e-mail)."""
    lowered = password.casefold()
    if len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        return f"uses fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    if lowered.strip(string.digits + string.punctuation + " ") == "":
        return "is only digits and symbols"
    core = lowered.rstrip(string.digits + string.punctuation + " ").lstrip(string.digits)
    if core in _COMMON_PASSWORDS or lowered in _COMMON_PASSWORDS:
        return "is one of the most common passwords"
    own = [email.casefold().partition("@")[0], email.casefold()]
    own += [part for part in full_name.casefold().split() if len(part) >= 4]
    for name in own:
        if len(name) >= 4 and (name in lowered or lowered in name):
            return "contains the account's name or e-mail"
    return None


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
