"""Portfolio records of an application (training, RS/C received, references, work periods) and the
committee's final result per requirement line.

Imported with the ``training``, ``rsc``, ``references`` and ``work`` kinds
(docs/requirements.md); the requirement rules read them as the plain
records of ``app.requirements.records``.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import textlimits as limits
from app.extensions import db, enum_column
from app.requirements.records import RscFormat, TrainingTopic, WorkKind
from app.scoring.models import CheckStatus
from app.timeutil import utcnow


def _application_fk(index: bool = True) -> Mapped[int]:
    return mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=index)


def _ends_after_start() -> CheckConstraint:
    return CheckConstraint("ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on", name="ends_after_start")


class TrainingRecord(db.Model):
    """One specialized in-service training the applicant completed."""

    __tablename__ = "training_records"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        *limits.length_checks(title=limits.TITLE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = _application_fk()
    hours: Mapped[float] = mapped_column(Float)
    topic: Mapped[TrainingTopic] = mapped_column(enum_column(TrainingTopic), default=TrainingTopic.GENERAL)
    title: Mapped[str | None] = mapped_column(String(limits.TITLE))
    completed_on: Mapped[date | None]


class RscRecord(db.Model):
    """Reflective supervision/consultation the applicant received from one provider over a period."""

    __tablename__ = "rsc_records"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        _ends_after_start(),
        *limits.length_checks(provider=limits.NAME, provider_endorsement=limits.CODE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = _application_fk()
    hours: Mapped[float] = mapped_column(Float)
    provider: Mapped[str] = mapped_column(String(limits.NAME))
    provider_endorsement: Mapped[str | None] = mapped_column(String(limits.CODE))
    format: Mapped[RscFormat | None] = mapped_column(enum_column(RscFormat))
    about_providing: Mapped[bool | None]
    peer: Mapped[bool | None]
    started_on: Mapped[date | None]
    ended_on: Mapped[date | None]


class ReferenceRecord(db.Model):
    """A reference rating received; one per rater (told apart by name, trimmed and case-insensitive)."""

    __tablename__ = "reference_records"
    __table_args__ = (
        UniqueConstraint("application_id", "rater_key"),
        *limits.length_checks(
            rater=limits.NAME, rater_key=limits.NAME, rater_role=limits.NAME, rater_endorsement=limits.CODE
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = _application_fk(index=False)  # the unique constraint's index serves it
    rater: Mapped[str] = mapped_column(String(limits.NAME))
    rater_key: Mapped[str] = mapped_column(String(limits.NAME))  # provider_name(rater)
    rater_role: Mapped[str | None] = mapped_column(String(limits.NAME))
    rater_endorsement: Mapped[str | None] = mapped_column(String(limits.CODE))
    received_on: Mapped[date | None]


class WorkRecord(db.Model):
    """A period of work; no end date means it is ongoing."""

    __tablename__ = "work_records"
    __table_args__ = (_ends_after_start(), *limits.length_checks(role=limits.NAME))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = _application_fk()
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    kind: Mapped[WorkKind] = mapped_column(enum_column(WorkKind), default=WorkKind.DIRECT_SERVICE)
    role: Mapped[str | None] = mapped_column(String(limits.NAME))
    with_infant_and_parent: Mapped[bool | None]
    supervised: Mapped[bool | None]
    paid: Mapped[bool | None]


class RequirementFinal(db.Model):
    """The committee's final result on one requirement line of an application, with why.

    Without one, a line's final result is the reviewers' settled mark once the
    application's item is settled (docs/requirements.md, "Results").
    """

    __tablename__ = "requirement_finals"
    __table_args__ = (
        UniqueConstraint("application_id", "requirement_key"),
        *limits.length_checks(rationale=limits.RATIONALE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = _application_fk(index=False)  # the unique constraint's index serves it
    requirement_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[CheckStatus] = mapped_column(enum_column(CheckStatus))
    rationale: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
