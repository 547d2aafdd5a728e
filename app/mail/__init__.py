"""Mail: the outbox, the messages, delivery, invitations and password resets (docs/mail.md)."""

from flask import Flask


def init_app(app: Flask) -> None:
    import logging

    from app.mail import background, service
    from app.mail.cli import invite_command, mail_cli, remind_command
    from app.mail.outbox import HideLinkSecrets
    from app.mail.routes import bp
    from app.people.models import Role
    from app.people.navigation import add_nav_link

    app.register_blueprint(bp)
    app.cli.add_command(mail_cli)
    app.cli.add_command(invite_command)
    app.cli.add_command(remind_command)
    background.init_app(app)
    service.connect_signals()
    add_nav_link(app, "Mail", "mail.outbox_page", (Role.COORDINATOR,), order=80)
    requests_log = logging.getLogger("werkzeug")  # `make run`'s server: one line per request, query included
    if not any(isinstance(f, HideLinkSecrets) for f in requests_log.filters):
        requests_log.addFilter(HideLinkSecrets())
