"""Mail from outside, as the issue's check runs it: a multi-worker gunicorn and the commands, sending to a real
SMTP server on a loopback port. Invitations, resets and reminders arrive exactly once each, the link works once,
and set password → sign in → queue works over HTTP (docs/mail.md)."""

import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cycles.models import Cycle
from app.extensions import db
from app.people.models import Role
from app.timeutil import utcnow
from tests import factories as f
from tests.system.conftest import migrated_app
from tests.system.live import REPO, Browserless, GunicornServer, server_env

pytestmark = pytest.mark.slow
FLASK = Path(sys.executable).with_name("flask")
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/password/set\?token=[A-Za-z0-9_-]+)")
CHOSEN = "a passphrase chosen over HTTP"


def mail_env(deployment, smtp, server) -> dict[str, str]:
    env = server_env(deployment.instance, deployment.database_url)
    env.update(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "PUBLIC_URL": server.url,
            "MAIL_DEFAULT_SENDER": "Review <review@load.test>",
        }
    )
    return env


def flask(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(FLASK), "--app", "app", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def all_sent(database: Path, seconds: float = 15) -> None:
    """Wait until the outbox holds nothing unsent: what the server delivers after its responses has then
    reached the SMTP server, which keeps a message before the sender marks it sent (docs/mail.md)."""
    deadline = time.monotonic() + seconds
    while True:
        with closing(sqlite3.connect(database)) as conn:
            (unsent,) = conn.execute("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL").fetchone()
        if not unsent:
            return
        assert time.monotonic() < deadline, f"{unsent} message(s) still unsent after {seconds} s"
        time.sleep(0.05)


def test_invitation_reset_and_reminders_arrive_once_and_the_link_works_once(deployment, smtp):
    app = migrated_app(deployment.instance, deployment.database_path)
    with app.app_context():
        cycle = db.session.scalars(select(Cycle)).one()
        fresh = f.make_user(Role.REVIEWER, email="fresh@load.test", name="Fresh Reader", designations="C")
        f.add_member(cycle, fresh)
        f.assign(f.make_essay(cycle, f.make_applicant(cycle, applicant_id="F1"), item_id="E-FRESH"), fresh)
        cycle.due = utcnow().date() + timedelta(days=1)
        db.session.commit()
        db.engine.dispose()
    server = GunicornServer(deployment.instance, deployment.database_url, workers=2)
    server.env = mail_env(deployment, smtp, server)
    with server:
        env = server.env
        invited = flask(env, "invite", "--cycle", "Load test")
        assert invited.returncode == 0, invited.stderr
        assert "invited 1;" in invited.stdout and "mail: sent 1" in invited.stdout
        assert "invited 0; 1 still holds a valid invitation" in flask(env, "invite", "--cycle", "Load test").stdout
        (invitation,) = smtp.to("fresh@load.test")
        path = LINK.search(invitation.body).group(1)

        anonymous = Browserless(server.url)
        page = anonymous.get(path)
        assert page.status == 200 and "fresh@load.test" in page.body
        done = anonymous.post(
            "/password/set",
            {
                "csrf_token": anonymous.csrf,
                "token": path.split("token=")[1],
                "new_password": CHOSEN,
                "confirm_password": CHOSEN,
            },
        )
        assert done.status == 200 and "Your password is set" in done.body  # after the redirect to sign in
        assert Browserless(server.url).get(path).status == 410
        reviewer = Browserless(server.url)
        reviewer.login("fresh@load.test", CHOSEN)
        queue = reviewer.get("/reviews/")
        assert queue.status == 200 and "E-FRESH" in queue.body

        for address in ("rev0@load.test", "nobody@load.test", "rev0@load.test"):
            visitor = Browserless(server.url)
            visitor.get("/password/forgot")
            answer = visitor.post("/password/forgot", {"csrf_token": visitor.csrf, "email": address})
            assert answer.status == 200 and "If an account uses that address" in answer.body
        all_sent(deployment.database_path)  # a message queued twice would have arrived by now
        (reset,) = smtp.to("rev0@load.test")
        assert reset.subject == "Choose a new Endorsement Review password"
        assert smtp.to("nobody@load.test") == []

        reminded = flask(env, "remind", "--cycle", "Load test", "--days-before", "3")
        assert reminded.returncode == 0, reminded.stderr
        assert "reminded 21 reviewers (0 overdue)" in reminded.stdout
        again = flask(env, "remind", "--cycle", "Load test", "--days-before", "3")
        assert "reminded 0 reviewers (0 overdue); 21 already had a reminder today" in again.stdout
        reminders = [m for m in smtp.messages() if m.subject.startswith("Reminder:")]
        assert len(reminders) == 21 and len({m.recipients for m in reminders}) == 21
        # The reads were assigned behind the app's back (as `flask assign` would): the cron run tells each
        # reviewer once, in one digest; the next run has nothing left.
        cron = flask(env, "mail", "send").stdout
        assert "queued 21 digest(s) of new reads" in cron and "mail: sent 21" in cron
        assert flask(env, "mail", "send").stdout == "mail: sent 0\n"
        assert [m.subject for m in smtp.to("rev3@load.test")] == [
            "Reminder: 1 read due soon in Load test",
            "1 new read for you in Endorsement Review",
        ]
