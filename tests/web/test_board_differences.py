"""The board's "Differs on" column names what a flagged item's reads split on, also when no domain is beyond
tolerance (a pass/fail split), so a disagreement never reads "–"."""

import pytest

from app.cycles.models import Item, ItemState, MemberRole
from app.extensions import db
from app.people.models import Role
from app.reconcile.engine import PASS_FAIL_REASON, REQUIREMENT_REASON, disagrees_on
from app.reconcile.service import reevaluate_item
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import signed_in_client

PASSWORD = "board differences passphrase"


def test_the_engine_s_own_reasons_say_what_the_reads_split_on():
    assert disagrees_on([PASS_FAIL_REASON]) == (True, False)
    assert disagrees_on(["reflection: scores differ by more than 1", REQUIREMENT_REASON.format(key="rsc")]) == (
        False,
        True,
    )
    assert disagrees_on([]) == (False, False)


@pytest.fixture
def split_item(app):
    """Two reads of one essay, every domain one point apart (within the tolerance of 1): all 3s pass (mean 3),
    all 2s fail (mean 2 < 2.5), so only pass/fail differs."""
    with app.app_context():
        cycle = f.make_cycle("Winter exams")
        member = f.make_user(Role.COMMITTEE, email="cam@example.org", name="Cam", password=PASSWORD)
        f.add_member(cycle, member, MemberRole.COMMITTEE)
        item = f.make_essay(cycle, f.make_applicant(cycle), item_id="E-77")
        for n, level in ((1, 3), (2, 2)):
            reviewer = f.make_user(Role.REVIEWER, email=f"r{n}@example.org")
            f.submitted_read(f.assign(item, reviewer), dict.fromkeys(ESSAY_DOMAINS, level), number=n)
        reevaluate_item(item, actor_id=None)
        db.session.commit()
        return cycle.id, item.id


def test_a_pass_fail_split_within_tolerance_reads_pass_fail_only(app, split_item):
    cycle_id, item_pk = split_item
    with app.app_context():
        assert db.session.get(Item, item_pk).state == ItemState.DISCREPANT
    client = signed_in_client(app, "cam@example.org", PASSWORD)
    answer = client.get(f"/committee/cycles/{cycle_id}/")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page[:3000]
    row = page[page.index(">E-77<") :]
    row = row[: row.index("</tr>")]
    assert "pass/fail only" in row
