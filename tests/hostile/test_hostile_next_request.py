"""Changes that must hold from the very next request: unassignment and a colleague's newer committee save
(docs/security.md, requirements 9 and 21), through the routes, as two people at two browsers would see them."""

import pytest

from app.committee.models import CommitteeResolution
from app.extensions import db
from tests.factories import ESSAY_DOMAINS
from tests.hostile.routes import session_token, signed_in_client
from tests.hostile.world import WINDOW, build_world

pytestmark = pytest.mark.seeded(seed=build_world)


@pytest.fixture
def world(seeded):
    return seeded


def test_an_unassigned_reviewer_loses_the_item_on_the_next_request(app, world):
    reviewer = signed_in_client(app, world.emails["reviewer_b"])
    page = f"/reviews/{world.ids['asg_b_y']}"
    assert reviewer.get(page).status_code == 200
    reviewer_token = session_token(reviewer, True)
    coordinator = signed_in_client(app, world.emails["coordinator"])
    assignment = world.ids["asg_b_y"]
    response = coordinator.post(
        f"/console/assignments/{assignment}/unassign", data={"csrf_token": session_token(coordinator, True)}
    )
    assert response.status_code == 302
    assert reviewer.get(page).status_code == 404
    save = reviewer.post(
        f"{page}/domains/reflection",
        data={"score": "3", "seq": "5", **WINDOW},
        headers={"HX-Request": "true", "X-CSRFToken": reviewer_token},
    )
    assert save.status_code == 404
    assert "HE-2" not in reviewer.get("/reviews/").get_data(as_text=True)


def test_a_stale_committee_save_is_refused_with_409_and_keeps_the_typed_rationale(app, world):
    item = world.ids["e_w"]  # settled once already: the resolution is at version 1
    first, second = (signed_in_client(app, world.emails[who]) for who in ("committee_c1", "coordinator"))
    scores = {f"score_{key}": "3" for key in ESSAY_DOMAINS}
    saved = first.post(
        f"/committee/items/{item}/resolution",
        data={
            **scores,
            "rationale": "First member: raise every domain",
            "version": "1",
            "csrf_token": session_token(first, True),
        },
    )
    assert saved.status_code == 303
    mine = "Second member: my careful reasoning, typed over ten minutes"
    stale = second.post(
        f"/committee/items/{item}/resolution",
        data={**scores, "rationale": mine, "version": "1", "csrf_token": session_token(second, True)},
        headers={"HX-Request": "true", "X-CSRFToken": session_token(second, True)},
    )
    assert stale.status_code == 409
    assert mine in stale.get_data(as_text=True)
    with app.app_context():
        kept = db.session.scalar(db.select(CommitteeResolution).filter_by(item_pk=item))
        assert kept.rationale == "First member: raise every domain" and kept.version == 2
