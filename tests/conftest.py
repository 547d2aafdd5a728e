"""Shared fixtures: a fresh app and database per test, a client and a CLI runner.

Tests run on a fresh SQLite file per test, or on the PostgreSQL database named
by ``TEST_DATABASE_URL`` (emptied before each test) when that is set.
"""
import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import create_engine

from app import create_app
from app import models  # noqa: F401  (every table on db.metadata)
from app.database import configure_sqlite
from app.extensions import db
from tests.rubric_text import write_rubrics

# argon2's smallest cost: the production one (app/config.py) spent a third of a second per test user.
# tests/unit/test_factory.py checks the production defaults.
CHEAP_PASSWORD_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}


class _SharedTemplateCode(BytecodeCache):
    """Every test app builds its own Jinja environment; this lets them share each template's compiled code
    (keyed by name and source checksum), so a page is parsed and compiled once per run, not once per test."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()


@cache
def _empty_sqlite_database() -> Path:
    """A SQLite file holding every table and no rows, made once per run: copying it is cheaper than
    ``create_all`` in each test."""
    folder = Path(tempfile.mkdtemp(prefix="endorsement-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "empty.sqlite3"
    engine = create_engine("sqlite:///" + str(path))
    configure_sqlite(engine)
    db.metadata.create_all(engine)
    engine.dispose()
    return path


def build_app(tmp_path: Path, rubrics: dict[str, str] | None = None, **overrides) -> Flask:
    """A test app with empty tables; ``rubrics`` (key → TOML text) go into instance/rubrics/ before it starts.

    ``overrides`` replace or add config keys. Hand the app to ``close_app`` when done.
    """
    if rubrics:
        write_rubrics(tmp_path / "instance", rubrics)
    copied_url = None
    database_url = os.environ.get("TEST_DATABASE_URL")
    if not database_url:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(_empty_sqlite_database(), database)
        database_url = copied_url = "sqlite:///" + str(database)
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "LOCAL_HTTP": True,
        **CHEAP_PASSWORD_HASHING,
        **overrides,
    })
    app.jinja_env.bytecode_cache = _TEMPLATE_CODE
    if app.config["SQLALCHEMY_DATABASE_URI"] != copied_url:
        with app.app_context():
            if db.engine.dialect.name != "sqlite":
                db.drop_all()
            db.create_all()
    return app


def close_app(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    app = build_app(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def ctx(app):
    """The test runs inside the app's context (of the app fixture nearest the test: a module may override it)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
