"""``python -m bench.load``: the load figures (docs/security-hardening.md, "Saves under load").

100 reviewers autosave for 60 s against gunicorn with 4 workers; one worker is killed with SIGKILL half-way;
on PostgreSQL the database server is also restarted once (a third of the way in). Run once without and once
with 5 clients signing in over and over (the production password hash), so the second run shows what the
sign-ins cost the autosaves. Every client is a thread of this process on 127.0.0.1.

    python -m bench.load                       # SQLite (a file in a scratch directory)
    bash .ci/with-postgres .venv/bin/python -m bench.load --postgresql

Targets: no 5xx (on PostgreSQL, saves sent while the restarted server is down are answered 503 with
Retry-After and sent again, as the page does); every acknowledged save stored with its last acknowledged value
(or a later save whose answer was cut off by the kill); autosave p95 <= 100 ms on SQLite, with and without the
sign-ins.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.system import load
from tests.system.live import GunicornServer

P95_TARGET_MS = 100


def _empty_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _restart_postgresql(outcome: load.Outcome) -> None:
    command = [os.environ["PG_CTL_TEST"], "-D", os.environ["PGDATA_TEST"], "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcome.events.append(f"PostgreSQL restarted ({time.monotonic() - started:.1f} s)")


def one_run(database_url: str, *, reviewers: int, seconds: float, sign_ins: int, postgresql: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        instance = Path(scratch) / "instance"
        if postgresql:
            _empty_postgresql(database_url)
        else:
            database_url = "sqlite:///" + str(Path(scratch) / "load.sqlite3")
        world = load.build_world(instance, database_url, reviewers=reviewers, sign_in_accounts=max(sign_ins, 1))
        with GunicornServer(instance, database_url, workers=4) as server:
            events = [(seconds / 2, load.kill_one_worker(server))]
            if postgresql:
                events.append((seconds / 3, _restart_postgresql))
            at_start: dict[str, float] = {}

            def sample(_outcome: load.Outcome) -> None:  # once everyone has signed in: the clock starts
                at_start.update(server=load.server_cpu_seconds(server.process.pid), client=time.process_time())

            outcome = load.run(
                server.url, world, seconds=seconds, sign_in_clients=sign_ins, events=[(0.0, sample), *events]
            )
            cpu_before, client_before = at_start["server"], at_start["client"]
            # The server's CPU per answered request: what the machine's load does not inflate (the killed
            # worker's share is lost, so this is a slight underestimate).
            cpu = load.server_cpu_seconds(server.process.pid) - cpu_before
            client_cpu = time.process_time() - client_before
            log = server.log()
        figures = load.summary(outcome)
        answered = sum(outcome.statuses.values())
        figures["server_cpu_s"] = round(cpu, 1)
        figures["server_cpu_ms_per_request"] = round(1000 * cpu / answered, 1) if answered else None
        figures["client_cpu_s"] = round(client_cpu, 1)
        figures["load_average_1min_after"] = round(os.getloadavg()[0], 1)
        figures["lost_or_wrong"] = load.verify(database_url, outcome)
        figures["tracebacks_in_log"] = log.count("Traceback")
        figures["database_is_locked_in_log"] = log.count("database is locked")
        figures["server_error_samples"] = outcome.server_errors[:3]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql", action="store_true", help="use DATABASE_URL (a PostgreSQL server)")
    parser.add_argument("--reviewers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sign-ins", type=int, default=5, help="clients signing in during the second run")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "") if args.postgresql else ""
    if args.postgresql and not (url.startswith("postgresql") and os.environ.get("PGDATA_TEST")):
        raise SystemExit("--postgresql needs .ci/with-postgres (DATABASE_URL, PG_CTL_TEST, PGDATA_TEST)")
    database = "PostgreSQL" if args.postgresql else "SQLite"
    failed = False
    for sign_ins in (0, args.sign_ins):
        figures = one_run(
            url, reviewers=args.reviewers, seconds=args.seconds, sign_ins=sign_ins, postgresql=args.postgresql
        )
        checks = {
            "no 5xx (but 503 with Retry-After while the database is down)": figures["server_errors"] == 0,
            "nothing acknowledged lost": not figures["lost_or_wrong"],
            "no traceback": figures["tracebacks_in_log"] == 0,
        }
        if not args.postgresql:
            checks["no 503 (SQLite never stays locked)"] = figures["unavailable_503"] == 0
            checks[f"autosave p95 <= {P95_TARGET_MS} ms"] = figures["autosave_p95_ms"] <= P95_TARGET_MS
        failed |= not all(checks.values())
        print(
            f"{database}, {args.reviewers} reviewers, {args.seconds:g} s, {sign_ins} sign-in clients: "
            + ", ".join(f"{name} {'pass' if ok else 'FAIL'}" for name, ok in checks.items())
        )
        print(json.dumps(figures, indent=1))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
