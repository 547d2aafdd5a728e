"""The command line: one place that turns a failure of the environment into one line and exit 1.

Every command the app registers (``flask --app app …`` and the ``endorsement``
console script alike) runs inside ``guarded``: an unmigrated or unreachable
database, a refused input (``InputError``) or a file that cannot be written
is reported as ``Error: <what is wrong> — <the fix>`` with exit code 1, never
a traceback (docs/operations.md, "Exit codes"). Anything else is a bug and
keeps its traceback.

``endorsement`` (installed as a console script, pyproject.toml) runs the same
commands from any directory, without ``FLASK_APP`` or the checkout.
"""

import contextlib
import functools
import sys
from collections.abc import Callable
from typing import Any, TextIO

import click
from flask import Flask, has_app_context
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from app.errors import InputError
from app.extensions import db
from app.progress import Progress


class GuardedGroup(AppGroup):
    """The app's command group (``app.cli``): each command added to it is ``guarded``."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        guard(cmd)
        super().add_command(cmd, name)


def guard(command: click.Command) -> None:
    """Report environment failures raised by ``command`` (or, for a group, any of its subcommands).

    Commands are module-level objects added to every app a process creates
    (tests create hundreds), so each is wrapped once; the wrapper finds the
    app it runs in through the command's context.
    """
    if getattr(command, "_guarded", False):
        return
    setattr(command, "invoke", guarded(command.invoke))  # noqa: B010 (replaces the bound method on this object)
    setattr(command, "_guarded", True)  # noqa: B010


def guarded(invoke: Callable[[click.Context], Any]) -> Callable[[click.Context], Any]:
    @functools.wraps(invoke)
    def run(ctx: click.Context) -> Any:
        try:
            return invoke(ctx)
        except InputError as exc:
            raise click.ClickException(str(exc)) from exc
        except SQLAlchemyError as exc:
            if has_app_context():
                with contextlib.suppress(SQLAlchemyError):
                    db.session.rollback()  # let go of the failed transaction (and SQLite's write lock) first
            # A command's own app context may be gone by now (with_appcontext pops it); the app is not.
            message = explain_database_failure(ctx.ensure_object(ScriptInfo).load_app(), program(ctx))
            if message is None:
                raise
            raise click.ClickException(message) from exc
        except OSError as exc:
            if exc.filename is None:
                raise
            raise click.ClickException(f"{exc.filename}: {exc.strerror}") from exc

    return run


def program(ctx: click.Context) -> str:
    """How the user ran us (``flask`` or ``endorsement``), to quote the fix in their words."""
    return "endorsement" if ctx.find_root().info_name == "endorsement" else "flask"


def explain_database_failure(app: Flask, program_name: str = "flask") -> str | None:
    """Why a database statement failed, in words with the fix; None when the database is fine (a bug).

    Only called after a failure, so a working command pays nothing for it.
    """
    from app.ops.health import database_state

    state = database_state(app)
    if state.healthy:
        return None
    if state.reachable:
        fix = f"run `{program_name} db upgrade`"
    elif state.url.startswith("sqlite"):
        fix = "check DATABASE_URL; the database file's folder must exist and be writable by this user"
    else:
        fix = "check DATABASE_URL, and that the database server is running and accepts this user"
    return f"{state.describe()}. Fix: {fix}"


class TerminalProgress(Progress):
    """A long command's progress as click's bar on stderr, one bar per phase; nothing at all when stderr is not a
    terminal (a log, a pipe, cron), so what a script reads (stdout, exit code) stays as it was."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.shown = self.stream.isatty()
        self._bar: Any = None
        self._pending = 0
        self._step = 1

    def start(self, label: str, total: int | None = None) -> None:
        self._close()
        if not self.shown:
            return
        if total:
            self._bar = click.progressbar(length=total, label=label, file=self.stream, show_pos=True, show_eta=True)
            self._bar.__enter__()
            self._pending, self._step = 0, max(1, total // 200)  # redrawn every half percent, not every step
        else:
            click.echo(f"{label}…", file=self.stream)

    def advance(self, steps: int = 1) -> None:
        if self._bar is None:
            return
        self._pending += steps
        if self._pending >= self._step:
            self._bar.update(self._pending)
            self._pending = 0

    def finish(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            if self._pending:
                self._bar.update(self._pending)
            self._bar.__exit__(None, None, None)
            self._bar = None


def main() -> None:
    from app import create_app

    group = FlaskGroup(
        create_app=create_app,
        add_version_option=False,
        help="Endorsement Review: review cycles, imports, assignment, reconciliation and exports.",
    )
    # The app is always this one: Flask's --app option would only confuse.
    group.params = [param for param in group.params if param.name != "app"]
    click.version_option(package_name="endorsement-review", prog_name="endorsement")(group)
    group.main(prog_name="endorsement")
