"""Declining an assignment (docs/access.md, docs/mail.md "Declines"): only its own reviewer may, and only while
the read is not submitted. Everyone else gets what the access matrix expects (404 for another's assignment, 403
for other roles), and a refused decline changes nothing."""

import pytest

from app.assignment.models import AssignmentDecline
from app.extensions import db
from tests.hostile.routes import session_token, signed_in_client
from tests.hostile.world import build_world, fingerprint

pytestmark = pytest.mark.seeded(seed=build_world)


@pytest.fixture
def world(seeded):
    return seeded


def decline(app, world, role: str, assignment: str, reason: str = "I know this applicant"):
    client = signed_in_client(app, world.emails[role])
    token = session_token(client, True)
    return client.post(f"/reviews/{world.ids[assignment]}/decline", data={"csrf_token": token, "reason": reason})


@pytest.mark.parametrize(
    ("role", "assignment", "status"),
    [
        ("reviewer_b", "asg_b_w", 409),  # their own, but submitted
        ("reviewer_a", "asg_b_w", 404),  # another reviewer's, in the same cycle
        ("reviewer_a", "asg_b_y", 404),  # another reviewer's, in another cycle
        ("conflicted", "asg_conf_x", 404),  # their own, but the applicant is hidden from them by a conflict
        ("committee_c1", "asg_a_x", 403),
        ("coordinator", "asg_a_x", 403),  # a coordinator unassigns instead
        ("reviewer_a", "asg_a_x", 422),  # their own draft, but no reason given
    ],
)
def test_a_refused_decline_changes_nothing(app, world, role, assignment, status):
    with app.app_context():
        before = fingerprint()
    response = decline(app, world, role, assignment, reason="" if status == 422 else "I know this applicant")
    assert response.status_code == status
    with app.app_context():
        db.session.remove()
        assert fingerprint() == before


def test_the_assignee_declines_their_draft_and_only_that_is_recorded(app, world):
    response = decline(app, world, "reviewer_a", "asg_a_x")
    assert response.status_code == 303 and response.headers["Location"].endswith("/reviews/")
    with app.app_context():
        declined = db.session.scalars(db.select(AssignmentDecline)).all()
        assert [(d.reviewer_id, d.item_pk, d.reason) for d in declined] == [
            (world.ids["u_reviewer_a"], world.ids["e_x"], "I know this applicant")
        ]
