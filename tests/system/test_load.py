"""A short run of the load figures in the suite (the full ones are bench/load.py): reviewers autosaving against
four gunicorn workers on SQLite while one worker is killed with SIGKILL and two clients sign in over and over.
Nothing but the killed requests fails, and every acknowledged save is what the database holds."""

import pytest

from tests.conftest import CHEAP_PASSWORD_HASHING
from tests.system import load
from tests.system.live import Browserless, GunicornServer

pytestmark = pytest.mark.slow


def test_autosaves_survive_a_killed_worker_and_sign_ins_with_no_server_error(tmp_path):
    instance, database = tmp_path / "instance", tmp_path / "load.sqlite3"
    url = "sqlite:///" + str(database)
    world = load.build_world(instance, url, reviewers=16, sign_in_accounts=2, **CHEAP_PASSWORD_HASHING)
    (instance / "config.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in CHEAP_PASSWORD_HASHING.items())
    )
    with GunicornServer(instance, url, workers=4) as server:
        outcome = load.run(
            server.url, world, seconds=8, sign_in_clients=2, events=[(3.0, load.kill_one_worker(server))]
        )
        after = Browserless(server.url)
        after.login(world.reviewers[0].email, load.PASSWORD)  # the master replaced the killed worker
        log = server.log()
    assert outcome.not_started == []
    assert outcome.events and outcome.events[0].startswith("SIGKILL worker")
    assert outcome.server_errors == [], outcome.server_errors[:5]
    assert not {status for status in outcome.statuses if status >= 500}
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]
    assert outcome.saves >= 16 * 4 and len(outcome.acknowledged) >= 16  # every reviewer got saves in
    assert outcome.sign_in_latencies, "the sign-in clients never got an answer"
    assert load.verify(url, outcome) == []
