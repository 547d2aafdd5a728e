"""committee area: the board of a cycle's items, reads side by side, final scores and decisions."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.committee.cli import committee_cli
    from app.committee.routes import bp
    from app.people.models import Role
    from app.people.navigation import add_nav_link

    app.register_blueprint(bp)
    app.cli.add_command(committee_cli)
    add_nav_link(app, "Committee", "committee.index", (Role.COORDINATOR,), order=50)
