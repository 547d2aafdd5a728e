"""Reviewer queue and scoring routes: object checks, blind essays, CSRF, XSS, autosave, submit, query counts."""

import html
import re

import pytest
from sqlalchemy import select

from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.cycles.models import Item
from app.extensions import db
from app.people.models import Role
from app.scoring.models import ItemFlag, Read, ReadStatus, RequirementCheck, Score
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.queries import recorded_statements, selects
from tests.web.helpers import count_queries, csrf_token_from, page_token, signed_in_client

PASSWORD = "a long enough test password"
CANARY_NAME = "Zelda Canaryfield"
CANARY_EMAIL = "zelda.canary@hidden.example"
CANARY_ORG = "Canary Family Services"
XSS = (
    '<script>alert("x")</script><img src=x onerror="alert(1)">'
    '<a href="javascript:alert(2)">j</a><div hx-get="/reviews/" hx-trigger="load" hx-on:click="alert(3)">h</div>'
)
INERT_MARKERS = ["<script>alert", "<img src=x", '<a href="javascript:', '<div hx-get="/reviews/"']


@pytest.fixture
def world(app):
    """Two reviewers in one cycle; the canary applicant's essays are assigned to reviewer A."""
    with app.app_context():
        cycle = f.make_cycle("Spring exams")
        a = f.make_user(Role.REVIEWER, email="a@example.org", name="Ann Reviewer", password=PASSWORD)
        b = f.make_user(Role.REVIEWER, email="b@example.org", name="Ben Reviewer", password=PASSWORD)
        coordinator = f.make_user(Role.COORDINATOR, email="c@example.org", password=PASSWORD)
        canary = f.make_applicant(cycle, applicant_id="A-77", name=CANARY_NAME, organization=CANARY_ORG)
        canary.email = CANARY_EMAIL
        other = f.make_applicant(cycle, applicant_id="A-78")
        essay_a = f.make_essay(
            cycle,
            canary,
            item_id="E-101",
            prompt="A toddler bites at child care.",
            response="I would first meet the family.",
        )
        essay_b = f.make_essay(cycle, other, item_id="E-202", prompt="Another vignette")
        own = f.assign(essay_a, a)
        foreign = f.assign(essay_b, b)
        db.session.commit()
        return {
            "a": a.email,
            "b": b.email,
            "coordinator": coordinator.email,
            "own": own.id,
            "foreign": foreign.id,
            "canary_pk": canary.id,
            "a_id": a.id,
        }


def signed_in(app, email):
    return signed_in_client(app, email, PASSWORD)


def token(client, path="/reviews/"):
    return page_token(client, path)


WINDOW = "test-window-1"


def save(client, assignment_id, domain, score, seq, comment="", csrf=None, tab=WINDOW, base_version=0):
    csrf = csrf or token(client, f"/reviews/{assignment_id}")
    return client.post(
        f"/reviews/{assignment_id}/domains/{domain}",
        data={"score": score, "comment": comment, "seq": seq, "tab": tab, "base_version": base_version},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )


def stored_domain(app, assignment_id, domain):
    """(score, comment, version) stored for one domain."""
    with app.app_context():
        row = db.session.execute(
            select(Score.score, Score.comment, Score.version)
            .join(Read)
            .where(Read.assignment_id == assignment_id, Score.domain_key == domain)
        ).one()
        return tuple(row)


def stored_scores(app, assignment_id):
    with app.app_context():
        return {
            s.domain_key: s.score
            for s in db.session.scalars(select(Score).join(Read).where(Read.assignment_id == assignment_id))
        }


def test_queue_lists_only_the_reviewers_own_items(app, world):
    page = signed_in(app, world["a"]).get("/reviews/").get_data(as_text=True)
    assert "E-101" in page and "A toddler bites at child care." in page
    assert "E-202" not in page and "Another vignette" not in page
    assert "0 of 1 submitted" in page and "Not started" in page


def test_essay_pages_and_partials_never_name_the_applicant(app, world):
    client = signed_in(app, world["a"])
    bodies = [
        client.get("/reviews/").get_data(as_text=True),
        client.get(f"/reviews/{world['own']}").get_data(as_text=True),
    ]
    csrf = csrf_token_from(bodies[1])
    for seq, domain in enumerate(ESSAY_DOMAINS, start=1):
        bodies.append(save(client, world["own"], domain, 3, seq, csrf=csrf).get_data(as_text=True))
    bodies.append(
        client.post(f"/reviews/{world['own']}/submit", data={"csrf_token": csrf}, follow_redirects=True).get_data(
            as_text=True
        )
    )
    for body in bodies:
        for secret in (CANARY_NAME, "Canaryfield", CANARY_EMAIL, CANARY_ORG, "A-77"):
            assert secret not in body


def test_another_reviewers_assignment_answers_404_to_every_route(app, world):
    client = signed_in(app, world["a"])
    csrf = token(client)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf}
    foreign = world["foreign"]
    assert client.get(f"/reviews/{foreign}").status_code == 404
    for path in (
        f"/reviews/{foreign}/domains/reflection",
        f"/reviews/{foreign}/requirements/training",
        f"/reviews/{foreign}/overall",
        f"/reviews/{foreign}/submit",
    ):
        response = client.post(path, data={"score": 1, "seq": 1, "csrf_token": csrf}, headers=headers)
        assert response.status_code == 404, path
    assert client.get("/reviews/999999").status_code == 404
    assert stored_scores(app, foreign) == {}


def test_a_conflict_recorded_after_assignment_takes_effect_on_the_next_request(app, world):
    client = signed_in(app, world["a"])
    assert client.get(f"/reviews/{world['own']}").status_code == 200
    with app.app_context():
        assignment = db.session.get(Assignment, world["own"])
        db.session.add(f.make_conflict(assignment.reviewer, db.session.get(Item, assignment.item_pk).applicant))
        db.session.commit()
    assert client.get(f"/reviews/{world['own']}").status_code == 404
    assert save(client, world["own"], "reflection", 3, 1, csrf=token(client)).status_code == 404
    assert "E-101" not in client.get("/reviews/").get_data(as_text=True)


def test_a_coordinator_may_view_a_read_but_not_write_it(app, world):
    client = signed_in(app, world["coordinator"])
    page = client.get(f"/reviews/{world['own']}").get_data(as_text=True)
    assert "hx-post" not in page and "Submit read" not in page
    assert save(client, world["own"], "reflection", 3, 1, csrf=csrf_token_from(page)).status_code == 403  # role refused


def scoring_post_rules(app):
    return [
        rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("scoring.") and "POST" in rule.methods
    ]


def test_every_state_changing_scoring_route_requires_the_csrf_token(app, world):
    client = signed_in(app, world["a"])
    rules = scoring_post_rules(app)
    assert {rule.endpoint for rule in rules} == {
        "scoring.save_domain",
        "scoring.save_requirement",
        "scoring.save_overall",
        "scoring.submit",
        "scoring.decline",
        "scoring.flag",
    }
    values = {"assignment_id": world["own"], "domain_key": "reflection", "requirement_key": "training"}
    for rule in rules:
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "X-CSRFToken": "forged"}):
            response = client.post(path, data={"score": 3, "seq": 1, "overall_comment": "x"}, headers=headers)
            assert response.status_code == 400, path
            assert response.headers.get("X-Endorsement-Error") == "csrf"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Read)) == 0


def test_no_scoring_route_changes_state_on_get(app, world):
    client = signed_in(app, world["a"])
    client.get("/reviews/")
    client.get(f"/reviews/{world['own']}")
    for rule in scoring_post_rules(app):
        assert "GET" not in rule.methods
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Read)) == 0


def test_autosave_returns_the_status_and_an_out_of_band_progress_counter(app, world):
    client = signed_in(app, world["a"])
    response = save(client, world["own"], "reflection", 3, 1, comment="Clear self-awareness")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.strip().startswith("Saved")
    assert 'id="read-progress"' in body and 'hx-swap-oob="true"' in body
    assert "1 of 6 domains scored" in body
    assert response.headers["Cache-Control"] == "no-store"
    save(client, world["own"], "thinking", 2, 2)
    assert "2 of 6 domains scored" in save(client, world["own"], "reflection", 4, 3).get_data(as_text=True)
    assert stored_scores(app, world["own"]) == {"reflection": 4, "thinking": 2}


def test_the_first_autosave_turns_the_title_s_not_started_badge_into_draft_out_of_band(app, world):
    client = signed_in(app, world["a"])
    page = client.get(f"/reviews/{world['own']}").get_data(as_text=True)
    assert re.search(r'<span id="read-state" class="badge badge--not-started">Not started</span>', page)
    body = save(client, world["own"], "reflection", 3, 1).get_data(as_text=True)
    assert re.search(r'<span id="read-state" class="badge badge--draft" hx-swap-oob="true">Draft</span>', body)
    page = client.get(f"/reviews/{world['own']}").get_data(as_text=True)
    assert re.search(r'<span id="read-state" class="badge badge--draft">Draft</span>', page)


def test_the_progress_an_autosave_answers_with_counts_what_is_stored_after_it(app, world):
    """Scored, scored again, cleared and scored again: the counter follows the stored rows, counted here."""
    client = signed_in(app, world["a"])
    steps = [("reflection", 3), ("thinking", 2), ("reflection", 4), ("thinking", ""), ("thinking", ""), ("thinking", 1)]
    for seq, (domain, score) in enumerate(steps, 1):
        body = save(client, world["own"], domain, score, seq).get_data(as_text=True)
        scored = sum(value is not None for value in stored_scores(app, world["own"]).values())
        assert f"{scored} of 6 domains scored" in body
    assert stored_scores(app, world["own"]) == {"reflection": 4, "thinking": 1}


def test_an_autosave_of_a_saved_domain_sends_four_queries_and_two_writes(app, world):
    """The signed-in user, the assignment with its item, cycle and conflict check, the locked read, and the stored
    field with the counts the answer shows; the update and the audit entry of the changed score."""
    client = signed_in(app, world["a"])
    csrf = token(client, f"/reviews/{world['own']}")
    assert save(client, world["own"], "reflection", 3, 1, csrf=csrf).status_code == 200
    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as statements:
        assert save(client, world["own"], "reflection", 4, 2, csrf=csrf).status_code == 200
    assert len(selects(statements)) == 4
    assert [s.split()[0] for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))] == [
        "UPDATE",
        "INSERT",
    ]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (entry.action, entry.before, entry.after) == ("score.save", {"reflection": 3}, {"reflection": 4})


def test_a_late_older_save_of_the_same_window_is_not_acknowledged_and_never_stored(app, world):
    client = signed_in(app, world["a"])
    assert save(client, world["own"], "reflection", 4, 10).status_code == 200
    late = save(client, world["own"], "reflection", 1, 9)
    assert late.status_code == 409 and late.headers["X-Save-Outcome"] == "superseded"
    assert "Saved" not in late.get_data(as_text=True)
    assert stored_scores(app, world["own"]) == {"reflection": 4}


def test_a_retried_save_is_acknowledged_again_and_stored_once(app, world):
    client = signed_in(app, world["a"])
    first = save(client, world["own"], "reflection", 3, 4, comment="same words")
    retry = save(client, world["own"], "reflection", 3, 4, comment="same words")
    assert (first.status_code, retry.status_code) == (200, 200)
    assert first.headers["X-Save-Version"] == retry.headers["X-Save-Version"] == "1"
    assert stored_domain(app, world["own"], "reflection") == (3, "same words", 1)


def window_of(page: str) -> str:
    return page.split('name="tab" value="')[1].split('"')[0]


def version_in(page: str, form_id: str) -> int:
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    return int(form.split('name="base_version" value="')[1].split('"')[0])


def test_a_second_window_that_has_not_seen_a_change_is_told_and_nothing_is_lost(app, world):
    """Two sessions of one reviewer open the item; tab 1 saves seq 1, 2, 3; tab 2 then saves its seq 1."""
    tab1, tab2 = signed_in(app, world["a"]), signed_in(app, world["a"])
    page1 = tab1.get(f"/reviews/{world['own']}").get_data(as_text=True)
    page2 = tab2.get(f"/reviews/{world['own']}").get_data(as_text=True)
    assert window_of(page1) != window_of(page2)
    for seq, score in enumerate((2, 3, 4), start=1):
        reply = save(
            tab1,
            world["own"],
            "reflection",
            score,
            seq,
            comment=f"tab one {seq}",
            csrf=csrf_token_from(page1),
            tab=window_of(page1),
            base_version=0,
        )
        assert reply.status_code == 200
    told = save(
        tab2,
        world["own"],
        "reflection",
        1,
        1,
        comment="tab two's view",
        csrf=csrf_token_from(page2),
        tab=window_of(page2),
        base_version=version_in(page2, "domain-reflection"),
    )
    assert told.status_code == 409 and told.headers["X-Save-Outcome"] == "conflict"
    conflict = told.get_json()
    assert conflict["theirs"] == {"score": "4", "comment": "tab one 3"} and conflict["version"] == 3
    assert "another window" in conflict["message"] and "score 4" in conflict["summary"]
    assert stored_domain(app, world["own"], "reflection") == (4, "tab one 3", 3)
    # "Save mine": tab 2 sends its text again over the version it was shown.
    mine = save(
        tab2,
        world["own"],
        "reflection",
        1,
        2,
        comment="tab two's view",
        csrf=csrf_token_from(page2),
        tab=window_of(page2),
        base_version=conflict["version"],
    )
    assert mine.status_code == 200 and mine.headers["X-Save-Version"] == "4"
    assert stored_domain(app, world["own"], "reflection") == (1, "tab two's view", 4)
    # Now tab 1 has not seen tab 2's change: its next edit is the one told.
    stale = save(
        tab1,
        world["own"],
        "reflection",
        2,
        4,
        comment="tab one again",
        csrf=csrf_token_from(page1),
        tab=window_of(page1),
        base_version=3,
    )
    assert stale.status_code == 409 and stale.get_json()["theirs"]["comment"] == "tab two's view"
    assert stored_domain(app, world["own"], "reflection") == (1, "tab two's view", 4)


def test_a_window_opened_after_a_change_stores_the_latest_edit(app, world):
    tab1, tab2 = signed_in(app, world["a"]), signed_in(app, world["a"])
    page1 = tab1.get(f"/reviews/{world['own']}").get_data(as_text=True)
    save(tab1, world["own"], "reflection", 2, 1, comment="first", tab=window_of(page1), csrf=csrf_token_from(page1))
    page2 = tab2.get(f"/reviews/{world['own']}").get_data(as_text=True)
    assert version_in(page2, "domain-reflection") == 1 and version_in(page2, "domain-thinking") == 0
    reply = save(
        tab2,
        world["own"],
        "reflection",
        3,
        1,
        comment="latest",
        tab=window_of(page2),
        base_version=version_in(page2, "domain-reflection"),
        csrf=csrf_token_from(page2),
    )
    assert reply.status_code == 200
    assert stored_domain(app, world["own"], "reflection") == (3, "latest", 2)


@pytest.mark.parametrize(
    ("fields", "named"),
    [({"tab": ""}, "tab"), ({"tab": "<b>x</b>"}, "tab"), ({"base_version": ""}, "base_version"), ({"seq": ""}, "seq")],
)
def test_a_save_without_its_window_fields_is_refused_naming_them(app, world, fields, named):
    client = signed_in(app, world["a"])
    data = {"score": 3, "comment": "", "seq": 1, "tab": WINDOW, "base_version": 0} | fields
    response = client.post(
        f"/reviews/{world['own']}/domains/reflection",
        data=data,
        headers={"HX-Request": "true", "X-CSRFToken": token(client, f"/reviews/{world['own']}")},
    )
    assert response.status_code == 422 and response.get_data(as_text=True).startswith(f"{named}:")
    assert stored_scores(app, world["own"]) == {}


def test_a_bad_value_is_refused_with_422_and_a_message_naming_it(app, world):
    client = signed_in(app, world["a"])
    response = save(client, world["own"], "reflection", 9, 1)
    assert response.status_code == 422
    assert "score: 9 is outside the scale 1–4" in response.get_data(as_text=True)
    response = save(client, world["own"], "no_such_domain", 2, 2)
    assert response.status_code == 422 and "'no_such_domain' is not a domain" in response.get_data(as_text=True)


def test_submit_names_the_missing_domains_then_locks_the_read_and_shows_its_outcome(app, world):
    client = signed_in(app, world["a"])
    csrf = token(client, f"/reviews/{world['own']}")
    for seq, (domain, score) in enumerate(zip(ESSAY_DOMAINS[:4], [3, 3, 2, 2], strict=True), start=1):
        save(client, world["own"], domain, score, seq, csrf=csrf)
    refused = client.post(f"/reviews/{world['own']}/submit", data={"csrf_token": csrf})
    assert refused.status_code == 422
    refused_page = refused.get_data(as_text=True)
    # Each open domain is named as a link to its place on the page.
    assert (
        'still open: <a href="#domain-thinking">Thinking</a>, <a href="#domain-communicating">Communicating</a>.'
        in refused_page
    )
    save(client, world["own"], "thinking", 3, 5, csrf=csrf)
    save(client, world["own"], "communicating", 2, 6, csrf=csrf)
    done = client.post(f"/reviews/{world['own']}/submit", data={"csrf_token": csrf})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    # 3+3+2+2+3+2 = 15, mean 2.50: exactly on the pass line, every domain at least 2.
    assert "Submitted and locked" in page and "Pass" in page and "mean 2.50" in page
    assert "hx-post" not in page and "Submit read" not in page
    locked = save(client, world["own"], "reflection", 1, 7, csrf=csrf)
    assert locked.status_code == 409 and "locked" in locked.get_data(as_text=True)
    again = client.post(f"/reviews/{world['own']}/submit", data={"csrf_token": csrf})
    assert again.status_code == 409
    with app.app_context():
        read = db.session.scalar(select(Read).where(Read.assignment_id == world["own"]))
        assert read.status == ReadStatus.SUBMITTED and read.number == 1
    assert "Submitted" in client.get("/reviews/").get_data(as_text=True)


def test_scoring_pages_are_not_cached_and_opt_out_of_htmx_history(app, world):
    client = signed_in(app, world["a"])
    response = client.get(f"/reviews/{world['own']}")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in response.get_data(as_text=True)
    assert client.get("/reviews/").headers["Cache-Control"] == "no-store"


def test_xss_payloads_in_prompt_essay_and_comments_render_inert(app, world):
    with app.app_context():
        item = db.session.get(Assignment, world["own"]).item
        item.prompt, item.response = "Prompt " + XSS, "Essay " + XSS
        db.session.commit()
    client = signed_in(app, world["a"])
    csrf = token(client, f"/reviews/{world['own']}")
    partial = save(client, world["own"], "reflection", 3, 1, comment=XSS, csrf=csrf).get_data(as_text=True)
    client.post(
        f"/reviews/{world['own']}/overall",
        data={"overall_comment": XSS, "seq": 2, "tab": WINDOW, "base_version": 0},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    queue = client.get("/reviews/").get_data(as_text=True)
    page = client.get(f"/reviews/{world['own']}").get_data(as_text=True)
    for body in (queue, page, partial):
        for marker in INERT_MARKERS:
            assert marker not in body
    # Present as text, not markup: prompt, essay, domain comment and overall comment.
    assert html.unescape(page).count(XSS) == 4
    assert html.unescape(partial).count(XSS) == 0  # the save answer echoes nothing typed


def grow_cycle(app, reviewer_id, items):
    """Add ``items`` scored essays of distinct applicants to the reviewer's queue."""
    with app.app_context():
        reviewer = db.session.get(f.User, reviewer_id)
        cycle = f.make_cycle()
        for _ in range(items):
            assignment = f.assign(f.make_essay(cycle, f.make_applicant(cycle)), reviewer)
            read = Read(assignment_id=assignment.id)
            db.session.add(read)
            db.session.flush()
            db.session.add_all(Score(read_id=read.id, domain_key=key, score=2, seq=1) for key in ESSAY_DOMAINS[:3])
        db.session.commit()


def test_queue_and_scoring_page_issue_the_same_number_of_queries_for_a_ten_times_larger_cycle(app, world):
    client = signed_in(app, world["a"])
    grow_cycle(app, world["a_id"], 3)
    small = (count_queries(app, client, "/reviews/"), count_queries(app, client, f"/reviews/{world['own']}"))
    grow_cycle(app, world["a_id"], 30)
    large = (count_queries(app, client, "/reviews/"), count_queries(app, client, f"/reviews/{world['own']}"))
    assert small == large
    assert large[0] <= 6 and large[1] <= 15


def application_rubric_item(app, reviewer_id):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle, applicant_id="P-9", category="IMHM-C", figures={"training_hours": 12})
        item = f.make_application_item(cycle, applicant)
        assignment = f.assign(item, db.session.get(f.User, reviewer_id))
        db.session.commit()
        return assignment.id


def test_application_page_shows_each_requirement_with_its_figure_and_minimum(app, world):
    from app.rubrics.registry import get_rubric

    with app.app_context():
        try:
            rubric = get_rubric("imhm-c-application")
        except KeyError:
            pytest.skip("the imhm-c-application pack is not in rubrics/ yet")
    assignment_id = application_rubric_item(app, world["a_id"])
    client = signed_in(app, world["a"])
    page = client.get(f"/reviews/{assignment_id}").get_data(as_text=True)
    assert "Requirements" in page
    for requirement in rubric.requirements:
        assert requirement.label in html.unescape(page)
    first = rubric.requirements[0]
    response = client.post(
        f"/reviews/{assignment_id}/requirements/{first.key}",
        data={"status": "met", "note": "checked", "seq": 1, "tab": WINDOW, "base_version": 0},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token_from(page)},
    )
    assert response.status_code == 200
    # The line marked, and the one the product decided from the figures (12 training hours of 30: not met),
    # which the read starts from.
    assert f"2 of {len(rubric.requirements)} requirements marked" in response.get_data(as_text=True)
    for seq, status in enumerate(("", "met", "not_met"), 2):
        answer = client.post(
            f"/reviews/{assignment_id}/requirements/{first.key}",
            data={"status": status, "note": "", "seq": seq, "tab": WINDOW, "base_version": 0},
            headers={"HX-Request": "true", "X-CSRFToken": csrf_token_from(page)},
        )
        with app.app_context():
            marked = db.session.scalar(
                select(db.func.count())
                .select_from(RequirementCheck)
                .join(Read)
                .where(Read.assignment_id == assignment_id, RequirementCheck.status.is_not(None))
            )
        assert f"{marked} of {len(rubric.requirements)} requirements marked" in answer.get_data(as_text=True)
    assert marked == 2


def test_a_problem_report_needs_a_note_and_only_the_assigned_reviewer_may_send_one(app, world):
    client = signed_in(app, world["a"])
    csrf = token(client, f"/reviews/{world['own']}")
    refused = client.post(f"/reviews/{world['own']}/flag", data={"csrf_token": csrf, "note": "   "})
    assert refused.status_code == 422
    assert "Not sent — note: say what the problem is" in refused.get_data(as_text=True)
    assert (
        client.post(f"/reviews/{world['foreign']}/flag", data={"csrf_token": csrf, "note": "Not mine"}).status_code
        == 404
    )
    sent = client.post(f"/reviews/{world['own']}/flag", data={"csrf_token": csrf, "note": "Signed with a name."})
    assert sent.status_code == 303
    with app.app_context():
        flags = db.session.scalars(select(ItemFlag)).all()
        assert [(flag.assignment_id, flag.note, flag.resolved_at) for flag in flags] == [
            (world["own"], "Signed with a name.", None)
        ]
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "item.flag")).one()
        assert (entry.item_key, entry.after["note"]) == ("E-101", "Signed with a name.")


def test_an_application_page_with_a_draft_and_a_report_reads_each_table_once(app, world):
    """The reviewer's own application page, a draft read begun and a problem reported, in ten queries: the
    signed-in user, the assignment with its item and cycle, the read with the application and the reports, the
    scores, the marks, the four kinds of portfolio record, and the queue around the item (docs/pages.md, "What the
    page reads"). The read, the application, the reports and the cycle each had a query of their own before."""
    assignment_id = application_rubric_item(app, world["a_id"])
    client = signed_in(app, world["a"])
    page = client.get(f"/reviews/{assignment_id}").get_data(as_text=True)
    domain = html.unescape(page).split('id="domain-', 1)[1].split('"', 1)[0]
    assert save(client, assignment_id, domain, 2, 1, csrf=csrf_token_from(page)).status_code == 200
    reported = client.post(
        f"/reviews/{assignment_id}/flag", data={"csrf_token": csrf_token_from(page), "note": "The summary is cut off."}
    )
    assert reported.status_code == 303

    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as statements:
        shown = client.get(f"/reviews/{assignment_id}")
    assert shown.status_code == 200
    assert "The summary is cut off." in html.unescape(shown.get_data(as_text=True))
    assert len(selects(statements)) == 10
