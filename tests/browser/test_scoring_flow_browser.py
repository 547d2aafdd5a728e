"""The scoring page as a compact flow in a real browser: the bar that stays in view, descriptors hidden and
remembered, jump links, previous and next item, the summary before Submit, the reopen reason, and text typed
just before a reload put back and saved."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.assignment.models import Assignment
from app.extensions import db
from app.people.models import Role, User
from app.scoring import service
from app.scoring.models import Read, Score
from tests import factories as f
from tests.factories import ESSAY_DOMAINS

PASSWORD = "flow test password"
EMAIL = "fern@example.org"


@pytest.fixture
def queue(app):
    """Three essays in Fern's queue (E-401, E-402, E-403, the queue's order); the first already submitted."""
    with app.app_context():
        cycle = f.make_cycle("Autumn exams")
        reviewer = f.make_user(Role.REVIEWER, email=EMAIL, name="Fern Reviewer", password=PASSWORD)
        f.make_user(Role.COORDINATOR, email="cora@example.org", name="Cora", password=PASSWORD)
        ids = []
        for n in (1, 2, 3):
            applicant = f.make_applicant(cycle, name=f"Applicant {n}")
            item = f.make_essay(cycle, applicant, item_id=f"E-40{n}", prompt="A prompt.", response="A response.")
            ids.append(f.assign(item, reviewer).id)
        f.submitted_read(db.session.get(Assignment, ids[0]), dict.fromkeys(ESSAY_DOMAINS, 3), number=1)
        db.session.commit()
        return ids


def sign_in(page, email=EMAIL):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if email == EMAIL:
        expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
    else:
        page.wait_for_load_state()


def stored_comments(app, assignment_id):
    with app.app_context():
        return {
            s.domain_key: s.comment
            for s in db.session.scalars(select(Score).join(Read).where(Read.assignment_id == assignment_id))
        }


def test_the_bar_stays_in_view_and_follows_the_marks_and_links_jump_to_a_domain(page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    nav = page.get_by_role("navigation", name="Rubric sections")
    reflection = nav.get_by_role("link", name=re.compile("^Reflection"))
    expect(reflection).to_have_attribute("data-state", "open")
    expect(reflection.locator("[data-value]")).to_have_text("–")

    page.locator("label[for='score-reflection-3']").click()
    expect(page.locator("#status-reflection")).to_have_text("Saved")
    expect(reflection).to_have_attribute("data-state", "done")
    expect(reflection.locator("[data-value]")).to_have_text("3")
    summary = page.locator("[data-summary-for='domain-reflection']")
    expect(summary.locator("[data-value]")).to_have_text(re.compile(r"^3 · "))

    page.mouse.wheel(0, 3000)  # far down the rubric, the bar is still at the top of the window
    page.wait_for_function(
        "document.getElementById('score-nav').getBoundingClientRect().top <= 1 && window.scrollY > 1000"
    )
    nav.get_by_role("link", name=re.compile("^Thinking")).click()
    expect(page).to_have_url(re.compile("#domain-thinking$"))
    top = page.evaluate("document.getElementById('domain-thinking').getBoundingClientRect().top")
    bar_bottom = page.evaluate("document.getElementById('score-nav').getBoundingClientRect().bottom")
    assert bar_bottom <= top < 400  # the domain lands just below the bar, not hidden under it


def test_descriptors_hide_on_request_and_stay_hidden_on_the_next_item(page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    descriptor = page.locator("#domain-reflection .level__descriptor").first
    expect(descriptor).to_be_visible()
    tall = page.evaluate("document.documentElement.scrollHeight")
    toggle = page.get_by_role("button", name="Hide descriptors")
    toggle.click()
    expect(descriptor).to_be_hidden()
    expect(page.get_by_role("button", name="Show descriptors")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.scrollHeight") < tall * 0.8

    page.get_by_role("link", name="Next item: E-403").click()
    expect(page.get_by_role("heading", name=re.compile("Item E-403"))).to_be_visible()
    expect(page.locator("#domain-reflection .level__descriptor").first).to_be_hidden()
    page.get_by_role("button", name="Show descriptors").click()
    expect(page.locator("#domain-reflection .level__descriptor").first).to_be_visible()


def test_previous_and_next_follow_the_queue_and_submit_offers_the_next_open_item(page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    steps = page.get_by_role("navigation", name="Items in your queue")
    expect(steps).to_contain_text("2 of 3")
    expect(steps.get_by_role("link", name="Previous item: E-401")).to_be_visible()
    expect(steps.get_by_role("link", name="Next item: E-403")).to_be_visible()

    page.get_by_role("link", name="Review and submit").click()
    expect(page).to_have_url(re.compile("#review$"))
    review = page.locator("#review")
    expect(review.locator("[data-summary-for='domain-thinking'] [data-value]")).to_have_text("Not scored yet")
    page.get_by_role("button", name="Submit read").click()
    problems = page.locator("#submit-problems")
    expect(problems).to_be_focused()
    problems.get_by_role("link", name="Thinking").click()
    expect(page).to_have_url(re.compile("#domain-thinking$"))

    for domain in ESSAY_DOMAINS:
        page.locator(f"label[for='score-{domain}-2']").click()
        expect(page.locator(f"#status-{domain}")).to_have_text("Saved")
    expect(review.locator("tr[data-state='open']")).to_have_count(0)
    page.get_by_role("button", name="Submit read").click()
    expect(page.locator("#read-outcome")).to_contain_text("Submitted and locked")
    page.get_by_role("link", name="Next item to score: E-403 →").click()
    expect(page.get_by_role("heading", name=re.compile("Item E-403"))).to_be_visible()


def test_a_reopened_read_shows_why_it_was_reopened(app, page, queue):
    with app.app_context():
        read = db.session.scalars(select(Read).where(Read.assignment_id == queue[0])).one()
        coordinator = db.session.scalars(select(User).where(User.email == "cora@example.org")).one()
        service.reopen(read, coordinator.id, "Reflection's score does not match your comment.")
        db.session.commit()
    sign_in(page)
    page.goto(f"/reviews/{queue[0]}")
    notice = page.locator("#reopened")
    expect(notice).to_contain_text("A coordinator reopened this read")
    expect(notice).to_contain_text("Why: Reflection's score does not match your comment.")
    expect(page.locator("#score-reflection-3")).to_be_checked()
    expect(page.locator("#score-reflection-3")).to_be_enabled()


def test_text_typed_just_before_a_reload_is_put_back_and_saved(app, page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    page.on("dialog", lambda dialog: dialog.accept())  # "Leave site?": the reviewer says yes
    comment = page.get_by_label("Comment on Reflection")
    comment.fill("Typed and reloaded at once")
    page.reload()  # well inside the 600 ms pause: no save was sent
    expect(page.get_by_label("Comment on Reflection")).to_have_value("Typed and reloaded at once")
    expect(page.locator("#status-reflection")).to_have_text("Saved")
    expect(page.locator("#restored")).to_contain_text("Put back what you had typed")
    expect(page.locator("#restored")).to_contain_text("Comment on Reflection")
    assert stored_comments(app, queue[1]) == {"reflection": "Typed and reloaded at once"}

    page.reload()  # once stored, nothing is left to put back
    expect(page.get_by_label("Comment on Reflection")).to_have_value("Typed and reloaded at once")
    expect(page.locator("#restored")).to_be_hidden()
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('endorsement.unsaved')).length") == 0


def test_text_kept_through_an_expired_session_is_saved_after_signing_in_again(app, page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    page.route("**/domains/**", lambda route: route.abort("connectionfailed"))
    page.get_by_label("Comment on Thinking").fill("Written while the network was down")
    expect(page.locator("#status-thinking")).to_contain_text("Not saved")
    page.unroute("**/domains/**")
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.get_by_label("Comment on Thinking")).to_have_value("Written while the network was down")
    expect(page.locator("#status-thinking")).to_have_text("Saved")
    assert stored_comments(app, queue[1]) == {"thinking": "Written while the network was down"}


def test_a_reviewer_reports_a_problem_and_the_coordinator_handles_it(app, page, queue):
    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    page.get_by_text("Report a problem with this item…").click()
    page.get_by_role("button", name="Send to the coordinator").click()  # empty: the browser asks for a note
    assert page.evaluate("document.getElementById('report-note').validity.valueMissing")
    page.get_by_label("What is wrong?").fill("The essay signs off with the applicant's full name.")
    page.get_by_role("button", name="Send to the coordinator").click()
    expect(page.locator(".flash--success")).to_contain_text("the coordinator sees your report on item E-402")
    report = page.locator("#report")
    expect(report).to_contain_text("Sent")
    expect(report).to_contain_text("The essay signs off with the applicant's full name.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "cora@example.org")
    with app.app_context():
        cycle_id = db.session.get(Assignment, queue[1]).item.cycle_id
    page.goto(f"/console/cycles/{cycle_id}")
    flags = page.locator("#flags")
    expect(flags).to_contain_text("1 open")
    expect(flags).to_contain_text("Fern Reviewer")
    flags.get_by_role("link", name="E-402").click()
    item_flags = page.locator("#flags")
    expect(item_flags).to_contain_text("The essay signs off with the applicant's full name.")
    item_flags.get_by_role("button", name="Mark handled").click()
    expect(page.locator(".flash--success")).to_contain_text("marked handled")
    expect(page.locator("#flags")).to_contain_text("Handled")
    page.goto(f"/console/cycles/{cycle_id}")
    expect(page.locator("#flags")).to_have_count(0)  # nothing open any more
    page.get_by_role("button", name="Sign out").click()

    sign_in(page)
    page.goto(f"/reviews/{queue[1]}")
    expect(page.locator("#report")).to_contain_text("Handled")
