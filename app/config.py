"""Configuration defaults; ``instance/config.py`` and environment variables override them."""
import os
import secrets
from pathlib import Path
from typing import Any

import orjson
from argon2.profiles import RFC_9106_LOW_MEMORY

MiB = 1024 * 1024


def json_text(value: Any) -> str:
    """JSON columns' text, written by orjson: with the standard library's encoder (~4.5 µs per small value)
    a 5,000-item reconciliation, which stores ~15,000 outcome and audit values at once, spent a tenth of its time
    encoding."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": json_text,
                                 "json_deserializer": orjson.loads}
    MAX_CONTENT_LENGTH = 20 * MiB
    # Untrusted spreadsheet limits, checked before any parsing.
    IMPORT_MAX_BYTES = 20 * MiB
    IMPORT_MAX_ZIP_ENTRIES = 200
    IMPORT_MAX_UNCOMPRESSED = 200 * MiB
    IMPORT_MAX_CELLS = 2_000_000
    IMPORT_MAX_ROWS = 200_000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Sign-in limits (docs/security-hardening.md): failures in the window per e-mail (unknown devices, or one
    # known device) and per client address are free up to these counts; then each attempt waits a delay that
    # starts at the first and doubles per failure up to the maximum.
    LOGIN_MAX_FAILURES = 5
    LOGIN_CLIENT_MAX_FAILURES = 30
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_FIRST_DELAY_SECONDS = 30
    LOGIN_MAX_DELAY_SECONDS = 15 * 60
    KNOWN_DEVICE_DAYS = 180
    # Password hashing cost, argon2-cffi's RFC 9106 low-memory profile (3 passes over 64 MiB, 4 lanes): about
    # 0.2 s of CPU per sign-in here. Lowered only for tests; a changed cost rehashes each account at its next sign-in.
    ARGON2_TIME_COST = RFC_9106_LOW_MEMORY.time_cost
    ARGON2_MEMORY_COST = RFC_9106_LOW_MEMORY.memory_cost  # KiB
    ARGON2_PARALLELISM = RFC_9106_LOW_MEMORY.parallelism
    PART1_PASS_MARK = 80.0
    DEFAULT_READERS = 2


def database_url(instance_path: str) -> str:
    """DATABASE_URL when set (postgres:// normalised for psycopg 3), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "endorsement.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()
