"""The board's "Differs on" column names what a flagged item's reads split on, also when no domain is beyond
tolerance (a pass/fail split), so a disagreement never reads "–"."""

import pytest

from app.cycles.models import Item, ItemState, MemberRole
from app.extensions import db
from app.people.models import Role
from app.reconcile.engine import PASS_FAIL_REASON, REQUIREMENT_REASON, disagrees_on, needs_information
from app.reconcile.service import reevaluate_item
from app.rubrics.registry import get_rubric
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


def test_lines_the_reads_agree_need_more_information_are_no_split_in_requirement_marks():
    # Two paper reads that both left "RS/C hours" at more information: they agree, and the item is with the
    # committee for the missing figure, not because the reviewers marked the line differently.
    agreed_gap = ["requirement rsc_hours: more information needed", "requirement leadership: more information needed"]
    assert disagrees_on(agreed_gap) == (False, False)
    assert needs_information(agreed_gap)
    # After a third read the marks of a line may still split: that is a disagreement.
    assert disagrees_on(["requirement rsc_hours: no majority among the marks"]) == (False, True)
    assert not needs_information(["requirement rsc_hours: reviewers' marks differ", PASS_FAIL_REASON])


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


@pytest.fixture
def unmarked_portfolio(app):
    """A Specialist portfolio whose two reads give every domain a 3 and mark no requirement line (as a paper
    session's import may leave them), with the committee; its cycle and item pks."""
    with app.app_context():
        cycle = f.make_cycle("Spring portfolios")
        member = f.make_user(Role.COMMITTEE, email="cam@example.org", name="Cam", password=PASSWORD)
        f.add_member(cycle, member, MemberRole.COMMITTEE)
        item = f.make_application_item(
            cycle, f.make_applicant(cycle, applicant_id="P-5"), rubric_key="imhs-application"
        )
        for n in (1, 2):
            reviewer = f.make_user(Role.REVIEWER, email=f"r{n}@example.org")
            f.submitted_read(
                f.assign(item, reviewer), dict.fromkeys(get_rubric("imhs-application").domain_keys, 3), number=n
            )
        reevaluate_item(item, actor_id=None)
        db.session.commit()
        assert item.state == ItemState.COMMITTEE
        return cycle.id, item.id


def test_the_item_page_words_reconciliation_s_reasons_with_the_rubric_s_labels(app, unmarked_portfolio):
    _, item_pk = unmarked_portfolio
    client = signed_in_client(app, "cam@example.org", PASSWORD)
    page = client.get(f"/committee/items/{item_pk}").get_data(as_text=True)
    noted = page[page.index("Reconciliation noted:") :]
    noted = noted[: noted.index("</p>")]
    assert "requirement “Code of Ethics signed”: more information needed" in noted
    assert "requirement “Member of the association”: more information needed" in noted
    assert "code_of_ethics" not in noted and "membership" not in noted


def test_a_portfolio_with_agreeing_reads_and_unmarked_requirement_lines_says_information_is_missing(
    app, unmarked_portfolio
):
    """The reads agree and the lines need more information: the board says that rather than "requirement
    marks"."""
    cycle_id, _ = unmarked_portfolio
    client = signed_in_client(app, "cam@example.org", PASSWORD)
    page = client.get(f"/committee/cycles/{cycle_id}/").get_data(as_text=True)
    row = page[page.index(">APP-P-5<") :]
    row = row[: row.index("</tr>")]
    assert "requirements: more information needed" in row
    assert "requirement marks" not in row
