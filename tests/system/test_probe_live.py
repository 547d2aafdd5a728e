"""The independent probe's findings (docs/security-hardening.md; issue 22, items 1-6), rerun from outside: over
HTTP against a real gunicorn on a migrated SQLite file, with nothing of the app's in this process but the
database it reads afterwards to see what was stored.

What another system test already checks from outside is not repeated here: the Server header
(``test_server_headers.py``), autosaves while a worker is killed and sign-ins hammer (``test_load.py``), many
reviewers' parallel saves (``test_concurrency.py``). docs/security.md lists what covers each finding.
"""

import sqlite3
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from app.cycles.models import Cycle
from app.extensions import db
from app.people.models import User
from tests import committee_world
from tests import factories as f
from tests.committee_world import PASSWORD
from tests.conftest import CHEAP_PASSWORD_HASHING
from tests.factories import ESSAY_DOMAINS
from tests.system.conftest import migrated_app
from tests.system.live import Browserless, GunicornServer

pytestmark = pytest.mark.slow

SECRET_KEY = "system-test-secret"  # tests/system/live.py gives the server this key
TWELVE_HOURS = 12 * 3600  # SESSION_MAX_AGE_SECONDS's default, written out (docs/security-hardening.md, "Sessions")
STRANGER = {"X-Forwarded-For": "203.0.113.9"}  # another client address, behind the one trusted proxy


@dataclass(frozen=True)
class Probe:
    url: str
    database: Path
    world: dict

    def client(self, headers: dict[str, str] | None = None) -> Browserless:
        return Browserless(self.url, timeout=60, headers=headers)

    def signed_in(self, who: str) -> Browserless:
        client = self.client()
        client.login(self.world["emails"][who], PASSWORD)
        return client

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as conn:
            return conn.execute(sql, params).fetchall()

    def stored(self, assignment_id: int, domain: str) -> tuple | None:
        rows = self.rows(
            "SELECT scores.score, scores.comment FROM scores JOIN reads ON reads.id = scores.read_id "
            "WHERE reads.assignment_id = ? AND scores.domain_key = ?",
            assignment_id,
            domain,
        )
        return rows[0] if rows else None


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """The committee world (a discrepant essay, an application to decide, a coordinator, reviewers) with a
    draft essay for Ann and a pool to assign, served by two gunicorn workers behind one trusted proxy."""
    root = tmp_path_factory.mktemp("probe")
    instance, database = root / "instance", root / "probe.sqlite3"
    app = migrated_app(instance, database)
    with app.app_context():
        world = committee_world.build(passwords=True)
        cycle = db.session.get(Cycle, world["cycle"])
        ann = db.session.get(User, world["ids"]["ann"])
        world["draft"] = f.assign(
            f.make_essay(cycle, f.make_applicant(cycle, applicant_id="A-9"), item_id="E-9"), ann
        ).id
        for n in range(2):  # a pool, so that the assignment preview has a plan to confirm
            f.add_member(cycle, f.make_user(email=f"pool{n}@example.org", designations="C"))
        db.session.commit()
        db.engine.dispose()
    settings = {**CHEAP_PASSWORD_HASHING, "TRUSTED_PROXIES": 1}
    (instance / "config.py").write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    with GunicornServer(instance, "sqlite:///" + str(database), workers=2) as server:
        yield Probe(server.url, database, world)
        log = server.log()
    assert "Traceback" not in log, log[-3000:]


def autosave(client: Browserless, assignment_id: int, domain: str, fields: dict):
    """One autosave as the page sends it; ``base_version`` 0 (a window that has seen no stored version) unless
    given."""
    return client.post(f"/reviews/{assignment_id}/domains/{domain}", {"base_version": 0, **fields}, htmx=True)


def window_of(page: str) -> str:
    return page.split('name="tab" value="')[1].split('"')[0]


# Finding 1: a second tab or device lost edits and said "Saved".
def test_a_second_window_that_did_not_see_a_change_is_told_and_nothing_is_lost(probe):
    draft = probe.world["draft"]
    laptop, tablet = probe.signed_in("ann"), probe.signed_in("ann")
    tab_laptop = window_of(laptop.get(f"/reviews/{draft}").body)
    tab_tablet = window_of(tablet.get(f"/reviews/{draft}").body)
    for seq, words in enumerate(("first", "second", "third"), start=1):
        reply = autosave(laptop, draft, "reflection", {"score": 3, "comment": words, "seq": seq, "tab": tab_laptop})
        assert (reply.status, reply.headers.get("X-Save-Outcome")) == (200, "saved"), reply.body[:300]
    stale = autosave(
        tablet, draft, "reflection", {"score": 1, "comment": "typed on the tablet", "seq": 1, "tab": tab_tablet}
    )
    assert (stale.status, stale.headers["X-Save-Outcome"]) == (409, "conflict")
    assert orjson.loads(stale.body)["theirs"] == {"score": "3", "comment": "third"}
    assert probe.stored(draft, "reflection") == (3, "third")
    # "Save mine" sends the tablet's text over the version it was shown: now the latest edit wins.
    mine = autosave(
        tablet,
        draft,
        "reflection",
        {"score": 1, "comment": "typed on the tablet", "seq": 2, "tab": tab_tablet, "base_version": 3},
    )
    assert (mine.status, mine.headers["X-Save-Outcome"]) == (200, "saved")
    assert probe.stored(draft, "reflection") == (1, "typed on the tablet")


# Finding 2: parallel wrong sign-ins raced the limit and held the write lock while autosaves waited.
def test_parallel_wrong_passwords_get_at_most_five_checks_while_autosaves_go_on_being_stored(probe):
    draft, target = probe.world["draft"], probe.world["emails"]["ben"]
    reviewer = probe.signed_in("ann")
    tab = window_of(reviewer.get(f"/reviews/{draft}").body)
    saves: list[tuple[int, int]] = []
    stop = threading.Event()

    def keep_saving():
        seq = 0
        while not stop.is_set() or seq < 3:
            seq += 1
            reply = autosave(
                reviewer, draft, "thinking", {"score": seq % 4 + 1, "comment": f"save {seq}", "seq": seq, "tab": tab}
            )
            saves.append((seq, reply.status))

    guessers = [probe.client() for _ in range(12)]
    for guesser in guessers:
        guesser.get("/login")
    start = threading.Barrier(len(guessers))

    def guess(guesser: Browserless):
        start.wait()
        reply = guesser.post("/login", {"email": target, "password": "wrong guess", "csrf_token": guesser.csrf})
        return reply.status, reply.headers.get("Retry-After")

    saver = threading.Thread(target=keep_saving)
    saver.start()
    try:
        with ThreadPoolExecutor(len(guessers)) as pool:
            answers = list(pool.map(guess, guessers))
    finally:
        stop.set()
        saver.join()
    # At most five are checked (401). The others are answered 429 with a wait: by the limit, or at once when
    # every password turn is taken (docs/security-hardening.md, "Password checks take turns").
    statuses = [status for status, _ in answers]
    assert 1 <= statuses.count(401) <= 5 and statuses.count(429) == len(answers) - statuses.count(401)
    assert all(wait and int(wait) > 0 for status, wait in answers if status == 429)
    assert saves and {status for _, status in saves} == {200}
    last = saves[-1][0]
    assert probe.stored(draft, "thinking") == (last % 4 + 1, f"save {last}")


# Finding 3: Unicode digits in a number were a 500.
ODD_DIGITS = ["²", "٣"]  # str.isdigit() accepts both; int() refuses the first and reads the second as 3


@pytest.mark.parametrize("odd", ODD_DIGITS, ids=["superscript-two", "arabic-indic-three"])
def test_unicode_digits_in_every_number_a_request_carries_are_refused_never_a_500(probe, odd):
    world, raw = probe.world, urllib.parse.quote(odd)
    maya, cora, ann = probe.signed_in("maya"), probe.signed_in("cora"), probe.signed_in("ann")
    cycle = world["cycle"]
    answers = {}
    answers["board page"] = maya.get(f"/committee/cycles/{cycle}/?page={raw}").status
    maya.get(f"/committee/items/{world['split']}")
    scores = {f"score_{key}": "3" for key in ESSAY_DOMAINS}
    answers["resolution version"] = maya.post(
        f"/committee/items/{world['split']}/resolution",
        scores | {"rationale": "Why", "version": odd, "csrf_token": maya.csrf},
    ).status
    answers["decision version"] = maya.post(
        f"/committee/applications/{world['ada']}/decision",
        {"decision": "endorse", "rationale": "Why", "version": odd, "csrf_token": maya.csrf},
    ).status
    preview = cora.get(f"/console/cycles/{cycle}/assignments/preview?readers=2").body
    fingerprint = preview.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    answers["confirm readers"] = cora.post(
        f"/console/cycles/{cycle}/assignments/confirm",
        {"csrf_token": cora.csrf, "readers": odd, "fingerprint": fingerprint},
    ).status
    answers["preview readers"] = cora.get(f"/console/cycles/{cycle}/assignments/preview?readers={raw}").status
    answers["assignments page"] = cora.get(f"/console/cycles/{cycle}/assignments?page={raw}").status
    answers["audit page"] = cora.get(f"/console/audit?page={raw}").status
    ann_id = world["ids"]["ann"]
    cora.get(f"/console/users/{ann_id}")
    answers["maximum load"] = cora.post(
        f"/console/users/{ann_id}/profile",
        {"csrf_token": cora.csrf, "profile-designations": "C", "profile-max_load": odd},
    ).status
    cora.get(f"/console/items/{world['agreed']}")
    answers["reviewer picked"] = cora.post(
        f"/console/items/{world['agreed']}/assign", {"csrf_token": cora.csrf, "reviewer": odd}
    ).status
    tab = window_of(ann.get(f"/reviews/{world['draft']}").body)
    for name in ("seq", "score", "base_version"):
        fields = {"score": "3", "comment": "", "seq": "1", "tab": tab, "base_version": "0"} | {name: odd}
        answers[f"autosave {name}"] = autosave(ann, world["draft"], "working_with_others", fields).status
    answers["id in a path"] = ann.get(f"/reviews/{raw}").status
    answers["id in a console path"] = cora.get(f"/console/items/{raw}").status
    expected = {
        "board page": 400,
        "resolution version": 400,
        "decision version": 400,
        "confirm readers": 400,
        "preview readers": 400,
        "assignments page": 400,
        "audit page": 400,
        "maximum load": 422,
        "reviewer picked": 422,  # a <select> of ids: the form says the choice is not one of its options
        "autosave seq": 422,
        "autosave score": 422,
        "autosave base_version": 422,
        "id in a path": 404,
        "id in a console path": 404,
    }
    assert answers == expected
    assert probe.stored(world["draft"], "working_with_others") is None


# Finding 4: anyone could lock anyone out.
def test_a_strangers_wrong_passwords_delay_strangers_but_never_the_holder_at_their_own_browser(probe):
    email = probe.world["emails"]["noah"]
    holder = probe.signed_in("noah")  # this browser is now a known device of Noah's
    holder.post("/logout", {"csrf_token": holder.csrf})
    stranger_answers = []
    for _ in range(6):
        stranger = probe.client(STRANGER)
        stranger.get("/login")
        reply = stranger.post("/login", {"email": email, "password": "guessing", "csrf_token": stranger.csrf})
        stranger_answers.append(reply.status)
    assert stranger_answers == [401] * 5 + [429]
    # Even the right password waits when it comes from a browser Noah never used…
    newcomer = probe.client(STRANGER)
    newcomer.get("/login")
    assert newcomer.post("/login", {"email": email, "password": PASSWORD, "csrf_token": newcomer.csrf}).status == 429
    # …but Noah at his own browser signs in at once, and is told of the strangers' attempts by e-mail.
    holder.login(email, PASSWORD)
    assert holder.get("/committee/").status == 200
    assert probe.rows(
        "SELECT count(*) FROM outbox_messages WHERE kind = 'sign_ins_delayed' AND recipient = ?", email
    ) == [(1,)]


# Finding 5: unbounded text (an 8 MiB rationale was stored twice and shown on two pages).
def test_text_past_its_size_is_refused_and_not_stored_and_text_at_it_is_stored(probe):
    world = probe.world
    ann = probe.signed_in("ann")
    tab = window_of(ann.get(f"/reviews/{world['draft']}").body)
    comment_size = 20_000  # a reviewer's comment on a domain (docs/security-hardening.md, "Text sizes")
    too_long = autosave(
        ann,
        world["draft"],
        "direct_service_skills",
        {"score": 2, "comment": "c" * (comment_size + 1), "seq": 1, "tab": tab},
    )
    assert too_long.status == 422 and "20,000" in too_long.body
    assert probe.stored(world["draft"], "direct_service_skills") is None
    at_size = autosave(
        ann, world["draft"], "direct_service_skills", {"score": 2, "comment": "c" * comment_size, "seq": 2, "tab": tab}
    )
    assert at_size.status == 200
    assert probe.stored(world["draft"], "direct_service_skills") == (2, "c" * comment_size)
    maya = probe.signed_in("maya")
    maya.get(f"/committee/items/{world['split']}")
    marker = "probe-rationale-"
    eight_mib = marker + "R" * (8 * 1024 * 1024)
    scores = {f"score_{key}": "3" for key in ESSAY_DOMAINS}
    refused = maya.post(
        f"/committee/items/{world['split']}/resolution",
        scores | {"rationale": eight_mib, "version": "0", "csrf_token": maya.csrf},
    )
    assert refused.status == 422 and "10,000" in refused.body
    assert probe.rows("SELECT count(*) FROM committee_resolutions WHERE rationale LIKE ?", marker + "%") == [(0,)]


# Finding 6: a sign-in lasted for ever as long as it was used.
def _with_signed_in_at(client: Browserless, signed_in_at: int) -> None:
    """Rewrite the client's session cookie as if it had signed in at ``signed_in_at``: re-signed with the
    server's key, since a probe cannot wait twelve hours. Everything else in the session stays as the server
    wrote it (its session token included)."""
    signer = Flask("probe")
    signer.secret_key = SECRET_KEY
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    cookie = next(c for c in client.jar if c.name == "session")
    session = serializer.loads(cookie.value)
    assert isinstance(session.get("signed_in_at"), int)
    session["signed_in_at"] = signed_in_at
    cookie.value = serializer.dumps(session)


def test_a_busy_sign_in_ends_at_the_absolute_maximum(probe):
    draft, now = probe.world["draft"], int(time.time())
    page, scoring = probe.signed_in("ann"), probe.signed_in("ann")
    tab = window_of(scoring.get(f"/reviews/{draft}").body)
    _with_signed_in_at(page, now - TWELVE_HOURS + 600)  # ten minutes left: still signed in
    assert "My reviews" in page.get("/reviews/").body
    _with_signed_in_at(page, now - TWELVE_HOURS - 60)
    signed_out = page.get("/reviews/")  # redirected to the sign-in page, which says why
    assert signed_out.status == 200 and "signed in for 12 hours" in signed_out.body
    assert "My reviews" not in signed_out.body
    _with_signed_in_at(scoring, now - TWELVE_HOURS - 60)
    late = autosave(scoring, draft, "theoretical_foundations", {"score": 2, "comment": "late", "seq": 1, "tab": tab})
    assert late.status == 401  # the page shows it with Retry after signing in again; nothing is stored
    assert probe.stored(draft, "theoretical_foundations") is None
