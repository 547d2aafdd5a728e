"""The load driver's own figures (tests/system/load.py), which bench/README.md reports."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
