"""Mail over HTTP with a real SMTP server on a loopback port (tests/mail_server.py): set-password links work once
and refuse tampering and expiry alike, the reset page tells nobody which addresses exist, delivery happens after
the response, and the coordinator's outbox, overdue reads, declines, digests and reopen messages
(docs/mail.md)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.assignment.models import Assignment, AssignmentDecline
from app.cycles.models import Cycle, ItemState
from app.extensions import db
from app.mail import background
from app.mail.models import OutboxMessage
from app.people.models import PasswordToken, Role, User
from app.scoring.models import Read, ReadStatus
from app.timeutil import utcnow
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import csrf_token_from, login, page_token, signed_in_client

PASSWORD = "the coordinator's long password"
NEW_PASSWORD = "a fresh passphrase of my own"
LOCAL_TODAY = datetime.now(ZoneInfo("America/Detroit")).date()  # the default TIMEZONE's day
CSRF = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+|("X-CSRFToken": ")[^"]+')


class ServerLikeClient(FlaskClient):
    """Reads and closes every response, as a WSGI server does once it has sent it: that is when the app starts
    delivering what the request queued."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def mail_app(tmp_path, smtp, **settings):
    app = build_app(tmp_path, **smtp.config, **settings)
    app.test_client_class = ServerLikeClient
    return app


@pytest.fixture
def app(tmp_path, smtp):
    app = mail_app(tmp_path, smtp)
    yield app
    background.worker(app).join(10)
    close_app(app)


def delivered(app) -> None:
    """Wait for the delivery that the last response started."""
    assert background.worker(app).join(10), "the delivery thread did not finish"


@pytest.fixture
def people(app):
    with app.app_context():
        coordinator = f.make_user(Role.COORDINATOR, email="coord@example.org", name="Col Ordinator", password=PASSWORD)
        ann = f.make_user(
            Role.REVIEWER, email="ann@example.org", name="Ann Reader", password=PASSWORD, designations="C"
        )
        new = f.make_user(Role.REVIEWER, email="new@example.org", name="Nell New", designations="C")
        db.session.commit()
        return {"coord": coordinator.id, "ann": ann.id, "new": new.id}


def invitation_path(app, user_id: int) -> str:
    """Invite the account as the console would, deliver, and return the link's path from the message."""
    from app.mail import outbox, service

    with app.app_context():
        assert service.invite(db.session.get_one(User, user_id))
        db.session.commit()
        body = db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
        outbox.deliver()
    return re.search(r"http://127\.0\.0\.1:5000(/password/set\?token=\S+)", body).group(1)


def choose(client, path: str, password: str = NEW_PASSWORD, again: str | None = None):
    """Open the link and send its form, as a browser does (the link's token goes in the form's body)."""
    page = client.get(path).text
    secret = re.search(r'name="token" value="([^"]*)"', page).group(1)
    return client.post(
        "/password/set",
        data={
            "csrf_token": csrf_token_from(page),
            "token": secret,
            "new_password": password,
            "confirm_password": password if again is None else again,
        },
    )


def test_an_invitation_link_sets_the_password_once_then_sign_in_reaches_the_queue(app, smtp, people):
    path = invitation_path(app, people["new"])
    assert smtp.to("new@example.org")[0].body.count(path) == 1
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "new@example.org" in page.text and "Welcome" in page.text
    with app.app_context():
        assert db.session.get_one(User, people["new"]).password_hash is None  # opening the link changed nothing
    assert choose(client, path, again="something else entirely").status_code == 422
    short = choose(client, path, "short")
    assert short.status_code == 422 and "at least 12 characters" in short.text
    done = choose(client, path)
    assert done.status_code == 303 and done.headers["Location"].startswith("/login")
    secret = path.split("token=", 1)[1]
    for answer in (
        client.get(path),
        client.post(
            "/password/set",
            data={
                "csrf_token": page_token(client, "/login"),
                "token": secret,
                "new_password": "another long passphrase",
                "confirm_password": "another long passphrase",
            },
        ),
    ):
        assert answer.status_code == 410 and "expired or has already been used" in answer.text
    assert login(client, "new@example.org", NEW_PASSWORD).status_code == 302
    assert client.get("/reviews/").status_code == 200


def test_after_choosing_a_password_the_sign_in_form_holds_the_address_and_the_cursor_waits_in_password(app, people):
    client = app.test_client()
    done = choose(client, invitation_path(app, people["new"]))
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).text
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    password_input = re.search(r'<input[^>]*name="password"[^>]*>', page).group(0)
    assert 'value="new@example.org"' in email_input and "autofocus" not in email_input
    assert "autofocus" in password_input
    plain = client.get("/login").text  # without an address the cursor starts in the e-mail field
    assert "autofocus" in re.search(r'<input[^>]*name="email"[^>]*>', plain).group(0)


@pytest.mark.parametrize("change", ["tampered", "truncated", "long", "expired", "disabled"])
def test_a_tampered_expired_or_foreign_link_is_refused_with_the_same_words(app, people, change):
    path = invitation_path(app, people["new"])
    secret = path.split("token=", 1)[1]
    if change == "tampered":
        path = path[:-1] + ("A" if secret[-1] != "A" else "B")
    elif change == "truncated":
        path = path[:-4]
    elif change == "long":
        path = path + "x" * 500
    elif change == "expired":
        with app.app_context():
            db.session.execute(update(PasswordToken).values(expires_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
    else:
        with app.app_context():
            db.session.get_one(User, people["new"]).active = False
            db.session.commit()
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 410 and "This link has expired or has already been used." in response.text
    assert (
        client.post(
            "/password/set",
            data={
                "csrf_token": page_token(client, "/login"),
                "token": path.split("token=", 1)[1],
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        ).status_code
        == 410
    )
    with app.app_context():
        assert db.session.get_one(User, people["new"]).password_hash is None


def forgot(client, email: str):
    return client.post("/password/forgot", data={"csrf_token": page_token(client, "/password/forgot"), "email": email})


def test_the_reset_page_answers_alike_for_known_and_unknown_addresses(app, smtp, people):
    known, unknown = forgot(app.test_client(), "Ann@Example.org"), forgot(app.test_client(), "nobody@example.org")
    delivered(app)
    assert known.status_code == unknown.status_code == 200
    assert CSRF.sub(r"\1\2", known.text) == CSRF.sub(r"\1\2", unknown.text)
    assert "If an account uses that address" in known.text
    assert [m.subject for m in smtp.messages()] == ["Choose a new Endorsement Review password"]
    assert smtp.to("nobody@example.org") == []
    again = forgot(app.test_client(), "ann@example.org")  # within the pause: the same answer, no second mail
    delivered(app)
    assert CSRF.sub(r"\1\2", again.text) == CSRF.sub(r"\1\2", known.text) and len(smtp.messages()) == 1


def test_using_a_reset_link_ends_every_session_of_the_account(app, smtp, people):
    signed_in = signed_in_client(app, "ann@example.org", PASSWORD)
    assert signed_in.get("/reviews/").status_code == 200
    forgot(app.test_client(), "ann@example.org")
    delivered(app)
    path = re.search(r"http://127\.0\.0\.1:5000(/password/set\?token=\S+)", smtp.to("ann@example.org")[0].body).group(1)
    assert "Choose a new password" in app.test_client().get(path).text
    assert choose(app.test_client(), path).status_code == 303
    assert signed_in.get("/reviews/").status_code == 302  # signed out
    assert login(app.test_client(), "ann@example.org", PASSWORD).status_code == 401
    assert login(app.test_client(), "ann@example.org", NEW_PASSWORD).status_code == 302


def test_a_disabled_account_is_sent_no_reset(app, smtp, people):
    with app.app_context():
        db.session.get_one(User, people["ann"]).active = False
        db.session.commit()
    assert forgot(app.test_client(), "ann@example.org").status_code == 200
    delivered(app)
    assert smtp.messages() == []


def test_the_holder_is_mailed_once_when_sign_ins_to_their_account_are_delayed(app, smtp, people):
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        login(stranger, "ann@example.org", "not the password at all")
    delivered(app)
    (told,) = smtp.to("ann@example.org")
    assert told.subject == "Failed sign-ins to your Endorsement Review account"
    assert f"{app.config['LOGIN_MAX_FAILURES']} times" in told.body and "203.0.113.9" in told.body
    assert "http://127.0.0.1:5000/password/forgot" in told.body and PASSWORD not in told.body


def test_an_association_words_its_own_messages_from_the_instance_folder(tmp_path, smtp):
    (tmp_path / "instance" / "mail").mkdir(parents=True)
    (tmp_path / "instance" / "mail" / "password_reset.txt").write_text(
        "Subject: Your {{ association }} password\nHello {{ name }}, here: {{ link }}\n"
    )
    app = mail_app(tmp_path, smtp, ASSOCIATION="VAIMH")
    try:
        with app.app_context():
            f.make_user(Role.REVIEWER, email="ann@example.org", name="Ann Reader")
            db.session.commit()
        forgot(app.test_client(), "ann@example.org")
        delivered(app)
        (message,) = smtp.messages()
        assert message.subject == "Your VAIMH password"
        assert message.body.startswith("Hello Ann Reader, here: http://127.0.0.1:5000/password/set?token=")
    finally:
        background.worker(app).join(10)
        close_app(app)


# ---------------------------------------------------------------- the coordinator's side


def coordinator(app):
    return signed_in_client(app, "coord@example.org", PASSWORD)


def test_the_outbox_page_shows_waiting_failed_and_sent_with_links_and_resends(app, smtp, people):
    smtp.stop()
    client = coordinator(app)
    response = client.post(
        f"/console/users/{people['new']}/invite",
        data={"csrf_token": page_token(client, f"/console/users/{people['new']}")},
    )
    assert response.status_code == 302
    delivered(app)  # the server is down: the message fails and waits
    page = client.get("/console/mail?status=failed")
    assert page.status_code == 200 and "new@example.org" in page.text and "cannot reach the mail server" in page.text
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.attempts) == ("failed", 1)
    shown = client.get(f"/console/mail/{message.id}")
    assert "/password/set?token=" in shown.text  # a coordinator can pass the link on by hand
    smtp.start()
    resent = client.post(f"/console/mail/{message.id}/resend", data={"csrf_token": csrf_token_from(shown.text)})
    assert resent.status_code == 302
    delivered(app)
    assert len(smtp.to("new@example.org")) == 1
    sent = client.get(f"/console/mail/{message.id}")
    assert "sent " in sent.text
    # A sent invitation is not sent again (its link may be used): a new invitation is the way.
    refused = client.post(
        f"/console/mail/{message.id}/resend", data={"csrf_token": csrf_token_from(sent.text)}, follow_redirects=True
    )
    assert "is not sent again" in refused.text
    delivered(app)
    assert len(smtp.to("new@example.org")) == 1


def assignment_world(app, people) -> dict:
    """Spring (2 reads per item) with two essays, three eligible reviewers in the pool."""
    with app.app_context():
        cycle = f.make_cycle("Spring", due=LOCAL_TODAY + timedelta(days=5))
        ann, new = db.session.get_one(User, people["ann"]), db.session.get_one(User, people["new"])
        ben = f.make_user(
            Role.REVIEWER, email="ben@example.org", name="Ben Reader", password=PASSWORD, designations="C"
        )
        for user in (ann, new, ben):
            f.add_member(cycle, user)
        essays = [f.make_essay(cycle, f.make_applicant(cycle), item_id=f"E-{n}") for n in (1, 2)]
        db.session.commit()
        return {"cycle": cycle.id, "essays": [e.id for e in essays], "ben": ben.id}


def confirm_assignment(client, cycle_id: int):
    preview = client.get(f"/console/cycles/{cycle_id}/assignments/preview")
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([^"]+)"', preview.text).group(1)
    return client.post(
        f"/console/cycles/{cycle_id}/assignments/confirm",
        data={"csrf_token": csrf_token_from(preview.text), "readers": "2", "fingerprint": fingerprint},
    )


def test_confirming_an_assignment_sends_each_reviewer_one_digest(app, smtp, people):
    world = assignment_world(app, people)
    client = coordinator(app)
    assert confirm_assignment(client, world["cycle"]).status_code == 302
    delivered(app)
    with app.app_context():
        reads = db.session.execute(
            select(User.email, Assignment.id).join(Assignment, Assignment.reviewer_id == User.id)
        ).all()
    per_reviewer = {}
    for email, _ in reads:
        per_reviewer[email] = per_reviewer.get(email, 0) + 1
    assert sum(per_reviewer.values()) == 4  # 2 essays × 2 reads
    for email, count in per_reviewer.items():
        (digest,) = smtp.to(email)
        assert digest.subject == f"{count} new {'read' if count == 1 else 'reads'} for you in Endorsement Review"
        assert digest.body.count("(essay, Spring), due") == count
    # Nothing new: no second digest.
    client.post(
        f"/console/cycles/{world['cycle']}/declines/refill",
        data={"csrf_token": page_token(client, f"/console/cycles/{world['cycle']}")},
    )
    delivered(app)
    assert len(smtp.messages()) == len(per_reviewer)


def test_a_reviewer_declines_and_the_dashboard_refills_the_item_for_the_next_reviewer(app, smtp, people):
    world = assignment_world(app, people)
    with app.app_context():
        essay = world["essays"][0]
        ann = db.session.get_one(User, people["ann"])
        new = db.session.get_one(User, people["new"])
        from app.cycles.models import Item

        item = db.session.get_one(Item, essay)
        asg = f.assign(item, ann)
        f.assign(item, new)
        item.state = ItemState.ASSIGNED
        db.session.execute(update(Assignment).values(notified_at=utcnow()))
        db.session.add(Read(assignment_id=asg.id, status=ReadStatus.DRAFT))
        db.session.commit()
        asg_id = asg.id
    reviewer = signed_in_client(app, "ann@example.org", PASSWORD)
    assert f'href="/reviews/{asg_id}/decline"' in reviewer.get("/reviews/").text
    queue = reviewer.get(f"/reviews/{asg_id}/decline")
    assert queue.status_code == 200 and "your draft is withdrawn" in queue.text
    empty = reviewer.post(
        f"/reviews/{asg_id}/decline", data={"csrf_token": csrf_token_from(queue.text), "reason": "  "}
    )
    assert empty.status_code == 422 and "Not declined: say why the assignment is declined." in empty.text
    # Sent from the decline page, the refusal is answered on that page, its form unfolded right below it.
    again = reviewer.post(
        f"/reviews/{asg_id}/decline",
        data={"csrf_token": csrf_token_from(queue.text), "reason": "  ", "page": "decline"},
    )
    assert again.status_code == 422 and "<title>Decline E-1" in again.text
    assert again.text.index("Not declined: say why") < again.text.index('name="reason"')
    assert 'name="page" value="decline"' in again.text and "Submit read" not in again.text
    done = reviewer.post(
        f"/reviews/{asg_id}/decline",
        data={"csrf_token": csrf_token_from(queue.text), "reason": "I supervised this applicant"},
    )
    assert done.status_code == 303
    assert "You declined E-1" in reviewer.get("/reviews/").text
    assert reviewer.get(f"/reviews/{asg_id}").status_code == 404

    client = coordinator(app)
    dashboard = client.get(f"/console/cycles/{world['cycle']}")
    assert "I supervised this applicant" in dashboard.text and "Refill 1 declined item" in dashboard.text
    refill = client.post(
        f"/console/cycles/{world['cycle']}/declines/refill",
        data={"csrf_token": csrf_token_from(dashboard.text)},
        follow_redirects=True,
    )
    assert "Refill: 1 read given to the next eligible reviewers." in refill.text
    delivered(app)
    with app.app_context():
        readers = set(
            db.session.scalars(
                select(User.email)
                .join(Assignment, Assignment.reviewer_id == User.id)
                .where(Assignment.item_pk == essay)
            )
        )
        assert readers == {"new@example.org", "ben@example.org"}
        (decline,) = db.session.scalars(select(AssignmentDecline)).all()
        assert decline.reason == "I supervised this applicant"
    (digest,) = smtp.to("ben@example.org")
    assert "E-1 (essay, Spring)" in digest.body
    assert smtp.to("ann@example.org") == []
    assert "Every declined item already has its readers" not in client.get(f"/console/cycles/{world['cycle']}").text


def test_reopening_a_read_mails_the_reviewer_the_coordinators_reason(app, smtp, people):
    world = assignment_world(app, people)
    with app.app_context():
        from app.cycles.models import Item

        item = db.session.get_one(Item, world["essays"][0])
        asg = f.assign(item, db.session.get_one(User, people["ann"]))
        asg.notified_at = utcnow()
        f.submitted_read(asg, {key: 3 for key in ESSAY_DOMAINS}, number=1)
        db.session.commit()
        asg_id, item_pk = asg.id, item.id
    client = coordinator(app)
    page = client.get(f"/console/items/{item_pk}")
    response = client.post(
        f"/console/assignments/{asg_id}/reopen",
        data={
            "csrf_token": csrf_token_from(page.text),
            f"re{asg_id}-reason": "Please look again at the reflection domain.",
        },
    )
    assert response.status_code == 302
    delivered(app)
    (told,) = smtp.to("ann@example.org")
    assert told.subject == "Your read of E-1 is open again"
    assert "Please look again at the reflection domain." in told.body
    assert f"http://127.0.0.1:5000/reviews/{asg_id}" in told.body


def test_the_overdue_page_lists_late_reads_and_reminds(app, smtp, people):
    world = assignment_world(app, people)
    with app.app_context():
        from app.cycles.models import Item

        asg = f.assign(db.session.get_one(Item, world["essays"][0]), db.session.get_one(User, people["ann"]))
        asg.notified_at = utcnow()
        asg.due = LOCAL_TODAY - timedelta(days=3)
        db.session.commit()
    client = coordinator(app)
    page = client.get(f"/console/cycles/{world['cycle']}/overdue")
    assert page.status_code == 200 and "ann@example.org" in page.text and "E-1" in page.text
    assert re.search(r'<td class="num">3</td>', page.text)
    bad = client.post(
        f"/console/cycles/{world['cycle']}/overdue", data={"csrf_token": csrf_token_from(page.text), "days_before": "²"}
    )
    assert bad.status_code == 422
    sent = client.post(
        f"/console/cycles/{world['cycle']}/overdue",
        data={"csrf_token": csrf_token_from(page.text), "days_before": "3"},
        follow_redirects=True,
    )
    assert "Reminders: reminded 1 reviewer (1 overdue)" in sent.text
    delivered(app)
    assert [m.subject for m in smtp.to("ann@example.org")] == ["Overdue: 1 read in Spring"]
    assert [m.subject for m in smtp.to("coord@example.org")] == ["Spring: 0 of 1 reads in, 1 reviewer overdue"]


def test_a_read_gets_a_due_date_of_its_own_on_the_item_page(app, people):
    world = assignment_world(app, people)
    with app.app_context():
        from app.cycles.models import Item

        asg = f.assign(db.session.get_one(Item, world["essays"][0]), db.session.get_one(User, people["ann"]))
        db.session.commit()
        asg_id, item_pk = asg.id, asg.item_pk
    client = coordinator(app)
    page = client.get(f"/console/items/{item_pk}")
    assert (
        client.post(
            f"/console/assignments/{asg_id}/due",
            data={"csrf_token": csrf_token_from(page.text), f"due{asg_id}-due": "not a date"},
        ).status_code
        == 422
    )
    saved = client.post(
        f"/console/assignments/{asg_id}/due",
        data={"csrf_token": csrf_token_from(page.text), f"due{asg_id}-due": "2031-01-15"},
        follow_redirects=True,
    )
    # The notice words the date as every page does.
    assert "ann@example.org&#39;s read of E-1 is due 15 January 2031." in saved.text
    with app.app_context():
        assert str(db.session.get_one(Assignment, asg_id).due) == "2031-01-15"
    reviewer = signed_in_client(app, "ann@example.org", PASSWORD)
    assert "15 January 2031" in reviewer.get("/reviews/").text
    # The read's page gives the read's own date too, not the cycle's.
    assert "due 15 January 2031" in reviewer.get(f"/reviews/{asg_id}").text
    with app.app_context():
        cycle = db.session.get_one(Cycle, world["cycle"])
        assert cycle.due != db.session.get_one(Assignment, asg_id).due


def test_a_link_used_while_another_click_hashes_its_password_is_refused_to_that_click(app, people, monkeypatch):
    """Two clicks on one link: both pass the check, the first to write takes the link; the other is refused and
    changes nothing (the claim is one UPDATE … WHERE used_at IS NULL)."""
    from app.people import tokens

    path = invitation_path(app, people["new"])
    secret = path.split("token=", 1)[1]
    real_hash = tokens.hash_password

    def the_other_click_wins_meanwhile(password):
        with db.engine.begin() as other:
            other.execute(update(PasswordToken).values(used_at=utcnow()))
        return real_hash(password)

    monkeypatch.setattr(tokens, "hash_password", the_other_click_wins_meanwhile)
    with app.app_context():
        with pytest.raises(tokens.TokenError):
            tokens.use(secret, NEW_PASSWORD)
        assert db.session.get_one(User, people["new"]).password_hash is None


def test_seating_a_member_without_a_password_invites_them(app, smtp, people):
    with app.app_context():
        cycle = f.make_cycle("Spring")
        db.session.commit()
        cycle_id = cycle.id
    client = coordinator(app)
    page = client.get(f"/console/cycles/{cycle_id}/committee")
    response = client.post(
        f"/console/cycles/{cycle_id}/committee/add",
        data={
            "csrf_token": csrf_token_from(page.text),
            "add-email": "Mo@Example.org",
            "add-name": "Mo Member",
            "add-your_password": PASSWORD,
        },
        follow_redirects=True,
    )
    assert "an invitation to choose one is on its way" in response.text
    delivered(app)
    (invitation,) = smtp.to("mo@example.org")
    assert "member of the Endorsement Committee for Spring" in invitation.body
    again = app.test_cli_runner().invoke(args=["committee", "seat", "--cycle", "Spring", "mo@example.org"])
    assert again.exit_code == 0 and "already seated" in again.output
    assert len(smtp.to("mo@example.org")) == 1


def test_the_user_page_invites_an_account_without_a_password_once_while_the_link_works(app, smtp, people):
    client = coordinator(app)
    path = f"/console/users/{people['new']}"
    page = client.get(path)
    assert "No password yet" in page.text and "Send invitation" in page.text
    sent = client.post(f"{path}/invite", data={"csrf_token": csrf_token_from(page.text)}, follow_redirects=True)
    assert "An invitation to new@example.org is queued." in sent.text and "works until" in sent.text
    delivered(app)
    again = client.post(f"{path}/invite", data={"csrf_token": csrf_token_from(sent.text)}, follow_redirects=True)
    assert "already holds an invitation that still works" in again.text
    delivered(app)
    assert len(smtp.to("new@example.org")) == 1
    has_password = client.post(
        f"/console/users/{people['ann']}/invite", data={"csrf_token": csrf_token_from(sent.text)}, follow_redirects=True
    )
    assert "already has a password" in has_password.text and "No password yet" not in has_password.text
