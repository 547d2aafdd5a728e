"""/healthz, request ids and the log format, and the proxy setting."""

import json
import logging

import pytest
from flask import request
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.people.access import public
from app.people.models import Role
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.queries import recorded_statements
from tests.web.helpers import signed_in_client

PASSWORD = "operations-test-password-1"
WARNING_TEXT = "something worth knowing"


def app_on(tmp_path, url: str, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": url,
            **settings,
        }
    )


@pytest.fixture
def migrated(tmp_path):
    app = app_on(tmp_path, "sqlite:///" + str(tmp_path / "migrated.sqlite3"))
    with app.app_context():
        upgrade()
    yield app
    close_app(app)


def test_healthz_is_200_without_sign_in_when_the_database_is_migrated(migrated):
    response = migrated.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session for a probe


def test_healthz_is_503_without_detail_when_the_database_is_unreachable(tmp_path, caplog):
    url = "sqlite:///" + str(tmp_path / "no" / "such" / "folder" / "db.sqlite3")
    app = app_on(tmp_path, url)
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "unavailable\n"
    # The reason goes to the log, for the operator, not to whoever asked.
    assert any("unable to open database file" in record.getMessage() for record in caplog.records)
    close_app(app)


def test_healthz_is_503_on_an_unmigrated_database(tmp_path):
    app = app_on(tmp_path, "sqlite:///" + str(tmp_path / "empty.sqlite3"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_data(as_text=True) == "unavailable\n"
    close_app(app)


def test_healthz_is_503_when_the_database_is_behind_the_code(tmp_path, caplog):
    app = app_on(tmp_path, "sqlite:///" + str(tmp_path / "old.sqlite3"))
    with app.app_context():
        upgrade(revision="0001_initial")
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert any("is at revision 0001_initial" in record.getMessage() for record in caplog.records)
    close_app(app)


def test_healthz_is_200_on_a_schema_built_from_the_models(client):
    # Tests build their databases with create_all: the current schema, without a migration record.
    assert client.get("/healthz").status_code == 200


def test_healthz_on_postgresql_that_is_down_never_shows_the_password(tmp_path, caplog):
    pytest.importorskip("psycopg")
    app = app_on(tmp_path, "postgresql+psycopg://reviewer:hunter2-secret@127.0.0.1:9/endorsement")
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503 and b"hunter2" not in response.data and b"127.0.0.1" not in response.data
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "reviewer:***@127.0.0.1:9" in logged and "hunter2-secret" not in logged
    close_app(app)


def test_every_response_carries_a_request_id(app, client):
    first, second = client.get("/login"), client.get("/login")
    assert len(first.headers["X-Request-ID"]) == 16
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(client):
    response = client.get("/login", headers={"X-Request-ID": "chosen-by-the-client-0001"})
    assert response.headers["X-Request-ID"] != "chosen-by-the-client-0001"


def where_app(tmp_path, **settings):
    """An app with a public page that says which URL and client address the app believes it saw."""
    app = build_app(tmp_path, **settings)
    app.add_url_rule("/_where", "where", public(lambda: f"{request.url} {request.remote_addr}"))
    return app


def test_behind_a_trusted_proxy_its_request_id_and_forwarded_scheme_are_used(tmp_path):
    app = where_app(tmp_path, TRUSTED_PROXIES=1)
    response = app.test_client().get(
        "/_where",
        headers={
            "X-Request-ID": "0af7651916cd43dd8448eb211c80319c",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "review.example.org",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert response.headers["X-Request-ID"] == "0af7651916cd43dd8448eb211c80319c"
    assert response.get_data(as_text=True) == "https://review.example.org/_where 203.0.113.9"
    close_app(app)


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path):
    app = where_app(tmp_path)
    response = app.test_client().get(
        "/_where",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.get_data(as_text=True) == "http://localhost/_where 127.0.0.1"
    close_app(app)


def logging_app(tmp_path, log_format: str):
    """An app with a public page that logs one warning, WARNING_TEXT."""
    app = build_app(tmp_path, LOG_FORMAT=log_format)

    def noisy():
        app.logger.warning(WARNING_TEXT)
        return "ok"

    app.add_url_rule("/_noisy", "noisy", public(noisy))
    return app


def test_json_log_lines_carry_request_and_user_ids(tmp_path, capsys):
    app = logging_app(tmp_path, "json")
    response = app.test_client().get("/_noisy")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line["message"] == WARNING_TEXT)
    assert entry["level"] == "WARNING" and entry["logger"] == "app"
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["user_id"] == "-"  # nobody signed in
    assert entry["time"].endswith("Z")
    close_app(app)


def test_text_log_lines_carry_the_request_id(tmp_path, capsys):
    app = logging_app(tmp_path, "text")
    response = app.test_client().get("/_noisy")
    line = next(line for line in capsys.readouterr().err.splitlines() if WARNING_TEXT in line)
    assert f"[{response.headers['X-Request-ID']} user=-]" in line and "WARNING app" in line
    close_app(app)


def test_log_lines_name_the_signed_in_user_by_id_only(tmp_path, capsys):
    app = build_app(tmp_path, LOG_FORMAT="json")

    @public
    def noisy():
        from flask_login import current_user

        signed_in = current_user.is_authenticated  # as every non-public view does before it runs
        app.logger.warning("after sign-in")
        return str(signed_in)

    app.add_url_rule("/_noisy", "noisy", noisy)
    with app.app_context():
        user = f.make_user(Role.COORDINATOR, email="ada.lovelace@example.org", name="Ada Lovelace", password=PASSWORD)
        db.session.commit()
        user_id = user.id
    client = signed_in_client(app, "ada.lovelace@example.org", PASSWORD)
    capsys.readouterr()
    assert client.get("/_noisy").get_data(as_text=True) == "True"
    err = capsys.readouterr().err
    entry = next(json.loads(line) for line in err.splitlines() if '"after sign-in"' in line)
    assert entry["user_id"] == str(user_id)
    assert "ada.lovelace" not in err and "Lovelace" not in err
    close_app(app)


def test_a_log_line_after_a_rollback_sends_no_query_for_the_user(tmp_path, capsys):
    """The 503 handler rolls back, which expires the signed-in user; its log line must not load the user again
    (with the database gone that query raised out of the handler: gunicorn's own 500)."""
    app = build_app(tmp_path, LOG_FORMAT="json")

    def after_rollback():
        from flask_login import current_user

        assert current_user.is_authenticated
        db.session.rollback()  # expires every loaded object, the user included
        with recorded_statements(db.engine) as statements:
            app.logger.warning("after a rollback")
        return str(len(statements))

    app.add_url_rule("/_after_rollback", "after_rollback", after_rollback)
    with app.app_context():
        user = f.make_user(Role.COORDINATOR, email="grace@example.org", name="Grace Hopper", password=PASSWORD)
        db.session.commit()
        user_id = user.id
    client = signed_in_client(app, "grace@example.org", PASSWORD)
    capsys.readouterr()
    assert client.get("/_after_rollback").get_data(as_text=True) == "0"
    err = capsys.readouterr().err
    entry = next(json.loads(line) for line in err.splitlines() if '"after a rollback"' in line)
    assert entry["user_id"] == str(user_id)
    close_app(app)
