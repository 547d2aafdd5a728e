"""The ``endorsement`` command: the same commands as ``flask --app app``, from any directory.

Installed as a console script (pyproject.toml), so a deployment needs neither
``FLASK_APP`` nor the checkout: ``endorsement db upgrade``,
``endorsement rubrics check``, ``endorsement run``.
"""
import click
from flask.cli import FlaskGroup


def main() -> None:
    from app import create_app

    group = FlaskGroup(create_app=create_app, add_version_option=False,
                       help="Endorsement Review: review cycles, imports, assignment, reconciliation and exports.")
    # The app is always this one: Flask's --app option would only confuse.
    group.params = [param for param in group.params if param.name != "app"]
    click.version_option(package_name="endorsement-review", prog_name="endorsement")(group)
    group.main(prog_name="endorsement")
