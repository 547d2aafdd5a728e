"""Known devices: a signed cookie, set after a successful sign-in, that names the browser and its accounts.

Failed sign-ins from unknown devices delay every unknown device trying that
e-mail; a browser that has signed in to the account before presents this
cookie and is judged only by its own failures, so a stranger guessing cannot
keep the holder out. The cookie holds a random device id and a short digest
of each account's e-mail (never the address), signed with the app's secret.
See docs/security-hardening.md ("Sign-in limits").
"""

import hashlib
import secrets

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE_NAME = "endorsement_device"
MAX_ACCOUNTS = 5  # a shared office computer may serve a few people
_SALT = "known-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def _read(request: Request) -> dict | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        value = _serializer().loads(raw, max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) or not isinstance(value.get("a"), list):
        return None
    return value


def known_device(request: Request, email: str) -> str | None:
    """The device id when this browser has signed in to ``email`` (normalised) before; else None."""
    value = _read(request)
    if value is None or _digest(email) not in value["a"]:
        return None
    return value["d"]


def remember_device(request: Request, response: Response, email: str) -> None:
    """After a successful sign-in: keep (or start) this browser's device id and add the account to it."""
    value = _read(request) or {"d": secrets.token_urlsafe(16), "a": []}
    accounts = [digest for digest in value["a"] if digest != _digest(email)]
    value["a"] = [_digest(email), *accounts][:MAX_ACCOUNTS]
    config = current_app.config
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(value),
        max_age=config["KNOWN_DEVICE_DAYS"] * 86400,
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
