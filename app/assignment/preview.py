"""The coordinator's two-step auto-assignment: a preview (nothing written) and a confirmation that writes
exactly the plan previewed, or nothing."""

import hashlib
import json
from dataclasses import replace

from app.assignment.service import Plan, auto_assign, plan_assignment
from app.cycles.models import Cycle
from app.extensions import db


class StalePlan(Exception):
    """The data changed between the preview and the confirmation; ``plan`` is the plan for the data as it is now."""

    def __init__(self, plan: Plan):
        super().__init__(
            "The assignment data changed since the preview, so nothing was assigned. "
            "Check the new preview below and confirm again."
        )
        self.plan = plan


def plan_fingerprint(plan: Plan) -> str:
    """A digest of everything the preview shows: the reads, shortfalls with reasons, each reviewer's load
    before and after, the blindness setting, the bound on the maximum load and the validity reads seeded. Any
    change to the data that would change what the coordinator saw changes it."""
    payload = {
        "cycle": plan.cycle_id,
        "readers": plan.readers,
        "considered": plan.items_considered,
        "reads": sorted([read.item_pk, read.reviewer_id] for read in plan.reads),
        "shortfalls": sorted([s.item_key, s.wanted, s.planned, s.reason] for s in plan.shortfalls),
        "loads": sorted([r.reviewer_id, r.max_load, r.before, r.after] for r in plan.reviewers),
        "completed": sorted(plan.items_completed),
        "blind": plan.blind_across_items,
        "bound": [plan.lower_bound, plan.optimal, plan.placeable_bound],
        "validity": sorted([read.item_pk, read.reviewer_id] for read in plan.validity_reads),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def preview_assignment(cycle: Cycle, readers: int) -> tuple[Plan, str]:
    """The auto-assignment plan (nothing written) and its fingerprint."""
    plan = plan_assignment(cycle, readers)
    return plan, plan_fingerprint(plan)


def confirm_assignment(cycle: Cycle, readers: int, fingerprint: str, *, actor_id: int) -> Plan:
    """Write the auto-assignment plan, but only if it is exactly the one previewed.

    The plan is written inside a savepoint and checked against the preview's
    fingerprint; on any difference the savepoint is rolled back (what the
    caller did before is kept) and StalePlan carries the plan for the data as
    it is now.
    """
    savepoint = db.session.begin_nested()
    written = auto_assign(cycle, readers, actor_id=actor_id)
    if plan_fingerprint(written) != fingerprint:
        savepoint.rollback()
        raise StalePlan(replace(written, written=False))
    savepoint.commit()
    return written
