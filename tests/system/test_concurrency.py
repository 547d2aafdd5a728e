"""Many reviewers autosaving at once against a multi-worker server on the SQLite default."""

import html
import random
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import ESSAY_DOMAINS
from tests.system.conftest import PASSWORD
from tests.system.live import Browserless, GunicornServer, window_of

SAVES_PER_REVIEWER = 24
RATIONALES = ("Member one's reasons", "Member two's reasons")
PARALLEL_SAVES_PER_REVIEWER = 3

pytestmark = pytest.mark.slow


def _plan(seed: int) -> list[tuple[int, str, int, str]]:
    """(seq, domain, score, comment) — every domain saved several times, in seq order."""
    rng = random.Random(seed)
    return [
        (seq, ESSAY_DOMAINS[(seq - 1) % len(ESSAY_DOMAINS)], rng.randint(1, 4), f"note {seed}-{seq}")
        for seq in range(1, SAVES_PER_REVIEWER + 1)
    ]


def _reviewer_session(server_url: str, seat, seed: int):
    client = Browserless(server_url)
    client.login(seat.email, PASSWORD)
    page = client.get(f"/reviews/{seat.assignment_id}")
    assert page.status == 200, page.body[:300]
    plan = _plan(seed)

    def save(step):
        seq, domain, score, comment = step
        reply = client.post(
            f"/reviews/{seat.assignment_id}/domains/{domain}",
            {"score": score, "comment": comment, "seq": seq, **window_of(seat)},
            htmx=True,
        )
        return step, reply

    # Several saves of one reviewer in flight at once, so late, older saves really happen.
    with ThreadPoolExecutor(PARALLEL_SAVES_PER_REVIEWER) as pool:
        results = list(pool.map(save, plan))
    submit = client.post(f"/reviews/{seat.assignment_id}/submit", {"csrf_token": client.csrf})
    return results, submit


def test_parallel_autosaves_and_submits_keep_exactly_the_last_acknowledged_value(deployment):
    with GunicornServer(deployment.instance, deployment.database_url, workers=4) as server:
        with ThreadPoolExecutor(len(deployment.reviewers)) as pool:
            outcomes = list(
                pool.map(
                    lambda pair: _reviewer_session(server.url, *pair),
                    [(seat, n) for n, seat in enumerate(deployment.reviewers)],
                )
            )
        log = server.log()

    replies = [reply for results, _ in outcomes for _, reply in results]
    statuses = [reply.status for reply in replies] + [submit.status for _, submit in outcomes]
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}"
    assert {submit.status for _, submit in outcomes} == {200}
    # A save that overtook an older one of the same window: the older is answered "superseded", never "Saved".
    assert {(reply.status, reply.headers.get("X-Save-Outcome")) for reply in replies} <= {
        (200, "saved"),
        (409, "superseded"),
    }
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]

    conn = sqlite3.connect(deployment.database_path)
    rows = conn.execute("""
        SELECT reads.assignment_id, scores.domain_key, count(*), max(scores.score), max(scores.comment),
               max(scores.seq), reads.status
        FROM scores JOIN reads ON reads.id = scores.read_id
        GROUP BY reads.assignment_id, scores.domain_key""").fetchall()
    conn.close()
    stored = {(a, d): (n, score, comment, seq, status) for a, d, n, score, comment, seq, status in rows}
    assert len(stored) == len(deployment.reviewers) * len(ESSAY_DOMAINS)
    for seat, (results, _) in zip(deployment.reviewers, outcomes, strict=True):
        for domain in ESSAY_DOMAINS:
            acknowledged = [step for step, reply in results if step[1] == domain and reply.status == 200]
            seq, _, score, comment = max(acknowledged)
            assert stored[(seat.assignment_id, domain)] == (1, score, comment, seq, "submitted")


def test_two_committee_members_saving_one_item_at_once_the_second_sees_a_conflict(deployment):
    item_pk = deployment.item_pks[0]
    with GunicornServer(deployment.instance, deployment.database_url, workers=4) as server:
        members = []
        for email in deployment.committee:
            member = Browserless(server.url)
            member.login(email, PASSWORD)
            assert member.get(f"/committee/items/{item_pk}").status == 200
            members.append(member)
        start = threading.Barrier(len(members))

        def save(pair):
            member, rationale = pair
            form = {f"score_{domain}": "3" for domain in ESSAY_DOMAINS}
            start.wait()
            return member.post(
                f"/committee/items/{item_pk}/resolution",
                form | {"rationale": rationale, "version": "", "csrf_token": member.csrf},
            )

        with ThreadPoolExecutor(len(members)) as pool:
            replies = list(pool.map(save, zip(members, RATIONALES, strict=True)))
        log = server.log()
    assert sorted(reply.status for reply in replies) == [200, 409], [r.status for r in replies]
    loser = next(i for i, reply in enumerate(replies) if reply.status == 409)
    winner_text, loser_text = RATIONALES[1 - loser], RATIONALES[loser]
    # The second member keeps what they typed and sees the first member's saved rationale.
    conflict_page = html.unescape(replies[loser].body)
    assert loser_text in conflict_page and winner_text in conflict_page
    assert "Traceback" not in log
    conn = sqlite3.connect(deployment.database_path)
    rows = conn.execute("SELECT rationale, version FROM committee_resolutions WHERE item_pk = ?", (item_pk,)).fetchall()
    conn.close()
    assert rows == [(winner_text, 1)]
