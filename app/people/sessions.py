"""Flask-Login wiring: sessions hold the user's rotating ``session_token``, never the id, and when they began."""

import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import AnonymousUserMixin

from app.extensions import db, htmx, login_manager
from app.people.models import User


def init_app(app: Flask) -> None:
    login_manager.login_view = "people.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = AnonymousUserMixin
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


# The session key holding when the user signed in (seconds since the epoch); the cookie is signed.
SIGNED_IN_AT = "signed_in_at"
TOO_OLD = "You have been signed in for {hours} hours, the longest a sign-in lasts. Please sign in again."


def mark_signed_in() -> None:
    """Stamp a fresh session with the time of signing in (``SESSION_MAX_AGE_SECONDS`` counts from it)."""
    session[SIGNED_IN_AT] = int(time.time())


def load_user(session_token: str) -> User | None:
    """The user whose current token is in the session; rotated tokens, disabled users and sessions older than
    ``SESSION_MAX_AGE_SECONDS`` (or without the stamp) fail."""
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, int) or time.time() - started > current_app.config["SESSION_MAX_AGE_SECONDS"]:
        session.clear()
        g.session_too_old = True
        return None
    user = db.session.scalar(db.select(User).filter_by(session_token=session_token))
    if user is None or not user.is_active:
        return None
    return user


def wants_fragment() -> bool:
    """htmx partials and JSON calls get status codes, not a redirect to a full page."""
    return bool(htmx) or request.accept_mimetypes.best == "application/json"


def unauthorized() -> Response:
    if wants_fragment():
        response = jsonify(error="signed_out", message="You are signed out. Sign in again in another tab.")
        response.status_code = 401
        return response
    if g.get("session_too_old"):
        flash(TOO_OLD.format(hours=current_app.config["SESSION_MAX_AGE_SECONDS"] // 3600), "info")
    return redirect(url_for("people.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path within this app, else None (blocks open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "/\\evil.example" as "//evil.example"; control characters can hide either.
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
