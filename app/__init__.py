"""Endorsement Review: the application factory."""

import os
from datetime import date, datetime

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as app_config
from app.cli import GuardedGroup
from app.config import StartupError
from app.database import configure_sqlite
from app.extensions import csrf, db, htmx, login_manager, migrate
from app.numbers import DatabaseIdConverter
from app.ops.logs import configure_logging
from app.shipped import shipped_dir
from app.timeutil import format_date

# Each domain area registers its own blueprint and CLI commands in ``init_app``.
AREAS = (
    "audit",
    "people",
    "cycles",
    "rubrics",
    "imports",
    "assignment",
    "scoring",
    "reconcile",
    "requirements",
    "exports",
    "letters",
    "committee",
    "console",
    "mail",
    "demo",
    "ops",
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment (or only ``test_config``).

    A configuration the app cannot run with (a bad setting, an unusable
    instance folder, invalid rubric packs) raises ``StartupError``; on the
    command line it is one message and exit 1 instead (docs/operations.md).
    """
    try:
        return _build_app(test_config)
    except StartupError as exc:
        if test_config is not None or click.get_current_context(silent=True) is None:
            raise  # tests, and WSGI servers (gunicorn stops with the message in its log)
        click.secho(f"Error: {exc}", err=True, fg="red")
        raise SystemExit(1) from exc


def _build_app(test_config: dict | None) -> Flask:
    named_instance = None if test_config is not None else os.environ.get("ENDORSEMENT_INSTANCE")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=(test_config or {}).get("INSTANCE_PATH") or named_instance,
    )
    app.cli = GuardedGroup(app.name)
    app_config.ensure_instance_folder(app.instance_path, named=bool(named_instance))
    app_config.load_settings(app.config, app.instance_path, test_config)
    configure_logging(app)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    # Before any route is added: every <int:…> in a path is read by it.
    app.url_map.converters["int"] = DatabaseIdConverter
    _add_date_filter(app)
    _init_extensions(app)
    _init_areas(app)
    return app


def _add_date_filter(app: Flask) -> None:
    """The ``date`` filter: times in the association's zone (TIMEZONE, checked with the other settings);
    ``utc=True`` for the pages that keep UTC, as the audit log does."""
    zone = app_config.time_zone(app.config["TIMEZONE"])

    def date_filter(value: date | datetime | None, precision: str = "day", utc: bool = False) -> str:
        return format_date(value, precision, None if utc else zone)

    app.add_template_filter(date_filter, "date")


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(shipped_dir("migrations")))
    csrf.init_app(app)
    login_manager.init_app(app)
    htmx.init_app(app)


def _init_areas(app: Flask) -> None:
    import importlib

    for area in AREAS:
        module = importlib.import_module(f"app.{area}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
