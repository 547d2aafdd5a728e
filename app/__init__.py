"""Endorsement Review: the application factory."""
import os
from pathlib import Path

from flask import Flask

from app import config as app_config
from app.database import configure_sqlite
from app.extensions import csrf, db, htmx, login_manager, migrate
from app.numbers import DatabaseIdConverter
from app.shipped import shipped_dir

# Each domain area registers its own blueprint and CLI commands in ``init_app``.
AREAS = ("audit", "people", "cycles", "rubrics", "imports", "assignment", "scoring",
         "reconcile", "exports", "committee", "console", "demo", "ops")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then env vars (or ``test_config``)."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("ENDORSEMENT_INSTANCE")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(app_config.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app_config.database_url(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = app_config.secret_key(app.instance_path)
    if os.environ.get("ENDORSEMENT_LOCAL_HTTP") == "1" or app.config.get("LOCAL_HTTP"):
        # Plain-HTTP local development: a Secure cookie would never be sent back.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False

    # Before any route is added: every <int:…> in a path is read by it.
    app.url_map.converters["int"] = DatabaseIdConverter
    _init_extensions(app)
    _init_areas(app)
    return app


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
