"""The command line reports a failure of its environment as one line and exit 1, never a traceback.

In process, through Flask's CLI runner (the app's command group and its guard
are the same as on the real command line); a few end to end, as a user runs them.
"""

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from tests.conftest import build_app, close_app

REPO = Path(__file__).resolve().parents[2]
FIRST_REVISION = "0001_initial"


def bare_app(tmp_path, url: str | None = None):
    """An app whose database has never been migrated (no create_all either)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": url or "sqlite:///" + str(tmp_path / "empty.sqlite3"),
        }
    )


def migrated_app(tmp_path, revision: str = "head"):
    app = bare_app(tmp_path)
    with app.app_context():
        upgrade(revision=revision)
    return app


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_an_unmigrated_database_says_run_db_upgrade_and_exits_1(tmp_path):
    app = bare_app(tmp_path)
    result = invoke(app, "cycles", "create", "Spring")
    assert result.exit_code == 1
    assert "has no tables yet" in result.output and "run `flask db upgrade`" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OperationalError)
    close_app(app)


def test_a_database_behind_the_code_names_both_revisions(tmp_path):
    app = migrated_app(tmp_path, revision=FIRST_REVISION)
    result = invoke(app, "demo")  # essays' text lives in a table of a later revision
    assert result.exit_code == 1
    assert f"is at revision {FIRST_REVISION}" in result.output and "run `flask db upgrade`" in result.output
    close_app(app)


def test_an_unreachable_sqlite_file_names_the_url_and_the_fix(tmp_path):
    app = bare_app(tmp_path, "sqlite:///" + str(tmp_path / "no" / "such" / "folder" / "x.sqlite3"))
    result = invoke(app, "cycles", "create", "Spring")
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output and "unable to open database file" in result.output
    assert "folder must exist" in result.output
    close_app(app)


def test_an_unreachable_postgresql_server_is_one_line_without_the_password(tmp_path):
    pytest.importorskip("psycopg")
    app = bare_app(tmp_path, "postgresql+psycopg://reviewer:hunter2-secret@127.0.0.1:9/endorsement")
    result = invoke(app, "db", "upgrade")
    assert result.exit_code == 1
    assert "cannot reach the database postgresql+psycopg://reviewer:***@127.0.0.1:9/endorsement" in result.output
    assert "hunter2-secret" not in result.output
    assert "check DATABASE_URL" in result.output
    close_app(app)


def test_a_real_bug_on_a_healthy_database_keeps_its_traceback(tmp_path):
    app = migrated_app(tmp_path)

    @click.command("broken")
    @with_appcontext
    def broken():
        db.session.execute(text("SELECT no_such_column FROM cycles"))

    app.cli.add_command(broken)
    result = invoke(app, "broken")
    assert isinstance(result.exception, OperationalError)  # not hidden behind "run db upgrade"
    close_app(app)


def test_an_input_error_from_any_command_is_error_colon_message(tmp_path):
    app = build_app(tmp_path)
    out = tmp_path / "spring.csv"
    result = invoke(app, "export", "--cycle", "Spring", "--out", str(out))
    assert result.exit_code == 1
    assert "Error: --out: spring.csv does not end in .xlsx" in result.output and "spring.xlsx" in result.output
    assert not out.exists()
    close_app(app)


def test_commands_are_wrapped_once_however_many_apps_a_process_builds(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = build_app(tmp_path / "a")
    second = build_app(tmp_path / "b")
    command = second.cli.get_command(None, "export")
    assert command is first.cli.get_command(None, "export")
    assert not hasattr(command.invoke.__wrapped__, "__wrapped__")
    close_app(first)
    close_app(second)


# ---------------------------------------------------------------- backup


def test_backup_refuses_to_overwrite_without_force_and_writes_owner_only(app, runner, tmp_path):
    out = tmp_path / "backup.sqlite3"
    out.write_bytes(b"yesterday's backup")
    refused = runner.invoke(args=["backup", "--out", str(out)])
    assert refused.exit_code == 1 and "already exists" in refused.output and "--force" in refused.output
    assert out.read_bytes() == b"yesterday's backup"

    replaced = runner.invoke(args=["backup", "--out", str(out), "--force"])
    assert replaced.exit_code == 0, replaced.output
    # A SQLite copy, or pg_dump's custom format when the suite runs on PostgreSQL.
    assert out.read_bytes()[:16] == b"SQLite format 3\x00" or out.read_bytes()[:5] == b"PGDMP"
    assert out.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob("*.partial"))


def test_a_new_backup_is_owner_only_too(app, runner, tmp_path):
    out = tmp_path / "new.sqlite3"
    old_umask = os.umask(0o022)
    try:
        result = runner.invoke(args=["backup", "--out", str(out)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600


def test_backup_into_a_missing_folder_is_refused(app, runner, tmp_path):
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "nowhere" / "b.sqlite3")])
    assert result.exit_code == 1 and "does not exist" in result.output


# ---------------------------------------------------------------- as a user runs them


def run_cli(tmp_path, *args, **env):
    """``flask --app app ARGS`` from the repository, with an instance folder and database of its own."""
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "FLASK_APP")}
    environment.update({"ENDORSEMENT_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": "cli-test"})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_forgetting_db_upgrade_is_one_line_and_exit_1(tmp_path):
    result = run_cli(tmp_path, "reconcile", "--cycle", "Spring")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: the database sqlite:///{tmp_path}/instance/endorsement.sqlite3 has no tables yet (not migrated). "
        "Fix: run `flask db upgrade`"
    ]


@pytest.mark.slow
def test_a_bad_setting_stops_every_command_with_its_name(tmp_path):
    result = run_cli(tmp_path, "--help", PART1_PASS_MARK="eighty")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: PART1_PASS_MARK='eighty' in the environment: not a number"
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_broken_instance_config_file_names_its_line(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text("PART1_PASS_MARK = 75\nLOG_FORMAT = 'json\n")
    result = run_cli(tmp_path, "rubrics", "check")
    assert result.returncode == 1
    assert "config.py, line 2: SyntaxError" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_missing_instance_folder_whose_parent_is_missing_too_is_refused(tmp_path):
    result = run_cli(
        tmp_path, "reconcile", "--cycle", "Spring", ENDORSEMENT_INSTANCE=str(tmp_path / "typo" / "instance")
    )
    assert result.returncode == 1
    assert f"the instance folder {tmp_path}/typo/instance does not exist" in result.stderr
    assert "ENDORSEMENT_INSTANCE" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "typo").exists()


@pytest.mark.slow
def test_invalid_rubric_packs_stop_the_command_line_with_every_problem(tmp_path):
    packs = tmp_path / "instance" / "rubrics"
    packs.mkdir(parents=True)
    (packs / "ours.toml").write_text('[rubric]\nkey = "ours"\n')
    result = run_cli(tmp_path, "reconcile", "--cycle", "Spring")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: rubric packs") and "the app will not start" in result.stderr
    assert "ours.toml: [pass]: missing table" in result.stderr
    assert "Traceback" not in result.stderr
