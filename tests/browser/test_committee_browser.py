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
    expect(page.locator(".chart__svg:visible")).to_have_count(2)  # the wide drawings at this width
    expect(page.locator(".board-table tbody tr")).to_have_count(1)  # the board opens on open disagreements
    page.get_by_label("State", exact=True).select_option("all")  # htmx swaps the rows and pushes the URL
    page.wait_for_url(re.compile(r".*state=all"))
    expect(page.locator(".board-table tbody tr")).to_have_count(3)
    page.get_by_label("State", exact=True).select_option("open")
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
    expect(page.get_by_label(re.compile("^Reflection"))).to_have_value("2")  # the reads' mean, pre-filled
    snapshot(page, "item")

    # The result the scores would give shows as the member types, before anything is saved.
    preview = page.locator("#result-preview")
    expect(preview).to_contain_text("Pass")
    page.get_by_label(re.compile("^Reflection")).fill("1")
    expect(preview).to_contain_text("Misses: every domain at least 2 (lowest 1)")
    expect(preview).to_contain_text("Fail")
    page.get_by_label(re.compile("^Reflection")).fill("2.5")
    expect(preview).to_contain_text("a mean of 2.92 (total 17.5)")  # (5 × 3 + 2.5) / 6
    page.get_by_label(re.compile("^Rationale")).fill("Reflection is there but thin; the committee settles on 2.5.")
    page.get_by_role("button", name="Save final scores").click()
    expect(page.get_by_text(re.compile("Final scores saved"))).to_be_visible()
    expect(page.locator("#item-state")).to_have_text("Decided")
    snapshot(page, "item-saved")

    page.goto(f"/committee/cycles/{world['cycle']}/applications")
    ada = page.locator(f"#applicant-{world['ada']}")
    expect(ada.get_by_text("85 ≥ pass mark 80")).to_be_visible()
    expect(ada.locator(".facts dd").nth(3)).to_have_text("Endorse")  # the suggestion
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
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" and "status of 422" not in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/login")
    page.get_by_label("E-mail").fill(world["emails"]["maya"])
    page.get_by_label("Password").fill(committee_world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/committee/items/{world['split']}")

    page.get_by_label(re.compile("^Reflection")).fill("3")
    page.get_by_label(re.compile("^Rationale")).fill("   ")  # passes the browser's `required`, not the rule
    page.get_by_role("button", name="Save final scores").click()
    expect(page.get_by_role("alert")).to_contain_text("A rationale is required")
    expect(page.locator("#rationale-error")).to_be_visible()
    expect(page.get_by_label(re.compile("^Reflection"))).to_have_value("3")
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None
    assert problems == [], "\n".join(problems)


def signed_in_page(browser, live_server, email):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(committee_world.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def script_errors(page, expected_status):
    """Script errors and console errors besides the refused status the browser logs on purpose."""
    problems = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and f"status of {expected_status}" not in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def focused_text(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.innerText : ''")


def test_two_members_on_one_item_see_each_others_values_and_keep_their_own_text(browser, live_server, app, world):
    maya_context, maya = signed_in_page(browser, live_server, world["emails"]["maya"])
    noah_context, noah = signed_in_page(browser, live_server, world["emails"]["noah"])
    problems = script_errors(noah, 409)
    item = f"/committee/items/{world['split']}"
    maya.goto(item)
    noah.goto(item)  # both opened the form before anyone saved

    maya.get_by_label(re.compile("^Reflection")).fill("2")
    maya.get_by_label(re.compile("^Rationale")).fill("Maya: reflection stays at 2.")
    maya.get_by_role("button", name="Save final scores").click()
    expect(maya.get_by_text(re.compile("Final scores saved"))).to_be_visible()
    # The success notice takes the focus, so a screen reader reads it and the keyboard continues from there.
    expect(maya.locator(".notice--success")).to_be_focused()

    noah.get_by_label(re.compile("^Reflection")).fill("3")
    noah_text = "Noah: the second read shows more reflection than the first allows for."
    noah.get_by_label(re.compile("^Rationale")).fill(noah_text)
    noah.get_by_role("button", name="Save final scores").click()
    conflict = noah.locator(".conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text("Maya Member saved version 1")
    expect(conflict.locator("tr", has_text="Reflection")).to_contain_text("2")
    expect(conflict).to_contain_text("Maya: reflection stays at 2.")
    # Noah's own values are still in the form, not replaced by Maya's or by a reload.
    expect(noah.get_by_label(re.compile("^Reflection"))).to_have_value("3")
    expect(noah.get_by_label(re.compile("^Rationale"))).to_have_value(noah_text)
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)).rationale == "Maya: reflection stays at 2."

    noah.get_by_role("button", name="Save mine over theirs").click()
    expect(noah.get_by_text(re.compile(r"Final scores saved \(version 2\)"))).to_be_visible()
    expect(noah.locator(".notice--success")).to_be_focused()
    with app.app_context():
        resolution = db.session.scalar(select(CommitteeResolution).execution_options(populate_existing=True))
        assert (resolution.rationale, resolution.scores["reflection"], resolution.version) == (noah_text, 3, 2)
    assert problems == [], "\n".join(problems)
    maya_context.close()
    noah_context.close()


def test_two_members_deciding_one_application_and_a_blank_rationale(browser, live_server, app, world):
    maya_context, maya = signed_in_page(browser, live_server, world["emails"]["maya"])
    noah_context, noah = signed_in_page(browser, live_server, world["emails"]["noah"])
    problems = script_errors(noah, 409) + script_errors(maya, 422)
    applications = f"/committee/cycles/{world['cycle']}/applications"
    maya.goto(applications)
    noah.goto(applications)
    maya_ada, noah_ada = (page.locator(f"#applicant-{world['ada']}") for page in (maya, noah))

    # A blank rationale is refused with its reason beside the field; the choice made stays.
    maya_ada.get_by_role("radio", name=re.compile("^Endorse")).check()
    maya_ada.get_by_label(re.compile("^Rationale")).fill("   ")
    maya_ada.get_by_role("button", name="Record decision").click()
    alert = maya_ada.get_by_role("alert")
    expect(alert).to_contain_text("A rationale is required")
    expect(alert).to_be_focused()
    expect(maya_ada.get_by_role("radio", name=re.compile("^Endorse"))).to_be_checked()
    expect(maya_ada.locator(f"#decision-{world['ada']}-rationale-error")).to_be_visible()

    maya_ada.get_by_label(re.compile("^Rationale")).fill("All three parts passed.")
    maya_ada.get_by_role("button", name="Record decision").click()
    expect(maya_ada.get_by_text(re.compile("Decision recorded"))).to_be_visible()
    expect(maya_ada.locator(".notice--success")).to_be_focused()

    noah_ada.get_by_role("radio", name=re.compile("^Revise")).check()
    noah_ada.get_by_label(re.compile("^Rationale")).fill("Noah: ask for one more reference first.")
    noah_ada.get_by_role("button", name="Record decision").click()
    conflict = noah_ada.locator(".conflict")
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text("Maya Member saved Endorse (version 1)")
    expect(conflict).to_contain_text("All three parts passed.")
    expect(noah_ada.get_by_role("radio", name=re.compile("^Revise"))).to_be_checked()
    expect(noah_ada.get_by_label(re.compile("^Rationale"))).to_have_value("Noah: ask for one more reference first.")
    noah_ada.get_by_role("button", name="Save mine over theirs").click()
    expect(noah_ada.get_by_text(re.compile("Decision recorded"))).to_be_visible()
    with app.app_context():
        decision = db.session.scalar(select(Decision).execution_options(populate_existing=True))
        assert (decision.decision.value, decision.version) == ("revise", 2)
    assert problems == [], "\n".join(problems)
    maya_context.close()
    noah_context.close()
