"""Requirements checked by the product: portfolio records, the rules of each requirement line, and results.

The area's templates (the records tables and the requirement lines) are
included by the scoring and committee pages; see docs/requirements.md.
"""

from flask import Blueprint, Flask

bp = Blueprint("requirements", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
