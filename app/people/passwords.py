"""Password hashing with argon2id (argon2-cffi's defaults meet OWASP's minimums)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the account is unknown makes both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """Hash the password exactly as typed (no trimming, no length cap below 1024)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
