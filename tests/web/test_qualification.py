"""The qualification set: a reviewer's other items open only once they pass it, or a coordinator releases them."""

import pytest

from app.audit.models import AuditEntry
from app.calibration.figures import ScoredRead
from app.calibration.qualification import Standing, qualification
from app.cycles.models import Cycle, Item, QualificationRelease, ReferenceScore
from app.extensions import db
from app.mail import background
from app.mail.models import OutboxMessage
from app.people.models import Role
from app.scoring import service as scoring
from app.scoring.models import Read, ReadStatus
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import csrf_token_from, signed_in_client
from tests.web.test_mail_pages import ServerLikeClient

PASSWORD = "a long enough test password"


def scored(*pairs):
    return ScoredRead("r", (1, 2, 3, 4), tuple(pairs))


# --- the rule --------------------------------------------------------------------------------------


def test_the_set_is_judged_on_its_last_read_and_passes_at_the_threshold():
    close, far = scored((3, 3), (2, 3)), scored((1, 3), (4, 2))
    assert qualification(0, 0.8, []).standing == Standing.NOT_REQUIRED
    assert qualification(3, 0.8, [close, close]).standing == Standing.AWAITING_SET  # only two assigned
    assert qualification(3, 0.8, [close, None, close]).standing == Standing.IN_PROGRESS
    # Every read close so far, yet nothing is released before the last one.
    assert not qualification(3, 0.8, [close, close, None]).released
    last = qualification(3, 0.8, [close, close, close])
    assert (last.standing, last.adjacent, last.released) == (Standing.QUALIFIED, 1.0, True)
    # 4 of 6 domain scores within one point: 0.67, below 0.8; exactly 0.8 passes.
    missed = qualification(3, 0.8, [close, close, far])
    assert (missed.standing, missed.adjacent, missed.released) == (Standing.MISSED, pytest.approx(4 / 6), False)
    assert qualification(5, 0.8, [close] * 4 + [far]).standing == Standing.QUALIFIED  # 8 of 10
    assert qualification(3, 0.8, [close, close, far], released_by_hand=True).standing == Standing.RELEASED
    assert qualification(2, 0.8, [close, close, far]).standing == Standing.QUALIFIED  # the set is the first two


# --- through the pages -----------------------------------------------------------------------------


@pytest.fixture
def world(app):
    return make_world(app)


def make_world(app):
    """A cycle asking for a set of 2 at 80 %; each reviewer holds 2 set essays, a seeded one and a live one."""
    with app.app_context():
        cycle = f.make_cycle("Qualified")
        cycle.qualify_items, cycle.qualify_min_adjacent = 2, 0.8
        f.make_user(Role.COORDINATOR, email="coord@example.org", password=PASSWORD)
        applicant = f.make_applicant(cycle, applicant_id="A-1")
        validity = []
        for n in range(3):
            essay = Item(
                cycle_id=cycle.id,
                item_id=f"E-90{n}",
                kind="essay",
                rubric_key="imhm-c-essay",
                validity=True,
                prompt=f"Vignette {n}",
                response="An answer",
            )
            db.session.add(essay)
            db.session.flush()
            db.session.add_all(ReferenceScore(item_pk=essay.id, domain_key=key, score=3) for key in ESSAY_DOMAINS)
            validity.append(essay)
        live = f.make_essay(cycle, applicant, item_id="E-100", prompt="A live vignette")
        ids = {}
        for email in ("good@example.org", "far@example.org", "short@example.org"):
            reviewer = f.make_user(
                Role.REVIEWER, email=email, name=email.split("@")[0].title(), password=PASSWORD, designations="C"
            )
            f.add_member(cycle, reviewer)
            held = validity[:1] if email.startswith("short") else validity
            ids[email] = {
                "set": [f.assign(essay, reviewer).id for essay in held[:2]],
                "seeded": [f.assign(essay, reviewer).id for essay in held[2:]],
                "live": f.assign(live, reviewer).id,
                "user": reviewer.id,
            }
        db.session.commit()
        return {"cycle": cycle.id, **ids}


def submit_all(client, assignment_id, score):
    page = client.get(f"/reviews/{assignment_id}").get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token_from(page)}
    for seq, domain in enumerate(ESSAY_DOMAINS, start=1):
        saved = client.post(
            f"/reviews/{assignment_id}/domains/{domain}",
            headers=headers,
            data={"score": score, "seq": seq, "tab": "window-1", "base_version": 0},
        )
        assert saved.status_code == 200
    return client.post(f"/reviews/{assignment_id}/submit", headers=headers, follow_redirects=True)


def test_other_items_open_only_when_the_set_is_passed_on_its_last_read(app, world):
    mine = world["good@example.org"]
    client = signed_in_client(app, "good@example.org", PASSWORD)
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "E-900" in queue and "E-901" in queue and "E-902" not in queue and "E-100" not in queue
    assert "You have submitted 0 of 2" in queue
    assert client.get(f"/reviews/{mine['live']}").status_code == 404
    assert client.get(f"/reviews/{mine['seeded'][0]}").status_code == 404
    submit_all(client, mine["set"][0], 3)
    assert client.get(f"/reviews/{mine['live']}").status_code == 404
    assert "You have submitted 1 of 2" in client.get("/reviews/").get_data(as_text=True)
    submit_all(client, mine["set"][1], 4)  # within one point of the experts' 3 everywhere
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "You have passed the qualification set" in queue
    assert "E-100" in queue and "E-902" in queue
    assert client.get(f"/reviews/{mine['live']}").status_code == 200


def test_a_reviewer_who_misses_is_told_kindly_and_the_coordinator_releases_them_with_a_reason(app, world):
    theirs = world["far@example.org"]
    client = signed_in_client(app, "far@example.org", PASSWORD)
    submit_all(client, theirs["set"][0], 1)
    submit_all(client, theirs["set"][1], 1)  # two points below the experts everywhere
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "Thank you for scoring the qualification set" in queue and "0% of the domains" in queue
    assert "the coordinator has been told" in queue and "E-100" not in queue
    assert client.get(f"/reviews/{theirs['live']}").status_code == 404

    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    dashboard = coordinator.get(f"/console/cycles/{world['cycle']}").get_data(as_text=True)
    assert "Missed the set" in dashboard and "Set not complete" in dashboard and "Scoring the set" in dashboard
    # The incomplete set says what completes it (short@ holds 1 of the 2 it needs).
    short_row = dashboard.split("short@example.org")[1].split("</tr>")[0]
    assert "The next auto-assignment adds the missing essays" in short_row
    release = f"/console/cycles/{world['cycle']}/qualification/{theirs['user']}/release"
    token = csrf_token_from(dashboard)
    refused = coordinator.post(release, data={"csrf_token": token, "reason": " "}, follow_redirects=True)
    # Spaces pass the form's check; the service's refusal is shown in words, not as "reason: say why …".
    assert "Say why the reviewer&#39;s items are released without the set passed." in refused.get_data(as_text=True)
    assert "reason: say why" not in refused.get_data(as_text=True)
    done = coordinator.post(
        release, data={"csrf_token": token, "reason": "Talked it through; second set planned"}, follow_redirects=True
    )
    assert "Far&#39;s review items are released" in done.get_data(as_text=True)
    assert "Released by hand" in done.get_data(as_text=True)
    with app.app_context():
        [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="qualification.release")).all()
        assert (entry.object_id, entry.note, entry.before["standing"], entry.after["standing"]) == (
            theirs["user"],
            "Talked it through; second set planned",
            "missed",
            "released",
        )
        assert db.session.scalar(db.select(db.func.count()).select_from(QualificationRelease)) == 1
    queue = client.get("/reviews/").get_data(as_text=True)
    # The kind notice that they wait is replaced by one that says their items are open.
    assert "E-100" in queue and "The coordinator has opened your review items" in queue
    assert "Thank you for scoring the qualification set" not in queue
    assert client.get(f"/reviews/{theirs['live']}").status_code == 200
    again = coordinator.post(release, data={"csrf_token": token, "reason": "again"}, follow_redirects=True)
    assert "already released" in again.get_data(as_text=True)


def test_a_reviewer_who_never_reaches_the_set_sees_only_what_they_have_and_waits(app, world):
    theirs = world["short@example.org"]
    client = signed_in_client(app, "short@example.org", PASSWORD)
    queue = client.get("/reviews/").get_data(as_text=True)
    # One essay of the two: "is", and the coordinator is not said to be e-mailed (no message goes for this).
    assert "1 of them is ready for you so far. The coordinator sees this on the cycle's dashboard" in queue
    assert "E-100" not in queue
    submit_all(client, theirs["set"][0], 3)
    assert client.get(f"/reviews/{theirs['live']}").status_code == 404
    assert "E-100" not in client.get("/reviews/").get_data(as_text=True)


def test_reminders_name_only_the_reads_released_to_the_reviewer(app, world):
    from app.mail.service import pending_reads

    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle"])
        pending = {}
        for assignment_id, reviewer_id, *_ in pending_reads(cycle):
            pending.setdefault(reviewer_id, set()).add(assignment_id)
        for email in ("good@example.org", "far@example.org", "short@example.org"):
            assert pending[world[email]["user"]] == set(world[email]["set"]), email
        cycle.qualify_items = 0  # without a set, every pending read
        everything = {assignment_id for assignment_id, *_ in pending_reads(cycle)}
        assert world["good@example.org"]["live"] in everything and world["good@example.org"]["seeded"][0] in everything


@pytest.fixture
def mail_app(tmp_path, smtp):
    app = build_app(tmp_path, **smtp.config)
    app.test_client_class = ServerLikeClient  # the response closed, as a server does: then delivery starts
    yield app
    background.worker(app).join(10)
    close_app(app)


def test_the_coordinators_are_told_by_e_mail_once_when_a_reviewer_misses_and_the_dashboard_says_so(mail_app, smtp):
    world = make_world(mail_app)
    with mail_app.app_context():
        f.make_user(Role.COORDINATOR, email="second@example.org", name="Second Coordinator")
        f.make_user(Role.COORDINATOR, email="gone@example.org", active=False)
        db.session.commit()
    good = signed_in_client(mail_app, "good@example.org", PASSWORD)
    submit_all(good, world["good@example.org"]["set"][0], 3)
    submit_all(good, world["good@example.org"]["set"][1], 3)  # passes: nobody is told anything
    far = signed_in_client(mail_app, "far@example.org", PASSWORD)
    submit_all(far, world["far@example.org"]["set"][0], 2)  # within one point of the experts' 3 in all six domains
    with mail_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0  # the set is not done
    submit_all(far, world["far@example.org"]["set"][1], 1)  # two points off in all six: 6 of 12 scores adjacent

    [told] = smtp.wait_for("coord@example.org")
    [second] = smtp.wait_for("second@example.org")
    assert told.subject == second.subject == "Qualified: Far did not pass the qualification set"
    assert "Far <far@example.org> has scored the 2 validity essays" in told.body
    assert "50% of their domain scores were within one point" in told.body and "asks for 80%" in told.body
    assert f"/console/cycles/{world['cycle']}#qualification-title" in told.body
    assert smtp.to("gone@example.org") == [] and smtp.to("good@example.org") == []

    coordinator = signed_in_client(mail_app, "coord@example.org", PASSWORD)
    dashboard = coordinator.get(f"/console/cycles/{world['cycle']}").get_data(as_text=True)
    assert "1 missed the set" in dashboard and dashboard.count("Coordinators told by e-mail") == 1

    # The coordinator reopens the set's last read; the reviewer misses again: no second message about them.
    with mail_app.app_context():
        read = db.session.scalar(db.select(Read).filter_by(assignment_id=world["far@example.org"]["set"][1]))
        scoring.reopen(read, actor_id=None, reason="Please look at the thinking domain again")
        db.session.commit()
        read_id = read.id
    page = far.get(f"/reviews/{world['far@example.org']['set'][1]}").get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token_from(page)}
    far.post(f"/reviews/{world['far@example.org']['set'][1]}/submit", headers=headers)
    with mail_app.app_context():
        assert db.session.get(Read, read_id).status == ReadStatus.SUBMITTED
        kinds = db.session.scalars(db.select(OutboxMessage.kind).filter_by(recipient="coord@example.org")).all()
    assert kinds == ["qualification_missed"]

    release = f"/console/cycles/{world['cycle']}/qualification/{world['far@example.org']['user']}/release"
    coordinator.post(release, data={"csrf_token": csrf_token_from(dashboard), "reason": "Second set planned"})
    dashboard = coordinator.get(f"/console/cycles/{world['cycle']}").get_data(as_text=True)
    assert "1 missed the set" not in dashboard and "Released by hand" in dashboard


def test_previous_and_next_stay_within_the_set_until_it_is_passed(app, world):
    mine = world["good@example.org"]
    client = signed_in_client(app, "good@example.org", PASSWORD)
    first = client.get(f"/reviews/{mine['set'][0]}").get_data(as_text=True)
    # The set alone, in the order made (docs/calibration.md): E-900, then E-901; nothing of the rest.
    assert "1 of 2" in first and "Next item: E-901" in first and "First item" in first
    assert "E-902" not in first and "E-100" not in first
    for assignment_id in mine["set"]:
        submit_all(client, assignment_id, 3)
    after = client.get(f"/reviews/{mine['set'][1]}").get_data(as_text=True)
    # Passed: the whole queue, the seeded essay and the live one after the set.
    assert "2 of 4" in after and "Previous item: E-900" in after and "Next item: E-902" in after
    assert "Next item to score: E-902" in after


def test_the_new_reads_digest_names_only_what_is_open_and_the_rest_once_the_set_is_passed(app, world):
    from app.mail.service import queue_assignment_notices

    def digest_of(email):
        return [
            message.body
            for message in db.session.scalars(
                db.select(OutboxMessage)
                .where(OutboxMessage.kind == "new_assignments", OutboxMessage.recipient == email)
                .order_by(OutboxMessage.id)
            )
        ]

    with app.app_context():
        queue_assignment_notices(db.session.get(Cycle, world["cycle"]))
        db.session.commit()
        (first,) = digest_of("good@example.org")
        # The set's two essays, not the live one or the seeded one that answer 404 until the set is passed.
        assert "E-900" in first and "E-901" in first
        assert "E-100" not in first and "E-902" not in first
    client = signed_in_client(app, "good@example.org", PASSWORD)
    submit_all(client, world["good@example.org"]["set"][0], 3)
    submit_all(client, world["good@example.org"]["set"][1], 3)
    with app.app_context():
        queue_assignment_notices()  # as `flask mail send` does
        db.session.commit()
        first, second = digest_of("good@example.org")
        assert "E-100" in second and "E-902" in second and "E-900" not in second
        # The one who missed hears of nothing beyond their set.
        assert all("E-100" not in body for body in digest_of("far@example.org"))


def test_the_item_page_says_which_eligible_reviewers_still_wait_behind_their_set(app, world):
    with app.app_context():
        from app.cycles.models import Applicant

        applicant = db.session.scalars(db.select(Applicant)).one()
        fresh = f.make_essay(db.session.get_one(Cycle, world["cycle"]), applicant, item_id="E-101")
        db.session.commit()
        fresh_pk = fresh.id
    client = signed_in_client(app, "good@example.org", PASSWORD)
    submit_all(client, world["good@example.org"]["set"][0], 3)
    submit_all(client, world["good@example.org"]["set"][1], 3)  # good passes; far and short have not
    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    page = coordinator.get(f"/console/items/{fresh_pk}").get_data(as_text=True)
    note = "but the read stays closed to them until they pass the qualification set"
    table = page.split("Who may read it")[1]
    rows = {email: table.split(email)[1].split("</tr>")[0] for email in world if "@" in email}
    assert note not in rows["good@example.org"]
    assert note in rows["far@example.org"] and note in rows["short@example.org"]


def test_a_declined_essay_that_still_has_its_readers_is_not_said_to_be_refilled(app, world):
    theirs = world["far@example.org"]
    client = signed_in_client(app, "far@example.org", PASSWORD)
    page = client.get(f"/reviews/{theirs['set'][0]}/decline").get_data(as_text=True)
    declined = client.post(
        f"/reviews/{theirs['set'][0]}/decline", data={"csrf_token": csrf_token_from(page), "reason": "I know it"}
    )
    assert declined.status_code == 303
    # E-900 keeps good@ and short@, two reads as the cycle asks: nothing was refilled, and the row says what is so.
    dashboard = signed_in_client(app, "coord@example.org", PASSWORD).get(f"/console/cycles/{world['cycle']}")
    row = dashboard.get_data(as_text=True).split("I know it")[1].split("</tr>")[0]
    assert "has its reads" in row and "refilled" not in row
