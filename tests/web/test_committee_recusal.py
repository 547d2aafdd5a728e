"""Recusal: a committee member does not see, resolve or decide the applicants they have a declared conflict
with, share an organization with, or advise; the coordinator sees who is recused from what."""

import pytest
from sqlalchemy import select

from app.access import cycle_recusals, recusals
from app.committee.board import BoardFilters, board_page, visible_cycles
from app.committee.models import CommitteeResolution, Decision
from app.cycles.models import Cycle, ItemState
from app.extensions import db
from app.imports.service import import_file
from app.people.models import Role, User
from app.reports import cycle_figures
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.unit.import_files import csv_bytes
from tests.web.helpers import page_token, signed_in_client

PASSWORD = "a long enough test password"
ITEMS = {"A-1": "R-ALPHA", "A-2": "R-BRAVO", "A-3": "R-CHARLIE", "A-4": "R-DELTA"}


def recusal_world() -> dict:
    """Mo (Harbor Clinic) and Ida sit on "Recusal spring". Mo declared a conflict with A-1, A-2 works at
    " harbor   CLINIC ", Mo advises A-3 (as "MO@Example.org "), A-4 is clear. Each applicant has one essay at
    the committee with one submitted read: A-1 to A-3 scored 1 in every domain, A-4 scored 4."""
    cycle = f.make_cycle("Recusal spring")
    f.make_user(Role.COORDINATOR, email="coord@example.org", name="Cora Coordinator", password=PASSWORD)
    mo = f.make_user(
        Role.COMMITTEE, email="mo@example.org", name="Mo Member", password=PASSWORD, organization="Harbor Clinic"
    )
    ida = f.make_user(Role.COMMITTEE, email="ida@example.org", name="Ida Member", password=PASSWORD)
    rae = f.make_user(Role.REVIEWER, email="rae@example.org", designations="C")
    for member in (mo, ida):
        f.add_member(cycle, member, "committee")
    f.add_member(cycle, rae)
    ids = {"cycle": cycle.id, "mo": mo.id, "ida": ida.id}
    settings = {
        "A-1": {},
        "A-2": {"organization": " harbor   CLINIC "},
        "A-3": {"advisor_email": "MO@Example.org "},
        "A-4": {},
    }
    for applicant_id, extra in settings.items():
        applicant = f.make_applicant(cycle, applicant_id=applicant_id, name=f"Applicant {applicant_id}", **extra)
        essay = f.make_essay(cycle, applicant, item_id=ITEMS[applicant_id])
        essay.state = ItemState.COMMITTEE
        score = 4 if applicant_id == "A-4" else 1
        f.submitted_read(f.assign(essay, rae), {key: score for key in ESSAY_DOMAINS}, number=1)
        ids[applicant_id] = essay.id
        ids[f"application {applicant_id}"] = applicant.application.id
        if applicant_id == "A-1":
            f.make_conflict(mo, applicant, reason="former supervisor")
    return ids


pytestmark = pytest.mark.seeded(seed=recusal_world)


@pytest.fixture
def world(seeded):
    return seeded


def test_the_three_grounds_each_recuse_and_coordinators_are_never_recused(app, world):
    with app.app_context():
        mo, ida = db.session.get(User, world["mo"]), db.session.get(User, world["ida"])
        by_applicant = {pk: reasons for pk, reasons in recusals(mo).items()}
        pks = {
            applicant.applicant_id: applicant.id
            for _, applicant, _ in cycle_recusals(db.session.get(Cycle, world["cycle"]))
        }
        assert by_applicant == {
            pks["A-1"]: ["declared conflict with the applicant"],
            pks["A-2"]: ["same organization as the applicant"],
            pks["A-3"]: ["advisor of the applicant"],
        }
        assert recusals(ida) == {}
        coordinator = db.session.scalar(select(User).filter_by(email="coord@example.org"))
        assert recusals(coordinator) == {}
        listed = [
            (member.email, applicant.applicant_id, reasons)
            for member, applicant, reasons in cycle_recusals(db.session.get(Cycle, world["cycle"]))
        ]
        assert listed == [
            ("mo@example.org", "A-1", ["declared conflict with the applicant"]),
            ("mo@example.org", "A-2", ["same organization as the applicant"]),
            ("mo@example.org", "A-3", ["advisor of the applicant"]),
        ]


def test_counts_and_pictures_leave_out_what_the_member_is_recused_from(app, world):
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle"])
        mo, ida = db.session.get(User, world["mo"]), db.session.get(User, world["ida"])
        mine, theirs = board_page(cycle, BoardFilters(), mo), board_page(cycle, BoardFilters(), ida)
        assert [row.item_id for row in mine.rows] == ["R-DELTA"] and mine.counts["committee"] == 1
        assert len(theirs.rows) == 4 and theirs.counts["committee"] == 4
        assert visible_cycles(mo) == [(cycle, 1)] and visible_cycles(ida) == [(cycle, 4)]
        # Mo's pictures count A-4's read only (one 4 per domain); Ida's all four reads (three 1s and a 4).
        for figures, expected in (
            (cycle_figures(cycle, mo), {1: 0, 4: 1}),
            (cycle_figures(cycle, ida), {1: 3, 4: 1}),
            (cycle_figures(cycle), {1: 3, 4: 1}),
        ):
            domain = figures[0].domains[0]
            assert {level: domain.distribution[level] for level in (1, 4)} == expected


def test_a_recused_member_gets_404_for_the_applicants_items_and_decisions_and_cannot_act(app, world):
    mo = signed_in_client(app, "mo@example.org", PASSWORD)
    ida = signed_in_client(app, "ida@example.org", PASSWORD)
    cycle = world["cycle"]
    for applicant_id in ("A-1", "A-2", "A-3"):
        assert mo.get(f"/committee/items/{world[applicant_id]}").status_code == 404, applicant_id
        assert ida.get(f"/committee/items/{world[applicant_id]}").status_code == 200, applicant_id
    assert mo.get(f"/committee/items/{world['A-4']}").status_code == 200
    for path in (
        f"/committee/cycles/{cycle}/",
        f"/committee/cycles/{cycle}/?state=open",
        f"/committee/cycles/{cycle}/applications",
    ):
        body = mo.get(path).get_data(as_text=True)
        assert "R-DELTA" in body or "Applicant A-4" in body, path
        for hidden in ("R-ALPHA", "R-BRAVO", "R-CHARLIE", "Applicant A-1", "Applicant A-2", "Applicant A-3"):
            assert hidden not in body, (path, hidden)
    token = page_token(mo, "/account/password")
    scores = {f"score_{key}": "2" for key in ESSAY_DOMAINS}
    resolved = mo.post(
        f"/committee/items/{world['A-1']}/resolution",
        data={"csrf_token": token, "version": "", "rationale": "tried", **scores},
    )
    decided = mo.post(
        f"/committee/applications/{world['application A-2']}/decision",
        data={"csrf_token": token, "version": "", "decision": "endorse", "rationale": "tried"},
    )
    assert (resolved.status_code, decided.status_code) == (404, 404)
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None and db.session.scalar(select(Decision)) is None


def test_a_new_conflict_or_organization_recuses_on_the_next_request_and_the_coordinator_sees_it(app, world):
    mo = signed_in_client(app, "mo@example.org", PASSWORD)
    delta = f"/committee/items/{world['A-4']}"
    assert mo.get(delta).status_code == 200
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle"])
        result = import_file(
            "conflicts",
            csv_bytes([["email", "applicant_id", "reason"], ["mo@example.org", "A-4", "sister-in-law"]]),
            "c.csv",
            cycle,
        )
        assert result.ok, result.report()
        db.session.commit()
    assert mo.get(delta).status_code == 404
    assert "R-DELTA" not in mo.get(f"/committee/cycles/{world['cycle']}/").get_data(as_text=True)

    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    page = coordinator.get(f"/console/cycles/{world['cycle']}/committee").get_data(as_text=True)
    assert page.count('Mo Member <span class="muted">mo@example.org</span>') == 4
    assert "A-4 · Applicant A-4" in page and "Declared conflict with the applicant" in page
    assert "Same organization as the applicant" in page and "Advisor of the applicant" in page

    # Ida's organization set to A-2's (written otherwise) on her account page recuses her from A-2 at once.
    ida = signed_in_client(app, "ida@example.org", PASSWORD)
    bravo = f"/committee/items/{world['A-2']}"
    assert ida.get(bravo).status_code == 200
    user_page = f"/console/users/{world['ida']}"
    saved = coordinator.post(
        f"{user_page}/organization",
        data={"csrf_token": page_token(coordinator, user_page), "organization-organization": "Harbor clinic"},
    )
    assert saved.status_code == 302
    assert ida.get(bravo).status_code == 404
