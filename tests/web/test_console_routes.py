"""Coordinator console routes: access for every role, CSRF on every POST, and each console action end to end."""

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.assignment.models import Assignment, AssignmentSource
from app.assignment.service import decline
from app.audit.models import AuditEntry
from app.cycles.models import Applicant, Cycle, CycleMember, Item, ItemState
from app.extensions import db
from app.people.models import Role, User
from app.scoring.models import ItemFlag, Read, ReadStatus
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import csrf_token_from, login, page_token, signed_in_client

PASSWORD = "a long enough test password"
SHEETS = f.WORKBOOK_SHEETS


def spring_cycle() -> dict:
    """Cycle "Spring 2025" (2 reads per item): three C-designated pool reviewers, one of them conflicted with
    applicant A-1; two essays of A-1 and one of A-2; a submitted read and an empty assignment on E-3."""
    cycle = f.make_cycle("Spring 2025", readers=2, due=date(2025, 6, 30))
    coordinator = f.make_user(Role.COORDINATOR, email="coord@example.org", name="Cora Coordinator", password=PASSWORD)
    committee = f.make_user(Role.COMMITTEE, email="committee@example.org", password=PASSWORD)
    ann = f.make_user(Role.REVIEWER, email="ann@example.org", name="Ann Reader", password=PASSWORD, designations="C")
    ben = f.make_user(Role.REVIEWER, email="ben@example.org", name="Ben Reader", password=PASSWORD, designations="C")
    cat = f.make_user(
        Role.REVIEWER, email="cat@example.org", name="Cat Conflicted", password=PASSWORD, designations="C"
    )
    for reviewer in (ann, ben, cat):
        f.add_member(cycle, reviewer)
    f.add_member(cycle, committee, "committee")
    first = f.make_applicant(cycle, applicant_id="A-1", name="Applicant One")
    second = f.make_applicant(cycle, applicant_id="A-2", name="Applicant Two")
    f.make_conflict(cat, first)
    e1 = f.make_essay(cycle, first, item_id="E-1")
    e2 = f.make_essay(cycle, first, item_id="E-2")
    e3 = f.make_essay(cycle, second, item_id="E-3")
    submitted = f.assign(e3, ann)
    f.submitted_read(submitted, {key: 3 for key in ESSAY_DOMAINS}, number=1)
    empty = f.assign(e3, ben)
    e3.state = ItemState.IN_REVIEW
    flag = ItemFlag(assignment_id=submitted.id, note="The response stops mid-sentence.")
    db.session.add(flag)
    db.session.flush()
    return {
        "flag_id": flag.id,
        "cycle_id": cycle.id,
        "item_pk": e1.id,
        "e3": e3.id,
        "assignment_id": empty.id,
        "submitted_assignment": submitted.id,
        "user_id": ben.id,
        "coordinator": coordinator.email,
        "committee": committee.email,
        "reviewer": ann.email,
        "ann": ann.id,
        "ben": ben.id,
        "cat": cat.id,
        "e1": e1.id,
        "e2": e2.id,
    }


pytestmark = pytest.mark.seeded(seed=spring_cycle)


@pytest.fixture
def world(seeded):
    return seeded


def signed_in(app, email):
    return signed_in_client(app, email, PASSWORD)


def token(client, path="/account/password"):
    return page_token(client, path)


def console_routes(app, world):
    """(method, url) of every console route, with the world's ids filled in."""
    values = {**world, "action": "disable", "kind": "reviewers"}
    routes = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("console."):
                continue
            url = url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})
            routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_route_list_covers_every_console_page_and_action(app, world):
    routes = console_routes(app, world)
    # with the dashboard's pictures fragment, the committee, the export and letters' progress and files
    assert len([r for r in routes if r[0] == "GET"]) == 17
    # with blindness, refill, seat/add/unseat, organization, starting the export and the letters, the declines'
    # refill and due dates, releasing a reviewer's items without the qualification set, marking a reported
    # problem handled
    assert len([r for r in routes if r[0] == "POST"]) == 25


def test_a_coordinator_can_open_every_console_page(app, world):
    client = signed_in(app, world["coordinator"])
    for method, url in console_routes(app, world):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "no-store", url


@pytest.mark.parametrize("who", ["reviewer", "committee"])
def test_reviewers_and_committee_members_are_refused_every_console_route(app, world, who):
    client = signed_in(app, world[who])
    csrf = token(client)
    for method, url in console_routes(app, world):
        response = client.open(url, method=method, data={"csrf_token": csrf})
        assert response.status_code == 403, (method, url)
        assert "Applicant One" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world["user_id"]).active
        assert count(Assignment) == 2


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(app, world):
    client = app.test_client()
    csrf = token(client, "/login")
    for method, url in console_routes(app, world):
        response = client.open(url, method=method, data={"csrf_token": csrf})
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login?next="), url
    with app.app_context():
        assert count(AuditEntry) == 0


def test_every_console_post_needs_a_csrf_token_of_this_session(app, world):
    client = signed_in(app, world["coordinator"])
    foreign = token(signed_in(app, world["coordinator"]))
    for method, url in console_routes(app, world):
        if method != "POST":
            continue
        assert client.post(url, data={}).status_code == 400, url
        assert client.post(url, data={"csrf_token": foreign}).status_code == 400, url
    with app.app_context():
        assert count(AuditEntry) == 0
        assert db.session.get(User, world["user_id"]).active


def test_a_coordinator_creates_a_cycle(app, world):
    client = signed_in(app, world["coordinator"])
    response = client.post(
        "/console/cycles",
        data={"csrf_token": token(client, "/console/"), "name": "Autumn 2025", "readers": "3", "due": "2025-11-01"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Autumn 2025" in page and "3 reads per item" in page and "1 November 2025" in page
    duplicate = client.post(
        "/console/cycles", data={"csrf_token": token(client, "/console/"), "name": "Autumn 2025", "readers": "2"}
    )
    assert duplicate.status_code == 422
    # The service's problem is shown beside the field it names, not parsed back out of a message.
    assert (
        '<p class="field__error" id="name-error">A cycle called &#39;Autumn 2025&#39; already exists</p>'
        in duplicate.get_data(as_text=True)
    )


def test_the_cycle_list_counts_live_items_and_the_validity_essays_apart(app, world):
    with app.app_context():
        for item_id in ("E-7", "E-8"):
            db.session.add(
                Item(
                    cycle_id=world["cycle_id"], item_id=item_id, kind="essay", rubric_key="imhm-c-essay", validity=True
                )
            )
        db.session.commit()
    page = signed_in(app, world["coordinator"]).get("/console/").get_data(as_text=True)
    row = page.split('<th scope="row"><a href="/console/cycles/{}">Spring 2025</a></th>'.format(world["cycle_id"]))[1]
    # The world's three essays E-1..E-3 are live; E-7 and E-8 are validity essays, shown apart.
    assert (
        row.split("</tr>")[0].split("</td>")[0]
        == '\n            <td class="num">3 <span class="muted">+ 2 validity</span>'
    )


def test_the_dashboard_counts_items_per_state_and_reads_per_reviewer(app, world):
    client = signed_in(app, world["coordinator"])
    page = client.get(f"/console/cycles/{world['cycle_id']}").get_data(as_text=True)
    # Two unassigned essays, one in review; Ann 1 of 1 submitted, Ben 0 of 1, Cat 0 of 0.
    count_of = (
        '<span class="badge badge--{state}">{label}</span>\n          <span class="state-list__count">{count}</span>'
    )
    assert count_of.format(state="unassigned", label="unassigned", count=2) in page
    assert count_of.format(state="in_review", label="in review", count=1) in page
    assert "1 of 1 submitted" in page and "0 of 1 submitted" in page and "0 of 0 submitted" in page
    assert "Clinical (C)" in page and "1 of 2 submitted" in page
    assert "reads due" in page and "30 June 2025" in page
    # Ann's submitted read (all 3s) is drawn: a score picture per rubric of the cycle, loaded after the page.
    pictures_url = f"/console/cycles/{world['cycle_id']}/pictures"
    assert f'hx-get="{pictures_url}" hx-trigger="load"' in page and "<svg" not in page
    pictures = client.get(pictures_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in pictures
    assert "Scores per domain · " in pictures and "Agreement per domain · " in pictures and "<svg" in pictures
    assert "<svg" in client.get(pictures_url).get_data(as_text=True)  # without script: a page of its own


def upload(client, cycle_id, kind, name, content: bytes):
    path = f"/console/cycles/{cycle_id}/import"
    return client.post(
        path,
        data={"csrf_token": token(client, path), "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_bad_upload_shows_the_row_report_and_writes_nothing(app, world):
    client = signed_in(app, world["coordinator"])
    with app.app_context():
        users_before, audit_before = count(User), count(AuditEntry)
    csv = b"email,name,designations\nnew1@example.org,New One,C\nnot-an-address,New Two,C\nnew3@example.org,,P\n"
    response = upload(client, world["cycle_id"], "reviewers", "../../etc/reviewers.csv", csv)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported from reviewers.csv" in page
    # The header is row 1: the bad address is on row 3, the missing name on row 4.
    assert (
        '<td class="num">3</td><td><code>email</code></td><td>&#39;not-an-address&#39; is not an e-mail address</td>'
    ) in page
    assert '<td class="num">4</td><td><code>name</code></td><td>required value is missing</td>' in page
    assert page.count('<tr><td class="num">') == 2
    with app.app_context():
        assert count(User) == users_before and count(AuditEntry) == audit_before


def test_a_file_that_is_not_a_spreadsheet_is_refused_by_its_content(app, world):
    client = signed_in(app, world["coordinator"])
    response = upload(client, world["cycle_id"], "reviewers", "reviewers.xlsx", b"<html><body>hi</body></html>\x00")
    assert response.status_code == 422
    assert "Nothing was imported from reviewers.xlsx" in response.get_data(as_text=True)


def test_a_good_upload_imports_and_shows_the_counts(app, world):
    client = signed_in(app, world["coordinator"])
    # Ann's row repeats what is stored (no organization), so it is unchanged.
    csv = (
        "\ufeffemail,name,designations,organization\nnew1@example.org,New One,C,Harbor Clinic\n"
        "ann@example.org,Ann Reader,C,\n"
    )
    response = upload(client, world["cycle_id"], "reviewers", "pool.csv", csv.encode())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported reviewers from pool.csv: 1 created, 0 updated, 1 unchanged." in page
    with app.app_context():
        new = db.session.scalar(select(User).filter_by(email="new1@example.org"))
        assert new.role == Role.REVIEWER and new.profile.organization == "Harbor Clinic"


def test_an_upload_over_the_size_limit_gets_a_friendly_page(app, world):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    client = signed_in(app, world["coordinator"])
    response = upload(client, world["cycle_id"], "reviewers", "big.csv", b"email,name\n" + b"x" * 5000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the" in page and "nothing was imported" in page
    assert 'enctype="multipart/form-data"' in page  # the import form is right there to try again


def preview(client, world, readers=2):
    response = client.get(f"/console/cycles/{world['cycle_id']}/assignments/preview?readers={readers}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, csrf_token_from(page), page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]


def confirm(client, world, csrf, fingerprint, readers=2):
    return client.post(
        f"/console/cycles/{world['cycle_id']}/assignments/confirm",
        data={"csrf_token": csrf, "readers": str(readers), "fingerprint": fingerprint},
    )


def test_preview_then_confirm_writes_exactly_the_previewed_plan(app, world):
    client = signed_in(app, world["coordinator"])
    page, csrf, fingerprint = preview(client, world)
    # E-1 and E-2 (applicant A-1, whom Cat is conflicted with) need two readers each: only Ann and Ben may read
    # them. E-3 already has its two. So four new reads, Ann and Ben each get two.
    assert "4 new reads" in page and "every item gets all its readers" in page
    with app.app_context():
        assert count(Assignment) == 2  # the preview wrote nothing
    response = confirm(client, world, csrf, fingerprint)
    assert response.status_code == 302
    with app.app_context():
        pairs = set(
            db.session.execute(
                select(Item.item_id, User.email)
                .join(Assignment, Assignment.item_pk == Item.id)
                .join(User, User.id == Assignment.reviewer_id)
                .where(Assignment.source == AssignmentSource.AUTO)
            )
        )
        assert pairs == {
            ("E-1", "ann@example.org"),
            ("E-1", "ben@example.org"),
            ("E-2", "ann@example.org"),
            ("E-2", "ben@example.org"),
        }
        assert {item.item_id: item.state for item in db.session.scalars(select(Item))} == {
            "E-1": ItemState.ASSIGNED,
            "E-2": ItemState.ASSIGNED,
            "E-3": ItemState.IN_REVIEW,
        }


def test_the_preview_shows_the_validity_reads_seeding_adds_to_the_coordinator_and_confirm_writes_them(app, world):
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle_id"])
        cycle.validity_rate = 0.25
        for item_id in ("E-7", "E-8"):  # ids of the live series: nothing tells them apart to a reviewer
            db.session.add(
                Item(cycle_id=cycle.id, item_id=item_id, kind="essay", rubric_key="imhm-c-essay", validity=True)
            )
        db.session.commit()
    client = signed_in(app, world["coordinator"])
    page, csrf, fingerprint = preview(client, world)
    # By hand: Ann and Ben get E-1 and E-2 besides E-3, three live reads each; at 0.25 that asks for
    # 0.25 · 3 / 0.75 = 1 validity read each. Cat reads nothing live, so none. The least read essay first, then by
    # id, reviewers by e-mail: Ann E-7, then Ben E-8.
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "4 new reads planned" in words and "Then 2 validity reads are mixed into the queues" in words
    assert "Confirm and assign 4 reads and 2 validity reads" in words
    table = page.split('<table id="validity-reads">')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', table)
    assert rows == [("E-7", "ann@example.org"), ("E-8", "ben@example.org")]
    with app.app_context():
        assert count(Assignment) == 2  # the preview wrote nothing
    assert confirm(client, world, csrf, fingerprint).status_code == 302  # the same plan: its fingerprint holds
    with app.app_context():
        seeded = set(
            db.session.execute(
                select(Item.item_id, User.email)
                .join(Assignment, Assignment.item_pk == Item.id)
                .join(User, User.id == Assignment.reviewer_id)
                .where(Item.validity.is_(True))
            )
        )
        assert seeded == {("E-7", "ann@example.org"), ("E-8", "ben@example.org")}
    reviewer = signed_in(app, "ann@example.org")  # the preview is the coordinator's alone
    assert reviewer.get(f"/console/cycles/{world['cycle_id']}/assignments/preview").status_code in (403, 404)


def test_a_stale_preview_is_refused_and_nothing_is_assigned(app, world):
    client = signed_in(app, world["coordinator"])
    _, csrf, fingerprint = preview(client, world)
    with app.app_context():  # meanwhile another essay arrives
        applicant = db.session.scalar(select(Applicant).filter_by(applicant_id="A-2"))
        f.make_essay(db.session.get(Cycle, world["cycle_id"]), applicant, item_id="E-4")
        db.session.commit()
    response = confirm(client, world, csrf, fingerprint)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed since the preview, so nothing was assigned" in page
    assert "6 new reads" in page  # the fresh preview includes E-4
    with app.app_context():
        assert count(Assignment) == 2
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "assignment.create")
            )
            == 0
        )


def test_a_forged_fingerprint_is_refused(app, world):
    client = signed_in(app, world["coordinator"])
    _, csrf, _ = preview(client, world)
    assert confirm(client, world, csrf, "0" * 64).status_code == 409
    with app.app_context():
        assert count(Assignment) == 2


def test_the_preview_lists_who_gets_which_item_filtered_and_against_each_reviewers_limit(app, world):
    with app.app_context():
        member = db.session.scalar(select(CycleMember).filter_by(user_id=world["ben"]))
        member.max_load = 5
        db.session.commit()
    client = signed_in(app, world["coordinator"])
    page, _, _ = preview(client, world)
    table = page.split('id="planned-reads"')[1].split("</table>")[0]
    assert table.count("<tr>") == 5  # the header and the four planned reads
    assert "Maximum load 3: the least possible." in page  # Ann and Ben hold 1 each and take two more
    assert "Blind across items: nobody is given both" in page
    # Ben's meter runs to his own limit of 5; Ann has none, so hers runs to the plan's highest load.
    assert 'max="5" high="4.5" value="3" class="load-meter" aria-label="Load of ben@example.org' in page
    assert 'max="3" value="3" class="load-meter" aria-label="Load of ann@example.org' in page
    only_ben = client.get(f"/console/cycles/{world['cycle_id']}/assignments/preview?readers=2&who=BEN&item=e-2")
    table = only_ben.get_data(as_text=True).split('id="planned-reads"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2 and "ben@example.org" in table and "E-2" in table and "ann@" not in table


def test_the_preview_names_a_relaxed_cycle_and_the_setting_is_audited(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/cycles/{world['cycle_id']}/assignments"
    response = client.post(f"/console/cycles/{world['cycle_id']}/blindness", data={"csrf_token": token(client, path)})
    assert response.status_code == 302
    page, _, _ = preview(client, world)
    assert "Blindness across items is relaxed for this cycle" in page
    with app.app_context():
        assert not db.session.get(Cycle, world["cycle_id"]).blind_across_items
        entry = db.session.scalar(select(AuditEntry).filter_by(action="cycle.blind_across_items"))
        assert entry.after == {"blind_across_items": False}
    client.post(
        f"/console/cycles/{world['cycle_id']}/blindness", data={"csrf_token": token(client, path), "blind": "y"}
    )
    with app.app_context():
        assert db.session.get(Cycle, world["cycle_id"]).blind_across_items


def test_a_preview_made_stale_by_a_decline_is_refused(app, world):
    client = signed_in(app, world["coordinator"])
    _, csrf, fingerprint = preview(client, world)
    with app.app_context():  # meanwhile Ben declines his (empty) read of E-3
        decline(db.session.get(Assignment, world["assignment_id"]), "I supervised this applicant", actor_id=None)
        db.session.commit()
    response = confirm(client, world, csrf, fingerprint)
    assert response.status_code == 409
    assert "changed since the preview, so nothing was assigned" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Assignment) == 1


def test_refill_after_a_decline_from_the_item_page(app, world):
    with app.app_context():
        decline(db.session.get(Assignment, world["assignment_id"]), "I supervised this applicant", actor_id=None)
        db.session.commit()
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e3']}"
    page = client.get(path).get_data(as_text=True)
    assert "I supervised this applicant" in page and "declined this item" in page
    assert "Fill the 1 missing read automatically" in page
    response = client.post(f"{path}/refill", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    with app.app_context():
        readers = set(db.session.scalars(select(Assignment.reviewer_id).filter_by(item_pk=world["e3"])))
        assert readers == {world["ann"], world["cat"]}  # Ben declined; Cat's conflict is with A-1 only
    assert "E-3 now also goes to cat@example.org." in client.get(path).get_data(as_text=True)


def test_manual_assignment_of_an_ineligible_reviewer_is_refused_with_the_reason(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e1']}"
    page = client.get(path).get_data(as_text=True)
    assert "declared conflict with the applicant" in page  # the candidate list explains it before anyone tries
    response = client.post(
        f"{path}/assign", data={"csrf_token": csrf_token_from(page), "assign-reviewer": str(world["cat"])}
    )
    assert response.status_code == 422
    assert "cannot assign cat@example.org: declared conflict with the applicant" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.item_pk == world["e1"]))
            == 0
        )


def test_manual_assign_and_swap_of_eligible_reviewers(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e1']}"
    response = client.post(
        f"{path}/assign", data={"csrf_token": token(client, path), "assign-reviewer": str(world["ann"])}
    )
    assert response.status_code == 302
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.item_pk == world["e1"]))
        assignment_id = assignment.id
        assert assignment.reviewer_id == world["ann"] and assignment.source == AssignmentSource.MANUAL
    response = client.post(
        f"/console/assignments/{assignment_id}/swap",
        data={"csrf_token": token(client, path), f"swap{assignment_id}-reviewer": str(world["ben"])},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).reviewer_id == world["ben"]
    # Shown in the association's zone (TIMEZONE, America/Detroit by default), which is named.
    assert re.search(r"\d\d:\d\d E[SD]T · manual", client.get(path).get_data(as_text=True))


def test_unassigning_a_started_read_needs_the_override_and_a_reason(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e3']}"
    assignment_id = world["submitted_assignment"]
    url = f"/console/assignments/{assignment_id}/unassign"
    refused = client.post(url, data={"csrf_token": token(client, path)})
    assert refused.status_code == 422
    assert "the read is submitted; removing it needs a coordinator override" in refused.get_data(as_text=True)
    no_reason = client.post(url, data={"csrf_token": token(client, path), f"un{assignment_id}-override": "y"})
    assert no_reason.status_code == 422 and "an override needs a reason" in no_reason.get_data(as_text=True)
    done = client.post(
        url,
        data={
            "csrf_token": token(client, path),
            f"un{assignment_id}-override": "y",
            f"un{assignment_id}-reason": "Reviewer withdrew from the panel",
        },
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id) is None
        entry = db.session.scalar(select(AuditEntry).filter_by(action="assignment.override_delete"))
        assert entry.note == "Reviewer withdrew from the panel" and entry.before["reviewer"] == "ann@example.org"


def test_reopening_a_submitted_read_is_audited_with_the_reason(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e3']}"
    url = f"/console/assignments/{world['submitted_assignment']}/reopen"
    prefix = f"re{world['submitted_assignment']}"
    assert client.post(url, data={"csrf_token": token(client, path), f"{prefix}-reason": " "}).status_code == 422
    response = client.post(url, data={"csrf_token": token(client, path), f"{prefix}-reason": "Scored the wrong essay"})
    assert response.status_code == 302
    with app.app_context():
        read = db.session.scalar(select(Read).filter_by(assignment_id=world["submitted_assignment"]))
        assert read.status == ReadStatus.DRAFT
        entry = db.session.scalar(select(AuditEntry).filter_by(action="read.reopen"))
        assert entry.note == "Scored the wrong essay" and entry.item_key == "E-3"


def test_disabling_a_user_ends_their_session_at_once(app, world):
    reviewer = signed_in(app, world["reviewer"])
    assert reviewer.get("/reviews/").status_code == 200
    client = signed_in(app, world["coordinator"])
    path = f"/console/users/{world['ann']}"
    response = client.post(
        f"{path}/disable", data={"csrf_token": token(client, path), "active-your_password": PASSWORD}
    )
    assert response.status_code == 302
    assert reviewer.get("/reviews/").status_code == 302  # the old cookie no longer signs anyone in
    assert login(app.test_client(), world["reviewer"], PASSWORD).status_code == 401
    client.post(f"{path}/enable", data={"csrf_token": token(client, path), "active-your_password": PASSWORD})
    assert login(app.test_client(), world["reviewer"], PASSWORD).status_code == 302


def test_a_coordinator_cannot_disable_themselves(app, world):
    client = signed_in(app, world["coordinator"])
    with app.app_context():
        own_id = db.session.scalar(select(User.id).filter_by(email=world["coordinator"]))
    path = f"/console/users/{own_id}"
    response = client.post(
        f"{path}/disable", data={"csrf_token": token(client, path), "active-your_password": PASSWORD}
    )
    assert response.status_code == 422
    # A problem of the whole form ("active" names no field of it) is shown above the form's fields.
    assert '<p class="field__error" role="alert">You cannot disable your own account</p>' in response.get_data(
        as_text=True
    )
    assert client.get("/console/").status_code == 200


def test_creating_a_user_without_a_password_invites_them_to_choose_one(app, world):
    from app.mail.models import OutboxMessage

    client = signed_in(app, world["coordinator"])
    response = client.post(
        "/console/users",
        data={
            "csrf_token": token(client, "/console/users"),
            "name": "Nia New",
            "email": "Nia@Example.org",
            "role": "committee",
            "password": "",
            "your_password": PASSWORD,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200 and "An invitation to choose a password is on its way" in response.text
    with app.app_context():
        nia = db.session.scalar(select(User).filter_by(email="nia@example.org"))
        assert nia.password_hash is None
        invitation = db.session.scalars(select(OutboxMessage).filter_by(recipient="nia@example.org")).one()
    assert invitation.kind == "invitation" and "Nia New" in invitation.body
    path = invitation.body.split("http://127.0.0.1:5000", 1)[1].split()[0]
    page = app.test_client()
    chosen = "a passphrase Nia chose herself"
    assert (
        page.post(
            "/password/set",
            data={
                "csrf_token": page_token(page, path),
                "token": path.split("token=")[1],
                "new_password": chosen,
                "confirm_password": chosen,
            },
        ).status_code
        == 303
    )
    assert login(app.test_client(), "nia@example.org", chosen).status_code == 302


def test_resetting_a_password_and_changing_role_and_profile(app, world):
    client = signed_in(app, world["coordinator"])
    reviewer = signed_in(app, world["reviewer"])
    path = f"/console/users/{world['ann']}"
    short = client.post(
        f"{path}/password",
        data={"csrf_token": token(client, path), "password-password": "short", "password-your_password": PASSWORD},
    )
    assert short.status_code == 422 and "Must be at least 12 characters" in short.get_data(as_text=True)
    new_password = "a brand new passphrase for Ann"
    assert (
        client.post(
            f"{path}/password",
            data={
                "csrf_token": token(client, path),
                "password-password": new_password,
                "password-your_password": PASSWORD,
            },
        ).status_code
        == 302
    )
    assert reviewer.get("/reviews/").status_code == 302
    assert login(app.test_client(), world["reviewer"], new_password).status_code == 302

    bad = client.post(f"{path}/profile", data={"csrf_token": token(client, path), "profile-designations": "C; X"})
    assert bad.status_code == 422
    assert 'id="profile-designations-error">X is not known (use C, P, RF)</p>' in bad.get_data(as_text=True)
    assert (
        client.post(
            f"{path}/profile",
            data={
                "csrf_token": token(client, path),
                "profile-designations": "rf, c",
                "profile-endorsements": "imhs",
                "profile-organization": " Harbor Clinic ",
                "profile-max_load": "4",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{path}/role",
            data={"csrf_token": token(client, path), "role-role": "committee", "role-your_password": PASSWORD},
        ).status_code
        == 302
    )
    with app.app_context():
        ann = db.session.get(User, world["ann"])
        assert (ann.profile.designations, ann.profile.endorsements, ann.profile.organization, ann.profile.max_load) == (
            "C; RF",
            "IMHS",
            "Harbor Clinic",
            4,
        )
        assert ann.role == Role.COMMITTEE
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == ann.id, AuditEntry.object_type == "user")
            )
        )
        assert {"user.password", "user.profile", "user.role"} <= actions


def test_the_audit_log_filters_by_item_and_by_user_newest_first(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/items/{world['e3']}"
    prefix = f"re{world['submitted_assignment']}"
    client.post(
        f"/console/assignments/{world['submitted_assignment']}/reopen",
        data={"csrf_token": token(client, path), f"{prefix}-reason": "Wrong essay"},
    )
    user_path = f"/console/users/{world['ben']}"
    client.post(f"{user_path}/disable", data={"csrf_token": token(client, user_path), "active-your_password": PASSWORD})

    everything = client.get("/console/audit").get_data(as_text=True)
    assert everything.index("user.active") < everything.index("read.reopen")  # newest first
    by_item = client.get("/console/audit?item=E-3").get_data(as_text=True)
    assert "read.reopen" in by_item and "user.active" not in by_item
    assert 'submitted</span> <span aria-label="became">→</span> <span class="changes__after">draft' in by_item
    assert "“Wrong essay”" in by_item
    about_ben = client.get("/console/audit?user=ben@example.org").get_data(as_text=True)
    assert "user.active" in about_ben and "read.reopen" not in about_ben
    unknown = client.get("/console/audit?user=nobody@example.org").get_data(as_text=True)
    assert "No user has the e-mail nobody@example.org" in unknown


def test_the_reconcile_button_reports_counts(app, world):
    client = signed_in(app, world["coordinator"])
    path = f"/console/cycles/{world['cycle_id']}"
    response = client.post(f"{path}/reconcile", data={"csrf_token": token(client, path)}, follow_redirects=True)
    assert response.status_code == 200
    assert "Reconciliation done:" in response.get_data(as_text=True)


def test_console_pages_escape_user_text(app, world):
    with app.app_context():
        db.session.get(User, world["ann"]).name = "<script>alert(1)</script>"
        db.session.commit()
    client = signed_in(app, world["coordinator"])
    for url in (f"/console/cycles/{world['cycle_id']}", "/console/users", f"/console/items/{world['e1']}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_blank_import_template_lists_the_columns_of_its_kind(app, world):
    coordinator = signed_in(app, world["coordinator"])
    reply = coordinator.get("/console/import-templates/essays.csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    assert reply.get_data(as_text=True).strip() == "item_id,applicant_id,rubric,prompt,response,validity"
    assert coordinator.get("/console/import-templates/nonsense.csv").status_code == 404


def test_the_import_page_describes_every_kind_it_offers_in_words_with_a_blank_template(app, world):
    """Each of the twelve kinds in the select has a name, a description and a template that downloads; the
    portfolio records (training, RS/C, references, work) had none, and "rsc" and "reference_scores" showed as
    keys."""
    coordinator = signed_in(app, world["coordinator"])
    page = coordinator.get(f"/console/cycles/{world['cycle_id']}/import").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]*)</option>', page)
    assert [value for value, _ in options] == [
        "reviewers",
        "applications",
        "essays",
        "conflicts",
        "scores",
        "reference_scores",
        "committee",
        "training",
        "rsc",
        "references",
        "work",
        "decisions",
    ]
    assert (
        dict(options)["rsc"] == "RS/C log" and dict(options)["reference_scores"] == "Expert scores of validity essays"
    )
    formats = page[page.index('id="formats-title"') :]
    assert "Reference_scores" not in formats and "<dt>RS/C log</dt>" in formats and "<dt>Work history</dt>" in formats
    for value, _ in options:
        assert f"/console/import-templates/{value}.csv" in formats
        assert coordinator.get(f"/console/import-templates/{value}.csv").status_code == 200
    assert coordinator.get("/console/import-templates/rsc.csv").get_data(as_text=True).strip() == (
        "applicant_id,hours,provider,provider_endorsement,format,about_providing,peer,started_on,ended_on"
    )


def test_the_users_list_tells_an_account_still_without_a_password_from_one_that_signs_in(app, world):
    with app.app_context():
        f.make_user(Role.REVIEWER, email="invited@example.org", name="Ivy Invited")
        gone = f.make_user(Role.REVIEWER, email="gone@example.org", name="Gus Gone", password="a long passphrase")
        gone.active = False
        db.session.commit()
    page = signed_in(app, world["coordinator"]).get("/console/users").get_data(as_text=True)

    def sign_in_cell(email):
        row = page[page.index(f"<td>{email}</td>") :]
        return row[: row.index("</tr>")]

    assert "no password yet" in sign_in_cell("invited@example.org")
    assert "disabled" in sign_in_cell("gone@example.org") and "no password" not in sign_in_cell("gone@example.org")
    assert ">active<" in sign_in_cell("coord@example.org")
