"""Password hashing with argon2id, at the cost the app's configuration names.

The defaults (``ARGON2_*`` in ``app/config.py``) are argon2-cffi's RFC 9106 low-memory profile, which meets
OWASP's minimums. Each stored hash carries its own parameters, so a hash made at another cost still verifies;
a successful sign-in rehashes it at the configured cost (``needs_rehash``). The test suite configures a cheap
cost: at the production one every test user cost a third of a second of CPU.

Every hash takes a turn (``password_turns``): a few at once across the deployment, on a low-priority thread.
"""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.people.password_turns import password_turn, run_hash

_DUMMY_PASSWORD = "not a real password"


@cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@cache
def _dummy_hash_for(hasher: PasswordHasher) -> str:
    """Verifying against this when the account is unknown makes both answers take the same time.

    Made on first use, not at import: at the production cost it took a second of every CLI start."""
    return hasher.hash(_DUMMY_PASSWORD)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Hash the password exactly as typed (no trimming, no length cap below 1024)."""
    hasher = _hasher()
    with password_turn():
        return run_hash(lambda: hasher.hash(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    with password_turn():
        matches = run_hash(lambda: _matches(hasher, stored_hash or _dummy_hash_for(hasher), password))
    return matches and stored_hash is not None


def _matches(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
