"""Security headers, the fail-closed sign-in check and error pages, for every response."""

from flask import Flask, Response, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from app.database import database_unavailable
from app.extensions import db, login_manager
from app.people.sessions import wants_fragment

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# Messages for htmx and JSON callers: shown with textContent, and never parsed as HTML if opened directly.
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}

# Marks a 400 caused by a missing or expired CSRF token, so app.js can say "sign in again".
CSRF_ERROR_HEADER = "X-Endorsement-Error"

ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Go back, reload the page and try again."),
    401: ("Signed out", "Please sign in to continue."),
    403: ("Not allowed", "Your role does not give you access to this page."),
    404: ("Not found", "There is nothing here, or it is not available to you."),
    405: ("Not allowed", "That action cannot be done this way."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many requests", "Please wait a little and try again."),
    500: ("Something went wrong", "The server had a problem. Nothing was half-saved; please try again."),
    503: (
        "Briefly unavailable",
        "The database did not answer just now. Nothing was half-saved: try again in a few seconds.",
    ),
}
# Seconds a client is asked to wait after the database went away: a PostgreSQL restart takes about one or two.
DATABASE_RETRY_AFTER_SECONDS = 5


def init_app(app: Flask) -> None:
    app.before_request(require_sign_in)
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DBAPIError, database_error)


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def require_sign_in() -> Response | None:
    """Fail closed: every endpoint needs a signed-in user unless its view is marked public."""
    endpoint = request.endpoint
    if endpoint is None or _is_static(endpoint):
        return None  # unknown URLs fall through to 404; static files hold no personal data
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not _is_static(request.endpoint):
        # Pages and partials carry personal data or CSRF tokens: never keep them in any cache.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def csrf_error(error: CSRFError) -> tuple[Response | str, int, dict[str, str]]:
    """A missing or expired CSRF token: a recognisable 400, so the page can tell the user."""
    headers = {CSRF_ERROR_HEADER: "csrf"}
    if wants_fragment():
        return (
            "Your session expired. Sign in again in another tab; nothing you typed here is lost.",
            400,
            headers | PLAIN_TEXT,
        )
    page = render_template(
        "errors/error.html",
        code=400,
        title="Your form expired",
        message="The page was open too long or you signed out elsewhere. Go back, reload the page and try again.",
    )
    return page, 400, headers


def database_error(error: DBAPIError) -> Response:
    """A database that went away for a moment (a restart cut the connection, SQLite stayed locked past its
    timeout) answers 503 with Retry-After and one line in the log, not a 500 with a traceback: nothing is
    acknowledged, and sending it again works once the database is back (docs/security-hardening.md,
    "When the database goes away"). Any other database error is a fault of ours and stays a 500."""
    if not database_unavailable(error):
        raise error
    db.session.rollback()  # the failed transaction must not be reused by the error page
    current_app.logger.warning(
        "database unavailable, answered 503: %s %s: %s: %s",
        request.method,
        request.endpoint,
        type(error.orig).__name__,
        str(error.orig).splitlines()[0] if str(error.orig) else "",
    )
    response = current_app.make_response(http_error(ServiceUnavailable()))
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def http_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    """Error pages in the site layout, without stack traces or internal details; a 429 or 503 that says when to
    try again keeps its Retry-After."""
    code = error.code or 500
    title, message = ERROR_TEXT.get(code, (error.name, "The request could not be completed."))
    if error.description and error.description != type(error).description:
        message = error.description  # a specific reason given by our own code, e.g. abort(400, "…")
    headers = {name: value for name, value in error.get_headers() if name == "Retry-After"}
    if wants_fragment():
        return message, code, PLAIN_TEXT | headers  # app.js shows it as text; the message may quote what was sent
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers
    except Exception:  # noqa: BLE001 — the layout itself failed (e.g. the database is down)
        return f"{title}. {message}", code, headers
