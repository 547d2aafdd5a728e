"""The coordinator console: run a whole cycle (import, assign, chase, reconcile, export) and manage users."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.console.routes import bp
    from app.people.models import Role
    from app.people.navigation import add_nav_link

    app.register_blueprint(bp)
    add_nav_link(app, "Users", "console.users", (Role.COORDINATOR,), order=80)
    add_nav_link(app, "Audit log", "console.audit", (Role.COORDINATOR,), order=90)
