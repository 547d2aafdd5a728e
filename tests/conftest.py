"""Shared fixtures: a fresh app and database per test, a client and a CLI runner.

Tests run on a fresh SQLite file per test, or on the PostgreSQL database named
by ``TEST_DATABASE_URL`` (emptied before each test) when that is set.
"""
import os
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from tests.rubric_text import write_rubrics


def build_app(tmp_path: Path, rubrics: dict[str, str] | None = None, **overrides) -> Flask:
    """A test app with empty tables; ``rubrics`` (key → TOML text) go into instance/rubrics/ before it starts.

    ``overrides`` replace or add config keys. Hand the app to ``close_app`` when done.
    """
    if rubrics:
        write_rubrics(tmp_path / "instance", rubrics)
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL")
        or "sqlite:///" + str(tmp_path / "test.sqlite3"),
        "WTF_CSRF_ENABLED": True,
        "LOCAL_HTTP": True,
        **overrides,
    })
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
