"""The web export and the letters run as background jobs: started on the console, polled, downloaded."""

import io
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from docx import Document
from sqlalchemy import select

from app.committee import decisions
from app.cycles.models import Applicant, Application, Cycle
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.models import Job, JobKind, JobState
from app.rubrics.registry import get_rubric
from app.timeutil import utcnow
from tests import factories as f
from tests.web.helpers import page_token, signed_in_client
from tests.web.test_console_routes import PASSWORD, SHEETS, spring_cycle

pytestmark = pytest.mark.seeded(seed=spring_cycle)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(seeded):
    return seeded


@pytest.fixture
def coordinator(app, world):
    return signed_in_client(app, world["coordinator"], PASSWORD)


def _page(world) -> str:
    return f"/console/cycles/{world['cycle_id']}/export"


def _start(client, world, kind: str):
    token = page_token(client, _page(world))
    return client.post(f"/console/cycles/{world['cycle_id']}/{kind}", headers={**HTMX, "X-CSRFToken": token})


def _poll(client, world, kind: str, seconds: float = 60) -> str:
    """The job's panel, asked for as the page does, until it no longer polls (done or failed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        panel = client.get(f"/console/cycles/{world['cycle_id']}/{kind}/progress", headers=HTMX)
        assert panel.status_code == 200
        text = panel.get_data(as_text=True)
        if 'hx-trigger="every 1s"' not in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"the {kind} job did not finish in {seconds} s")


def test_the_export_runs_in_the_background_and_its_workbook_is_downloaded(app, world, coordinator):
    started = _start(coordinator, world, "export")
    assert started.status_code == 200
    assert f'hx-get="/console/cycles/{world["cycle_id"]}/export/progress"' in started.get_data(as_text=True)
    panel = _poll(coordinator, world, "export")
    assert "Download endorsement-spring-2025-" in panel and "(asked for by Cora Coordinator)" in panel

    response = coordinator.get(f"/console/cycles/{world['cycle_id']}/export/file")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=endorsement-spring-2025-20")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    try:
        assert workbook.sheetnames == SHEETS
        scores = list(workbook["Scores"].iter_rows(min_row=2, values_only=True))
        assert len(scores) == 6 and {row[1] for row in scores} == {"ann@example.org"}
    finally:
        workbook.close()
    with app.app_context():
        job = db.session.scalar(select(Job))
        # The bar counted the rows of the long tables: 2 applications, 3 items, 6 scores (one read of six
        # domains), 2 assignments, and the two IMHM-C applications' requirement lines.
        rows = 2 + 3 + 6 + 2 + 2 * len(get_rubric("imhm-c-application").requirements)
        assert (job.state, job.done, job.total, job.phase) == (JobState.DONE, rows, rows, "Done")
    # The page itself shows the same finished job.
    assert "Download endorsement-spring-2025-" in coordinator.get(_page(world)).get_data(as_text=True)


def test_a_failing_export_shows_its_error_on_the_page(app, world, coordinator):
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle_id"])
        applicant = db.session.scalar(select(Applicant).filter_by(applicant_id="A-2"))
        f.make_essay(cycle, applicant, item_id="E-9", rubric_key="retired-rubric")
        db.session.commit()
    _start(coordinator, world, "export")
    panel = _poll(coordinator, world, "export")
    assert "The workbook could not be made." in panel
    assert "E-9" in panel and "retired-rubric" in panel
    assert "Download" not in panel and "Make the workbook" in panel  # it can be asked for again
    assert "could not be made" in coordinator.get(_page(world)).get_data(as_text=True)
    missing = coordinator.get(f"/console/cycles/{world['cycle_id']}/export/file")
    assert missing.status_code == 200 and "There is no finished file to download yet" in missing.get_data(as_text=True)


def test_the_letters_are_made_in_the_background_as_one_zip(app, world, coordinator):
    with app.app_context():
        application = db.session.scalar(select(Application).join(Applicant).filter(Applicant.applicant_id == "A-2"))
        decisions.record_decision(
            application, "revise", "Send the missing references.", actor_id=None, expected_version=None
        )
        db.session.commit()
    assert "(1 now)" in coordinator.get(_page(world)).get_data(as_text=True)
    _start(coordinator, world, "letters")
    panel = _poll(coordinator, world, "letters")
    assert "Download endorsement-spring-2025-" in panel and "-letters.zip" in panel
    response = coordinator.get(f"/console/cycles/{world['cycle_id']}/letters/file")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["A-2.docx"]
    texts = [p.text for p in Document(io.BytesIO(archive.read("A-2.docx"))).paragraphs]
    assert "Dear Applicant Two," in texts and "Send the missing references." in texts


def test_asking_again_while_a_job_waits_or_runs_gives_the_same_job_and_a_lost_one_is_replaced(app, world):
    with app.app_context():
        cycle = db.session.get(Cycle, world["cycle_id"])
        first = jobs.request_job(cycle, JobKind.EXPORT, actor_id=None)
        db.session.commit()
        assert jobs.request_job(cycle, JobKind.EXPORT, actor_id=None).id == first.id
        # Its worker stopped reporting long ago (a restart): the page says so, and a new job replaces it.
        first.state, first.heartbeat_at = JobState.RUNNING, utcnow() - timedelta(minutes=10)
        db.session.commit()
        shown = jobs.latest_job(cycle, JobKind.EXPORT)
        assert shown.state == JobState.FAILED and "server stopped" in shown.error
        second = jobs.request_job(cycle, JobKind.EXPORT, actor_id=None)
        db.session.commit()
        assert second.id != first.id and db.session.get(Job, first.id).state == JobState.FAILED
        # The queue is in the table: whoever runs it next (here, this thread) runs the waiting job.
        assert jobs.run_queued() == 1
        assert db.session.get(Job, second.id).state == JobState.DONE


def test_without_htmx_the_buttons_and_the_progress_fall_back_to_the_page(app, world, coordinator):
    token = page_token(coordinator, _page(world))
    started = coordinator.post(f"/console/cycles/{world['cycle_id']}/export", data={"csrf_token": token})
    assert started.status_code == 303 and started.headers["Location"].endswith(_page(world))
    progress = coordinator.get(f"/console/cycles/{world['cycle_id']}/export/progress")
    assert progress.status_code == 200 and '<h2 id="export-title"' in progress.get_data(as_text=True)
    _poll(coordinator, world, "export")  # let the worker finish before the app goes away


def test_the_export_page_names_every_sheet_the_workbook_has(world, coordinator):
    page = coordinator.get(_page(world)).get_data(as_text=True)
    listed = page[page.index("Every sheet of the cycle:") :]
    listed = listed[: listed.index("</p>")].lower()
    for sheet in SHEETS:  # the workbook's sheets, written out by hand in tests/factories.py
        assert sheet.lower() in listed, sheet
