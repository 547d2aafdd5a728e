"""Shared fixtures: a fresh app and database per test, a client and a CLI runner.

Tests run on a fresh SQLite file per test, or on the PostgreSQL database named
by ``TEST_DATABASE_URL`` (emptied before each test) when that is set.

A module whose tests all start from the same rows marks itself ``pytest.mark.seeded(seed=function)``; its
tests that take the ``seeded`` fixture get those rows. ``function()`` runs once per run into a SQLite file
and each test gets its own copy, so what one test writes no other sees (on PostgreSQL each test seeds
again); ``seeded`` is what it returned (ids, e-mails).
"""

import atexit
import copy
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import ClassVar

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import create_engine
from werkzeug.routing import Rule

from app import (
    create_app,
    models,  # noqa: F401  (every table on db.metadata)
)
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


class SharedBuilderRule(Rule):
    """A route whose URL-building code is compiled once per run, not once per test app.

    Werkzeug writes and compiles two small Python functions for every route an app adds (Python's ast, then
    compile): some 150 per app, 20 of the 26 ms of CPU that building a test app took, paid by nearly every
    test. The code depends only on the route's text, its parsed parts, the names of its defaults and whether
    unknown values go to the query string; the converters are read from the rule the function is bound to
    when it runs. So one compiled function serves the same route in every app. A default that fills a
    variable of the path is written into the code as its converter renders it: such a route compiles its
    own. tests/unit/test_suite_support.py checks every route against Werkzeug's own compilation.
    """

    builders: ClassVar[dict[tuple, Callable]] = {}

    def _compile_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if defaults.keys() & self._converters.keys():
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in self.builders:
            self.builders[key] = super()._compile_builder(append_unknown)
        return self.builders[key]


# Every Flask app of the test process (create_app's too) makes its routes of this class (docs/development.md).
Flask.url_rule_class = SharedBuilderRule


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


def build_app(
    tmp_path: Path, rubrics: dict[str, str] | None = None, *, database_file: Path | None = None, **overrides
) -> Flask:
    """A test app with empty tables; ``rubrics`` (key → TOML text) go into instance/rubrics/ before it starts.

    ``database_file``: a SQLite database to start from (copied) instead of empty tables.
    ``overrides`` replace or add config keys. Hand the app to ``close_app`` when done.
    """
    if rubrics:
        write_rubrics(tmp_path / "instance", rubrics)
    copied_url = None
    database_url = os.environ.get("TEST_DATABASE_URL")
    if not database_url:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(database_file or _empty_sqlite_database(), database)
        database_url = copied_url = "sqlite:///" + str(database)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "LOCAL_HTTP": True,
            **CHEAP_PASSWORD_HASHING,
            **overrides,
        }
    )
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


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "seeded(seed=function): tests taking the `seeded` fixture start from "
        "the rows function() writes (see tests/conftest.py)",
    )


_SEED_VALUE = pytest.StashKey[object]()


@dataclass(frozen=True)
class _Seeded:
    database_file: Path
    value: object


@pytest.fixture(scope="session")
def _seeded_databases(tmp_path_factory) -> dict[Callable[[], object], _Seeded]:
    return {}


def _seeded_database(seed: Callable[[], object], known: dict, tmp_path_factory) -> _Seeded:
    """The rows ``seed()`` writes, in a SQLite file made on first use."""
    if seed not in known:
        folder = tmp_path_factory.mktemp("seeded")
        app = build_app(folder)
        with app.app_context():
            value = seed()
            db.session.commit()
        close_app(app)
        assert not (folder / "test.sqlite3-wal").exists(), "the seeded database is still open"
        known[seed] = _Seeded(folder / "test.sqlite3", value)
    return known[seed]


@pytest.fixture
def app(request, tmp_path):
    marker = request.node.get_closest_marker("seeded")
    if marker is None or "seeded" not in request.fixturenames:
        app = build_app(tmp_path)
    elif os.environ.get("TEST_DATABASE_URL"):
        app = build_app(tmp_path)
        with app.app_context():
            request.node.stash[_SEED_VALUE] = marker.kwargs["seed"]()
            db.session.commit()
    else:
        known = request.getfixturevalue("_seeded_databases")
        seeded = _seeded_database(marker.kwargs["seed"], known, request.getfixturevalue("tmp_path_factory"))
        app = build_app(tmp_path, database_file=seeded.database_file)
        request.node.stash[_SEED_VALUE] = copy.deepcopy(seeded.value)  # a test may change its copy
    yield app
    close_app(app)


@pytest.fixture
def seeded(request, app):
    """What the ``seeded`` marker's seed() returned (ids, e-mails): the rows are in this test's database."""
    return request.node.stash[_SEED_VALUE]


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


@pytest.fixture
def smtp():
    """A real SMTP server on a loopback port that keeps what it receives (tests/mail_server.py); a test app
    sends to it with ``build_app(tmp_path, **smtp.config)``."""
    from tests.mail_server import SmtpSink  # aiosmtpd loads only for the tests that read mail

    sink = SmtpSink().start()
    yield sink
    sink.stop()
