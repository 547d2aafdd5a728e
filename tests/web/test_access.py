"""Role checks, object checks and the fail-closed default (docs/security.md, requirements 7 and 9; docs/access.md)."""

import pytest
from flask_login import current_user

from app.access import assignment_or_404, can_read_assignment, can_view_item, item_or_404
from app.extensions import db
from app.people.access import public, role_required
from app.people.models import Role, User
from app.people.navigation import add_nav_link
from tests import factories as f
from tests.web.helpers import login

PASSWORD = "a perfectly fine passphrase"


def two_cycles() -> dict:
    """Two cycles; reviewers A and B each assigned one essay; a conflicted reviewer; committee on cycle 1."""
    cycle1, cycle2 = f.make_cycle("Spring"), f.make_cycle("Autumn")
    users = {
        "reviewer_a": f.make_user(Role.REVIEWER, password=PASSWORD),
        "reviewer_b": f.make_user(Role.REVIEWER, password=PASSWORD),
        "conflicted": f.make_user(Role.REVIEWER, password=PASSWORD),
        "committee": f.make_user(Role.COMMITTEE, password=PASSWORD),
        "coordinator": f.make_user(Role.COORDINATOR, password=PASSWORD),
        "disabled": f.make_user(Role.COORDINATOR, password=PASSWORD, active=False),
    }
    f.add_member(cycle1, users["committee"], "committee")
    applicant1, applicant2 = f.make_applicant(cycle1), f.make_applicant(cycle2)
    item1, item2 = f.make_essay(cycle1, applicant1), f.make_essay(cycle2, applicant2)
    own = f.assign(item1, users["reviewer_a"])
    foreign = f.assign(item2, users["reviewer_b"])
    conflicted = f.assign(item1, users["conflicted"])
    f.make_conflict(users["conflicted"], applicant1)
    return {
        "users": {k: u.id for k, u in users.items()},
        "item1": item1.id,
        "item2": item2.id,
        "own": own.id,
        "foreign": foreign.id,
        "conflicted": conflicted.id,
    }


pytestmark = pytest.mark.seeded(seed=two_cycles)


@pytest.fixture
def world(seeded):
    return seeded


def _user(name, world):
    return db.session.get(User, world["users"][name])


@pytest.mark.parametrize(
    ("who", "item", "expected"),
    [
        ("reviewer_a", "item1", True),
        ("reviewer_a", "item2", False),
        ("reviewer_b", "item1", False),
        ("reviewer_b", "item2", True),
        ("conflicted", "item1", False),
        ("committee", "item1", True),
        ("committee", "item2", False),
        ("coordinator", "item1", True),
        ("coordinator", "item2", True),
        ("disabled", "item1", False),
    ],
)
def test_who_may_view_which_item(app, world, who, item, expected):
    from app.cycles.models import Item

    with app.app_context():
        assert can_view_item(_user(who, world), db.session.get(Item, world[item])) is expected


@pytest.mark.parametrize(
    ("who", "assignment", "expected"),
    [
        ("reviewer_a", "own", True),
        ("reviewer_a", "foreign", False),
        ("reviewer_a", "conflicted", False),
        ("reviewer_b", "own", False),
        ("conflicted", "conflicted", False),
        ("committee", "own", True),
        ("committee", "conflicted", True),
        ("committee", "foreign", False),
        ("coordinator", "foreign", True),
        ("disabled", "own", False),
    ],
)
def test_who_may_read_which_assignment(app, world, who, assignment, expected):
    from app.assignment.models import Assignment

    with app.app_context():
        assert can_read_assignment(_user(who, world), db.session.get(Assignment, world[assignment])) is expected


def test_nobody_signed_out_may_see_anything(app, world):
    from flask_login import AnonymousUserMixin

    from app.cycles.models import Item

    with app.app_context():
        assert not can_view_item(AnonymousUserMixin(), db.session.get(Item, world["item1"]))
        assert not can_view_item(None, db.session.get(Item, world["item1"]))


def test_a_hidden_object_answers_404_like_a_missing_one(app, world):
    from werkzeug.exceptions import NotFound

    with app.test_request_context():
        reviewer = _user("reviewer_a", world)
        assert assignment_or_404(world["own"], reviewer).id == world["own"]
        assert item_or_404(world["item1"], reviewer).id == world["item1"]
        for probe in (
            lambda: assignment_or_404(world["foreign"], reviewer),
            lambda: assignment_or_404(10_000, reviewer),
            lambda: item_or_404(world["item2"], reviewer),
            lambda: item_or_404(10_000, reviewer),
        ):
            with pytest.raises(NotFound):
                probe()


def test_removing_an_assignment_takes_effect_on_the_next_request(app, world):
    from app.assignment.models import Assignment
    from app.cycles.models import Item

    with app.app_context():
        db.session.delete(db.session.get(Assignment, world["own"]))
        db.session.commit()
        assert not can_view_item(_user("reviewer_a", world), db.session.get(Item, world["item1"]))


# ---- decorators and the fail-closed default, through real requests ----


@pytest.fixture
def probe_app(app):
    """The app with three extra views: one per protection style."""

    @role_required(Role.COORDINATOR, Role.COMMITTEE)
    def staff_only():
        return f"staff {current_user.role.value}"

    def undecorated():
        return "forgot to protect me"

    @public
    def open_page():
        return "open"

    app.add_url_rule("/probe/staff", view_func=staff_only)
    app.add_url_rule("/probe/undecorated", view_func=undecorated)
    app.add_url_rule("/probe/open", view_func=open_page)
    return app


def _client_for(app, world, who):
    client = app.test_client()
    with app.app_context():
        email = _user(who, world).email
    assert login(client, email, PASSWORD).status_code == 302
    return client


def test_role_required_sends_anonymous_users_to_sign_in(probe_app, world):
    response = probe_app.test_client().get("/probe/staff")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/probe/staff"


def test_role_required_answers_401_to_anonymous_htmx_requests(probe_app, world):
    response = probe_app.test_client().get("/probe/staff", headers={"HX-Request": "true"})
    assert response.status_code == 401


def test_role_required_refuses_other_roles_with_403(probe_app, world):
    response = _client_for(probe_app, world, "reviewer_a").get("/probe/staff")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["committee", "coordinator"])
def test_role_required_lets_the_named_roles_in(probe_app, world, who):
    response = _client_for(probe_app, world, who).get("/probe/staff")
    assert response.get_data(as_text=True) == f"staff {who}"


def test_a_view_without_any_decorator_still_needs_a_signed_in_user(probe_app, world):
    assert probe_app.test_client().get("/probe/undecorated").status_code == 302
    assert probe_app.test_client().get("/probe/open").get_data(as_text=True) == "open"


def test_a_disabled_user_cannot_reach_anything(probe_app, world):
    client = probe_app.test_client()
    with probe_app.app_context():
        email = _user("disabled", world).email
    assert login(client, email, PASSWORD).status_code == 401
    assert client.get("/probe/staff").status_code == 302


def test_every_registered_view_is_public_only_when_marked(app):
    # The sign-in page is the one public view people ships; everything else needs a signed-in user.
    public_views = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public", False)}
    assert "people.login" in public_views
    assert "people.home" not in public_views and "people.change_password" not in public_views


# ---- start page and navigation ----


def _has_path(app, path):
    return any(rule.rule == path for rule in app.url_map.iter_rules())


@pytest.mark.parametrize(
    ("who", "endpoint_or_path"),
    [
        ("reviewer_a", "scoring.queue"),
        ("committee", "/committee/"),
        ("coordinator", "/console/"),
    ],
)
def test_each_role_lands_on_its_own_start_page(app, world, who, endpoint_or_path):
    client = _client_for(app, world, who)
    response = client.get("/")
    if endpoint_or_path.startswith("/"):
        expected = endpoint_or_path if _has_path(app, endpoint_or_path) else None
    else:
        with app.test_request_context():
            from flask import url_for

            expected = url_for(endpoint_or_path) if endpoint_or_path in app.view_functions else None
    if expected is None:  # that area is not built yet: a short start page, no redirect loop
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response.headers["Location"] == expected


def test_areas_can_add_header_links_for_their_roles(app, world):
    add_nav_link(app, "Password again", "people.change_password", (Role.COMMITTEE,))
    add_nav_link(app, "Not built yet", "nowhere.index", (Role.COMMITTEE,))
    committee_page = _client_for(app, world, "committee").get("/account/password").get_data(as_text=True)
    reviewer_page = _client_for(app, world, "reviewer_b").get("/account/password").get_data(as_text=True)
    assert '<a href="/account/password" aria-current="page">Password again</a>' in committee_page
    assert "Not built yet" not in committee_page
    assert "Password again" not in reviewer_page
