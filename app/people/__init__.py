"""People: users, roles, reviewer profiles, sign-in, access rules and the site's security headers."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.people import security, sessions
    from app.people.cli import users_cli
    from app.people.navigation import nav_links
    from app.people.routes import bp

    sessions.init_app(app)
    security.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)

    @app.context_processor
    def navigation() -> dict:
        from flask_login import current_user

        return {"nav_links": lambda: nav_links(current_user)}
