"""Telling the coordinators that a reviewer missed the qualification set (docs/calibration.md, "Qualification").

``set_read_submitted`` runs in the transaction that submits a read of a reviewer's qualification set (and
``set_reads_imported`` in a ``scores`` import's, for every reviewer whose validity reads it submitted). When
that read completes the set below the threshold, it sends the ``qualification_missed`` signal; the mail
outbox connects the receiver that queues the coordinators' e-mail, so the message exists exactly when the
submit does, and scoring does not depend on mail.
"""

from collections.abc import Collection, Mapping

from blinker import Namespace
from flask import current_app

from app.calibration import service
from app.calibration.qualification import Standing
from app.calibration.service import ReviewerStanding
from app.cycles.models import Cycle

_signals = Namespace()
# Receivers get the app as sender and keyword arguments cycle and standing (a ReviewerStanding).
qualification_missed = _signals.signal("qualification-missed")


def set_reads_imported(cycle: Cycle, submitted: Mapping[int, Collection[int]]) -> None:
    """After a ``scores`` import submitted validity reads (reviewer → those assignment ids): each reviewer whose
    set it completed below the threshold is told of, as on the scoring page; three queries in all."""
    for reviewer_id, standing in service.standings(cycle, list(submitted)).items():
        if standing.qualification.standing == Standing.MISSED and standing.set_assignments & set(
            submitted[reviewer_id]
        ):
            _tell(cycle, standing)


def set_read_submitted(cycle: Cycle, reviewer_id: int, assignment_id: int) -> None:
    """After a validity read is submitted in a cycle with a qualification set: if it was the last read of the
    reviewer's set and the set is missed, tell whoever listens."""
    standing = service.standing_of(cycle, reviewer_id)
    if standing is None or assignment_id not in standing.set_assignments:
        return
    if standing.qualification.standing == Standing.MISSED:
        _tell(cycle, standing)


def _tell(cycle: Cycle, standing: ReviewerStanding) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    qualification_missed.send(app, cycle=cycle, standing=standing)
