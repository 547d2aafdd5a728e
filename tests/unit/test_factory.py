"""The application factory, configuration and SQLite connection settings."""

from sqlalchemy import text

from app import create_app
from app.config import database_url
from app.extensions import db


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret"


def test_secret_key_is_generated_once_and_kept_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "inst"),
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "a.sqlite3"),
    }
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "inst" / "secret_key").read_text().strip() == first


def test_instance_config_file_overrides_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("MAX_CONTENT_LENGTH = 1234\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("ENDORSEMENT_INSTANCE", str(instance))
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "b.sqlite3"))
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("b.sqlite3")


def test_passwords_are_hashed_at_rfc_9106_low_memory_cost_unless_configured(tmp_path, app):
    """Production keeps argon2id with RFC 9106's second recommended option: t=3, 64 MiB, p=4 (its section 4)."""
    from argon2 import Type, extract_parameters

    from app.people.passwords import hash_password, needs_rehash, verify_password

    production = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "c.sqlite3"),
        }
    )
    with production.app_context():
        stored = hash_password("a production passphrase")
        parameters = extract_parameters(stored)
        assert (parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
            Type.ID,
            3,
            64 * 1024,
            4,
        )
        assert (parameters.salt_len, parameters.hash_len) == (16, 32)
    with app.app_context():  # the suite's cheap cost: a production hash still verifies, and is due a rehash
        assert extract_parameters(hash_password("x")).memory_cost == app.config["ARGON2_MEMORY_COST"] < 64 * 1024
        assert verify_password(stored, "a production passphrase") and needs_rehash(stored)


def test_postgres_urls_use_psycopg3():
    assert database_url("postgres://u:p@127.0.0.1:5432/er", "/x") == "postgresql+psycopg://u:p@127.0.0.1:5432/er"
    assert database_url(None, "/x") == "sqlite:////x/endorsement.sqlite3"


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name != "sqlite":
            return
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
