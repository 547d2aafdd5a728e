"""The web rows: each page timed against a trivial authenticated GET of the same app, request by request.

Requests go through Flask's test client (the whole WSGI stack: session,
login, CSRF, the view, the template; no network) for the floor and the page
alike. Floor and page requests alternate, so both see the same machine load;
p95 is taken over each run's requests. Queries are counted per request with
an engine event.
"""

import re
import statistics
import time

from sqlalchemy import event

from bench.child import COORDINATOR, PASSWORD, bench_cycle, make_app

FLOOR_PATH = "/account/token"  # JSON with a CSRF token: sign-in check and session, no query of its own, no template
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"csrf_token": _TOKEN.search(page).group(1), "email": email, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: HTTP {response.status_code}")


def _token(client) -> str:
    return client.get(FLOOR_PATH).get_json()["csrf_token"]


def _pick_reviewer():
    """The reviewer holding the most assignments, and one of their applications not yet started (for autosave)."""
    from app.assignment.models import Assignment
    from app.cycles.models import Item, ItemKind
    from app.extensions import db
    from app.scoring.models import Read

    cycle = bench_cycle()
    reviewer_id = db.session.execute(
        db.select(Assignment.reviewer_id)
        .join(Item, Assignment.item_pk == Item.id)
        .where(Item.cycle_id == cycle.id, Item.kind == ItemKind.APPLICATION)
        .group_by(Assignment.reviewer_id)
        .order_by(db.func.count().desc(), Assignment.reviewer_id)
        .limit(1)
    ).scalar()
    assignment = db.session.scalars(
        db.select(Assignment)
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(Assignment.reviewer_id == reviewer_id, Item.kind == ItemKind.APPLICATION, Read.id.is_(None))
        .order_by(Assignment.id)
        .limit(1)
    ).one()
    return cycle, assignment


class Targets:
    """The requests of each web row, ready to send."""

    def __init__(self, app):
        from app.extensions import db
        from app.people.models import User
        from app.people.service import set_password
        from app.rubrics.registry import get_rubric

        with app.app_context():
            cycle, assignment = _pick_reviewer()
            reviewer = db.session.get(User, assignment.reviewer_id)
            set_password(reviewer, PASSWORD)
            self.cycle_id, self.assignment_id = cycle.id, assignment.id
            self.reviewer_email = reviewer.email
            self.domain = get_rubric(assignment.item.rubric_key).domain_keys[0]
            db.session.commit()
        self.board = "committee.board" in app.view_functions
        self.reviewer = app.test_client()
        _sign_in(self.reviewer, self.reviewer_email)
        self.coordinator = app.test_client()
        _sign_in(self.coordinator, COORDINATOR)
        self.htmx = {"HX-Request": "true", "X-CSRFToken": _token(self.reviewer)}
        self.seq = 0

    def rows(self) -> dict:
        """Row name → (client, a function sending one request)."""
        rows = {
            "reviewer autosave": (self.reviewer, self.autosave),
            "reviewer queue": (self.reviewer, lambda: self.reviewer.get("/reviews/")),
            "scoring page": (self.reviewer, lambda: self.reviewer.get(f"/reviews/{self.assignment_id}")),
        }
        if self.board:
            rows["committee board (page 1)"] = (
                self.coordinator,
                lambda: self.coordinator.get(f"/committee/cycles/{self.cycle_id}/"),
            )
            rows["committee board rows (htmx, page 3)"] = (
                self.coordinator,
                lambda: self.coordinator.get(
                    f"/committee/cycles/{self.cycle_id}/?page=3", headers={"HX-Request": "true"}
                ),
            )
        return rows

    def autosave(self):
        self.seq += 1
        return self.reviewer.post(
            f"/reviews/{self.assignment_id}/domains/{self.domain}",
            headers=self.htmx,
            data={
                "score": str(1 + self.seq % 4),
                "comment": f"note {self.seq}",
                "seq": str(self.seq),
                "tab": "bench-window",
                "base_version": "0",
            },
        )


def _send(send) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = send()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return wall, cpu


def _count_queries(app, send) -> int:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        _send(send)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


MIN_REQUESTS = 30  # a slow page stops after its time budget, but never below this many request pairs


def run_web(database: str, instance: str, requests: int, runs: int, budget: float = 20.0) -> dict:
    """Per row: p95 (wall and CPU) of floor and page in each run, and the page's queries per request.

    A run sends up to ``requests`` pairs, fewer for a page so slow that they
    would take more than ``budget`` seconds.
    """
    app = make_app(database, instance)
    targets = Targets(app)
    results = {"floor_queries": None, "rows": {}}
    for name, (client, send) in targets.rows().items():
        floor = lambda client=client: client.get(FLOOR_PATH)  # noqa: E731 (the same signed-in client)
        for _ in range(5):  # warm caches (templates, compiled statements) on both sides
            _send(floor)
            _send(send)
        results["floor_queries"] = _count_queries(app, floor)
        row = {"queries": _count_queries(app, send), "runs": []}
        for _ in range(runs):
            floor_times, page_times = [], []
            started = time.perf_counter()
            while len(page_times) < requests and (
                len(page_times) < MIN_REQUESTS or time.perf_counter() - started < budget
            ):
                floor_times.append(_send(floor))
                page_times.append(_send(send))
            row["runs"].append(
                {
                    "floor_wall": p95([w for w, _ in floor_times]),
                    "floor_cpu": p95([c for _, c in floor_times]),
                    "page_wall": p95([w for w, _ in page_times]),
                    "page_cpu": p95([c for _, c in page_times]),
                    "requests": len(page_times),
                }
            )
        results["rows"][name] = row
    results["board"] = targets.board
    return results
