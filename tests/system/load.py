"""Reviewers autosaving against a real gunicorn server while workers die and sign-ins hammer the login page.

Shared by ``tests/system/test_load.py`` (a short run in the suite) and ``bench/load.py`` (the full figures:
100 reviewers for 60 s on SQLite and PostgreSQL; docs/security-hardening.md, "Saves under load"). Every
client is a thread of this process talking HTTP to 127.0.0.1 only.

Each reviewer signs in, opens their item and saves one domain at a time, one save in flight, pausing as the
page's typing debounce would (600 ms and up). Every save's answer is kept: a 200 "saved" is acknowledged; a
connection cut by a killed worker is an interrupted request, whose save may or may not have been stored; a 503
with Retry-After (the database was down: a PostgreSQL restart) is sent again after that wait, as the page does.
``verify`` then checks the database against that record.
"""

import http.client
import os
import random
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.cycles.models import Cycle
from app.extensions import db
from app.people.models import Role
from app.people.passwords import hash_password
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.system.live import Browserless, Seat, window_of

PASSWORD = "load-test-password-1"


@dataclass(frozen=True)
class World:
    reviewers: tuple[Seat, ...]
    sign_in_accounts: tuple[str, ...]


def build_world(instance: Path, database_url: str, reviewers: int, sign_in_accounts: int, **config) -> World:
    """Migrate the database and give each of ``reviewers`` reviewers one Clinical essay; ``sign_in_accounts``
    committee accounts exist only to sign in. ``config``: e.g. a cheap password hash for a short test."""
    app = create_app(
        {
            "SECRET_KEY": "load-test-secret",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": database_url,
            **config,
        }
    )
    with app.app_context():
        upgrade()
        password_hash = hash_password(PASSWORD)
        cycle = Cycle(name="Load", readers=1)
        db.session.add(cycle)
        db.session.flush()
        seats = []
        for n in range(reviewers):
            reviewer = f.make_user(Role.REVIEWER, email=f"rev{n}@load.test", designations="C")
            reviewer.password_hash = password_hash
            f.add_member(cycle, reviewer)
            item = f.make_essay(cycle, f.make_applicant(cycle, applicant_id=f"L{n}"), item_id=f"E-{n:04}")
            seats.append(Seat(reviewer.email, f.assign(item, reviewer).id))
        accounts = []
        for n in range(sign_in_accounts):
            member = f.make_user(Role.COMMITTEE, email=f"signin{n}@load.test")
            member.password_hash = password_hash
            accounts.append(member.email)
        db.session.commit()
        db.engine.dispose()
    return World(tuple(seats), tuple(accounts))


@dataclass
class Outcome:
    save_latencies: list[float] = field(default_factory=list)  # seconds, answered saves
    save_offsets: list[float] = field(default_factory=list)  # when each answered save was sent, s after the start
    sign_in_latencies: list[float] = field(default_factory=list)  # seconds, sign-ins that were checked
    sign_ins_turned_away: int = 0  # answered 429 at once: every password turn taken (docs/security-hardening.md)
    statuses: Counter = field(default_factory=Counter)  # HTTP status of every answered request
    interrupted: int = 0  # requests cut off (killed worker, restart)
    unavailable: int = 0  # answered 503 with Retry-After: the database was down (docs/security-hardening.md)
    server_errors: list[str] = field(default_factory=list)
    # (assignment, domain) → {seq: (score, comment)} of every save sent, and the last acknowledged seq
    sent: dict[tuple[int, str], dict[int, tuple[int, str]]] = field(default_factory=dict)
    acknowledged: dict[tuple[int, str], int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)  # reviewers who could not sign in beforehand
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def saves(self) -> int:
        return len(self.save_latencies)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _reviewer(base_url: str, seat: Seat, start: "_Start", outcome: Outcome, rng: random.Random) -> None:
    client = Browserless(base_url, timeout=120)
    opened = False
    with start.signing_in:  # a few at a time: signing in is not what is measured, and hashes are slow
        for _ in range(3):
            try:
                client.login(seat.email, PASSWORD)
                if client.get(f"/reviews/{seat.assignment_id}").status == 200:
                    opened = True
                    break
            except (OSError, http.client.HTTPException, AssertionError):
                continue
    start.ready.wait()
    if not opened:
        with outcome.lock:
            outcome.not_started.append(seat.email)
        return
    deadline = start.deadline
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        domain, score = rng.choice(ESSAY_DOMAINS), rng.randint(1, 4)
        comment = f"{seat.assignment_id}-{seq}: " + "words " * rng.randint(5, 60)
        key = (seat.assignment_id, domain)
        with outcome.lock:
            outcome.sent.setdefault(key, {})[seq] = (score, comment)
        while True:  # one save; sent again after Retry-After while the database is unavailable, as the page does
            started = time.perf_counter()
            try:
                reply = client.post(
                    f"/reviews/{seat.assignment_id}/domains/{domain}",
                    {"score": score, "comment": comment, "seq": seq, **window_of(seat)},
                    htmx=True,
                )
            except (OSError, http.client.HTTPException):
                with outcome.lock:
                    outcome.interrupted += 1
                break
            elapsed = time.perf_counter() - started
            wait = retry_after(reply)
            with outcome.lock:
                outcome.statuses[reply.status] += 1
                outcome.save_latencies.append(elapsed)
                outcome.save_offsets.append(time.monotonic() - elapsed - start.started)
                if wait is not None:
                    outcome.unavailable += 1
                elif reply.status >= 500:
                    outcome.server_errors.append(f"save {key} seq {seq}: {reply.status} {reply.body[:200]}")
                if reply.status == 200 and reply.headers.get("X-Save-Outcome") == "saved":
                    outcome.acknowledged[key] = seq
            if wait is None or time.monotonic() + wait >= deadline:
                break
            time.sleep(wait)
        time.sleep(rng.uniform(0.6, 1.0))  # the scoring page's typing debounce is 600 ms


def _signer(base_url: str, email: str, start: "_Start", outcome: Outcome) -> None:
    """Sign in, again and again, each time as a new browser: the whole sign-in with its password hash."""
    start.ready.wait()
    deadline = start.deadline
    while time.monotonic() < deadline:
        client = Browserless(base_url, timeout=30)
        started = time.perf_counter()
        try:
            client.get("/login")
            reply = client.post("/login", {"email": email, "password": PASSWORD, "csrf_token": client.csrf or ""})
        except (OSError, http.client.HTTPException):
            with outcome.lock:
                outcome.interrupted += 1
            continue
        turned_away = reply.status == 429
        with outcome.lock:
            outcome.statuses[reply.status] += 1
            if turned_away:
                outcome.sign_ins_turned_away += 1
            else:
                outcome.sign_in_latencies.append(time.perf_counter() - started)
            if retry_after(reply) is not None:
                outcome.unavailable += 1
            elif reply.status >= 500:
                outcome.server_errors.append(f"sign-in {email}: {reply.status} {reply.body[:200]}")
        if turned_away:  # as the person would, who reads "wait a few seconds and try again"
            time.sleep(float(reply.headers.get("Retry-After") or 1))


def retry_after(reply) -> float | None:
    """The seconds a 503 asks the client to wait (the database was unavailable), or None for any other answer;
    a 5xx without Retry-After stays a server error."""
    wait = reply.headers.get("Retry-After")
    return float(wait) if reply.status == 503 and wait and wait.isascii() and wait.isdigit() else None


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn master's children (its workers), from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                children.append(int(entry))
    return sorted(children)


def server_cpu_seconds(master_pid: int) -> float:
    """CPU seconds (user + system) the gunicorn master and all its workers have used so far: the live workers'
    own, and the master's count of the workers it has reaped (a SIGKILLed one's time moves there when the
    master waits for it; without it the figure dropped by that worker's whole time)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in (master_pid, *worker_pids(master_pid)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime; for the master also cutime, cstime (its reaped children's)
        total += sum(int(value) for value in fields[11 : 15 if pid == master_pid else 13])
    return total / ticks


def kill_one_worker(server) -> Callable[[Outcome], None]:
    """An event: SIGKILL the first worker of ``server`` (the master starts another)."""

    def kill(outcome: Outcome) -> None:
        victim = worker_pids(server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        outcome.events.append(f"SIGKILL worker {victim}")

    return kill


def run(
    base_url: str,
    world: World,
    *,
    seconds: float,
    sign_in_clients: int = 0,
    events: Sequence[tuple[float, Callable[[Outcome], None]]] = (),
    seed: int = 7,
) -> Outcome:
    """Every reviewer autosaving for ``seconds``; ``sign_in_clients`` threads signing in meanwhile; each
    ``(at, action)`` of ``events`` runs ``at`` seconds in."""
    outcome = Outcome()
    start = _Start(len(world.reviewers) + sign_in_clients + 1, seconds)
    threads = [
        threading.Thread(target=_reviewer, args=(base_url, seat, start, outcome, random.Random(seed * 100_003 + n)))
        for n, seat in enumerate(world.reviewers)
    ]
    accounts = world.sign_in_accounts
    threads += [
        threading.Thread(target=_signer, args=(base_url, accounts[n % len(accounts)], start, outcome))
        for n in range(sign_in_clients)
    ]
    for thread in threads:
        thread.start()
    start.ready.wait()
    for at, action in sorted(events, key=lambda event: event[0]):
        time.sleep(max(0.0, start.started + at - time.monotonic()))
        action(outcome)
    for thread in threads:
        thread.join()
    return outcome


class _Start:
    """Everyone signs in first (a few at a time); the clock starts when the last one is ready."""

    def __init__(self, parties: int, seconds: float):
        self.signing_in = threading.Semaphore(4)
        self.started = self.deadline = 0.0
        self.ready = threading.Barrier(parties, action=lambda: self._go(seconds))

    def _go(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + seconds


def verify(database_url: str, outcome: Outcome) -> list[str]:
    """What the database holds against what was sent: each (assignment, domain) holds exactly one row, its last
    acknowledged save or a later save whose answer was cut off, never an older one nor one never sent."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT reads.assignment_id, scores.domain_key, scores.seq, scores.score, scores.comment "
                "FROM scores JOIN reads ON reads.id = scores.read_id"
            )
        ).all()
    engine.dispose()
    stored: dict[tuple[int, str], list[tuple[int, int, str]]] = {}
    for assignment_id, domain, seq, score, comment in rows:
        stored.setdefault((assignment_id, domain), []).append((seq, score, comment))
    problems = []
    for key, seq in outcome.acknowledged.items():
        held = stored.get(key, [])
        if len(held) != 1:
            problems.append(f"{key}: {len(held)} rows")
            continue
        stored_seq, score, comment = held[0]
        if stored_seq < seq:
            problems.append(f"{key}: acknowledged seq {seq} lost; the database holds seq {stored_seq}")
        elif outcome.sent[key].get(stored_seq) != (score, comment):
            problems.append(f"{key}: holds seq {stored_seq} with values that were never sent with it")
    return problems


def summary(outcome: Outcome) -> dict:
    latencies = outcome.save_latencies
    pairs = list(zip(latencies, outcome.save_offsets, strict=True))
    return {
        "reviewers_not_started": len(outcome.not_started),
        "saves": outcome.saves,
        "acknowledged": len(outcome.acknowledged),
        "interrupted": outcome.interrupted,
        "server_errors": len(outcome.server_errors),
        "unavailable_503": outcome.unavailable,
        "statuses": dict(sorted(outcome.statuses.items())),
        "autosave_p50_ms": round(1000 * percentile(latencies, 0.50), 1),
        "autosave_p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "autosave_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "autosave_max_ms": round(1000 * max(latencies, default=float("nan")), 1),
        # Where in the run the slow saves were (a killed worker's replacement, a restart, a busy machine).
        "autosave_p95_ms_per_10s": [
            round(1000 * percentile([lat for lat, at in pairs if slice_ <= at < slice_ + 10], 0.95), 1)
            for slice_ in range(0, int(max(outcome.save_offsets, default=0)) + 1, 10)
        ],
        "sign_ins": len(outcome.sign_in_latencies),
        "sign_ins_turned_away_429": outcome.sign_ins_turned_away,
        "sign_in_median_ms": round(1000 * statistics.median(outcome.sign_in_latencies), 1)
        if outcome.sign_in_latencies
        else None,
        "events": outcome.events,
    }
