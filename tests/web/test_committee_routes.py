"""Committee routes: who may see what, CSRF, 409 conflicts that keep the member's text, XSS, query counts."""

import html
import re

import pytest
from sqlalchemy import select

from app.committee.models import CommitteeResolution, Decision
from app.cycles.models import Cycle, ItemState
from app.extensions import db
from app.people.models import Role
from tests import committee_world
from tests import factories as f
from tests.committee_world import PASSWORD, essay_scores
from tests.web.helpers import count_queries, csrf_token_from, page_token, signed_in_client

XSS = (
    '<script>alert("x")</script><img src=x onerror="alert(1)">'
    '<a href="javascript:alert(2)">j</a><div hx-get="/committee/" hx-trigger="load" hx-on:click="alert(3)">h</div>'
)
INERT_MARKERS = ["<script>alert", "<img src=x", '<a href="javascript:', '<div hx-get="/committee/"']


pytestmark = pytest.mark.seeded(seed=committee_world.build_with_passwords)


@pytest.fixture
def world(seeded):
    return seeded


def signed_in(app, world, who):
    return signed_in_client(app, world["emails"][who], PASSWORD)


def token(client, path="/account/password"):
    return page_token(client, path)


def pages(world):
    return {
        "index": "/committee/",
        "board": f"/committee/cycles/{world['cycle']}/",
        "item": f"/committee/items/{world['split']}",
        "applications": f"/committee/cycles/{world['cycle']}/applications",
    }


def textarea(body, textarea_id):
    """The text a textarea holds, as the browser shows it."""
    match = re.search(rf'<textarea id="{textarea_id}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {textarea_id}"
    return html.unescape(match.group(1))


def resolution_form(csrf, version="", rationale="Reflection is emerging.", default=3, **overrides):
    data = {f"score_{key}": str(value) for key, value in essay_scores(default, **overrides).items()}
    return data | {"csrf_token": csrf, "version": version, "rationale": rationale}


def resolve_path(world):
    return f"/committee/items/{world['split']}/resolution"


def decide_path(world, application="ada"):
    return f"/committee/applications/{world[application]}/decision"


# ---- access ----


def test_reviewers_are_refused_every_committee_page_and_action(app, world):
    client = signed_in(app, world, "ann")
    for path in pages(world).values():
        assert client.get(path).status_code == 403, path
    csrf = token(client)
    assert client.post(resolve_path(world), data=resolution_form(csrf)).status_code == 403
    assert (
        client.post(decide_path(world), data={"csrf_token": csrf, "decision": "endorse", "rationale": "x"}).status_code
        == 403
    )
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None
        assert db.session.scalar(select(Decision)) is None


def test_a_committee_member_of_another_cycle_gets_404_and_never_sees_the_cycle(app, world):
    client = signed_in(app, world, "olga")
    index = client.get("/committee/").get_data(as_text=True)
    assert "Spring 2025" not in index and "Autumn 2025" in index
    for name, path in pages(world).items():
        if name != "index":
            response = client.get(path)
            assert response.status_code == 404, path
            body = response.get_data(as_text=True)
            assert "Ada Applicant" not in body and "E-1" not in body
    csrf = token(client)
    assert client.post(resolve_path(world), data=resolution_form(csrf)).status_code == 404
    assert (
        client.post(decide_path(world), data={"csrf_token": csrf, "decision": "endorse", "rationale": "x"}).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None


@pytest.mark.parametrize("who", ["maya", "cora"])
def test_the_cycles_committee_and_coordinators_see_every_page(app, world, who):
    client = signed_in(app, world, who)
    for path in pages(world).values():
        assert client.get(path).status_code == 200, path
    assert "Spring 2025" in client.get("/committee/").get_data(as_text=True)


def test_guessed_ids_answer_404(app, world):
    client = signed_in(app, world, "cora")
    for path in ("/committee/cycles/999/", "/committee/items/999", "/committee/cycles/999/applications"):
        assert client.get(path).status_code == 404
    csrf = token(client)
    assert client.post("/committee/items/999/resolution", data=resolution_form(csrf)).status_code == 404
    assert client.post("/committee/applications/999/decision", data={"csrf_token": csrf}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, world):
    client = app.test_client()
    for path in pages(world).values():
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_committee_member_starts_on_the_committee_page(app, world):
    response = signed_in(app, world, "maya").get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/committee/"


# ---- CSRF ----


@pytest.mark.parametrize("csrf", [None, "not-a-token", "foreign"])
def test_every_committee_post_needs_this_sessions_csrf_token(app, world, csrf):
    client = signed_in(app, world, "maya")
    if csrf == "foreign":
        csrf = token(signed_in(app, world, "noah"))
    headers_variants = [{}, {"HX-Request": "true"}]
    for headers in headers_variants:
        form = resolution_form(csrf or "")
        if csrf is None:
            del form["csrf_token"]
        assert client.post(resolve_path(world), data=form, headers=headers).status_code == 400
        decision = {"decision": "endorse", "rationale": "Good.", "version": ""}
        if csrf is not None:
            decision["csrf_token"] = csrf
        assert client.post(decide_path(world), data=decision, headers=headers).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None
        assert db.session.scalar(select(Decision)) is None


def test_no_committee_page_changes_anything_on_get(app, world):
    client = signed_in(app, world, "maya")
    for path in (resolve_path(world), decide_path(world)):
        assert client.get(path).status_code == 405


def test_the_csrf_token_also_works_as_the_htmx_header(app, world):
    client = signed_in(app, world, "maya")
    csrf = token(client, pages(world)["item"])
    form = resolution_form("")
    del form["csrf_token"]
    response = client.post(resolve_path(world), data=form, headers={"HX-Request": "true", "X-CSRFToken": csrf})
    assert response.status_code == 200


# ---- pages ----


def test_the_item_page_highlights_the_discrepant_domain_in_text_not_colour_alone(app, world):
    body = signed_in(app, world, "maya").get(pages(world)["item"]).get_data(as_text=True)
    assert "Reads differ by 2 on Reflection; the rubric tolerates 1." in body
    assert "≠ Differs by 2" in body
    rows = re.findall(
        r'<tr class="(is-discrepant)?">\s*<th scope="row" class="compare__domain[^"]*">([^<]+)</th>', body
    )
    assert [name for flag, name in rows if flag] == ["Reflection"]
    assert len([name for flag, name in rows if not flag]) == 5
    assert "Feelings are not examined at all." in body and "Notices the parallel process." in body
    assert "every domain at least 2 and a mean of at least 2.5" in body
    # Pre-filled with the mean of the reads: 2 on Reflection.
    assert re.search(r'name="score_reflection"[^>]*value="2"', body)


def test_saving_final_scores_with_htmx_answers_the_form_and_the_new_state(app, world):
    client = signed_in(app, world, "maya")
    csrf = token(client, pages(world)["item"])
    response = client.post(
        resolve_path(world), data=resolution_form(csrf, reflection=2), headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "Final scores saved (version 1)" in body
    assert 'id="item-state"' in body and 'hx-swap-oob="true"' in body and ">Decided<" in body
    assert 'name="version" value="1"' in body
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)).scores == essay_scores(3, reflection=2)


def test_saving_final_scores_without_javascript_redirects_to_the_item(app, world):
    client = signed_in(app, world, "maya")
    csrf = token(client, pages(world)["item"])
    response = client.post(resolve_path(world), data=resolution_form(csrf))
    assert response.status_code == 303 and response.headers["Location"] == pages(world)["item"]
    assert "saved; the item is decided" in client.get(pages(world)["item"]).get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_saving_over_a_colleagues_newer_version_is_409_and_keeps_the_typed_text(app, world, htmx):
    noah = signed_in(app, world, "noah")
    noah_csrf = token(noah, pages(world)["item"])  # Noah opens the form: nothing saved yet
    maya = signed_in(app, world, "maya")
    maya.post(
        resolve_path(world),
        data=resolution_form(token(maya, pages(world)["item"]), reflection=2, rationale="Maya: emerging reflection."),
    )
    typed = "Noah's careful reasoning about the parallel process, typed for ten minutes."
    headers = {"HX-Request": "true"} if htmx else {}
    response = noah.post(
        resolve_path(world), data=resolution_form(noah_csrf, reflection=4, rationale=typed), headers=headers
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "another committee member saved this item" in body
    assert "Maya Member" in body and "Maya: emerging reflection." in body
    assert textarea(body, "rationale") == typed  # the textarea still holds Noah's text
    assert re.search(r'name="score_reflection"[^>]*value="4"', body)
    assert 'name="version" value="1"' in body  # a deliberate second save may replace Maya's
    with app.app_context():
        saved = db.session.scalar(select(CommitteeResolution))
        assert saved.rationale == "Maya: emerging reflection." and saved.version == 1
    again = noah.post(
        resolve_path(world),
        data=resolution_form(noah_csrf, version="1", reflection=4, rationale=typed),
        headers=headers,
    )
    assert again.status_code in (200, 303)
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)).rationale == typed


def test_missing_rationale_is_422_and_keeps_the_typed_scores(app, world):
    client = signed_in(app, world, "maya")
    csrf = token(client, pages(world)["item"])
    response = client.post(
        resolve_path(world), data=resolution_form(csrf, rationale="  ", reflection=1.5), headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A rationale is required" in body
    assert re.search(r'name="score_reflection"[^>]*value="1.5"', body)
    out_of_scale = client.post(resolve_path(world), data=resolution_form(csrf, reflection=7))
    assert out_of_scale.status_code == 422
    assert "Reflection: 7 is outside the scale 1–4" in out_of_scale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None


def test_a_decision_is_recorded_from_the_applications_page(app, world):
    client = signed_in(app, world, "maya")
    page = client.get(pages(world)["applications"]).get_data(as_text=True)
    assert "Ada Applicant" in page and "85 ≥ pass mark 80" in page and "70 &lt; pass mark 80" in page
    response = client.post(
        decide_path(world),
        data={
            "csrf_token": csrf_token_from(page),
            "decision": "revise",
            "rationale": "Portfolio needs one more reference.",
            "version": "",
        },
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Decision recorded" in body and "Revise and resubmit" in body
    page = client.get(pages(world)["applications"]).get_data(as_text=True)
    assert "Decided: Revise and resubmit" in page and "Portfolio needs one more reference." in page


def test_a_stale_decision_is_409_and_keeps_the_typed_rationale(app, world):
    noah = signed_in(app, world, "noah")
    noah_csrf = token(noah, pages(world)["applications"])
    maya = signed_in(app, world, "maya")
    maya.post(
        decide_path(world),
        data={"csrf_token": token(maya), "decision": "endorse", "rationale": "Maya: endorse.", "version": ""},
    )
    typed = "Noah thinks the portfolio needs revision."
    for headers in ({"HX-Request": "true"}, {}):
        response = noah.post(
            decide_path(world),
            data={"csrf_token": noah_csrf, "decision": "revise", "rationale": typed, "version": ""},
            headers=headers,
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "another committee member recorded a decision" in body and "Maya: endorse." in body
        assert textarea(body, f"decision-{world['ada']}-rationale") == typed
        assert re.search(r'value="revise" required checked', body)
    with app.app_context():
        assert db.session.scalar(select(Decision)).rationale == "Maya: endorse."


def test_the_board_shows_counts_pictures_and_filters_with_htmx(app, world):
    client = signed_in(app, world, "maya")
    board = client.get(pages(world)["board"]).get_data(as_text=True)
    assert 'hx-push-url="true"' in board and 'hx-get="/committee/cycles/' in board
    assert "Open disagreements" in board
    # The pictures come as a fragment of their own (htmx on load; a plain link without script).
    pictures_url = f"/committee/cycles/{world['cycle']}/pictures"
    assert f'hx-get="{pictures_url}" hx-trigger="load"' in board and "<svg" not in board
    assert f'<noscript><p><a href="{pictures_url}">' in board
    pictures = client.get(pictures_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in pictures
    # One rubric with reads: distribution + agreement, each drawn wide and narrow (the page shows one).
    assert pictures.count('<svg class="chart__svg chart__svg--wide"') == 2
    assert pictures.count('<svg class="chart__svg chart__svg--narrow"') == 2
    assert "<title id=" in pictures and "Show the numbers" in pictures
    page = client.get(pictures_url).get_data(as_text=True)
    assert "<html" in page and page.count('<svg class="chart__svg chart__svg--wide"') == 2
    partial = client.get(pages(world)["board"] + "?state=committee", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert "E-1" in body and "E-2" not in body
    assert client.get(pages(world)["board"] + "?state=bogus").status_code == 400


# ---- XSS ----


def _plant_xss(app, world):
    with app.app_context():
        from app.scoring.models import Score

        for score in db.session.scalars(select(Score).where(Score.domain_key == "reflection")):
            score.comment = XSS
        db.session.get(Cycle, world["cycle"]).name = "Cycle " + XSS[: XSS.index("<a ")]  # fits the 120-char column
        applicant = f.make_applicant(db.session.get(Cycle, world["cycle"]), applicant_id="X-1", name=XSS)
        db.session.commit()
        return applicant.application.id


def test_xss_in_comments_names_and_rationale_renders_inert(app, world):
    xss_application = _plant_xss(app, world)
    client = signed_in(app, world, "maya")
    csrf = token(client, pages(world)["item"])
    client.post(resolve_path(world), data=resolution_form(csrf, rationale=XSS))
    client.post(
        f"/committee/applications/{xss_application}/decision",
        data={"csrf_token": csrf, "decision": "revise", "rationale": XSS, "version": ""},
    )
    # A second member's stale save shows the first member's rationale in the conflict message.
    noah = signed_in(app, world, "noah")
    conflict = noah.post(
        resolve_path(world), data=resolution_form(token(noah), rationale="mine"), headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    stale_decision = noah.post(
        f"/committee/applications/{xss_application}/decision",
        data={"csrf_token": token(noah), "decision": "endorse", "rationale": "x", "version": ""},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    bodies = [client.get(path).get_data(as_text=True) for path in pages(world).values()]
    bodies += [
        conflict,
        stale_decision,
        client.get(pages(world)["board"], headers={"HX-Request": "true"}).get_data(as_text=True),
    ]
    for body in bodies:
        for marker in INERT_MARKERS:
            assert marker not in body
    item_page = bodies[2]
    assert html.unescape(item_page).count(XSS) >= 3  # two comments and the saved rationale
    assert XSS in html.unescape(conflict) and XSS in html.unescape(stale_decision)


# ---- query counts ----


def grow_cycle(app, world, applicants):
    """Add applicants with a portfolio and a two-read essay each, in assorted states."""
    states = [ItemState.COMMITTEE, ItemState.AGREED, ItemState.DISCREPANT, ItemState.DECIDED]
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle"])
        readers = [f.make_user(Role.REVIEWER) for _ in range(2)]
        for n in range(applicants):
            applicant = f.make_applicant(cycle, category="IMHM-C" if n % 2 else "IMHS", mc_score=60 + n)
            essay = f.make_essay(cycle, applicant)
            essay.state = states[n % len(states)]
            for position, reader in enumerate(readers, start=1):
                f.submitted_read(f.assign(essay, reader), essay_scores(2 + (n + position) % 3), number=position)
            f.make_application_item(cycle, applicant).state = ItemState.IN_REVIEW
        db.session.commit()


def test_board_and_applications_issue_the_same_number_of_queries_for_a_much_larger_cycle(app, world):
    client = signed_in(app, world, "maya")
    paths = [
        (pages(world)["board"], None),
        (pages(world)["board"] + "?state=open", {"HX-Request": "true"}),
        (pages(world)["applications"], None),
    ]
    grow_cycle(app, world, 4)
    small = [count_queries(app, client, path, headers) for path, headers in paths]
    grow_cycle(app, world, 40)
    large = [count_queries(app, client, path, headers) for path, headers in paths]
    assert small == large
    assert max(large) <= 13  # one of them works out the member's recusals (app.access.recusals)


def test_the_item_page_issues_a_bounded_number_of_queries(app, world):
    client = signed_in(app, world, "maya")
    assert count_queries(app, client, pages(world)["item"]) <= 15


# ---- the result before saving ----


def test_the_final_scores_form_previews_the_result_without_saving(app, world):
    client = signed_in(app, world, "maya")
    csrf = token(client)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf}
    preview = f"/committee/items/{world['split']}/resolution/preview"
    # Six domains at 3 except reflection 1.5: lowest 1.5 < 2, mean (15 + 1.5) / 6 = 2.75 ≥ 2.5 → fail.
    failing = client.post(preview, data=resolution_form(csrf, reflection=1.5), headers=headers)
    body = failing.get_data(as_text=True)
    assert failing.status_code == 200
    assert 'records a <strong class="badge badge--fail">Fail</strong>' in body
    assert "a mean of 2.75 (total 16.5)" in body
    assert "Misses: every domain at least 2 (lowest 1.5)" in body
    assert "Meets: a mean of at least 2.5 (mean 2.75)" in body
    # All at 2 except two at 3: lowest 2, mean 14 / 6 = 2.33 < 2.5 → fail on the mean alone.
    mean_only = client.post(
        preview,
        data=resolution_form(csrf, default=2) | {"score_reflection": "3", "score_thinking": "3"},
        headers=headers,
    ).get_data(as_text=True)
    assert (
        "Meets: every domain at least 2 (lowest 2)" in mean_only
        and "Misses: a mean of at least 2.5 (mean 2.33)" in mean_only
    )
    passing = client.post(preview, data=resolution_form(csrf), headers=headers).get_data(as_text=True)
    assert 'badge--pass">Pass</strong>' in passing and "a mean of 3.00 (total 18)" in passing
    blank = client.post(preview, data=resolution_form(csrf) | {"score_thinking": ""}, headers=headers)
    assert blank.status_code == 200 and "Thinking: a final score is required" in blank.get_data(as_text=True)
    # Without script the button posts the form: the item page shows the preview and keeps what was typed.
    page = client.post(preview, data=resolution_form(csrf, reflection=1.5, rationale="still thinking"))
    page_body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Misses: every domain at least 2 (lowest 1.5)" in page_body
    assert textarea(page_body, "rationale") == "still thinking"
    with app.app_context():
        assert db.session.scalar(select(CommitteeResolution)) is None


def test_the_item_page_opens_with_the_result_of_its_prefilled_scores(app, world):
    client = signed_in(app, world, "maya")
    body = client.get(pages(world)["item"]).get_data(as_text=True)
    # Pre-filled with the reads' means: reflection (1 + 3) / 2 = 2, the rest 3; mean 17 / 6 = 2.83 → pass.
    assert 'badge--pass">Pass</strong>' in body and "a mean of 2.83 (total 17)" in body


# ---- decisions at meeting speed ----


def ready_rows(app, world):
    with app.app_context():
        from app.committee import decisions
        from app.people.models import User

        maya = db.session.scalar(select(User).filter_by(email=world["emails"]["maya"]))
        return {
            row.applicant_id: row.suggested
            for row in decisions.applications(db.session.get(Cycle, world["cycle"]), maya)
            if row.ready_to_decide
        }


def test_the_applications_page_filters_undecided_and_ready_and_accepts_suggestions_together(app, world):
    client = signed_in(app, world, "maya")
    page = pages(world)["applications"]
    # Bo is ready: everything known, Part 1 70 < 80 → not endorsed. Ada waits on E-1 at the committee.
    assert ready_rows(app, world) == {"A-2": "not_endorsed"}
    ready_page = client.get(page + "?show=ready").get_data(as_text=True)
    assert "Bo Applicant" in ready_page and "Ada Applicant" not in ready_page
    undecided = client.get(page + "?show=undecided").get_data(as_text=True)
    assert "Bo Applicant" in undecided and "Ada Applicant" in undecided
    csrf = token(client)
    assert client.post(resolve_path(world), data=resolution_form(csrf)).status_code == 303
    assert ready_rows(app, world) == {"A-1": "endorse", "A-2": "not_endorsed"}

    accept = f"/committee/cycles/{world['cycle']}/applications/accept"
    both = [str(world["ada"]), str(world["bo"])]
    blank = client.post(accept, data={"csrf_token": csrf, "accept": both, "rationale": "  "})
    body = blank.get_data(as_text=True)
    assert blank.status_code == 422 and "A rationale is required" in body
    assert body.count('form="accept-suggested" checked') == 2  # what was ticked stays ticked
    guessed = client.post(accept, data={"csrf_token": csrf, "accept": ["987654"], "rationale": "x"})
    assert guessed.status_code == 422 and "An application chosen is not one of this page" in guessed.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None

    done = client.post(
        accept, data={"csrf_token": csrf, "accept": both, "rationale": "As suggested: met in full.", "show": "ready"}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("?show=ready")
    assert "Suggested decision recorded for 2 applications: A-1 (Endorse), A-2 (Not endorsed)." in client.get(
        done.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context():
        from app.audit.models import AuditEntry

        decided = {
            row.application_id: (row.decision.value, row.rationale, row.decided_by_id)
            for row in db.session.scalars(select(Decision))
        }
        maya = world["ids"]["maya"]
        assert decided == {
            world["ada"]: ("endorse", "As suggested: met in full.", maya),
            world["bo"]: ("not_endorsed", "As suggested: met in full.", maya),
        }
        notes = list(db.session.scalars(select(AuditEntry.note).where(AuditEntry.action == "decision.record")))
        assert notes == ["suggestion accepted with others"] * 2
    again = client.post(accept, data={"csrf_token": csrf, "accept": [str(world["ada"])], "rationale": "again"})
    assert again.status_code == 422 and "A-1 is decided already" in again.get_data(as_text=True)


def test_the_portfolio_form_settles_requirement_lines_with_the_scores(app, world):
    from app.requirements.models import RequirementFinal
    from app.rubrics.registry import get_rubric
    from tests.committee_world import PORTFOLIO_DOMAINS

    client = signed_in(app, world, "maya")
    path = f"/committee/items/{world['portfolio']}"
    page = client.get(path).get_data(as_text=True)
    with app.app_context():
        first = get_rubric("imhm-c-application").requirements[0]
    # The lines the committee recorded already are on the form, with their result chosen.
    assert "Requirement lines the reads disagree on" in page
    assert re.search(rf'<select id="line-{first.key}"[^>]*>.*?<option value="met" selected>Met</option>', page, re.S)
    data = {f"score_{key}": "3" for key in PORTFOLIO_DOMAINS} | {
        "csrf_token": token(client),
        "version": "",
        "rationale": "The hours fall short.",
        f"line_{first.key}": "not_met",
    }
    assert client.post(f"{path}/resolution", data=data).status_code == 303
    with app.app_context():
        final = db.session.scalar(
            select(RequirementFinal).filter_by(application_id=world["ada"], requirement_key=first.key)
        )
        assert (final.status.value, final.rationale) == ("not_met", "The hours fall short.")


def test_deciding_one_application_on_its_card_takes_its_accept_box_away(app, world):
    """Bo (A-2) is ready to decide, so his card offers "Accept the suggestion"; once a member records his decision
    on the card's own form, the answer replaces the box with an empty one (it stayed until a reload)."""
    client = signed_in(app, world, "maya")
    box = f'<div id="accept-choice-{world["bo"]}">'
    page = client.get(pages(world)["applications"]).get_data(as_text=True)
    assert box in page and f'name="accept" value="{world["bo"]}"' in page[page.index(box) :]
    answer = client.post(
        decide_path(world, "bo"),
        data={"csrf_token": token(client), "decision": "not_endorsed", "rationale": "Part 1 below the mark."},
        headers={"HX-Request": "true"},
    )
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200, body[:2000]
    swapped = body[body.index(f'<div id="accept-choice-{world["bo"]}" hx-swap-oob="true">') :]
    assert 'name="accept"' not in swapped[: swapped.index("</div>")]
