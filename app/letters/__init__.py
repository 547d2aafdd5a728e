"""letters area: one decision letter (.docx) per decided application, from an editable template (docs/letters.md)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.letters.cli import letters_command

    app.cli.add_command(letters_command)
