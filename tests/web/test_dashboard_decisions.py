"""The coordinator's dashboard counts the applications decided and those ready to decide."""

import re

import pytest

from app.committee.decisions import record_decision
from app.cycles.models import Application
from app.extensions import db
from tests import committee_world
from tests.committee_world import PASSWORD
from tests.web.helpers import signed_in_client

pytestmark = pytest.mark.seeded(seed=committee_world.build_with_passwords)


def stat(page: str, stat_id: str) -> tuple[str, str]:
    found = re.search(rf'id="{stat_id}"><span class="stat__value">(\d+)</span><span class="stat__label">([^<]+)<', page)
    assert found, stat_id
    return found.group(1), found.group(2)


def test_ready_to_decide_then_decided(app, seeded):
    # Ada's essay E-1 is still with the committee, so nothing is suggested for her yet; Bo's Part 1 (70) is
    # under the pass mark of 80, which decides his suggestion: one application ready, none decided.
    client = signed_in_client(app, seeded["emails"]["cora"], PASSWORD)
    page = client.get(f"/console/cycles/{seeded['cycle']}").get_data(as_text=True)
    assert stat(page, "stat-ready") == ("1", "applications ready to decide")
    assert stat(page, "stat-decided") == ("0", "of 2 applications decided")

    with app.app_context():
        record_decision(
            db.session.get(Application, seeded["bo"]),
            "not_endorsed",
            "Part 1 below the pass mark.",
            actor_id=seeded["ids"]["maya"],
            expected_version=None,
        )
        db.session.commit()
    page = client.get(f"/console/cycles/{seeded['cycle']}").get_data(as_text=True)
    assert stat(page, "stat-ready") == ("0", "applications ready to decide")
    assert stat(page, "stat-decided") == ("1", "of 2 applications decided")
