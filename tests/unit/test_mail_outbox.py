"""The outbox against a real SMTP server on a loopback port (aiosmtpd, tests/mail_server.py): invitations,
reminders and resets arrive exactly once, a server that was down loses nothing and sends nothing twice, and
without MAIL_SERVER nothing fails (docs/mail.md)."""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.assignment.models import Assignment
from app.cycles.models import Cycle
from app.extensions import db
from app.mail import outbox, service
from app.mail.models import OutboxMessage
from app.people.models import PasswordToken, Role, User
from app.timeutil import utcnow
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.factories import ESSAY_DOMAINS

PASSWORD = "a coordinator's long password"
TODAY = datetime.now(ZoneInfo("America/Detroit")).date()  # the default TIMEZONE's day, as reminders count


@pytest.fixture
def app(tmp_path, smtp):
    # Delivery after responses is tested on its own (test_mail_pages.py); here the tests deliver.
    app = build_app(tmp_path, **smtp.config, MAIL_SEND_AFTER_RESPONSE=False)
    yield app
    close_app(app)


def spring(*, due: date | None = None) -> dict:
    """A cycle with reviewers and a committee member, some without a password; e-mails by short name."""
    cycle = f.make_cycle("Spring", due=due)
    people = {
        "ann": f.make_user(Role.REVIEWER, email="ann@example.org", name="Ann Reader", designations="C"),
        "ben": f.make_user(Role.REVIEWER, email="ben@example.org", name="Ben Reader", designations="C"),
        "cat": f.make_user(
            Role.REVIEWER, email="cat@example.org", name="Cat Reader", designations="C", password=PASSWORD
        ),
        "dan": f.make_user(Role.REVIEWER, email="dan@example.org", name="Dan Away", active=False),
        "cora": f.make_user(Role.COMMITTEE, email="cora@example.org", name="Cora Member"),
        "coord": f.make_user(Role.COORDINATOR, email="coord@example.org", name="Col Ordinator", password=PASSWORD),
    }
    for name in ("ann", "ben", "cat", "dan"):
        f.add_member(cycle, people[name])
    f.add_member(cycle, people["cora"], "committee")
    db.session.commit()
    return {"cycle": cycle.id, **{name: user.id for name, user in people.items()}}


def path_of(body: str, app) -> str:
    """The path of the message's one link under PUBLIC_URL (the first line that is a link)."""
    base = app.config["PUBLIC_URL"]
    line = next(line for line in body.splitlines() if line.startswith(base + "/password/set?token="))
    return line[len(base) :]


def invite(runner):
    return runner.invoke(args=["invite", "--cycle", "Spring"])


def test_invite_sends_one_link_to_each_member_without_a_password_and_no_second_while_it_works(app, smtp, runner):
    with app.app_context():
        spring()
    result = invite(runner)
    assert result.exit_code == 0, result.output
    assert "invited 3; 1 already has a password" in result.output and "mail: sent 3" in result.output
    received = smtp.messages()
    assert sorted(r for m in received for r in m.recipients) == [
        "ann@example.org",
        "ben@example.org",
        "cora@example.org",
    ]
    ann = smtp.to("ann@example.org")[0]
    assert ann.subject == "You are invited to Endorsement Review"
    assert ann.message["From"] == "Endorsement Review <review@example.org>"
    assert ann.message.get_content_type() == "text/plain"
    assert "Ann Reader" in ann.body and "as a reviewer for Spring" in ann.body
    assert "Cora Member" in smtp.to("cora@example.org")[0].body
    assert "member of the Endorsement Committee" in smtp.to("cora@example.org")[0].body

    again = invite(runner)
    assert again.exit_code == 0 and "invited 0; 3 still hold a valid invitation" in again.output
    assert len(smtp.messages()) == 3
    with app.app_context():
        # Only the link's hash is kept, and it is not in the message's own row in any other form.
        stored = db.session.scalars(select(PasswordToken.token_hash)).all()
        secret = path_of(ann.body, app).split("token=", 1)[1]
        assert len(stored) == 3 and secret not in stored and all(len(h) == 64 for h in stored)


def test_a_used_or_expired_invitation_is_replaced_by_a_fresh_one(app, smtp, runner):
    with app.app_context():
        ids = spring()
    invite(runner)
    with app.app_context():
        db.session.execute(
            update(PasswordToken)
            .where(PasswordToken.user_id == ids["ann"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    result = invite(runner)
    assert "invited 1;" in result.output  # ann's link lapsed; ben's and cora's still work
    first, second = smtp.to("ann@example.org")
    assert path_of(first.body, app) != path_of(second.body, app)
    assert app.test_client().get(path_of(first.body, app)).status_code == 410
    assert app.test_client().get(path_of(second.body, app)).status_code == 200


def test_the_message_says_when_the_link_lapses_from_the_setting(app, smtp, runner):
    with app.app_context():
        spring()
    invite(runner)
    expires = (datetime.now(ZoneInfo("America/Detroit")) + timedelta(days=7)).date()
    body = smtp.to("ben@example.org")[0].body
    assert f"{expires.day} {expires.strftime('%B %Y')}" in body and "(7 days)" in body


def test_a_server_that_was_down_loses_nothing_and_sends_nothing_twice(app, smtp, runner):
    with app.app_context():
        spring()
    smtp.stop()
    down = invite(runner)
    assert down.exit_code == 1
    assert "not delivered" in down.output and "cannot reach the mail server" in down.output
    assert "Traceback" not in down.output
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert len(messages) == 3
        # The run stops at the first connection failure: one attempt counted, the rest untouched.
        assert [(m.attempts, m.status) for m in messages] == [(1, "failed"), (0, "waiting"), (0, "waiting")]
        assert messages[0].next_attempt_at > utcnow() + timedelta(seconds=50)
    smtp.start()
    first = runner.invoke(args=["mail", "send"])
    assert first.exit_code == 0 and "sent 2" in first.output  # the failed one waits out its pause
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert "sent 1" in runner.invoke(args=["mail", "send"]).output
    assert "sent 0" in runner.invoke(args=["mail", "send"]).output
    assert sorted(r for m in smtp.messages() for r in m.recipients) == [
        "ann@example.org",
        "ben@example.org",
        "cora@example.org",
    ]
    with app.app_context():
        assert all(m.sent_at and m.last_error is None for m in db.session.scalars(select(OutboxMessage)))


def test_a_refused_recipient_fails_alone_and_gives_up_after_the_set_attempts(app, smtp):
    with app.app_context():
        app.config["MAIL_MAX_ATTEMPTS"] = 2
        spring()
        for name in ("ann@example.org", "ben@example.org"):
            user = db.session.scalar(select(User).filter_by(email=name))
            service.invite(user)
        db.session.commit()
        smtp.refusing = True
        report = outbox.deliver()
        assert (report.sent, report.failed) == (0, 2) and "550" in report.error
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert outbox.deliver().failed == 2
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert outbox.deliver().failed == 0  # two attempts each: no more automatic tries
        smtp.refusing = False
        message = db.session.scalars(select(OutboxMessage)).first()
        outbox.resend(message, actor_id=None)
        db.session.commit()
        assert outbox.deliver().sent == 1
    assert len(smtp.messages()) == 1


def test_the_retry_pause_doubles_up_to_six_hours():
    assert [outbox.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert outbox.retry_delay(30) == timedelta(hours=6)


def test_without_a_mail_server_nothing_fails_and_the_log_has_no_link(tmp_path, caplog):
    app = build_app(tmp_path)
    try:
        with app.app_context():
            spring()
        with caplog.at_level(logging.DEBUG, logger="app.mail.outbox"):
            result = app.test_cli_runner().invoke(args=["invite", "--cycle", "Spring"])
        assert result.exit_code == 0, result.output
        assert "MAIL_SERVER is not set: 3 messages kept in the outbox" in result.output
        with app.app_context():
            body = db.session.scalars(select(OutboxMessage.body).filter_by(recipient="ann@example.org")).one()
        secret = path_of(body, app).split("token=", 1)[1]
        logged = caplog.text
        assert "to=ann@example.org" in logged and "You are invited to Endorsement Review" in logged
        assert secret not in logged and "[link shown on the console's Mail page]" in logged
    finally:
        close_app(app)


def test_an_unknown_cycle_is_one_line_and_exit_1(app, runner):
    result = runner.invoke(args=["remind", "--cycle", "Nope"])
    assert result.exit_code == 1 and "no cycle is named 'Nope'" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- reminders


def remind_world() -> dict:
    """Spring is due in 2 days. Ann has two pending reads (one overdue by its own date), Ben one due with the
    cycle, Cat one due in 10 days by its own date, and a submitted one; Dan is disabled."""
    ids = spring(due=TODAY + timedelta(days=2))
    cycle = db.session.get_one(Cycle, ids["cycle"])
    users = {name: db.session.get_one(User, ids[name]) for name in ("ann", "ben", "cat", "dan")}
    essays = [f.make_essay(cycle, f.make_applicant(cycle), item_id=f"E-{n}") for n in range(1, 7)]
    late = f.assign(essays[0], users["ann"])
    late.due = TODAY - timedelta(days=1)
    f.assign(essays[1], users["ann"])
    f.assign(essays[2], users["ben"])
    later = f.assign(essays[3], users["cat"])
    later.due = TODAY + timedelta(days=10)
    f.submitted_read(f.assign(essays[4], users["cat"]), {key: 3 for key in ESSAY_DOMAINS})
    f.assign(essays[5], users["dan"])
    db.session.execute(update(Assignment).values(notified_at=utcnow()))
    db.session.commit()
    return ids


def test_remind_writes_once_a_day_to_reviewers_with_reads_due_soon_or_overdue(app, smtp, runner):
    with app.app_context():
        remind_world()
    result = runner.invoke(args=["remind", "--cycle", "Spring", "--days-before", "3"])
    assert result.exit_code == 0, result.output
    assert "reminded 2 reviewers (1 overdue); 1 has nothing due within 3 days; coordinator digest to 1" in result.output
    (ann,) = smtp.to("ann@example.org")
    assert ann.subject == "Overdue: 1 read in Spring"
    assert "E-1 (essay), was due" in ann.body and "Also due soon:" in ann.body and "E-2 (essay), due" in ann.body
    (ben,) = smtp.to("ben@example.org")
    assert ben.subject == "Reminder: 1 read due soon in Spring" and "E-3 (essay)" in ben.body
    assert smtp.to("cat@example.org") == [] and smtp.to("dan@example.org") == []
    (digest,) = smtp.to("coord@example.org")
    assert digest.subject == "Spring: 1 of 6 reads in, 1 reviewer overdue"
    assert "Ann Reader <ann@example.org>: 1" in digest.body

    again = runner.invoke(args=["remind", "--cycle", "Spring", "--days-before", "30"])
    assert "reminded 1 reviewer (0 overdue); 2 already had a reminder today" in again.output
    assert [m.subject for m in smtp.to("cat@example.org")] == ["Reminder: 1 read due soon in Spring"]
    assert len(smtp.to("ann@example.org")) == 1 and len(smtp.to("coord@example.org")) == 1


def test_one_reminder_a_day_counts_across_cycles(app, smtp, runner):
    with app.app_context():
        ids = remind_world()
        autumn = f.make_cycle("Autumn", due=TODAY + timedelta(days=1))
        ben = db.session.get_one(User, ids["ben"])
        f.assign(f.make_essay(autumn, f.make_applicant(autumn), item_id="A-1"), ben).notified_at = utcnow()
        db.session.commit()
    runner.invoke(args=["remind", "--cycle", "Spring"])
    result = runner.invoke(args=["remind", "--cycle", "Autumn"])
    assert "reminded 0 reviewers (0 overdue); 1 already had a reminder today" in result.output
    assert len(smtp.to("ben@example.org")) == 1


def test_reads_with_no_due_date_are_counted_not_reminded(app, smtp, runner):
    with app.app_context():
        ids = spring()
        cycle = db.session.get_one(Cycle, ids["cycle"])
        f.assign(f.make_essay(cycle, f.make_applicant(cycle)), db.session.get_one(User, ids["ann"]))
        db.session.commit()
    result = runner.invoke(args=["remind", "--cycle", "Spring"])
    assert "reminded 0 reviewers" in result.output and "1 pending read has no due date" in result.output
    assert smtp.to("ann@example.org") == []


def test_the_development_servers_request_log_hides_link_secrets(app):
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", "GET /password/set?token=Zx9-secret_part HTTP/1.1", "200"),
        None,
    )
    assert all(f.filter(record) for f in logging.getLogger("werkzeug").filters)
    assert "Zx9-secret_part" not in record.getMessage() and "GET /password/set?token=[link" in record.getMessage()


def test_the_invitation_report_agrees_in_number_with_its_counts():
    from app.mail.service import InviteReport

    one = InviteReport(invited=[], still_valid=["ann@example.org"], have_password=1)
    assert one.describe() == "invited 0; 1 still holds a valid invitation (ann@example.org); 1 already has a password"
    two = InviteReport(invited=["cy@example.org"], still_valid=["ann@example.org", "ben@example.org"], have_password=0)
    assert two.describe() == (
        "invited 1; 2 still hold a valid invitation (ann@example.org, ben@example.org); 0 already have a password"
    )


def test_a_digest_of_one_read_speaks_of_it_and_one_of_several_of_one_of_them(app):
    from app.mail.messages import render

    entry = {"item_id": "E-1", "what": "essay", "cycle": "Spring", "due": None, "link": "http://x/reviews/1"}
    with app.app_context():
        one = render("new_assignments", name="Ann", entries=[entry], queue="http://x/reviews/")
        two = render("new_assignments", name="Ann", entries=[entry, {**entry, "item_id": "E-2"}], queue="q")
    assert "This item is now in your review queue" in one.body
    assert "If you cannot read it (a conflict of interest, or no time), decline it" in one.body
    assert "one of them" not in one.body
    assert "If you cannot read one of them (a conflict of interest, or no time), decline it" in two.body


def test_the_reminder_report_agrees_in_number_with_its_counts():
    from app.mail.service import RemindReport

    report = RemindReport()
    report.not_yet, report.no_due_date = 1, 1
    assert report.describe(1) == (
        "reminded 0 reviewers (0 overdue); 1 has nothing due within 1 day; "
        "1 pending read has no due date (set one for the cycle)"
    )
    report.not_yet, report.no_due_date = 2, 3
    assert report.describe(3) == (
        "reminded 0 reviewers (0 overdue); 2 have nothing due within 3 days; "
        "3 pending reads have no due date (set one for the cycle)"
    )


def test_a_further_read_on_an_item_decided_before_anyone_was_told_sends_no_message(app, smtp):
    """`flask reconcile` gives a third read; the committee decides the item before `flask mail send` runs: the
    reader is not asked for a read of a decided item, and the assignment counts as told."""
    from app.assignment.models import AssignmentSource
    from app.cycles.models import ItemState

    with app.app_context():
        cycle = f.make_cycle("Spring")
        essay = f.make_essay(cycle, f.make_applicant(cycle), item_id="E-5")
        nora = f.make_user(Role.REVIEWER, email="nora@example.org", name="Nora", designations="C")
        third = f.assign(essay, nora, source=AssignmentSource.THIRD_READER)
        essay.state = ItemState.DECIDED
        db.session.commit()
        report = service.queue_assignment_notices()
        db.session.commit()
        assert (report.digests, report.further) == (0, 0)
        assert db.session.get(Assignment, third.id).notified_at is not None
        assert db.session.scalars(select(OutboxMessage)).all() == []
