"""Logging, configured once per process: every line carries the request id and the signed-in user's id.

Lines never carry personal data or essay text: the app logs ids and counts,
never names, e-mail addresses, scores' comments or responses (tests check a
whole scoring flow's log). ``LOG_FORMAT=json`` writes one JSON object per
line for a log collector; ``text`` (the default) is for people. The request id
is echoed in the ``X-Request-ID`` response header, so a user can quote it;
behind a trusted proxy (``TRUSTED_PROXIES``) the proxy's own id is kept. See
docs/operations.md ("Logging").
"""

import datetime
import json
import logging
import re
import secrets
import sys

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it looks like one (nginx's $request_id is 32 hex digits).
_PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_HANDLER_NAME = "endorsement"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s"


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``user_id`` ("-" outside a request or before sign-in) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id, record.user_id = "-", "-"
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            record.user_id = _signed_in_user_id()
        return True


def _signed_in_user_id() -> str:
    """The row id of the user Flask-Login loaded for this request, read from the ORM's identity key.

    Never through an attribute: after a rollback (the 503 handler's, when the database went away) the user is
    expired, and reading ``is_authenticated`` or ``id`` would query the database inside the log call and raise
    out of the error handler. ``load_user`` only ever returns active users, so a loaded user is signed in;
    the anonymous user is no mapped object. ``get_id()`` is the session token: never logged.
    """
    state = sa_inspect(g.get("_login_user"), raiseerr=False)
    identity = state.identity if state is not None else None
    return str(identity[0]) if identity else "-"


class StandardError(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written (gunicorn, pytest and click replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, user_id (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, set up on the first app of the process and adjusted by later ones."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = StandardError()
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(RequestContext())
        root.addHandler(handler)
        root.setLevel(app.config["LOG_LEVEL"])
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    # Flask's own handler would print app.logger's records a second time.
    app.logger.removeHandler(default_handler)
    app.before_request(assign_request_id)
    app.after_request(send_request_id)


def assign_request_id() -> None:
    """The proxy's id when a trusted proxy sent one, else a fresh one (a client must not pick what is logged)."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    trusted = current_app.config["TRUSTED_PROXIES"] > 0
    g.request_id = incoming if trusted and _PROXY_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)


def send_request_id(response: Response) -> Response:
    if "request_id" not in g:  # an earlier before_request answered first
        assign_request_id()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response
