"""Running the web export and the letters in the background, so no request waits on them (docs/operations.md,
"Long operations").

A page asks for a job (``request_job``): a ``jobs`` row, queued, and a nudge
to this process's worker thread, which claims every queued job of any
worker, oldest first (``run_queued``: one UPDATE claims a job, so two
workers never run the same one). The job reports its progress into its row
on a connection of its own, at most a few times a second; the page polls the
row. A job whose heartbeat stopped (its worker was restarted or killed) shows
as failed, and a new one can be asked for.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, update

from app.cycles.models import Cycle
from app.database import reading_only
from app.errors import InputError
from app.exports.service import ExportError, export_cycle_bytes, export_filename
from app.extensions import db
from app.jobs.models import Job, JobKind, JobState
from app.letters.service import letters_zip_bytes
from app.progress import Progress
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# A running job reports at least this often while it works; longer silence means its worker is gone.
HEARTBEAT_LIMIT = timedelta(minutes=5)
# Progress is written at most this often (seconds): enough for a bar, cheap for the database.
REPORT_EVERY = 0.5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class JobWork:
    """What a kind of job makes: a label for the page, and the file from a cycle."""

    label: str
    make: Callable[[Cycle, Progress], tuple[bytes, str, str]]  # → (data, file name, mimetype)


def _export(cycle: Cycle, progress: Progress) -> tuple[bytes, str, str]:
    return export_cycle_bytes(cycle, progress=progress), export_filename(cycle.name, utcnow()), XLSX


def _letters(cycle: Cycle, progress: Progress) -> tuple[bytes, str, str]:
    name = export_filename(cycle.name, utcnow()).removesuffix(".xlsx") + "-letters.zip"
    return letters_zip_bytes(cycle, progress=progress), name, "application/zip"


WORK = {JobKind.EXPORT: JobWork("The workbook", _export), JobKind.LETTERS: JobWork("Decision letters", _letters)}


# --- what a page shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as the page shows it; ``state`` is ``failed`` for a running job whose worker went away."""

    id: int
    kind: JobKind
    state: JobState
    phase: str | None
    done: int
    total: int | None
    error: str | None
    filename: str | None
    created_at: datetime
    finished_at: datetime | None
    requested_by: str | None

    @property
    def active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, 100 * self.done // self.total)


def latest_job(cycle: Cycle, kind: JobKind, *, now: datetime | None = None) -> JobView | None:
    """The cycle's newest job of this kind, as the page shows it; reads only (a GET may call it)."""
    job = db.session.scalar(
        db.select(Job).where(Job.cycle_id == cycle.id, Job.kind == kind).order_by(Job.id.desc()).limit(1)
    )
    return None if job is None else _view(job, now or utcnow())


def _view(job: Job, now: datetime) -> JobView:
    state, error = job.state, job.error
    if state == JobState.RUNNING and _lost(job, now):
        state, error = JobState.FAILED, "The server stopped while this ran. Start it again."
    return JobView(
        job.id,
        job.kind,
        state,
        job.phase,
        job.done,
        job.total,
        error,
        job.filename,
        job.created_at,
        job.finished_at,
        job.requested_by.name if job.requested_by else None,
    )


def _lost(job: Job, now: datetime) -> bool:
    last = job.heartbeat_at or job.started_at or job.created_at
    return now - last > HEARTBEAT_LIMIT


def latest_file(cycle: Cycle, kind: JobKind) -> tuple[bytes, str, str] | None:
    """The newest finished job's file of this kind: (data, file name, mimetype); None when there is none."""
    job = db.session.scalar(
        db.select(Job)
        .where(Job.cycle_id == cycle.id, Job.kind == kind, Job.state == JobState.DONE, Job.result.is_not(None))
        .options(db.undefer(Job.result))
        .order_by(Job.id.desc())
        .limit(1)
    )
    if job is None or job.result is None or job.filename is None or job.mimetype is None:
        return None
    return job.result, job.filename, job.mimetype


# --- asking for a job ------------------------------------------------------------------------------


def request_job(cycle: Cycle, kind: JobKind, *, actor_id: int | None) -> Job:
    """Queue a job of ``kind`` for the cycle, unless one is queued or running already (then that one); the caller
    commits, then calls ``start_worker``."""
    if kind not in WORK:
        raise InputError.of("kind", f"no background job called {kind!r}")
    now = utcnow()
    for job in db.session.scalars(
        db.select(Job).where(
            Job.cycle_id == cycle.id, Job.kind == kind, Job.state.in_((JobState.QUEUED, JobState.RUNNING))
        )
    ):
        if job.state == JobState.QUEUED or not _lost(job, now):
            return job
        job.state, job.finished_at, job.error = JobState.FAILED, now, "The server stopped while this ran."
    job = Job(kind=kind, cycle_id=cycle.id, requested_by_id=actor_id, phase="Waiting to start", created_at=now)
    db.session.add(job)
    db.session.flush()
    return job


# --- the worker thread -----------------------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = Lock()


def start_worker() -> None:
    """Have this process's worker thread run whatever is queued (one thread: jobs run one after another); called
    in the app's context, after the job's row is committed."""
    global _executor
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app itself, for the thread
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="endorsement-jobs")
    _executor.submit(_run_in_app, app)


def _run_in_app(app: Flask) -> None:
    with app.app_context():
        try:
            run_queued()
        finally:
            db.session.remove()


def run_queued() -> int:
    """Claim and run queued jobs, oldest first, until none is left; how many ran here."""
    ran = 0
    while (job_id := _claim_next()) is not None:
        run_job(job_id)
        ran += 1
    return ran


def _claim_next() -> int | None:
    queued = db.session.scalars(db.select(Job.id).where(Job.state == JobState.QUEUED).order_by(Job.id)).all()
    for job_id in queued:
        now = utcnow()
        claimed = cast(
            CursorResult,
            db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.QUEUED)
                .values(state=JobState.RUNNING, started_at=now, heartbeat_at=now, phase="Starting")
            ),
        )
        db.session.commit()
        if claimed.rowcount == 1:
            return job_id
    db.session.rollback()
    return None


def run_job(job_id: int) -> None:
    """Make the job's file and keep it in its row; a failure is kept as its message for the page."""
    progress = JobProgress(job_id)
    try:
        with reading_only():  # the work only reads: it must not hold SQLite's write lock for its whole run
            job = db.session.get(Job, job_id)
            if job is None:
                return
            kind, cycle_id = job.kind, job.cycle_id
            data, filename, mimetype = WORK[kind].make(job.cycle, progress)
        db.session.rollback()
    except (InputError, ExportError) as exc:  # what a coordinator can fix: an unknown rubric, a bad template
        db.session.rollback()
        _finish(job_id, state=JobState.FAILED, error=_sentence(str(exc)))
        return
    except Exception:
        db.session.rollback()
        log.exception("background job %s failed", job_id)
        _finish(
            job_id,
            state=JobState.FAILED,
            error="It failed because of an error in the application; the error is in the server's log.",
        )
        return
    _finish(
        job_id,
        state=JobState.DONE,
        result=data,
        filename=filename,
        mimetype=mimetype,
        phase="Done",
        done=progress.done,
        total=progress.total,
    )
    # Only the newest file of a kind is offered: older ones are let go.
    db.session.execute(
        update(Job)
        .where(Job.cycle_id == cycle_id, Job.kind == kind, Job.id < job_id, Job.result.is_not(None))
        .values(result=None)
    )
    db.session.commit()


def _finish(job_id: int, **values) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(finished_at=utcnow(), **values))
    db.session.commit()


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class JobProgress(Progress):
    """Progress into the job's row, on a connection of its own (the job's own transaction only reads, and its
    reports must be seen while it runs), at most every ``REPORT_EVERY`` seconds and at each new phase."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.phase = ""
        self.done = 0
        self.total: int | None = None
        self._reported = 0.0

    def start(self, label: str, total: int | None = None) -> None:
        self.phase, self.done, self.total = label, 0, total
        self._report()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if time.monotonic() - self._reported >= REPORT_EVERY:
            self._report()

    def _report(self) -> None:
        self._reported = time.monotonic()
        with reading_only(False), db.engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(phase=self.phase[:200], done=self.done, total=self.total, heartbeat_at=utcnow())
            )
