"""XSS payloads in every user-text field render inert in every page and partial of every role (docs/security.md,
requirements 12 and 13).

The whole hostile world is seeded with payloads (script tags, onerror images, attribute break-outs, htmx
attributes that would fire requests, javascript: links) in names, organisations, prompts, essays, portfolio
summaries and URLs, comments, notes and rationales. Every GET route each role may open is fetched as a full
page and as an htmx partial, and the forms that echo what was typed are posted with payloads.
"""

import re

import pytest

from tests.factories import ESSAY_DOMAINS
from tests.hostile.routes import probes, response_text, session_token, signed_in_client
from tests.hostile.world import ROLE_OF, VISIBLE, WINDOW, build_world

PAYLOAD = (
    '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>'
    '<div hx-get="/logout" hx-on:click="alert(4)">d</div><a href="javascript:alert(5)">j</a>'
)
SHORT_PAYLOAD = '<script>alert(1)</script>"><svg onload=alert(3)>'
LIVE_MARKUP = re.compile(
    r'<script>alert|<img src=x|<svg onload|<div hx-get="/logout|hx-on:click="alert|'
    r'href="javascript:|href=\'javascript:|src="javascript:',
    re.IGNORECASE,
)
# Fields whose text some page must show (escaped), so the check is not passing on absent text.
SHOWN = [
    "cycle_name",
    "user_name",
    "user_organization",
    "applicant_name",
    "applicant_organization",
    "prompt",
    "response",
    "portfolio_summary",
    "portfolio_url",
    "score_comment",
    "overall_comment",
    "requirement_note",
    "rationale",
    "decision_rationale",
]
SHORT_FIELDS = {"cycle_name"}  # 120 characters; the rest hold at least 200, which PostgreSQL enforces


def hostile_text(field: str, default: str) -> str:
    tag = f"XSSTAG-{field}"
    if field == "portfolio_url":
        return f"javascript:alert(document.cookie)//{tag}"
    return tag + (SHORT_PAYLOAD if field in SHORT_FIELDS else PAYLOAD)


def xss_world():
    return build_world(hostile_text)


pytestmark = pytest.mark.seeded(seed=xss_world)


@pytest.fixture
def world(seeded):
    return seeded


SIGNED_IN = ("reviewer_a", "reviewer_b", "committee_c1", "committee_c2", "coordinator")


def live_markup(response) -> list[str]:
    """Payload markup a browser would run: only bodies it parses as HTML count (text/plain and .xlsx are inert)."""
    if response.mimetype not in ("text/html", "application/xhtml+xml", "image/svg+xml", ""):
        return []
    text = response.get_data(as_text=True)
    return sorted({match.group(0) for match in LIVE_MARKUP.finditer(text)})


def test_payloads_in_every_text_field_render_inert_in_every_page_and_partial(app, world):
    gets, unfillable = probes(app, world, methods=frozenset({"GET"}))
    assert not unfillable, "\n".join(unfillable)
    failures, seen = [], set()
    for role in SIGNED_IN:
        client = signed_in_client(app, world.emails[role])
        for probe in gets:
            admitted = getattr(app.view_functions[probe.endpoint], "allowed_roles", None)
            if admitted is not None and ROLE_OF[role] not in admitted:
                continue
            if any(name not in VISIBLE[role] for name in probe.objects):
                continue
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(probe.url, headers=headers)
                text = response_text(response)
                seen.update(field for field in SHOWN if f"XSSTAG-{field}" in text)
                if live := live_markup(response):
                    failures.append(f"{role} GET {probe.url} {headers or ''}: live markup {live}")
    assert not failures, "\n".join(failures)
    assert set(SHOWN) <= seen, f"no page showed {sorted(set(SHOWN) - seen)}: the check would pass vacuously"


def test_forms_that_echo_what_was_typed_keep_it_inert(app, world):
    echoes = []
    committee = signed_in_client(app, world.emails["committee_c1"])
    token = session_token(committee, True)
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    # A rationale without scores, a decision that is not one: refused, and the typed text is shown back.
    echoes.append(
        committee.post(
            f"/committee/items/{world.ids['e_x']}/resolution",
            data={"rationale": PAYLOAD, f"score_{ESSAY_DOMAINS[0]}": PAYLOAD},
            headers=htmx,
        )
    )
    echoes.append(
        committee.post(
            f"/committee/items/{world.ids['e_x']}/resolution", data={"rationale": PAYLOAD, "csrf_token": token}
        )
    )
    echoes.append(
        committee.post(
            f"/committee/applications/{world.ids['app_x']}/decision",
            data={"decision": PAYLOAD, "rationale": PAYLOAD},
            headers=htmx,
        )
    )
    coordinator = signed_in_client(app, world.emails["coordinator"])
    token = session_token(coordinator, True)
    echoes.append(
        coordinator.post(
            "/console/users", data={"csrf_token": token, "email": PAYLOAD, "name": PAYLOAD, "role": "reviewer"}
        )
    )
    echoes.append(
        coordinator.post("/console/cycles", data={"csrf_token": token, "name": SHORT_PAYLOAD * 3, "readers": PAYLOAD})
    )
    echoes.append(coordinator.get(f"/console/audit?item={PAYLOAD}&user={PAYLOAD}"))
    echoes.append(coordinator.get(f"/console/cycles/{world.ids['c1']}/assignments?q={PAYLOAD}&state={PAYLOAD}"))
    echoes.append(committee.get(f"/committee/cycles/{world.ids['c1']}/?state={PAYLOAD}"))
    reviewer = signed_in_client(app, world.emails["reviewer_a"])
    token = session_token(reviewer, True)
    echoes.append(
        reviewer.post(
            f"/reviews/{world.ids['asg_a_x']}/domains/reflection",
            data={"score": PAYLOAD, "comment": PAYLOAD, "seq": "9", **WINDOW},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
    )
    echoes.append(
        reviewer.post(
            f"/reviews/{world.ids['asg_a_x']}/domains/{PAYLOAD[:20]}",
            data={"score": "2", "seq": "10", **WINDOW},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
    )
    failures = [
        f"echo {n}: status {r.status_code}, live markup {live_markup(r)}"
        for n, r in enumerate(echoes)
        if live_markup(r) or r.status_code >= 500
    ]
    assert not failures, "\n".join(failures)
    assert sum(r.status_code in (400, 409, 422) for r in echoes) >= 5  # the refusals really ran
