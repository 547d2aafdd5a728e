"""A sign-in waiting for its password hash holds one thread of its gunicorn worker, not the worker: a save sent
to the same (only) worker meanwhile is answered first (gunicorn.conf.py, docs/security-hardening.md, "Saves
under load"). With sync workers the save waited for the whole hash."""

import http.client
import threading
import time
import urllib.parse

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from tests.conftest import CHEAP_PASSWORD_HASHING
from tests.system import load
from tests.system.live import Browserless, GunicornServer, window_of

pytestmark = pytest.mark.slow

# A hash far slower than a save (over half a CPU-second here, and it runs at nice 19), so the save, sent a
# moment after the sign-in, arrives while the hash still has most of its work ahead.
SLOW_HASH = PasswordHasher(time_cost=10, memory_cost=65536, parallelism=1)
SIGN_IN_HEAD_START_S = 0.2


def test_a_save_is_answered_while_a_sign_in_in_the_same_worker_waits_for_its_hash(tmp_path):
    instance, url = tmp_path / "instance", "sqlite:///" + str(tmp_path / "threads.sqlite3")
    world = load.build_world(instance, url, reviewers=1, sign_in_accounts=1, **CHEAP_PASSWORD_HASHING)
    engine = create_engine(url)
    with engine.begin() as connection:  # only the signing-in account's stored hash is slow to verify
        connection.execute(
            text("UPDATE users SET password_hash = :hash WHERE email = :email"),
            {"hash": SLOW_HASH.hash(load.PASSWORD), "email": world.sign_in_accounts[0]},
        )
    engine.dispose()
    (instance / "config.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in CHEAP_PASSWORD_HASHING.items())
    )
    seat = world.reviewers[0]
    with GunicornServer(instance, url, workers=1) as server:
        reviewer = Browserless(server.url)
        reviewer.login(seat.email, load.PASSWORD)
        assert reviewer.get(f"/reviews/{seat.assignment_id}").status == 200
        signer = Browserless(server.url)
        signer.get("/login")
        answers: list[str] = []

        def sign_in() -> None:  # the POST alone (no redirect followed): its answer comes when the hash is done
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            form = {"email": world.sign_in_accounts[0], "password": load.PASSWORD, "csrf_token": signer.csrf}
            cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in signer.jar)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
            connection.request("POST", "/login", urllib.parse.urlencode(form), headers)
            reply = connection.getresponse()
            answers.append(f"sign-in {reply.status} {reply.getheader('Location')}")
            connection.close()

        thread = threading.Thread(target=sign_in)
        thread.start()
        time.sleep(SIGN_IN_HEAD_START_S)  # the sign-in reaches the worker first
        saved = reviewer.post(
            f"/reviews/{seat.assignment_id}/domains/{load.ESSAY_DOMAINS[0]}",
            {"score": 3, "comment": "while a sign-in hashes", "seq": 1, **window_of(seat)},
            htmx=True,
        )
        answers.append(f"save {saved.status} {saved.headers.get('X-Save-Outcome')}")
        thread.join(timeout=60)
    assert answers == ["save 200 saved", "sign-in 302 /committee/"]  # the save did not wait for the hash
