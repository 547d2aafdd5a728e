"""Every state-changing route of ``app.url_map``: CSRF (missing, foreign-session, expired tokens) and mass
assignment (extra form fields are ignored) — docs/security.md, requirements 10 and 11.

Each POST rule is sent by a role the view admits, on an object that role may see, so the only thing standing
between the request and a write is the token (or the form's own field list).
"""

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from app.assignment.models import Assignment
from app.committee.models import CommitteeResolution, Decision
from app.cycles.models import Item
from app.extensions import db
from app.people.models import Role, User
from app.scoring.models import Read, ReadStatus
from tests.factories import ESSAY_DOMAINS
from tests.hostile.routes import probes, session_token, signed_in_client
from tests.hostile.world import PASSWORD, ROLE_OF, SCENARIOS, VISIBLE, WINDOW, build_world, fingerprint

pytestmark = pytest.mark.seeded(seed=build_world)

CSRF_HOURS = 8  # WTF_CSRF_TIME_LIMIT in app/config.py
ACTING_ROLES = ("reviewer_a", "committee_c1", "coordinator")  # the order they act in (coordinator changes roles)
PREFERRED_SCENARIO = {"scoring.save_requirement": "a_application"}

# Valid form values per endpoint, so a request is accepted and extra fields have a chance to do harm.
VALID = {
    "scoring.save_domain": {"score": "3", "comment": "clear", "seq": "50", **WINDOW},
    "scoring.save_overall": {"overall_comment": "overall", "seq": "50", **WINDOW},
    "scoring.save_requirement": {"status": "met", "note": "seen", "seq": "50", **WINDOW},
    "committee.resolve": {**{f"score_{key}": "3" for key in ESSAY_DOMAINS}, "rationale": "Agreed in the meeting"},
    "committee.decide": {"decision": "endorse", "rationale": "Meets every requirement"},
    "console.new_cycle": {"name": "Mass assignment cycle", "readers": "2"},
    "console.create_user": {
        "email": "new.person@example.org",
        "name": "New Person",
        "role": "reviewer",
        "your_password": PASSWORD,
    },
    "console.update_profile": {
        "profile-designations": "C",
        "profile-endorsements": "IMHM-C",
        "profile-organization": "Elm Agency",
        "profile-max_load": "4",
    },
    "console.change_role": {"role-role": "committee", "role-your_password": PASSWORD},
    "console.set_active": {"active-your_password": PASSWORD},
    "console.reset_password": {"password-your_password": PASSWORD},
    "people.change_password": {
        "current_password": "not the password",
        "new_password": "n" * 20,
        "confirm_password": "n" * 20,
    },
}
# Endpoints whose purpose is to change one of the protected facts below.
CHANGES = {
    "console.set_active": {"active"},
    "console.change_role": {"roles"},
    "console.assign": {"assignments"},
    "console.unassign": {"assignments"},
    "console.swap": {"assignments"},
    "console.confirm": {"assignments"},
    "console.reconcile": {"assignments"},
    "console.reopen": {"reads"},
}


@pytest.fixture
def world(seeded):
    return seeded


def acting_probes(app, world):
    """Every POST probe once: (role, probe) with a role the view admits and an object it may see."""
    found, unfillable = probes(app, world, methods=frozenset({"POST", "PUT", "PATCH", "DELETE"}))
    assert not unfillable, "\n".join(unfillable)
    chosen = {}
    for role in ACTING_ROLES:
        for probe in found:
            admitted = getattr(app.view_functions[probe.endpoint], "allowed_roles", None)
            is_public = getattr(app.view_functions[probe.endpoint], "is_public", False)
            if probe.endpoint in chosen or is_public or (admitted is not None and ROLE_OF[role] not in admitted):
                continue
            wanted = PREFERRED_SCENARIO.get(probe.endpoint)
            if wanted and probe.scenario != wanted:
                continue
            if all(name in VISIBLE[role] for name in probe.objects):
                chosen[probe.endpoint] = (role, probe)
    rules = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    public = {endpoint for endpoint in rules if getattr(app.view_functions[endpoint], "is_public", False)}
    missing = rules - set(chosen) - public  # the public forms are sent anonymously below
    assert not missing, f"no role/object could reach {sorted(missing)}: extend tests/hostile/world.py"
    ordered = sorted(
        chosen.values(), key=lambda pair: (ACTING_ROLES.index(pair[0]), pair[1].endpoint == "people.logout")
    )
    return ordered


def test_every_state_changing_route_refuses_missing_foreign_and_expired_tokens(app, world, monkeypatch):
    clients = {role: signed_in_client(app, world.emails[role]) for role in ACTING_ROLES}
    strangers = {role: session_token(signed_in_client(app, world.emails[role]), True) for role in ACTING_ROLES}
    failures = []
    with app.app_context():
        before = fingerprint()
    cases = acting_probes(app, world)
    for role, probe in cases:
        client = clients[role]
        data = VALID.get(probe.endpoint, {})
        for label, token in (("missing", None), ("foreign-session", strangers[role]), ("forged", "x" * 40)):
            for htmx in (False, True):
                headers = (
                    {"HX-Request": "true", "X-CSRFToken": token}
                    if htmx and token
                    else ({"HX-Request": "true"} if htmx else {})
                )
                form = data if htmx or token is None else {**data, "csrf_token": token}
                response = client.open(probe.url, method=probe.method, data=form, headers=headers)
                if response.status_code != 400 or response.headers.get("X-Endorsement-Error") != "csrf":
                    failures.append(
                        f"{role} {probe.method} {probe.url} with a {label} token "
                        f"({'htmx' if htmx else 'form'}): {response.status_code}"
                    )
    # The anonymous forms are state-changing too: signing in (starts a session, counts failures), asking for a
    # reset link (mails it), choosing a password through a link.
    anonymous = app.test_client()
    anonymous.get("/login")
    response = anonymous.post("/login", data={"email": world.emails["reviewer_a"], "password": "x"})
    assert response.status_code == 400 and response.headers["X-Endorsement-Error"] == "csrf"
    response = anonymous.post("/password/forgot", data={"email": world.emails["reviewer_a"]})
    assert response.status_code == 400 and response.headers["X-Endorsement-Error"] == "csrf"
    with app.app_context():
        assert fingerprint() == before, "a request without a valid token changed the database"

    tokens = {role: session_token(clients[role], True) for role in ACTING_ROLES}
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + CSRF_HOURS * 3600 + 60)
    for role, probe in cases:
        response = clients[role].open(
            probe.url,
            method=probe.method,
            data=VALID.get(probe.endpoint, {}),
            headers={"HX-Request": "true", "X-CSRFToken": tokens[role]},
        )
        if response.status_code != 400 or response.headers.get("X-Endorsement-Error") != "csrf":
            failures.append(f"{role} {probe.method} {probe.url} with an expired token: {response.status_code}")
        elif "session expired" not in response.get_data(as_text=True):
            failures.append(f"{role} {probe.url}: the expired-token answer does not say so")
    monkeypatch.undo()
    with app.app_context():
        assert fingerprint() == before, "a request with an expired token changed the database"
    assert not failures, "\n".join(failures)
    assert len(cases) >= 20


def protected_facts():
    """What no form may change by an extra field it does not declare."""
    users = db.session.scalars(select(User)).all()
    return {
        "roles": {user.id: user.role for user in users},
        "active": {user.id: user.active for user in users},
        "assignments": {key: value for key, value in db.session.execute(select(Assignment.id, Assignment.reviewer_id))},
        "reads": {key: value for key, value in db.session.execute(select(Read.id, Read.status))},
        "item_cycles": {key: value for key, value in db.session.execute(select(Item.id, Item.cycle_id))},
    }


def test_extra_form_fields_are_ignored_by_every_form(app, world):
    with app.app_context():
        reviewers = {world.ids["u_reviewer_a"], world.ids["u_reviewer_b"], world.ids["u_conflicted"]}
        extras = {
            "role": "coordinator",
            "reviewer_id": str(world.ids["u_reviewer_b"]),
            "status": "submitted",
            "number": "7",
            "active": "false",
            "id": "1",
            "user_id": str(world.ids["u_reviewer_b"]),
            "cycle_id": str(world.ids["c2"]),
            "decided_by_id": str(world.ids["u_reviewer_a"]),
            "actor_id": str(world.ids["u_reviewer_a"]),
            "assignment_id": str(world.ids["asg_b_y"]),
            "password_hash": "x",
            "session_token": "planted-token",
            "is_admin": "1",
            "version": "1",
        }
    clients = {role: signed_in_client(app, world.emails[role]) for role in ACTING_ROLES}
    tokens = {role: session_token(clients[role], True) for role in ACTING_ROLES}
    failures, accepted = [], 0
    for role, probe in acting_probes(app, world):
        with app.app_context():
            before = protected_facts()
        form = extras | VALID.get(probe.endpoint, {}) | {"csrf_token": tokens[role]}
        response = clients[role].open(probe.url, method=probe.method, data=form)
        accepted += response.status_code < 400
        with app.app_context():
            after = protected_facts()
            allowed = CHANGES.get(probe.endpoint, set())
            for name, values in before.items():
                changed = {key for key in values if key in after[name] and after[name][key] != values[key]}
                if name not in allowed and changed:
                    failures.append(f"{role} {probe.url}: {name} changed for {sorted(changed)}")
            users = db.session.scalars(select(User)).all()
            if any(u.session_token == "planted-token" or u.password_hash == "x" for u in users):
                failures.append(f"{role} {probe.url}: a user's session token or password hash was set from the form")
            if any(u.role == Role.COORDINATOR and u.id not in before["roles"] for u in users):
                failures.append(f"{role} {probe.url}: a new user became a coordinator")
            if db.session.scalar(select(Read.id).where(Read.number == 7)) is not None:
                failures.append(f"{role} {probe.url}: a read was numbered from the form")
            deciders = set(db.session.scalars(select(CommitteeResolution.decided_by_id))) | set(
                db.session.scalars(select(Decision.decided_by_id))
            )
            if deciders & reviewers:
                failures.append(f"{role} {probe.url}: a committee record names a reviewer as its author")
            if (
                probe.endpoint.startswith("scoring.")
                and db.session.scalar(
                    select(db.func.count()).select_from(Read).where(Read.status == ReadStatus.SUBMITTED)
                )
                != 1
            ):
                failures.append(f"{role} {probe.url}: a draft was submitted by a field")
    assert not failures, "\n".join(failures)
    assert accepted >= 8, "too few forms accepted the valid fields for the extras to be meaningful"


def test_no_scenario_names_an_object_the_world_lacks(world):
    for scenario, objects in SCENARIOS.items():
        for name in objects.values():
            assert name == "missing" or name in world.ids, (scenario, name)
