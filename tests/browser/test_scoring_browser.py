"""A reviewer scores an essay in a real browser: autosave, reload, submit, keyboard use and failures shown."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role
from app.scoring.models import Read, Score
from tests import factories as f
from tests.factories import ESSAY_DOMAINS

PASSWORD = "browser test password"
EMAIL = "rowan@example.org"


@pytest.fixture
def assignment_id(app):
    with app.app_context():
        cycle = f.make_cycle("Spring exams")
        reviewer = f.make_user(Role.REVIEWER, email=EMAIL, name="Rowan Reviewer", password=PASSWORD)
        applicant = f.make_applicant(cycle, name="Hidden Applicant")
        item = f.make_essay(
            cycle,
            applicant,
            item_id="E-301",
            prompt="A parent misses three home visits.",
            response="First I would reflect on my own frustration before calling the family.",
        )
        assignment = f.assign(item, reviewer)
        db.session.commit()
        return assignment.id


def sign_in(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My reviews")).to_be_visible()


def stored(app, assignment_id):
    with app.app_context():
        return {
            s.domain_key: (s.score, s.comment)
            for s in db.session.scalars(select(Score).join(Read).where(Read.assignment_id == assignment_id))
        }


def test_reviewer_scores_every_domain_reloads_and_submits(app, page, assignment_id):
    problems = []  # console errors, e.g. a CSP violation or a script error
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page)
    page.get_by_role("link", name="Start item E-301").click()
    expect(page.get_by_role("heading", name=re.compile("Item E-301"))).to_be_visible()
    expect(page.get_by_text("Hidden Applicant")).to_have_count(0)
    expect(page.locator("#read-state")).to_have_text("Not started")

    for domain, level in zip(ESSAY_DOMAINS, [3, 3, 2, 4, 3, 2], strict=True):
        page.locator(f"label[for='score-{domain}-{level}']").click()
        expect(page.locator(f"#status-{domain}")).to_have_text("Saved")
    page.get_by_label("Comment on Reflection").fill("Names her own frustration and uses it.")
    expect(page.locator("#status-reflection")).to_have_text("Saved")
    expect(page.locator("#read-progress")).to_contain_text("6 of 6 domains scored")
    expect(page.locator("#page-save-status")).to_have_text("All changes saved")
    expect(page.locator("#read-state")).to_have_text("Draft")  # the title's badge follows the first save, no reload
    assert stored(app, assignment_id)["reflection"] == (4, "Names her own frustration and uses it.")

    page.reload()
    for domain, level in zip(ESSAY_DOMAINS, [3, 3, 2, 4, 3, 2], strict=True):
        expect(page.locator(f"#score-{domain}-{level}")).to_be_checked()
    expect(page.get_by_label("Comment on Reflection")).to_have_value("Names her own frustration and uses it.")

    page.get_by_role("button", name="Submit read").click()
    # 3+3+2+4+3+2 = 17 over six domains: mean 2.83, no domain below 2, so it passes.
    expect(page.locator("#read-outcome")).to_contain_text("Submitted and locked")
    expect(page.locator("#read-outcome")).to_contain_text("mean 2.83")
    expect(page.locator("#read-outcome .badge")).to_have_text("Pass")
    expect(page.locator("#score-reflection-1")).to_be_disabled()
    expect(page.get_by_role("button", name="Submit read")).to_have_count(0)

    page.get_by_role("link", name="← My reviews").click()
    expect(page.get_by_role("link", name="View item E-301")).to_be_visible()
    expect(page.get_by_text("1 of 1 submitted")).to_be_visible()
    assert problems == []


def test_every_field_is_labelled_and_the_keyboard_scores_and_autosaves(app, page, assignment_id):
    sign_in(page)
    page.goto(f"/reviews/{assignment_id}")
    unlabelled = page.evaluate("""() => Array.from(
        document.querySelectorAll("input:not([type=hidden]), textarea, select, button"))
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                      && !el.getAttribute("aria-labelledby") && !(el.textContent || "").trim())
        .map(el => el.outerHTML.slice(0, 120))""")
    assert unlabelled == []
    radios_outside_fieldsets = page.evaluate("""() => Array.from(document.querySelectorAll("input[type=radio]"))
        .filter(el => !el.closest("fieldset") || !el.closest("fieldset").querySelector("legend")).length""")
    assert radios_outside_fieldsets == 0

    # Tab from the top of the page to the first radio group, choose with Space, change with an arrow key.
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    assert page.evaluate("document.activeElement.id") == "score-theoretical_foundations-1"
    page.keyboard.press("Space")
    expect(page.locator("#status-theoretical_foundations")).to_have_text("Saved")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#score-theoretical_foundations-2")).to_be_checked()
    expect(page.locator("#status-theoretical_foundations")).to_have_text("Saved")
    expect(page.locator("#page-save-status")).to_have_text("All changes saved")
    assert stored(app, assignment_id) == {"theoretical_foundations": (2, "")}


def tab_until(page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies the JavaScript predicate ``matches`` (given ``el``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {matches})(document.activeElement)"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached an element where {matches}")


def test_a_reviewer_signs_in_scores_every_domain_comments_and_submits_with_the_keyboard_alone(app, page, assignment_id):
    levels = dict(zip(ESSAY_DOMAINS, [3, 3, 2, 4, 3, 2], strict=True))
    page.goto("/login")
    tab_until(page, "el.type === 'email' || el.name === 'email'")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
    tab_until(page, "el.getAttribute('aria-label') === 'Start item E-301'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Item E-301"))).to_be_visible()

    for domain, level in levels.items():
        # Tab enters a radio group at its first level; Space chooses it, each ArrowDown the next one up.
        tab_until(page, f"el.id === 'score-{domain}-1'")
        page.keyboard.press("Space")
        for _ in range(level - 1):
            page.keyboard.press("ArrowDown")
        expect(page.locator(f"#score-{domain}-{level}")).to_be_checked()
        expect(page.locator(f"#status-{domain}")).to_have_text("Saved")
        if domain == "reflection":
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "comment-reflection"
            page.keyboard.type("Names her own frustration and uses it.")
    expect(page.locator("#status-reflection")).to_have_text("Saved")
    expect(page.locator("#read-progress")).to_contain_text("6 of 6 domains scored")

    tab_until(page, "el.textContent.trim() === 'Submit read'")
    page.keyboard.press("Enter")
    # 3+3+2+4+3+2 = 17 over six domains: mean 2.83, no domain below 2, so it passes.
    expect(page.locator("#read-outcome")).to_contain_text("Submitted and locked")
    expect(page.locator("#read-outcome")).to_contain_text("mean 2.83")
    expected = {domain: (level, "") for domain, level in levels.items()}
    expected["reflection"] = (4, "Names her own frustration and uses it.")
    assert stored(app, assignment_id) == expected


def test_a_failed_save_is_shown_with_retry_and_nothing_typed_is_lost(app, page, assignment_id):
    sign_in(page)
    page.goto(f"/reviews/{assignment_id}")
    page.route("**/domains/**", lambda route: route.abort("connectionfailed"))
    page.get_by_label("Comment on Thinking").fill("Weighs two options carefully")
    status = page.locator("#status-thinking")
    expect(status).to_contain_text("Not saved")
    expect(page.locator("#page-save-status")).to_contain_text("not saved")
    expect(page.locator("#app-status")).to_contain_text("Could not reach the server")
    expect(page.get_by_label("Comment on Thinking")).to_have_value("Weighs two options carefully")
    assert stored(app, assignment_id) == {}

    page.unroute("**/domains/**")
    status.get_by_role("button", name="Retry").click()
    expect(status).to_have_text("Saved")
    expect(page.locator("#page-save-status")).to_have_text("All changes saved")
    assert stored(app, assignment_id) == {"thinking": (None, "Weighs two options carefully")}


def test_a_save_answered_503_keeps_the_text_says_so_and_is_sent_again_after_retry_after(app, page, assignment_id):
    """The database went away for a moment (docs/security-hardening.md, "When the database goes away"): the
    server answered 503 with Retry-After; the page keeps the text, says when it sends it again, and does."""
    sign_in(page)
    page.goto(f"/reviews/{assignment_id}")
    answered = []

    def database_restarting_once(route):
        answered.append(route.request.url)
        if len(answered) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="text/plain", body="unavailable")
        else:
            route.continue_()

    page.route("**/domains/**", database_restarting_once)
    page.get_by_label("Comment on Thinking").fill("Typed while the database restarted")
    status = page.locator("#status-thinking")
    expect(status).to_contain_text("Not saved")
    expect(page.locator("#app-status")).to_contain_text("sent again in 1 second,")
    expect(page.get_by_label("Comment on Thinking")).to_have_value("Typed while the database restarted")
    assert stored(app, assignment_id) == {}
    # No click: the page sends it again by itself once Retry-After has passed.
    expect(status).to_have_text("Saved", timeout=5000)
    expect(page.locator("#page-save-status")).to_have_text("All changes saved")
    assert len(answered) == 2
    assert stored(app, assignment_id) == {"thinking": (None, "Typed while the database restarted")}


def test_two_windows_on_one_item_never_lose_an_edit_silently(app, page, assignment_id):
    """The same reviewer has the item open in two tabs; each edit either is stored or is shown as a conflict
    that keeps what was typed, with a choice."""
    problems = []
    sign_in(page)
    second = page.context.new_page()
    for tab in (page, second):
        tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: problems.append(str(exc)))
        tab.goto(f"/reviews/{assignment_id}")
    comment_a, comment_b = page.get_by_label("Comment on Reflection"), second.get_by_label("Comment on Reflection")

    page.locator("label[for='score-reflection-3']").click()
    comment_a.fill("Written in the first window")
    expect(page.locator("#status-reflection")).to_have_text("Saved")

    comment_b.fill("Written in the second window")
    status_b = second.locator("#status-reflection")
    expect(status_b).to_contain_text("Changed in another window")
    expect(status_b).to_contain_text("score 3, “Written in the first window”")
    expect(second.locator("#page-save-status")).to_contain_text("changed in another window")
    expect(comment_b).to_have_value("Written in the second window")  # nothing typed is lost
    assert stored(app, assignment_id)["reflection"] == (3, "Written in the first window")
    second.get_by_role("button", name="Submit read").click()
    expect(second.locator("#app-status")).to_contain_text("changed in another window")  # no submit over it

    second.get_by_role("button", name="Load theirs").click()
    expect(comment_b).to_have_value("Written in the first window")
    expect(second.locator("#score-reflection-3")).to_be_checked()
    expect(status_b).to_have_text("Saved")
    with second.expect_response(lambda r: "/domains/reflection" in r.url) as answer:
        comment_b.fill("The second window, having seen the first")
    assert answer.value.status == 200
    expect(status_b).to_have_text("Saved")
    assert stored(app, assignment_id)["reflection"] == (3, "The second window, having seen the first")

    comment_a.fill("The first window, not knowing")
    status_a = page.locator("#status-reflection")
    expect(status_a).to_contain_text("Changed in another window")
    with page.expect_response(lambda r: "/domains/reflection" in r.url) as answer:
        page.get_by_role("button", name="Save mine").click()
    assert answer.value.status == 200
    expect(status_a).to_have_text("Saved")
    assert stored(app, assignment_id)["reflection"] == (3, "The first window, not knowing")
    expect(page.locator("#page-save-status")).to_have_text("All changes saved")
    assert problems == [msg for msg in problems if "409" in msg]  # only the conflicts' own answers
