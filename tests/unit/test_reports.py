"""Shared report figures: the committee's and the dashboard's pictures tell the same agreement as the workbook."""

import io
import random

import openpyxl
import pytest

from app.exports.service import export_cycle_bytes
from app.extensions import db
from app.people.models import Role
from app.reports import cycle_figures, reviewer_reads
from app.rubrics.registry import get_rubric
from tests import factories as f
from tests.factories import ESSAY_DOMAINS


def _hand_agreement(reads_per_item: list[list[dict[str, int]]], domain: str) -> tuple[float, float] | None:
    """Exact and adjacent agreement of reads 1 and 2 (the first two submitted, scored or not) where both scored."""
    pairs = [
        (reads[0][domain], reads[1][domain])
        for reads in reads_per_item
        if len(reads) >= 2 and domain in reads[0] and domain in reads[1]
    ]
    if not pairs:
        return None
    return (sum(a == b for a, b in pairs) / len(pairs), sum(abs(a - b) <= 1 for a, b in pairs) / len(pairs))


def test_the_pictures_agreement_equals_the_workbooks_agreement_sheet(app):
    rng = random.Random(20250601)
    with app.app_context():
        cycle = f.make_cycle("Agreement")
        reviewers = [f.make_user(Role.REVIEWER) for _ in range(4)]
        applicant = f.make_applicant(cycle)
        # The first item's first read has no score at all: it is still read 1, so that item gives no pair.
        reads_per_item = [[{}, {key: 3 for key in ESSAY_DOMAINS}, {key: 4 for key in ESSAY_DOMAINS}]]
        for _ in range(23):
            reads_per_item.append(
                [
                    {key: rng.randint(1, 4) for key in ESSAY_DOMAINS if rng.random() > 0.15}
                    for _ in range(rng.choice((1, 2, 2, 3)))
                ]
            )
        for item_reads in reads_per_item:
            item = f.make_essay(cycle, applicant)
            for number, (reviewer, scores) in enumerate(
                zip(rng.sample(reviewers, len(item_reads)), item_reads, strict=True), start=1
            ):
                f.submitted_read(f.assign(item, reviewer), scores, number=number)
        db.session.commit()
        pictures = {(rubric.key, domain.key): domain for rubric in cycle_figures(cycle) for domain in rubric.domains}
        workbook = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)))
        rubric = get_rubric("imhm-c-essay")
        keys = {(rubric.title, domain.name): (rubric.key, domain.key) for domain in rubric.domains}

    # The sheet names rubrics and domains in words.
    sheet = {keys[(row[0], row[1])]: row for row in workbook["Agreement"].iter_rows(min_row=2, values_only=True)}
    assert set(sheet) == set(pictures) == {("imhm-c-essay", key) for key in ESSAY_DOMAINS}
    for (rubric_key, domain), row in sheet.items():
        figures = pictures[(rubric_key, domain)]
        hand = _hand_agreement(reads_per_item, domain)
        assert hand is not None  # every domain has pairs: the figures compared are numbers, not None
        assert (row[3], row[4]) == pytest.approx(hand), domain
        assert (figures.exact, figures.adjacent) == pytest.approx(hand), domain


def test_reviewer_reads_count_assigned_and_submitted_and_keep_pool_members_without_reads(app):
    with app.app_context():
        cycle = f.make_cycle()
        amy, bob, cat = (f.make_user(Role.REVIEWER, email=f"{name}@x.org") for name in ("amy", "bob", "cat"))
        f.add_member(cycle, cat)  # in the pool, nothing assigned
        applicant = f.make_applicant(cycle)
        for _ in range(3):
            item = f.make_essay(cycle, applicant)
            f.submitted_read(f.assign(item, bob), {"reflection": 3})
            f.assign(item, amy)
        other = f.make_cycle()
        f.assign(f.make_essay(other, f.make_applicant(other)), cat)  # another cycle's item
        db.session.commit()
        rows = [(r.email, r.assigned, r.submitted, r.pending) for r in reviewer_reads(cycle)]
    assert rows == [("amy@x.org", 3, 0, 3), ("bob@x.org", 3, 3, 0), ("cat@x.org", 0, 0, 0)]
