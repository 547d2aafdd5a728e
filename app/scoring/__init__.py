"""Scoring: the reviewer's queue, the scoring page with autosave, submitting and reopening reads."""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.scoring.routes import bp

    app.register_blueprint(bp)
