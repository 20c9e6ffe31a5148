"""Every password hash of the app: Argon2id (argon2-cffi) with the parameters in the config.

OWASP's Password Storage Cheat Sheet asks at least m=19 MiB, t=2, p=1 for Argon2id. Werkzeug's
older `scrypt:`/`pbkdf2:` hashes still verify; `needs_rehash` says which stored hashes (those,
and Argon2 hashes made with other parameters) the next successful sign-in replaces.

The models use it (User.set_password): it imports nothing of the app but its config.
"""
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

ARGON2_PREFIX = "$argon2"
ARGON2ID_PREFIX = "$argon2id$"
WERKZEUG_PREFIXES = ("scrypt:", "pbkdf2:")


def hasher() -> PasswordHasher:
    """The app's Argon2id hasher, with the configured time cost, memory cost (KiB) and parallelism."""
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


@lru_cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism,
                          hash_len=32, salt_len=16, type=Type.ID)


@lru_cache
def _decoy(password_hasher: PasswordHasher) -> str:
    """A hash no password is known for: verified when there is no hash to verify against."""
    return password_hasher.hash("no account has this password")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash. Costs one hash whatever `stored` is — an
    Argon2 hash, a Werkzeug one, or none (no account, no password yet, anonymised) — so that
    the time a sign-in takes does not tell whether an account exists."""
    if stored and stored.startswith(WERKZEUG_PREFIXES):
        return check_password_hash(stored, password)
    password_hasher = hasher()
    known = bool(stored) and stored.startswith(ARGON2_PREFIX)
    try:
        matches = password_hasher.verify(stored if known else _decoy(password_hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and known


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced: not Argon2id, or other parameters."""
    if not stored.startswith(ARGON2ID_PREFIX):
        return True
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True
