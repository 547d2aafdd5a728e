"""axe-core finds no violation on any page each role can reach in the demo cycle, at a laptop's and a phone's
width (tests/browser/axe.py)."""

import pytest
from sqlalchemy import select

from app.assignment.models import Assignment
from app.cycles.models import Cycle, Item, ItemKind, ItemState
from app.demo import content
from app.demo.service import load_demo
from app.extensions import db
from app.people.models import User
from tests.browser.axe import settled, violations

pytestmark = pytest.mark.seeded(seed=load_demo)
WIDTHS = (1280, 390)


def _password(email: str) -> str:
    return next(account["password"] for account in content.ACCOUNTS if account["email"] == email)


def _pages(role: str) -> list[str]:
    """The pages of one role in the demo cycle: every list, and an item of each kind."""
    cycle = db.session.scalars(select(Cycle)).one()
    if role == "reviewer":
        reviewer = db.session.scalars(select(User).where(User.email == "reviewer@demo.test")).one()
        mine = db.session.execute(
            select(Assignment.id, Item.kind)
            .join(Item, Item.id == Assignment.item_pk)
            .where(Assignment.reviewer_id == reviewer.id)
        ).all()
        essay = next(a for a, kind in mine if kind == ItemKind.ESSAY)
        portfolio = next(a for a, kind in mine if kind == ItemKind.APPLICATION)
        return ["/reviews/", f"/reviews/{essay}", f"/reviews/{portfolio}", "/account/password"]
    discrepant = db.session.scalars(
        select(Item.id)
        .where(Item.state.in_((ItemState.ADJUDICATING, ItemState.DISCREPANT, ItemState.COMMITTEE)))
        .order_by(Item.id)
    ).first()
    portfolio = db.session.scalars(select(Item.id).where(Item.kind == ItemKind.APPLICATION).order_by(Item.id)).first()
    if role == "committee":
        return [
            "/committee/",
            f"/committee/cycles/{cycle.id}/",
            f"/committee/cycles/{cycle.id}/pictures",
            f"/committee/items/{discrepant}",
            f"/committee/items/{portfolio}",
            f"/committee/cycles/{cycle.id}/applications",
        ]
    someone = db.session.scalars(select(User.id).where(User.email == "reviewer@demo.test")).one()
    member = db.session.scalars(select(User.id).where(User.email == "committee@demo.test")).one()
    return [
        "/console/",
        f"/console/cycles/{cycle.id}",
        f"/console/cycles/{cycle.id}/pictures",
        f"/console/cycles/{cycle.id}/assignments",
        f"/console/cycles/{cycle.id}/assignments/preview",
        f"/console/items/{discrepant}",
        f"/console/items/{portfolio}",
        f"/console/cycles/{cycle.id}/import",
        f"/console/cycles/{cycle.id}/committee",
        f"/console/cycles/{cycle.id}/export",
        "/console/users",
        f"/console/users/{someone}",
        f"/console/users/{member}",
        "/console/audit",
    ]


def _checked(page, paths: list[str]) -> list[str]:
    """axe's findings on each page, loaded afresh at each width (the page's script lays out its tables for the
    width it starts at), once what htmx loads after the page has arrived."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(path)
            settled(page)
            found += [f"{width}px {line}" for line in violations(page)]
    return found


def test_the_sign_in_page_has_no_accessibility_violation(browser, live_server):
    # Every role meets the same sign-in page: it is checked once at each width, not once per role.
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = _checked(page, ["/login"])
    context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("email", ["reviewer@demo.test", "committee@demo.test", "coordinator@demo.test"])
def test_no_page_a_role_reaches_has_an_accessibility_violation(app, seeded, browser, live_server, email):
    with app.app_context():
        role = db.session.scalars(select(User.role).where(User.email == email)).one().value
        pages = _pages(role)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(_password(email))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    found = _checked(page, pages)
    context.close()
    assert not found, "\n".join(found)
