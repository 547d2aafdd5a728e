"""The layout in a real browser: CSP-clean, htmx configured, sign in/out, and failed saves made visible."""

import re

import pytest

from app.extensions import db
from app.people.models import Role
from tests import factories as f

PASSWORD = "a perfectly fine passphrase"
EMAIL = "rita@example.org"


@pytest.fixture
def reviewer(app):
    with app.app_context():
        f.make_user(Role.REVIEWER, email=EMAIL, name="Rita Reviewer", password=PASSWORD)
        db.session.commit()


def sign_in(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_the_login_page_runs_under_the_csp_with_htmx_2_configured_safely(page, reviewer):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/login")
    page.wait_for_function("window.htmx !== undefined && window.EndorsementReview !== undefined")
    config = page.evaluate(
        "({version: htmx.version, eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags,"
        " self: htmx.config.selfRequestsOnly, history: htmx.config.historyCacheSize})"
    )
    assert config["version"].startswith("2.")
    assert config == {**config, "eval": False, "scripts": False, "self": True, "history": 0}
    assert problems == []  # a CSP violation (inline script or style) would show up here


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, reviewer):
    sign_in(page)
    page.goto("/account/password")  # no autofocus field here
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_signing_in_and_out_through_the_header(page, reviewer):
    sign_in(page)
    page.goto("/account/password")
    assert page.locator(".site-user__name").inner_text() == "Rita Reviewer"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    assert "You are signed out." in page.content()


def _add_autosave_probe(page):
    """An autosave field of the kind the scoring page uses, posting to a route that answers 200."""
    page.evaluate("""() => {
        const region = document.createElement('div');
        region.setAttribute('data-autosave', '');
        region.innerHTML = '<button id="probe" hx-post="/account/password" hx-swap="none">save</button>'
                         + '<span data-save-status class="save-status"></span>';
        document.querySelector('main').appendChild(region);
        htmx.process(region);
    }""")


@pytest.fixture
def scripted_page(browser, live_server):
    # Adding the probe element needs evaluate(); CSP still applies to everything the app itself sends.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_an_expired_csrf_token_is_shown_and_retry_saves_with_a_fresh_token(scripted_page, reviewer):
    page = scripted_page
    sign_in(page)
    page.goto("/account/password")
    _add_autosave_probe(page)
    page.evaluate("""() => document.body.setAttribute('hx-headers', JSON.stringify({'X-CSRFToken': 'expired'}))""")
    page.click("#probe")
    status = page.locator("#app-status")
    status.wait_for(state="visible")
    assert "Your session expired" in status.inner_text()
    assert "Nothing you typed here is lost" in status.inner_text()
    assert page.locator("[data-save-status]").get_attribute("data-state") == "failed"
    status.get_by_role("button", name="Retry").click()
    page.wait_for_function("document.querySelector('[data-save-status]').dataset.state === 'saved'")
    assert page.locator("#app-status").is_hidden()


def test_being_signed_out_elsewhere_is_shown_and_retry_works_after_signing_in_again(scripted_page, reviewer):
    page = scripted_page
    sign_in(page)
    page.goto("/account/password")
    _add_autosave_probe(page)
    other_tab = page.context.new_page()
    other_tab.goto("/account/password")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url(re.compile(r".*/login$"))

    page.click("#probe")
    status = page.locator("#app-status")
    status.wait_for(state="visible")
    # The CSRF check runs first, so this is the expired-session message rather than a bare 401.
    assert "sign in again in another tab" in status.inner_text()

    status.get_by_role("button", name="Retry").click()  # still signed out: told so, nothing retried
    page.wait_for_function("document.querySelector('#app-status').textContent.includes('still signed out')")

    sign_in(other_tab)
    page.locator("#app-status").get_by_role("button", name="Retry").click()
    page.wait_for_function("document.querySelector('[data-save-status]').dataset.state === 'saved'")
    assert page.locator("#app-status").is_hidden()
