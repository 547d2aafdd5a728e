"""From invitation to queue in a real browser: a coordinator invites, the SMTP server on a loopback port
(tests/mail_server.py) receives the message, the link sets a password once, the reviewer signs in and finds their
queue (docs/mail.md)."""

import os
import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.mail import background
from app.people.models import Role
from tests import factories as f
from tests.conftest import build_app, close_app

COORDINATOR, PASSWORD = "coord@example.org", "the coordinator's browser password"
REVIEWER, CHOSEN = "nell@example.org", "a passphrase Nell chose herself"
SHOTS = os.environ.get("SCREENSHOTS")  # a folder: keep a screenshot of each step, to look at the pages by eye


@pytest.fixture
def app(tmp_path, smtp):
    app = build_app(tmp_path, **smtp.config)
    yield app
    background.worker(app).join(10)
    close_app(app)


@pytest.fixture
def cycle_id(app):
    with app.app_context():
        cycle = f.make_cycle("Spring exams")
        f.make_user(Role.COORDINATOR, email=COORDINATOR, name="Col Ordinator", password=PASSWORD)
        nell = f.make_user(Role.REVIEWER, email=REVIEWER, name="Nell New", designations="C")
        f.add_member(cycle, nell)
        f.assign(f.make_essay(cycle, f.make_applicant(cycle, name="Hidden Applicant"), item_id="E-401"), nell)
        db.session.commit()
        return cycle.id


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_invitation_then_set_password_then_sign_in_then_queue(app, smtp, cycle_id, browser, live_server):
    app.config["PUBLIC_URL"] = live_server  # the links in messages point at this server
    coordinator = browser.new_context(base_url=live_server).new_page()
    sign_in(coordinator, COORDINATOR, PASSWORD)
    coordinator.goto(f"/console/cycles/{cycle_id}")
    coordinator.get_by_role("button", name="Invite members without a password").click()
    expect(coordinator.get_by_text("Invitations: invited 1")).to_be_visible()
    (invitation,) = smtp.wait_for(REVIEWER)
    assert invitation.subject == "You are invited to Endorsement Review"
    link = re.search(r"http://127\.0\.0\.1:\d+/password/set\?token=\S+", invitation.body).group(0)
    coordinator.goto("/console/mail")
    expect(coordinator.get_by_role("cell", name=REVIEWER)).to_be_visible()
    shot(coordinator, "outbox")

    page = browser.new_context(base_url=live_server).new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome — choose your password")).to_be_visible()
    expect(page.get_by_text(REVIEWER)).to_be_visible()
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    shot(page, "set-password")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()
    sign_in(page, REVIEWER, CHOSEN)
    expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
    expect(page.get_by_role("rowheader", name="E-401")).to_be_visible()
    expect(page.get_by_role("link", name="Decline item E-401")).to_be_visible()
    expect(page.get_by_text("Hidden Applicant")).to_have_count(0)
    shot(page, "queue")

    page.goto(link)  # the link works once
    expect(page.get_by_text("This link has expired or has already been used.")).to_be_visible()
    assert len(smtp.messages()) == 1
