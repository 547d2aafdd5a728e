"""Fixtures for tests against a real gunicorn server and a migrated SQLite file."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.cycles.models import MemberRole
from app.extensions import db
from app.people.models import Role
from app.people.passwords import hash_password
from tests import factories as f
from tests.conftest import CHEAP_PASSWORD_HASHING
from tests.system.live import Seat

PASSWORD = "system-test-password-1"


@dataclass(frozen=True)
class Deployment:
    instance: Path
    database_url: str
    database_path: Path
    reviewers: tuple[Seat, ...]
    committee: tuple[str, ...]  # e-mails of the cycle's committee members
    item_pks: tuple[int, ...]


def migrated_app(instance: Path, database_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "system-test-secret",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(database_path),
            **CHEAP_PASSWORD_HASHING,
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def deployment(tmp_path) -> Deployment:
    """A migrated SQLite database with 20 reviewers, each assigned one Clinical essay."""
    instance, database_path = tmp_path / "instance", tmp_path / "live.sqlite3"
    app = migrated_app(instance, database_path)
    # The server reads instance/config.py: its workers sign the reviewers in at the suite's cheap cost too.
    (instance / "config.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in CHEAP_PASSWORD_HASHING.items())
    )
    seats, item_pks = [], []
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        cycle = f.make_cycle("Load test")
        for n in range(20):
            reviewer = f.make_user(Role.REVIEWER, email=f"rev{n}@load.test", designations="C")
            reviewer.password_hash = password_hash
            f.add_member(cycle, reviewer)
            applicant = f.make_applicant(cycle, applicant_id=f"L{n}")
            item = f.make_essay(cycle, applicant, item_id=f"E-{n:03}")
            seats.append(Seat(reviewer.email, f.assign(item, reviewer).id))
            item_pks.append(item.id)
        committee = []
        for n in range(2):
            member = f.make_user(Role.COMMITTEE, email=f"committee{n}@load.test")
            member.password_hash = password_hash
            f.add_member(cycle, member, MemberRole.COMMITTEE)
            committee.append(member.email)
        db.session.commit()
        db.engine.dispose()
    return Deployment(
        instance, "sqlite:///" + str(database_path), database_path, tuple(seats), tuple(committee), tuple(item_pks)
    )
