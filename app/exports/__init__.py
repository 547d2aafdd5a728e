"""exports area: the cycle workbook (docs/workbook.md)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.exports.cli import export_command

    app.cli.add_command(export_command)
