"""reconcile area: agreement between reads, combined scores, item states, agreement statistics."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.reconcile.cli import reconcile_command

    app.cli.add_command(reconcile_command)
