"""Security headers, vendored htmx, the layout's htmx configuration and error pages (docs/security.md,
requirements 12–15)."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.people.models import Role
from tests import factories as f
from tests.web.helpers import login

APP_DIR = Path(__file__).resolve().parents[2] / "app"
VENDOR = APP_DIR / "static" / "vendor"
PASSWORD = "a perfectly fine passphrase"


@pytest.fixture
def signed_in_client(app, client):
    with app.app_context():
        f.make_user(Role.COORDINATOR, email="coco@example.org", password=PASSWORD)
        db.session.commit()
    login(client, "coco@example.org", PASSWORD)
    return client


def csp_directives(header: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1] for part in header.split(";") if part.strip()}


def test_every_page_sends_the_content_security_policy(client):
    directives = csp_directives(client.get("/login").headers["Content-Security-Policy"])
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


def test_pages_send_nosniff_referrer_and_frame_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_authenticated_pages_and_partials_are_never_cached(signed_in_client):
    for path in ("/account/password", "/account/token"):
        assert signed_in_client.get(path).headers["Cache-Control"] == "no-store"
    htmx_response = signed_in_client.get("/account/password", headers={"HX-Request": "true"})
    assert htmx_response.headers["Cache-Control"] == "no-store"


def test_error_pages_are_not_cached_either(client):
    assert client.get("/no/such/page").headers["Cache-Control"] == "no-store"


def test_static_files_are_served_with_nosniff_and_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


# ---- vendored htmx ----


def test_htmx_2_is_vendored_unmodified_with_its_licence_and_version():
    version = (VENDOR / "VERSION").read_text().strip()
    assert re.fullmatch(r"2\.\d+\.\d+", version)
    script = VENDOR / f"htmx-{version}.min.js"
    body = script.read_bytes()
    assert f'version:"{version}"'.encode() in body
    readme = (VENDOR / "README.md").read_text()
    assert hashlib.sha256(body).hexdigest() in readme  # the checksum recorded when it was copied from npm
    assert "Zero-Clause BSD" in (VENDOR / "htmx-LICENSE").read_text()


def test_the_layout_loads_htmx_and_our_script_from_this_site(client):
    page = client.get("/login").get_data(as_text=True)
    version = (VENDOR / "VERSION").read_text().strip()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert f"/static/vendor/htmx-{version}.min.js" in sources
    assert "/static/js/app.js" in sources
    for src in sources:
        assert src.startswith("/static/")
        response = client.get(src)
        assert response.status_code == 200
        response.close()


def test_the_layout_configures_htmx_safely(client):
    page = client.get("/login").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert config["historyCacheSize"] == 0
    # htmx would otherwise inject an inline <style>, which the CSP blocks.
    assert config["includeIndicatorStyles"] is False


def test_every_htmx_request_carries_the_csrf_token_from_the_body(client):
    page = client.get("/login").get_data(as_text=True)
    headers = json.loads(re.search(r"<body hx-headers='([^']+)'", page).group(1))
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert headers == {"X-CSRFToken": form_token}


def _templates():
    return sorted(APP_DIR.rglob("templates/**/*.html"))


def test_no_template_uses_inline_script_inline_handlers_inline_styles_or_a_cdn():
    problems = []
    for template in _templates():
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                problems.append(f"{template}: inline <script>")
        if re.search(r"<style\b", text):
            problems.append(f"{template}: <style> element")
        if re.search(r"\sstyle\s*=", text):
            problems.append(f"{template}: style= attribute")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"\shx-on", text):
            problems.append(f"{template}: inline event handler")
        if re.search(r"(src|href)\s*=\s*[\"'](https?:)?//", text):
            problems.append(f"{template}: off-site resource")
    assert _templates() and not problems, problems


def test_our_script_does_not_use_eval_or_inline_html():
    script = (APP_DIR / "static" / "js" / "app.js").read_text()
    assert "eval(" not in script and "new Function" not in script and "innerHTML" not in script


# ---- error pages ----


def test_a_missing_page_uses_the_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Skip to main content" in page and "Not found" in page


def test_a_wrong_method_is_answered_405_in_the_layout(client):
    response = client.put("/login")
    assert response.status_code in (400, 405)  # CSRF is checked first on unsafe methods


def test_a_server_error_shows_no_stack_trace(tmp_path):
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "e.sqlite3"),
            "LOCAL_HTTP": True,
        }
    )
    from app.people.access import public

    @public
    def explode():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/explode", view_func=explode)
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internal detail" not in page and "Traceback" not in page
    assert response.headers["Content-Security-Policy"]
    with app.app_context():
        db.engine.dispose()


def test_a_body_over_the_size_limit_gets_413(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "e.sqlite3"),
            "LOCAL_HTTP": True,
            "MAX_CONTENT_LENGTH": 1000,
        }
    )
    response = app.test_client().post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
