"""People: users, roles, reviewer profiles, sign-in."""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.people.cli import users_cli

    app.cli.add_command(users_cli)
