"""Reviewers confirm the product's requirement results, or override them with a reason that reaches the
committee; a paper session's imported read confirms every result."""

from datetime import date

import pytest

from app.cycles.models import Item
from app.extensions import db
from app.people.models import Role
from app.reconcile.service import reconcile_cycle
from app.scoring import service
from app.scoring.models import RequirementCheck
from tests import factories as f
from tests.rubric_text import levels, rubric_toml
from tests.unit.imported_cycle import app_with_only, imported

RUBRIC = rubric_toml(
    "check-application",
    "application",
    ["IMHS"],
    {"reflection": "Reflection", "thinking": "Thinking"},
    levels("none", "some", "clear", "deep"),
    pass_rule={"domain_min": 2, "mean_min": 2.5},
    requirements=[
        {"key": "education", "label": "Graduate degree"},
        {"key": "training", "label": "Training hours", "figure": "training_hours", "min_hours": 30},
        {"key": "rsc", "label": "RS/C hours", "figure": "rsc_hours", "min_hours": 50, "exclude_peer": True},
        {"key": "ethics", "label": "Code of Ethics signed", "figure": "ethics_signed", "must_be_yes": True},
    ],
)


@pytest.fixture
def app(tmp_path):
    yield from app_with_only(tmp_path, {"check-application": RUBRIC})


@pytest.fixture
def world(ctx):
    """An IMHS application: training 32 h (met), RS/C 46 h + 4 h from a peer (not met), ethics not given."""
    cycle = f.make_cycle("Spring", readers=2, due=date(2027, 4, 30))
    imported("applications", [["applicant_id", "name", "category", "training_hours"], ["S1", "Sia", "IMHS", 32]], cycle)
    imported(
        "rsc",
        [["applicant_id", "hours", "provider", "peer"], ["S1", 46, "Mia", "no"], ["S1", 4, "Co Worker", "yes"]],
        cycle,
    )
    item = db.session.scalar(db.select(Item).filter_by(item_id="APP-S1"))
    reviewers = [f.make_user(Role.REVIEWER, email=f"r{n}@example.org") for n in (1, 2)]
    assignments = [f.assign(item, reviewer) for reviewer in reviewers]
    db.session.commit()
    return cycle, item, assignments


def marks(read):
    return {
        row.requirement_key: (row.status.value if row.status else None, row.computed, row.override_reason)
        for row in db.session.scalars(db.select(RequirementCheck).filter_by(read_id=read.id))
    }


def score(read):
    service.save_domain(read, "reflection", 3, None, f.window(1))
    service.save_domain(read, "thinking", 3, None, f.window(2))
    db.session.commit()  # as each autosave does: a refused submit rolls back only itself


def test_a_new_read_starts_from_the_lines_the_product_decided(world):
    _, _, (assignment, _) = world
    read = service.open_read(assignment)
    # Training met (32 of 30), RS/C not met (46: the peer's 4 h do not count); the degree is the reviewer's to
    # judge and the ethics figure is missing, so neither is marked yet.
    assert marks(read) == {"training": ("met", "met", None), "rsc": ("not_met", "not_met", None)}


def test_submit_confirms_the_decided_lines_and_asks_for_the_others(world):
    _, _, (assignment, _) = world
    read = service.open_read(assignment)
    score(read)
    with pytest.raises(service.IncompleteRead) as refused:
        service.submit(read)
    assert "still open: Graduate degree, Code of Ethics signed" in str(refused.value)
    db.session.rollback()
    read = service.open_read(assignment)
    service.save_requirement(read, "education", "met", None, f.window(3))
    service.save_requirement(read, "ethics", "more_info", "form not in the portfolio", f.window(4))
    service.submit(read)
    assert marks(read) == {
        "education": ("met", "manual", None),
        "training": ("met", "met", None),
        "rsc": ("not_met", "not_met", None),
        "ethics": ("more_info", "unknown", None),
    }


def test_an_override_needs_a_reason_and_is_kept_with_the_check_it_overrides(world):
    _, _, (assignment, _) = world
    read = service.open_read(assignment)
    score(read)
    service.save_requirement(read, "education", "met", None, f.window(3))
    service.save_requirement(read, "ethics", "met", None, f.window(4))
    service.save_requirement(read, "rsc", "met", None, f.window(5))
    db.session.commit()
    with pytest.raises(service.IncompleteRead) as refused:
        service.submit(read)
    assert "Say why your mark differs from the product's check on: RS/C hours." in str(refused.value)
    db.session.rollback()
    read = service.open_read(assignment)
    service.save_requirement(read, "rsc", "met", None, f.window(6), reason="The log omits 6 h signed off in the PDF.")
    service.submit(read)
    assert marks(read)["rsc"] == ("met", "not_met", "The log omits 6 h signed off in the PDF.")


def test_a_line_left_as_checked_follows_the_check_when_the_records_change(world):
    cycle, _, (assignment, _) = world
    read = service.open_read(assignment)
    assert marks(read)["rsc"] == ("not_met", "not_met", None)
    imported("rsc", [["applicant_id", "hours", "provider", "peer"], ["S1", 52, "Mia", "no"]], cycle)
    score(read)
    service.save_requirement(read, "education", "met", None, f.window(3))
    service.save_requirement(read, "ethics", "met", None, f.window(4))
    service.submit(read)
    assert marks(read)["rsc"] == ("met", "met", None)


def both_reviewers_submit(world, rsc_override: str | None):
    """Both reads mark the degree and ethics met; the RS/C line as checked, or met with ``rsc_override``."""
    cycle, item, assignments = world
    for assignment in assignments:
        read = service.open_read(assignment)
        score(read)
        service.save_requirement(read, "education", "met", None, f.window(3))
        service.save_requirement(read, "ethics", "met", None, f.window(4))
        if rsc_override:
            service.save_requirement(read, "rsc", "met", None, f.window(5), reason=rsc_override)
        service.submit(read)
    db.session.commit()
    reconcile_cycle(cycle)
    db.session.commit()
    db.session.refresh(item)
    return item.state.value


def test_agreeing_confirmations_settle_the_item(world):
    assert both_reviewers_submit(world, None) == "agreed"


def test_agreeing_overrides_still_reach_the_committee(world):
    assert both_reviewers_submit(world, "Six more hours are in the signed log.") == "committee"


def test_a_read_imported_from_a_paper_session_confirms_every_computed_result(world):
    cycle, item, _ = world
    rows = [
        ["item_id", "reviewer_email", "domain", "score"],
        ["APP-S1", "r1@example.org", "reflection", 3],
        ["APP-S1", "r1@example.org", "thinking", 4],
    ]
    imported("scores", rows, cycle)
    db.session.commit()
    read = db.session.scalar(
        db.select(service.Read).join(service.Assignment).where(service.Assignment.item_pk == item.id)
    )
    # Manual lines judged met, decided lines as checked, a line without data asks for more information.
    assert marks(read) == {
        "education": ("met", "manual", None),
        "training": ("met", "met", None),
        "rsc": ("not_met", "not_met", None),
        "ethics": ("more_info", "unknown", None),
    }


def test_the_page_shows_a_line_left_as_checked_as_submitting_will_record_it(app, world):
    """The records change under a draft: the page's marks (the line's radios, the summary before submitting) are
    the ones submit records, not the mark stored against the old check."""
    import re

    from tests.web.helpers import signed_in_client

    cycle, item, _ = world
    password = "a long enough test password"
    reader = f.make_user(Role.REVIEWER, email="r3@example.org", password=password)
    f.add_member(cycle, reader)
    assignment = f.assign(item, reader)
    read = service.open_read(assignment)
    db.session.commit()
    assert marks(read)["rsc"] == ("not_met", "not_met", None)
    imported("rsc", [["applicant_id", "hours", "provider", "peer"], ["S1", 52, "Mia", "no"]], cycle)  # met now
    page = signed_in_client(app, "r3@example.org", password).get(f"/reviews/{assignment.id}").get_data(as_text=True)
    (checked,) = re.findall(r'<input[^>]*id="check-rsc-(\w+)"[^>]*\bchecked\b', page)
    assert checked == "met"
    summary = page.split('id="review-heading"')[1]
    assert re.search(r'RS/C hours</a></th>\s*<td data-value data-label="Yours">Met</td>', summary)
