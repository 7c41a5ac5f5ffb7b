"""Staff credentials: argon2id password hashes and API bearer tokens.

A password is something a person chose, so it gets a slow, memory-hard hash (argon2id with
argon2-cffi's RFC 9106 "low memory" defaults) and is verified in constant time by the library.
An API token is 256 bits from `secrets`, so guessing is hopeless whatever the hash; a SHA-256
of it is stored, which lets every API request find its token with one indexed lookup instead of
an argon2 run per request. Neither the password nor the token is ever stored or logged.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "itk_"  # recognisable in a leaked-secret scan, like GitHub's ghp_
HINT_CHARS = len(TOKEN_PREFIX) + 6
MIN_PASSWORD_CHARS = 12

_hasher = PasswordHasher()  # argon2id; parameters are recorded in every hash it makes


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    """The first characters of a token: enough to recognise it in `tokens list`, not to use it."""
    return token[:HINT_CHARS]
