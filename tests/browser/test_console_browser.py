"""A coordinator runs a cycle in a real browser: upload with a row report then a good file, assignment preview
and confirm, export download reopened with openpyxl."""

import os
import re

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.assignment.models import Assignment
from app.cycles.models import Cycle, MemberRole
from app.extensions import db
from app.people.models import Role, User
from tests import factories as f
from tests.browser.axe import violations

PASSWORD = "browser test password"
EMAIL = "cora@example.org"
SHEETS = f.WORKBOOK_SHEETS
# Screenshots for a person to look at: set CONSOLE_SCREENSHOTS=/some/folder.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


@pytest.fixture
def cycle_id(app):
    """A cycle with a coordinator and three essays of two applicants, no reviewers yet."""
    with app.app_context():
        cycle = f.make_cycle("Spring 2025")
        f.make_user(Role.COORDINATOR, email=EMAIL, name="Cora Coordinator", password=PASSWORD)
        first, second = f.make_applicant(cycle, applicant_id="A-1"), f.make_applicant(cycle, applicant_id="A-2")
        for item_id, applicant in (("E-1", first), ("E-2", first), ("E-3", second)):
            f.make_essay(cycle, applicant, item_id=item_id)
        db.session.commit()
        return cycle.id


def shot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def sign_in(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review cycles")).to_be_visible()


# A refused upload is answered 422 on purpose; chromium logs every 4xx page as a console error.
EXPECTED = "Failed to load resource: the server responded with a status of 422"


def watch_for_errors(page):
    """Script errors and console errors (e.g. a CSP violation) other than the expected 422."""
    problems = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" and not msg.text.startswith(EXPECTED) else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_coordinator_imports_with_a_row_report_then_assigns_with_preview(app, page, cycle_id, tmp_path):
    problems = watch_for_errors(page)
    sign_in(page)
    page.get_by_role("link", name="Spring 2025").click()
    expect(page.get_by_role("heading", name="Spring 2025")).to_be_visible()
    shot(page, "1-dashboard-empty")

    bad = tmp_path / "reviewers.csv"
    bad.write_text(
        "email,name,designations\nann@example.org,Ann Reader,C\nben@example,Ben Reader,C\n"
        "cat@example.org,Cat Reader,Z\n",
        encoding="utf-8",
    )
    page.get_by_role("navigation", name="Cycle sections").get_by_role("link", name="Import").click()
    page.get_by_label("What the file holds").select_option("reviewers")
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    report = page.locator("#import-report")
    expect(report.get_by_role("heading")).to_have_text("Nothing was imported from reviewers.csv")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("3")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("email")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("4")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("designations")
    # The outcome leads the page and has the focus: its heading and first rows are in a laptop's window.
    expect(report).to_be_focused()
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("document.getElementById('import-report').getBoundingClientRect().top") < 250
    assert (
        page.evaluate("document.querySelector('#import-report tbody tr:last-child').getBoundingClientRect().bottom")
        < 800
    )
    assert violations(page) == []
    shot(page, "2-import-report")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1

    good = tmp_path / "reviewers-fixed.csv"
    good.write_text(
        "email,name,designations\nann@example.org,Ann Reader,C\nben@example.org,Ben Reader,C\n"
        "cat@example.org,Cat Reader,C\n",
        encoding="utf-8",
    )
    page.get_by_label("What the file holds").select_option("reviewers")
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text("Imported reviewers from reviewers-fixed.csv: 3 created, 0 updated, 0 unchanged.")
    ).to_be_visible()

    page.get_by_role("link", name="Items & assignment").click()
    page.get_by_role("button", name="Preview auto-assignment").click()
    # Three essays × two reads over three reviewers: six new reads, two each.
    expect(page.get_by_text("6 new reads")).to_be_visible()
    loads = page.locator("table.progress-table tbody tr")
    expect(loads).to_have_count(3)
    for n in range(3):
        expect(loads.nth(n).locator("td").nth(4)).to_have_text("2")
    shot(page, "3-preview")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    page.get_by_role("button", name="Confirm and assign 6 reads").click()
    expect(page.get_by_text("Assigned 6 reads; highest load is now 2.")).to_be_visible()
    shot(page, "4-items")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 6

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#reviewers-title")).to_be_visible()
    expect(page.get_by_text("0 of 2 submitted")).to_have_count(3)
    shot(page, "5-dashboard")
    page.get_by_role("link", name="Items & assignment").click()
    page.get_by_role("link", name="E-1", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("E-1"))).to_be_visible()
    shot(page, "6-item")
    assert problems == []


def test_coordinator_downloads_the_export_and_it_reopens(app, page, cycle_id, tmp_path):
    problems = watch_for_errors(page)
    sign_in(page)
    page.goto(f"/console/cycles/{cycle_id}")
    page.get_by_role("link", name="Export & letters").click()
    # Made in the background: the button's panel polls until the workbook is there to download.
    page.get_by_role("button", name="Make the workbook").click()
    link = page.get_by_role("link", name=re.compile(r"Download endorsement-spring-2025-.*\.xlsx"))
    expect(link).to_be_visible(timeout=30_000)
    shot(page, "7-export-made")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert re.fullmatch(r"endorsement-spring-2025-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    try:
        assert workbook.sheetnames == SHEETS
        items = list(workbook["Items"].iter_rows(min_row=2, values_only=True))
        assert sorted(row[0] for row in items) == ["E-1", "E-2", "E-3"]
    finally:
        workbook.close()
    assert problems == []


def test_the_committee_and_import_pages_fit_a_phone_without_scrolling_sideways(app, page, cycle_id):
    """The members table scrolls inside its frame; nothing in it (the Unseat buttons' hidden names) may widen
    the page itself beyond the 390 px of the screen; nor may the import page's list of kinds, whose column names
    (with_infant_and_parent) do not break by themselves."""
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        for n in (1, 2):
            member = f.make_user(
                Role.COMMITTEE, email=f"member.with.a.long.address{n}@association.example.org", name=f"Member {n}"
            )
            f.add_member(cycle, member, MemberRole.COMMITTEE)
        db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    page.goto(f"/console/cycles/{cycle_id}/committee")
    expect(page.get_by_role("heading", name="Who sits on the committee")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"/console/cycles/{cycle_id}/import")
    expect(page.get_by_role("heading", name="What each kind needs")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
