"""Route × role × object matrix over every rule of ``app.url_map`` (docs/security.md, requirements 7, 8, 11;
docs/access.md).

Each role signs in once in a seeded world (tests/hostile/world.py) and requests every rule, with every method,
for every object scenario (own, foreign in the same or another cycle, conflicted, unassigned, guessed ids).
Expected, fail closed: signed-out (anonymous, disabled) → sign-in redirect (401 for htmx); a role the view does
not admit → 403; an object the role may not see → 404, exactly like a missing one; never a 5xx; and no canary
applicant name, e-mail or organisation in anything a reviewer, another cycle's committee member or a signed-out
visitor receives. GETs on any route, and every refused request, write nothing.

A rule added later is covered automatically; one whose parameters cannot be filled fails this test by name.
"""

import pytest

from app.extensions import db
from app.people.models import Role
from tests.hostile.routes import probes, response_text, session_token, signed_in_client
from tests.hostile.world import (
    ROLE_OF,
    ROLES,
    SIGNED_OUT,
    VISIBLE,
    WINDOW,
    build_world,
    disable,
    fingerprint,
    forbidden_canaries,
)

pytestmark = pytest.mark.seeded(seed=build_world)

POST_FIELDS = {
    "score": "3",
    "seq": "99",
    **WINDOW,
    "comment": "probe",
    "status": "met",
    "note": "probe",
    "overall_comment": "probe",
    "rationale": "probe",
    "decision": "endorse",
    "reason": "probe",
}


@pytest.fixture
def world(seeded):
    return seeded


def client_for(app, world, role):
    if role == "anonymous":
        return app.test_client()
    client = signed_in_client(app, world.emails[role])
    if role == "disabled":
        with app.app_context():
            disable(world)
    return client


def expected(app, role, probe):
    """(allowed, statuses): whether the request may act, and the status codes it may answer."""
    view = app.view_functions[probe.endpoint]
    if getattr(view, "is_public", False):
        return False, None  # the sign-in page: anyone may load it; only leaks are checked
    if role in SIGNED_OUT:
        return False, {302}
    admitted = getattr(view, "allowed_roles", None)
    if admitted is not None and ROLE_OF[role] not in admitted:
        return False, {403}
    if any(name not in VISIBLE[role] for name in probe.objects):
        return False, {404}
    return True, ({200, 302, 303} if probe.method == "GET" else None)


def check(role, probe, response, statuses, failures, *, htmx=False):
    where = f"{role} {probe.method} {probe.url} [{probe.scenario}]" + (" (htmx)" if htmx else "")
    if response.status_code >= 500:
        failures.append(f"{where}: {response.status_code}")
    if statuses is not None and response.status_code not in statuses:
        failures.append(f"{where}: answered {response.status_code}, expected one of {sorted(statuses)}")
    if role in SIGNED_OUT and statuses == {302} and not response.headers.get("Location", "").startswith("/login"):
        failures.append(f"{where}: redirected to {response.headers.get('Location')!r}, not to sign in")
    text = response_text(response)
    leaked = [canary for canary in forbidden_canaries(role) if canary in text]
    if leaked:
        failures.append(f"{where}: the body or headers contain {leaked}")


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_what_the_role_may_not_see_and_leaks_no_identity(app, world, role):
    client = client_for(app, world, role)
    signed_in = role not in SIGNED_OUT
    token = session_token(client, signed_in)
    all_probes, unfillable = probes(app, world)
    assert not unfillable, "\n".join(unfillable)
    assert len({p.endpoint for p in all_probes}) >= 30, "the url_map looks too small to be the whole app"

    failures, acting = [], []
    with app.app_context():
        before = fingerprint()
    for probe in all_probes:
        allowed, statuses = expected(app, role, probe)
        if allowed and probe.method != "GET":
            acting.append(probe)  # sent last: it may legitimately change the world
            continue
        response = client.open(
            probe.url, method=probe.method, data={"csrf_token": token, **POST_FIELDS}, headers={"X-CSRFToken": token}
        )
        check(role, probe, response, statuses, failures)
        if role in SIGNED_OUT and statuses == {302}:
            htmx = client.open(
                probe.url,
                method=probe.method,
                data={"csrf_token": token},
                headers={"HX-Request": "true", "X-CSRFToken": token},
            )
            check(role, probe, htmx, {401}, failures, htmx=True)
    with app.app_context():
        db.session.remove()
        assert fingerprint() == before, f"{role}: a GET or a refused request changed the database"

    # Reviewers' own autosaves and submits: the partials they get back must stay blind too.
    if ROLE_OF.get(role) == Role.REVIEWER:
        for probe in acting:
            if probe.endpoint.startswith("scoring."):
                response = client.post(
                    probe.url,
                    data={"csrf_token": token, **POST_FIELDS},
                    headers={"HX-Request": "true", "X-CSRFToken": token},
                )
                check(role, probe, response, None, failures, htmx=True)
    assert not failures, f"{len(failures)} access failures:\n" + "\n".join(failures[:60])


def test_a_rule_whose_parameters_cannot_be_filled_fails_by_name(app, world):
    app.add_url_rule("/probe/<int:widget_id>/<slug>", endpoint="probe_widget", view_func=lambda widget_id, slug: "")
    _, unfillable = probes(app, world)
    assert any("/probe/<int:widget_id>/<slug>" in problem and "'widget_id'" in problem for problem in unfillable)
    assert any("'slug'" in problem for problem in unfillable)


def test_a_new_route_is_probed_without_being_listed(app, world):
    app.add_url_rule("/probe/items/<int:item_pk>", endpoint="probe_item", view_func=lambda item_pk: "")
    found, _ = probes(app, world)
    assert {p.scenario for p in found if p.endpoint == "probe_item"} == {
        "a_essay",
        "a_application",
        "b_other_cycle",
        "b_same_cycle",
        "conflicted",
        "unassigned",
        "guessed",
    }
