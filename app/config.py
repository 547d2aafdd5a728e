"""Settings: the defaults below, then ``instance/config.py``, then the environment, which wins.

Every setting in ``Defaults`` may be given in ``instance/config.py`` (as
Python) or in an environment variable of the same name (as text, read as the
default's type: a number, yes/no, or text). README ("Configuration") lists
them all; a test keeps that table and this class in step. A bad value, or a
name in ``instance/config.py`` that is not a setting, stops the app with a
message naming it (``SettingsError``) rather than being ignored.
"""

import difflib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import Config

MiB = 1024 * 1024


def json_text(value: Any) -> str:
    """JSON columns' text, written by orjson: with the standard library's encoder (~4.5 µs per small value)
    a 5,000-item reconciliation, which stores ~15,000 outcome and audit values at once, spent a tenth of its time
    encoding."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class Defaults:
    # Connections. DATABASE_URL: e.g. postgresql://user:pass@host/db; unset, SQLite in the instance folder.
    DATABASE_URL: str | None = None
    SECRET_KEY: str | None = None  # unset: generated once and kept in instance/secret_key
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": json_text, "json_deserializer": orjson.loads}
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
    # A sign-in ends after this long without a request (each request starts it again) …
    PERMANENT_SESSION_LIFETIME = 3 * 3600
    # … and this long after signing in, however busy (docs/security-hardening.md, "Sessions").
    SESSION_MAX_AGE_SECONDS = 12 * 3600
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
    # Password checks take turns across the deployment (docs/security-hardening.md, "Password checks take
    # turns"): this many hashes at once, this many sign-ins waiting at most this long for one, any more
    # answered 429 at once; the hash on a low-priority thread (Linux) so saves are served first.
    PASSWORD_CHECKS_AT_ONCE = 1
    PASSWORD_CHECKS_WAITING = 1
    PASSWORD_CHECK_WAIT_SECONDS = 2.0
    PASSWORD_CHECK_LOW_PRIORITY = True
    PART1_PASS_MARK = 80.0
    # Plain-HTTP local use: cookies without Secure (`make run` sets it). Never behind a real deployment.
    LOCAL_HTTP = False
    # Operations (docs/operations.md).
    LOG_FORMAT = "text"  # or "json": one JSON object per line
    LOG_LEVEL = "INFO"
    TRUSTED_PROXIES = 0  # how many proxies in front of the app set X-Forwarded-For/-Proto/-Host
    # Whose rubric packs are layered over the base packs: MI-AIMH (the base), VAIMH, ITMHCA or NCIMHA
    # (docs/requirements.md, "Associations"); any other value stops the app.
    ASSOCIATION = "MI-AIMH"
    # The association's time zone (an IANA name): pages show times in it and name it; the export and the audit
    # log stay in UTC and say so (docs/pages.md, "Times and dates").
    TIMEZONE = "America/Detroit"
    # E-mail (docs/mail.md). No MAIL_SERVER: every message waits in the outbox (shown on the console) and in
    # the log, and nothing fails.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the first byte (usually port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Endorsement Review <endorsement-review@localhost>"
    MAIL_TIMEOUT_SECONDS = 30
    MAIL_MAX_ATTEMPTS = 10  # then a message stays failed until a coordinator resends it
    # Deliver what a request queued in a background thread after its response (else only `flask mail send`).
    MAIL_SEND_AFTER_RESPONSE = True
    # Where links in messages point. Never taken from a request's Host header, which the sender controls.
    PUBLIC_URL = "http://127.0.0.1:5000"
    INVITATION_DAYS = 7
    PASSWORD_RESET_MINUTES = 120


# Older environment names still read: new name -> old name.
ENVIRONMENT_ALIASES = {"LOCAL_HTTP": "ENDORSEMENT_LOCAL_HTTP"}
# Names instance/config.py may set besides ours: the libraries' own settings.
LIBRARY_PREFIXES = ("SQLALCHEMY_", "WTF_", "RECAPTCHA_", "REMEMBER_COOKIE_", "SESSION_COOKIE_")
CHOICES = {"LOG_FORMAT": ("text", "json"), "LOG_LEVEL": ("DEBUG", "INFO", "WARNING", "ERROR")}
MINIMUMS = {"PASSWORD_CHECKS_AT_ONCE": 1, "PASSWORD_CHECKS_WAITING": 0, "PASSWORD_CHECK_WAIT_SECONDS": 0}
POSTGRES_CONNECT_TIMEOUT = 10  # seconds
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class StartupError(Exception):
    """The app cannot start as configured; the message names what is wrong and how to fix it."""


class SettingsError(StartupError):
    """A setting has a value the app cannot use, or instance/config.py names something that is not a setting."""


def settings() -> dict[str, Any]:
    """Every setting and its default."""
    return {name: getattr(Defaults, name) for name in vars(Defaults) if name.isupper()}


def environment_settings() -> dict[str, Any]:
    """The settings an environment variable can carry (one scalar value; not the engine options)."""
    return {
        name: default
        for name, default in settings().items()
        if default is None or isinstance(default, (str, int, float, bool))
    }


def load_settings(config: Config, instance_path: str, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``config``: defaults, then instance/config.py, then the environment (or, in tests, ``test_config``).

    A test's or benchmark's explicit mapping replaces the file and the
    environment, so a developer's shell never changes a test's outcome.
    """
    config.from_object(Defaults)
    if test_config is None:
        config.update(read_instance_file(Path(instance_path) / "config.py", known=set(config)))
        config.update(read_environment(os.environ))
    else:
        config.update(test_config)
    check_values(config)
    if not config.get("SQLALCHEMY_DATABASE_URI") or config["DATABASE_URL"]:
        config["SQLALCHEMY_DATABASE_URI"] = database_url(config["DATABASE_URL"], instance_path)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # libpq waits for an unreachable server forever by default; a request or a health check must not.
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"connect_timeout": POSTGRES_CONNECT_TIMEOUT})
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = secret_key(instance_path)
    if config["LOCAL_HTTP"]:
        # Plain-HTTP local development: a Secure cookie would never be sent back.
        config["SESSION_COOKIE_SECURE"] = False
        config["REMEMBER_COOKIE_SECURE"] = False


def read_instance_file(path: Path, known: set[str]) -> dict[str, Any]:
    """The settings in instance/config.py (none when it does not exist); every name must be a setting."""
    if not path.exists():
        return {}
    values = Config(str(path.parent))
    try:
        values.from_pyfile(str(path))
    except Exception as exc:  # noqa: BLE001 — whatever the file raised, the operator needs its line, not ours
        where = f"{path}, line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else str(path)
        raise SettingsError(f"{where}: {type(exc).__name__}: {exc}") from exc
    unknown = sorted(name for name in values if name not in known and not name.startswith(LIBRARY_PREFIXES))
    if unknown:
        raise SettingsError(
            "; ".join(f"{path}: {name} is not a setting{_did_you_mean(name, known)}" for name in unknown)
            + " (the settings are listed in README, Configuration)"
        )
    return dict(values)


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings given as environment variables, each read as its default's type."""
    values: dict[str, Any] = {}
    for name, default in environment_settings().items():
        source = name if name in environ else ENVIRONMENT_ALIASES.get(name)
        if source is None or source not in environ:
            continue
        values[name] = parse_text(source, environ[source], default)
    return values


def parse_text(name: str, text: str, default: Any) -> Any:
    """An environment variable's text as the setting's type."""
    value = text.strip()
    if isinstance(default, bool):
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise SettingsError(f"{name}={text!r} in the environment: use yes or no (1/0, true/false, on/off)")
    if isinstance(default, (int, float)):
        try:
            return type(default)(value)
        except ValueError:
            kind = "a whole number" if isinstance(default, int) else "a number"
            raise SettingsError(f"{name}={text!r} in the environment: not {kind}") from None
    return text


def check_values(config: Mapping[str, Any]) -> None:
    """Each setting holds a value of its default's type (and one of its choices)."""
    problems = []
    for name, default in settings().items():
        value = config.get(name)
        if default is None and value is None:
            continue
        expected = type(default) if default is not None else str
        fits = isinstance(value, expected) and (expected is not int or not isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            fits = True
        if expected is int and name == "PERMANENT_SESSION_LIFETIME" and hasattr(value, "total_seconds"):
            fits = True  # Flask takes a timedelta too
        if not fits:
            problems.append(f"{name} must be {_type_words(expected)}, not {value!r}")
        elif name in CHOICES and value not in CHOICES[name]:
            problems.append(f"{name} must be one of {', '.join(CHOICES[name])}, not {value!r}")
        elif name in MINIMUMS and float(value) < MINIMUMS[name]:  # type: ignore[arg-type]
            problems.append(f"{name} must be at least {MINIMUMS[name]}, not {value!r}")
        elif name == "TIMEZONE" and time_zone(str(value)) is None:
            problems.append(f"TIMEZONE must be a time zone name such as America/Detroit or UTC, not {value!r}")
    if problems:
        raise SettingsError("; ".join(problems))


def time_zone(name: str) -> ZoneInfo | None:
    """The zone of an IANA name ("America/Chicago", "UTC"); None for a name the zone database lacks."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def database_url(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: postgres:// normalised for psycopg 3; unset, SQLite in the instance folder."""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "endorsement.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> str:
    """The key generated once and kept in instance/secret_key (used when SECRET_KEY is not set)."""
    key_file = Path(instance_path) / "secret_key"
    try:
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return key_file.read_text().strip()
    except OSError as exc:
        raise StartupError(
            f"cannot keep the generated secret key in {key_file} ({exc.strerror}): "
            "set SECRET_KEY, or make the instance folder writable"
        ) from exc


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _type_words(expected: type) -> str:
    return {bool: "True or False", int: "a whole number", float: "a number", str: "text"}.get(
        expected, expected.__name__
    )


def ensure_instance_folder(path: str, named: bool) -> None:
    """Create the instance folder on first run; one named by ENDORSEMENT_INSTANCE whose parent is missing too
    is a typo, not a first run."""
    folder = Path(path)
    if folder.is_dir():
        return
    if named and not folder.parent.is_dir():
        raise StartupError(
            f"the instance folder {folder} does not exist and neither does {folder.parent}: "
            f"fix ENDORSEMENT_INSTANCE, or create the folder (mkdir -p {folder})"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"cannot create the instance folder {folder} ({exc.strerror}): create it, writable by "
            "the user the app runs as, or set ENDORSEMENT_INSTANCE to another folder"
        ) from exc
