"""Scoring: the reviewer's queue, the scoring page with autosave, submitting and reopening reads."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app import textlimits
    from app.scoring.routes import bp

    app.register_blueprint(bp)
    # The sizes of the reviewer's texts, for their textareas' maxlength (docs/security-hardening.md, "Text sizes").
    app.jinja_env.globals["text_limits"] = textlimits
