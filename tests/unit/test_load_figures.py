"""The load driver's own figures (tests/system/load.py), which bench/README.md reports."""

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.system import load
from tests.system.live import Reply
from tests.system.load import Outcome, server_cpu_seconds, summary, worker_pids

# A stand-in for the gunicorn master: one worker that burns CPU, then waits to be killed; the master reaps it.
MASTER = """
import os, sys, time
pid = os.fork()
if pid == 0:
    end = time.process_time() + 0.4
    while time.process_time() < end:
        pass
    while True:
        time.sleep(1)
print(pid, flush=True)
os.waitpid(pid, 0)
print("reaped", flush=True)
time.sleep(30)
"""


def _own_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, man 5 proc


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_killed_workers_cpu_time_still_counts_once_the_master_has_reaped_it():
    master = subprocess.Popen([sys.executable, "-c", MASTER], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(master.stdout.readline())
        deadline = time.monotonic() + 20
        while _own_cpu_seconds(worker) < 0.35:
            assert time.monotonic() < deadline, "the worker never burnt its CPU"
            time.sleep(0.02)
        burnt = _own_cpu_seconds(worker)
        assert server_cpu_seconds(master.pid) >= burnt
        os.kill(worker, signal.SIGKILL)
        assert master.stdout.readline().strip() == "reaped"
        assert worker_pids(master.pid) == []
        assert server_cpu_seconds(master.pid) >= burnt  # it moved to the master's count of reaped children
    finally:
        master.kill()
        master.wait()
        master.stdout.close()


def test_the_p95_is_also_given_per_ten_seconds_of_the_run():
    outcome = Outcome()
    # 20 saves in each of the first two slices; the second slice's slowest save is 900 ms.
    for n in range(20):
        outcome.save_latencies += [0.010 + n / 1000, 0.100 if n < 19 else 0.900]
        outcome.save_offsets += [n * 0.5, 10 + n * 0.5]
    figures = summary(outcome)
    # p95 of 20 values is the 20th smallest (index int(0.95 * 20) = 19): 29 ms, then the 900 ms save.
    assert figures["autosave_p95_ms_per_10s"] == [29.0, 900.0]


class _DatabaseRestarting(http.server.BaseHTTPRequestHandler):
    """Answers like the app: the sign-in and the scoring page, then each save's first attempt 503 with
    Retry-After (the database is down) and the second "Saved"."""

    attempts: dict[str, int] = {}

    def log_message(self, *_args):
        pass

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self._answer(200)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if self.path == "/login":
            return self._answer(200)
        seq = urllib.parse.parse_qs(body)["seq"][0]
        self.attempts[seq] = self.attempts.get(seq, 0) + 1
        if self.attempts[seq] == 1:
            return self._answer(503, {"Retry-After": "0"})
        return self._answer(200, {"X-Save-Outcome": "saved"})


def test_a_save_answered_503_with_retry_after_is_sent_again_and_counted_apart_from_server_errors():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DatabaseRestarting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        world = load.World(reviewers=(load.Seat("r@load.test", 1),), sign_in_accounts=())
        outcome = load.run(f"http://127.0.0.1:{server.server_port}", world, seconds=1.5)
    finally:
        server.shutdown()
        server.server_close()
    saves = sum(len(seqs) for seqs in outcome.sent.values())
    assert saves >= 1
    assert outcome.server_errors == []
    # Every save was refused once and then stored: twice the answers, half of them 503.
    assert outcome.unavailable == saves
    assert outcome.statuses == {503: saves, 200: saves}
    assert max(seq for seq in outcome.acknowledged.values()) == saves
    assert load.retry_after(Reply(503, "", {"Retry-After": "5"})) == 5.0
    assert load.retry_after(Reply(503, "", {})) is None  # a 503 of gunicorn's own, not ours
    assert load.retry_after(Reply(500, "", {"Retry-After": "5"})) is None
    assert load.retry_after(Reply(503, "", {"Retry-After": "²"})) is None
