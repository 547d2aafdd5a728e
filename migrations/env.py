"""Alembic environment for Flask-Migrate (Flask-SQLAlchemy 3: ``db.engine``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# The app sets up logging itself (app/ops/logs.py: format, level, request ids); alembic.ini's logging
# section would replace it, so it serves only when nothing has configured logging yet.
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    """Emit SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations against the app's engine."""

    def process_revision_directives(context, revision, directives):
        # An autogenerate with no changes should not leave an empty revision file behind.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
            conf_args["on_version_apply"] = [_refuse_broken_references]
        try:
            context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()  # each revision has committed its own transaction; this only read
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection, *, on: bool) -> None:
    """SQLite rebuilds a table to change its constraints (batch mode: copy, drop the old, rename the copy).
    With foreign keys enforced, dropping the old table of a table others refer to either fails or deletes
    the rows that refer to it (ON DELETE CASCADE); so revisions run with them off and on again afterwards.
    The pragma only takes effect outside a transaction: it goes to the driver's connection before SQLAlchemy
    begins one (the connection is the pool's, so it must be on again before it goes back)."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _refuse_broken_references(ctx, step, heads, run_args) -> None:
    """What foreign keys would have refused, in the revision's own transaction: it rolls back."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"revision {step.up_revision_id} left rows referring to missing rows: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
