"""A committee member settles a discrepant essay and decides an application in a real browser."""
import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.committee.models import CommitteeResolution, Decision
from app.extensions import db
from tests import committee_world

# Set COMMITTEE_SCREENSHOTS=/some/dir to keep 1280-px screenshots of each page for a look.
SCREENSHOTS = os.environ.get("COMMITTEE_SCREENSHOTS")


pytestmark = pytest.mark.seeded(seed=committee_world.build_with_passwords)


@pytest.fixture
def world(seeded):
    return seeded


def snapshot(page, name):
    if SCREENSHOTS:
        # caret="initial": hiding the caret would inject a style the CSP rightly blocks.
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True, caret="initial")


def test_committee_member_resolves_a_discrepant_item_and_records_a_decision(app, page, world):
    problems = []  # console errors, e.g. a CSP violation or a script error
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto("/login")
    page.get_by_label("E-mail").fill(world["emails"]["maya"])
    page.get_by_label("Password").fill(committee_world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Committee")).to_be_visible()
    page.get_by_role("link", name="Spring 2025").click()

    expect(page.get_by_role("heading", name=re.compile("Committee board"))).to_be_visible()
    expect(page.locator(".chart__svg")).to_have_count(2)
    page.get_by_label("State", exact=True).select_option("open")        # htmx swaps the rows and pushes the URL
    page.wait_for_url(re.compile(r".*state=open"))
    expect(page.locator(".board-table tbody tr")).to_have_count(1)
    snapshot(page, "board")
    page.get_by_role("link", name="E-1").click()

    expect(page.get_by_role("heading", name=re.compile("Item E-1"))).to_be_visible()
    expect(page.get_by_text("Reads differ by 2 on Reflection; the rubric tolerates 1.")).to_be_visible()
    flagged = page.locator(".compare tbody tr.is-discrepant")
    expect(flagged).to_have_count(1)
    expect(flagged.locator("th")).to_have_text("Reflection")
    expect(flagged.locator(".diff-marker")).to_have_text("≠ Differs by 2")
    expect(page.get_by_label(re.compile("^Reflection"))).to_have_value("2")   # the reads' mean, pre-filled
    snapshot(page, "item")

    page.get_by_label(re.compile("^Reflection")).fill("2.5")
    page.get_by_label(re.compile("^Rationale")).fill("Reflection is there but thin; the committee settles on 2.5.")
    page.get_by_role("button", name="Save final scores").click()
    expect(page.get_by_text(re.compile("Final scores saved"))).to_be_visible()
    expect(page.locator("#item-state")).to_have_text("Decided")
    snapshot(page, "item-saved")

    page.goto(f"/committee/cycles/{world['cycle']}/applications")
    ada = page.locator(f"#applicant-{world['ada']}")
    expect(ada.get_by_text("85 ≥ pass mark 80")).to_be_visible()
    expect(ada.locator(".facts dd").nth(3)).to_have_text("Endorse")        # the suggestion
    ada.get_by_role("radio", name=re.compile("^Endorse")).check()
    ada.get_by_label(re.compile("^Rationale")).fill("Portfolio, Part 1 and Part 2 all passed.")
    ada.get_by_role("button", name="Record decision").click()
    expect(ada.get_by_text(re.compile("Decision recorded"))).to_be_visible()
    snapshot(page, "applications")

    with app.app_context():
        resolution = db.session.scalar(select(CommitteeResolution))
        assert resolution.scores["reflection"] == 2.5 and resolution.result == "pass"
        decision = db.session.scalar(select(Decision))
        assert decision.decision.value == "endorse"
        assert decision.rationale == "Portfolio, Part 1 and Part 2 all passed."
    assert problems == [], "\n".join(problems)


def test_a_refused_save_shows_its_reason_in_place_and_keeps_what_was_typed(app, page, world):
    """htmx leaves 4xx answers unswapped; committee.js swaps the 422 form in, so the member sees why."""
    problems = []  # script errors, and console errors other than the 422 the browser logs on purpose
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and "status of 422" not in msg.text
            else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/login")
    page.get_by_label("E-mail").fill(world["emails"]["maya"])
    page.get_by_label("Password").fill(committee_world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/committee/items/{world['split']}")

    page.get_by_label(re.compile("^Reflection")).fill("3")
    page.get_by_label(re.compile("^Rationale")).fill("   ")   # passes the browser's `required`, not the rule
    page.get_by_role("button", name="Save final scores").click()
    expect(page.get_by_role("alert")).to_contain_text("A rationale is required")
    expect(page.locator("#rationale-error")).to_be_visible()
    expect(page.get_by_label(re.compile("^Reflection"))).to_have_value("3")
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None
    assert problems == [], "\n".join(problems)
