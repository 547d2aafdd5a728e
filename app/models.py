"""Every model, imported once so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from app.assignment.models import Assignment, AssignmentSource
from app.audit.models import AuditEntry
from app.committee.models import CommitteeResolution, Decision, DecisionValue
from app.cycles.models import (
    Applicant,
    Application,
    Conflict,
    Cycle,
    CycleMember,
    Item,
    ItemKind,
    ItemState,
    MemberRole,
    QualificationRelease,
    ReferenceScore,
)
from app.jobs.models import Job, JobKind, JobState
from app.mail.models import OutboxMessage
from app.people.models import LoginAttempt, PasswordToken, ReviewerProfile, Role, User
from app.reconcile.models import ItemOutcome
from app.requirements.models import ReferenceRecord, RequirementFinal, RscRecord, TrainingRecord, WorkRecord
from app.scoring.models import CheckStatus, ItemFlag, Read, ReadStatus, RequirementCheck, Score

__all__ = [
    "Applicant",
    "Application",
    "Assignment",
    "AssignmentSource",
    "AuditEntry",
    "CheckStatus",
    "CommitteeResolution",
    "Conflict",
    "Cycle",
    "CycleMember",
    "Decision",
    "DecisionValue",
    "Item",
    "ItemFlag",
    "ItemKind",
    "ItemOutcome",
    "ItemState",
    "Job",
    "JobKind",
    "JobState",
    "LoginAttempt",
    "MemberRole",
    "OutboxMessage",
    "PasswordToken",
    "QualificationRelease",
    "Read",
    "ReadStatus",
    "ReferenceRecord",
    "ReferenceScore",
    "RequirementCheck",
    "RequirementFinal",
    "ReviewerProfile",
    "Role",
    "RscRecord",
    "Score",
    "TrainingRecord",
    "User",
    "WorkRecord",
]
