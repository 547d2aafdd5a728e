"""Cycles and what they hold."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.cycles.cli import cycles_cli

    app.cli.add_command(cycles_cli)
