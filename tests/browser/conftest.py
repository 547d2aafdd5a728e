"""Browser tests: Playwright drives Debian's chromium against a live server on 127.0.0.1.

Without chromium or Playwright they skip with the reason shown; with
REQUIRE_BROWSER=1 (as CI sets it) they fail instead, so a broken browser
set-up can never pass silently.
"""

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHUTDOWN_POLL_SECONDS = 0.02


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (make browser-deps)"
    return None


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def closed_once_sent(app):
    """The app, with each response closed as soon as its body is written, as gunicorn does.

    Werkzeug's development server closes a response only after draining the
    socket, and a browser that has already reset the connection makes that
    read raise, so the close is skipped: whatever the app does on close (mail
    delivery after the response, docs/mail.md) would then happen only by luck.
    """

    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture
def live_server(app):
    """The test app served on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, closed_once_sent(app), threaded=True)
    # shutdown() waits for the serving loop to look at its flag, which it does once per poll interval:
    # Werkzeug's default half second was spent at the end of every browser test (docs/development.md, "Tests").
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
