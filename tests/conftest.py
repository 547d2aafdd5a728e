"""Shared fixtures: a fresh app and database per test, a client and a CLI runner.

Tests run on a fresh SQLite file per test, or on the PostgreSQL database named
by ``TEST_DATABASE_URL`` (emptied before each test) when that is set.
"""
import os

import pytest

from app import create_app
from app.extensions import db


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL")
        or "sqlite:///" + str(tmp_path / "test.sqlite3"),
        "WTF_CSRF_ENABLED": True,
        "LOCAL_HTTP": True,
    })
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
