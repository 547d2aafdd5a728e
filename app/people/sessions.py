"""Flask-Login wiring: sessions hold the user's rotating ``session_token``, never the id."""
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, redirect, request, url_for
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


def load_user(session_token: str) -> User | None:
    """The user whose current token is in the session; rotated tokens and disabled users fail."""
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
