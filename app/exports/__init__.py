"""exports area: the cycle workbook (SPEC §7)."""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.exports.cli import export_command

    app.cli.add_command(export_command)
