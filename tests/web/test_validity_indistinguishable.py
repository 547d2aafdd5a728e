"""A validity essay looks to its reviewer exactly like a live essay: the same bytes in every page and fragment.

Two identical worlds are built, alike down to the database ids, except that the essay the reviewer scores is a
live essay in one and a validity essay (no applicant, expert scores) in the other. The reviewer goes through
the queue, the scoring page, every autosave fragment, the overall comment, the submit and the queue after it;
what they receive is compared byte for byte, with only what is random per session or page masked
(CSRF tokens, the scoring window's id) and the wall-clock time of the submission.
"""

import os
import re

import pytest

from app.cycles.models import Item, ReferenceScore
from app.extensions import db
from app.people.models import Role
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import csrf_token_from, signed_in_client

PASSWORD = "a long enough test password"
# What is random per session or per page: a CSRF token in a hidden field or in the body's hx-headers, and the
# scoring window's id (each page load is a window of its own); and the wall clock: the time a read was submitted
# ("at 09:41"), which the two worlds, built one after the other, may see on either side of a minute.
TOKEN = re.compile(
    r'(name="csrf_token"[^>]*value="|"X-CSRFToken": "|&#34;X-CSRFToken&#34;: &#34;'
    r'|name="tab" value=")[^"&]+'
)
CLOCK = re.compile(r"\b\d{1,2} \w+ \d{4} at \d{1,2}:\d{2}\b")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="two apps with databases of their own: SQLite only"
)


def build_world(app, validity: bool) -> int:
    with app.app_context():
        cycle = f.make_cycle("Spring exams")
        reviewer = f.make_user(
            Role.REVIEWER, email="a@example.org", name="Ann Reviewer", password=PASSWORD, designations="C"
        )
        applicant = f.make_applicant(cycle, applicant_id="A-1")
        essay = Item(
            cycle_id=cycle.id,
            item_id="E-301",
            kind="essay",
            rubric_key="imhm-c-essay",
            applicant_pk=None if validity else applicant.id,
            validity=validity,
            prompt="A parent and infant at a home visit.",
            response="I would begin by listening.",
        )
        db.session.add(essay)
        db.session.flush()
        other = f.make_essay(cycle, applicant, item_id="E-302", prompt="A second vignette.")
        if validity:
            db.session.add_all(ReferenceScore(item_pk=essay.id, domain_key=key, score=3) for key in ESSAY_DOMAINS)
        scored = f.assign(essay, reviewer)
        f.assign(other, reviewer)
        db.session.commit()
        return scored.id


def what_the_reviewer_receives(app, assignment_id: int) -> list[tuple[str, int, str]]:
    client = signed_in_client(app, "a@example.org", PASSWORD)
    received = []

    def keep(label, response):
        body = CLOCK.sub("(time)", TOKEN.sub(r"\1…", response.get_data(as_text=True)))
        received.append((label, response.status_code, body))
        return response

    keep("queue", client.get("/reviews/"))
    page = keep("page", client.get(f"/reviews/{assignment_id}")).get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token_from(page)}
    for seq, domain in enumerate(ESSAY_DOMAINS, start=1):
        keep(
            f"save {domain}",
            client.post(
                f"/reviews/{assignment_id}/domains/{domain}",
                headers=headers,
                data={"score": 1 + seq % 4, "comment": f"note {seq}", "seq": seq, "tab": "window-1", "base_version": 0},
            ),
        )
    keep("page again", client.get(f"/reviews/{assignment_id}"))
    keep("submit", client.post(f"/reviews/{assignment_id}/submit", headers=headers, follow_redirects=True))
    keep("queue after", client.get("/reviews/"))
    keep("submitted page", client.get(f"/reviews/{assignment_id}"))
    return received


def test_a_reviewer_receives_the_same_bytes_for_a_live_and_a_validity_essay(tmp_path):
    worlds = {}
    for validity in (False, True):
        folder = tmp_path / ("validity" if validity else "live")
        folder.mkdir()
        app = build_app(folder)
        try:
            worlds[validity] = what_the_reviewer_receives(app, build_world(app, validity))
        finally:
            close_app(app)
    live, validity = worlds[False], worlds[True]
    assert [label for label, *_ in live] == [label for label, *_ in validity]
    for (label, live_status, live_body), (_, validity_status, validity_body) in zip(live, validity, strict=True):
        assert live_status == validity_status, label
        assert live_body == validity_body, f"{label}: a validity essay's response differs from a live essay's"
    statuses = {label: status for label, status, _ in live}
    assert statuses["page"] == 200 and statuses["save reflection"] == 200 and statuses["submit"] == 200
    assert "E-301" in live[0][2] and "Submitted" in live[-2][2]
