"""One measured step in a fresh process: ``python -m bench.child STEP JSON-ARGS`` prints one JSON line.

Every step runs in its own process so one cannot warm the next one's caches
or memory, and so the export's peak memory is the process's own high-water
mark. Only the work itself is timed: starting Python, building the app and
copying the database happen before the clock starts.
"""

import json
import sqlite3
import sys
import time
from pathlib import Path

CYCLE_NAME = "Bench cycle"
BASE_KINDS = ("reviewers", "applications", "essays", "conflicts")
PASSWORD = "bench-password-1234"
COORDINATOR = "coordinator@bench.example.org"


def memory_kib() -> dict[str, int]:
    """The process's current and peak resident memory (VmRSS, VmHWM) in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def reset_peak_memory() -> None:
    """Start VmHWM afresh from the current resident size (Linux: writing 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


class Clock:
    """Wall-clock and process CPU seconds of the block it times."""

    def __enter__(self) -> "Clock":
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    def result(self, **extra) -> dict:
        return {"seconds": self.wall, "cpu": self.cpu, **extra}


def make_app(database: str, instance: str):
    from app import create_app

    return create_app(
        {
            "INSTANCE_PATH": str(Path(instance).resolve()),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(database).resolve()}",
            "SECRET_KEY": "bench-secret",
            "LOCAL_HTTP": True,
        }
    )


def bench_cycle():
    from app.cycles.service import cycle_by_name

    return cycle_by_name(CYCLE_NAME)


# --- setting up ---------------------------------------------------------------------------------------


def setup_base(database: str, instance: str, workbooks: str) -> dict:
    """A fresh database with the cycle's reviewers, applications, essays and conflicts, and two staff users."""
    from app.cycles.service import create_cycle
    from app.extensions import db
    from app.imports.service import import_file
    from app.people.service import create_user

    app = make_app(database, instance)
    with app.app_context():
        db.create_all()
        create_cycle(CYCLE_NAME, readers=2)
        create_user(COORDINATOR, "Bench Coordinator", "coordinator", PASSWORD)
        db.session.commit()
        for kind in BASE_KINDS:
            path = Path(workbooks) / f"{kind}.xlsx"
            result = import_file(kind, path.read_bytes(), path.name, bench_cycle())
            if not result.ok:
                raise SystemExit(f"{path}: " + "; ".join(result.report()[:5]))
            db.session.commit()
        checkpoint(db)
    return {}


def checkpoint(db) -> None:
    """Close every connection and fold the WAL into the database file, so copying the one file copies everything."""
    database = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


# --- batch steps (ours) ---------------------------------------------------------------------------------


def assign(database: str, instance: str) -> dict:
    from app.assignment.service import auto_assign
    from app.extensions import db

    app = make_app(database, instance)
    with app.app_context():
        cycle = bench_cycle()
        with Clock() as clock:
            plan = auto_assign(cycle)
            db.session.commit()
        loads = sorted(reviewer.after for reviewer in plan.reviewers)
        result = clock.result(
            reads=len(plan.reads),
            shortfalls=len(plan.shortfalls),
            max_load=plan.max_load,
            min_load=loads[0] if loads else 0,
            lower_bound=plan.lower_bound,
            optimal=plan.optimal,
            blind=plan.blind_across_items,
        )
        checkpoint(db)
    return result


def import_scores(database: str, instance: str, workbook: str) -> dict:
    from app.extensions import db
    from app.imports.service import import_file

    app = make_app(database, instance)
    with app.app_context():
        cycle = bench_cycle()
        path = Path(workbook)
        with Clock() as clock:
            result = import_file("scores", path.read_bytes(), path.name, cycle)
            if not result.ok:
                raise SystemExit(f"{path}: " + "; ".join(result.report()[:5]))
            db.session.commit()
        checkpoint(db)
    return clock.result(created=result.created)


def reconcile(database: str, instance: str) -> dict:
    from app.extensions import db
    from app.reconcile.service import reconcile_cycle

    app = make_app(database, instance)
    with app.app_context():
        cycle = bench_cycle()
        with Clock() as clock:
            counts = reconcile_cycle(cycle)
            db.session.commit()
        checkpoint(db)
    return clock.result(states={state: n for state, n in counts.items() if n})


def export(database: str, instance: str, out: str) -> dict:
    from app.exports.service import export_cycle

    app = make_app(database, instance)
    with app.app_context():
        cycle = bench_cycle()
        reset_peak_memory()  # the app's start-up peak would otherwise hide the export's own
        before = memory_kib()
        with Clock() as clock:
            export_cycle(cycle, out)
    after = memory_kib()
    return clock.result(rss_before_kib=before["VmRSS"], peak_kib=after["VmHWM"])


def letters(database: str, instance: str, out: str) -> dict:
    """Every application of the reconciled cycle decided (written directly, untimed: the bench cycle's portfolios
    are not scored, so the committee could not decide them yet), then one letter each, into a folder."""
    import shutil
    from pathlib import Path

    from app.committee.models import Decision, DecisionValue
    from app.cycles.models import Applicant, Application
    from app.extensions import db
    from app.letters.service import write_letters

    app = make_app(database, instance)
    with app.app_context():
        cycle = bench_cycle()
        choices = list(DecisionValue)
        application_ids = db.session.scalars(
            db.select(Application.id).join(Applicant).where(Applicant.cycle_id == cycle.id).order_by(Application.id)
        ).all()
        db.session.execute(
            Decision.__table__.insert(),
            [
                {
                    "application_id": application_id,
                    "decision": choices[n % 3],
                    "rationale": f"Bench rationale {n}.",
                    "version": 1,
                }
                for n, application_id in enumerate(application_ids)
            ],
        )
        db.session.commit()
        folder = Path(out)
        shutil.rmtree(folder, ignore_errors=True)
        with Clock() as clock:
            written = write_letters(cycle, folder)
    return clock.result(letters=written.count)


# --- floors ---------------------------------------------------------------------------------------------


def floor_import(workbook: str) -> dict:
    """Reading every cell of the same workbook with python-calamine and doing nothing with the rows."""
    import python_calamine

    with Clock() as clock:
        with python_calamine.CalamineWorkbook.from_path(workbook) as book:
            cells = sum(len(row) for row in book.get_sheet_by_index(0).iter_rows())
    return clock.result(cells=cells)


def floor_reconcile(database: str) -> dict:
    """One SELECT of the cycle's score rows and one bulk INSERT of one outcome row per item, plain sqlite3.

    The connection is set up as the app sets up its own (WAL, synchronous
    NORMAL, foreign keys, an immediate write transaction).
    """
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    (cycle_id,) = connection.execute("SELECT id FROM cycles WHERE name = ?", (CYCLE_NAME,)).fetchone()
    item_pks = [pk for (pk,) in connection.execute("SELECT id FROM items WHERE cycle_id = ?", (cycle_id,))]
    with Clock() as clock:
        connection.execute("BEGIN IMMEDIATE")
        rows = connection.execute(
            "SELECT s.read_id, s.domain_key, s.score FROM scores s JOIN reads r ON s.read_id = r.id "
            "JOIN assignments a ON r.assignment_id = a.id JOIN items i ON a.item_pk = i.id "
            "WHERE i.cycle_id = ? AND r.status = 'submitted'",
            (cycle_id,),
        ).fetchall()
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
        connection.executemany(
            "INSERT INTO item_outcomes (item_pk, combined, mean, total, result, discrepant_domains, reasons, "
            "computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(pk, '{"thinking": 3.0}', 3.0, 18.0, "pass", "[]", "[]", now) for pk in item_pks],
        )
        connection.execute("COMMIT")
    connection.close()
    return clock.result(score_rows=len(rows), items=len(item_pks))


def floor_export(cells: str, out: str) -> dict:
    """Writing the same cells (read back from our workbook) with bare XlsxWriter in constant_memory mode:
    ``write_row`` per row, no formats, widths, filters, print setup or charts."""
    import pickle

    import xlsxwriter

    sheets = pickle.loads(Path(cells).read_bytes())
    with Clock() as clock:
        book = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        for title, rows in sheets:
            sheet = book.add_worksheet(title)
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)
        book.close()
    return clock.result(cells=sum(len(row) for _, rows in sheets for row in rows))


def read_back_cells(workbook: str, cells: str) -> dict:
    """Every sheet's rows of a workbook as plain values (blank cells as None), pickled for ``floor_export``."""
    import pickle

    import python_calamine

    with python_calamine.CalamineWorkbook.from_path(workbook) as book:
        sheets = [
            (
                name,
                [[None if value == "" else value for value in row] for row in book.get_sheet_by_name(name).iter_rows()],
            )
            for name in book.sheet_names
        ]
    Path(cells).write_bytes(pickle.dumps(sheets, protocol=pickle.HIGHEST_PROTOCOL))
    return {"cells": sum(len(row) for _, rows in sheets for row in rows)}


def requirements() -> dict:
    from bench.requirements import evaluate_all

    return evaluate_all()


def floor_requirements() -> dict:
    from bench.requirements import floor_evaluate_all

    return floor_evaluate_all()


STEPS = {
    "letters": letters,
    "setup_base": setup_base,
    "assign": assign,
    "import_scores": import_scores,
    "reconcile": reconcile,
    "export": export,
    "floor_import": floor_import,
    "floor_reconcile": floor_reconcile,
    "floor_export": floor_export,
    "read_back_cells": read_back_cells,
    "requirements": requirements,
    "floor_requirements": floor_requirements,
}


def main(argv: list[str]) -> None:
    step, arguments = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    if step == "web":
        from bench.web import run_web

        result = run_web(**arguments)
    else:
        result = STEPS[step](**arguments)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
