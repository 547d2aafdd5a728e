"""Helpers for route tests that run with CSRF enabled, as in production."""

import re

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from tests.queries import recorded_statements

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token in a page (a form's hidden field or the body's hx-headers)."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def page_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and return its CSRF token (bound to the client's current session)."""
    return csrf_token_from(client.get(path).get_data(as_text=True))


def login(client: FlaskClient, user, password: str, *, next_path: str | None = None, follow: bool = False):
    """Sign in through the real form: fetch the login page, take its CSRF token, post the form.

    ``user`` is a ``User`` or an e-mail address. Returns the POST response.
    """
    email = user if isinstance(user, str) else user.email
    token = page_token(client, "/login")
    data = {"csrf_token": token, "email": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    response = client.post("/login", data=data, follow_redirects=follow)
    return response


def signed_in_client(app: Flask, email: str, password: str) -> FlaskClient:
    """A new client of ``app`` signed in through the real form."""
    client = app.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def logout(client: FlaskClient):
    """Sign out through the header's POST form."""
    token = page_token(client, "/account/password")
    return client.post("/logout", data={"csrf_token": token})


def htmx_headers(client: FlaskClient, path: str) -> dict[str, str]:
    """Headers an htmx request from ``path`` would carry: HX-Request and the page's CSRF token."""
    return {"HX-Request": "true", "X-CSRFToken": page_token(client, path)}


def count_queries(app: Flask, client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> int:
    """How many statements one GET of ``path`` sends to the database; the page must answer 200."""
    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as statements:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200
    return len(statements)
