"""kill -9 in the middle of an import and of an autosave burst: nothing half-written, nothing acknowledged lost."""

import csv
import http.client
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.factories import ESSAY_DOMAINS
from tests.system.conftest import PASSWORD
from tests.system.live import REPO, Browserless, GunicornServer, server_env, window_of

pytestmark = pytest.mark.slow
FLASK = Path(sys.executable).with_name("flask")
# About a third of what the import's 5,000 rows write into the log (3.2 MB): well past the empty log a
# connection opens, well before the commit.
MID_WRITE_BYTES = 1 << 20


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
    finally:
        conn.close()


def _applications_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["applicant_id", "name", "category", "organization", "portfolio_summary"])
        for n in range(rows):
            writer.writerow([f"K{n:06}", f"Applicant {n}", "IMHS", f"Org {n % 40}", "Portfolio text " * 20])


def _wal_bytes(database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_import_killed_midway_writes_all_or_nothing(deployment, tmp_path):
    rows = 5_000
    sheet = tmp_path / "applications.csv"
    _applications_csv(sheet, rows)
    env = server_env(deployment.instance, deployment.database_url)
    before = _count(deployment.database_path, "applicants")
    proc = subprocess.Popen(
        [str(FLASK), "--app", "app", "import", "applications", str(sheet), "--cycle", "Load test"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Killed while its one transaction writes rows: the import has read and checked the whole file, and SQLite
    # spills the new rows into the write-ahead log (nothing else uses the database). Kills after fixed pauses
    # (0.5, 1.5 and 3 s) had all landed while the file was still being read on a busy machine.
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and _wal_bytes(deployment.database_path) < MID_WRITE_BYTES:
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.005)
        killed_while_writing = proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    assert _integrity(deployment.database_path) == "ok"
    applicants = _count(deployment.database_path, "applicants")
    assert applicants in (before, before + rows), f"half an import is visible: {applicants}"
    assert killed_while_writing, "the import finished before the kill; the test proved nothing"


def test_every_acknowledged_autosave_survives_kill_9(deployment):
    acknowledged: dict[tuple[int, str], tuple[int, int]] = {}  # (assignment, domain) → (seq, score)
    lock, stop = threading.Lock(), threading.Event()
    server = GunicornServer(deployment.instance, deployment.database_url, workers=3).start()

    ready = []

    def keep_saving(seat):
        try:
            save_until_stopped(seat)
        except (OSError, http.client.HTTPException):
            return  # the server was killed under this reviewer, as intended (perhaps in the middle of an answer)

    def save_until_stopped(seat):
        client = Browserless(server.url, timeout=30)
        client.login(seat.email, PASSWORD)
        assert client.get(f"/reviews/{seat.assignment_id}").status == 200
        ready.append(seat)
        seq = 0
        while not stop.is_set():
            seq += 1
            domain, score = ESSAY_DOMAINS[seq % len(ESSAY_DOMAINS)], seq % 4 + 1
            reply = client.post(
                f"/reviews/{seat.assignment_id}/domains/{domain}",
                {"score": score, "comment": "", "seq": seq, **window_of(seat)},
                htmx=True,
            )
            if reply.status == 200:
                with lock:
                    acknowledged[(seat.assignment_id, domain)] = (seq, score)

    threads = [threading.Thread(target=keep_saving, args=(seat,)) for seat in deployment.reviewers[:8]]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        server.kill_hard()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        server.stop()
    assert ready, "no reviewer got as far as the scoring page"
    assert len(acknowledged) >= 30, "too few saves were acknowledged before the kill"
    assert _integrity(deployment.database_path) == "ok"

    with GunicornServer(deployment.instance, deployment.database_url, workers=2) as restarted:
        client = Browserless(restarted.url)
        client.login(deployment.reviewers[0].email, PASSWORD)
        assert client.get(f"/reviews/{deployment.reviewers[0].assignment_id}").status == 200
    conn = sqlite3.connect(deployment.database_path)
    stored = {
        (a, d): (seq, score)
        for a, d, seq, score in conn.execute(
            "SELECT reads.assignment_id, scores.domain_key, scores.seq, scores.score "
            "FROM scores JOIN reads ON reads.id = scores.read_id"
        )
    }
    conn.close()
    for key, (seq, score) in acknowledged.items():
        stored_seq, stored_score = stored[key]
        # A save may have committed just before the kill without its answer arriving: never older.
        assert stored_seq >= seq, f"{key}: acknowledged save {seq} lost (stored {stored_seq})"
        if stored_seq == seq:
            assert stored_score == score
