"""assignment area: eligibility, the optimal auto-assigner, third readers and manual changes."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.assignment.cli import assign_command

    app.cli.add_command(assign_command)
