"""An applicant's portfolio records as plain data: what the requirement rules read.

The database rows (``app.requirements.models``) and the test fixtures both
become these; the rules in ``app.requirements.rules`` never see a session.
See docs/requirements.md for what each field means and where it comes from.
"""

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class TrainingTopic(enum.StrEnum):
    """What a training entry is about: in-service training in general, diversity/equity/inclusion,
    or didactic training about providing reflective supervision/consultation."""

    GENERAL = "general"
    DEI = "dei"
    RSC = "rsc"


class RscFormat(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class WorkKind(enum.StrEnum):
    DIRECT_SERVICE = "direct_service"
    INTERNSHIP = "internship"
    RSC_PROVIDING = "rsc_providing"
    LEADERSHIP = "leadership"
    POLICY = "policy"
    UNIVERSITY = "university"


TRAINING_TOPICS = tuple(topic.value for topic in TrainingTopic)
RSC_FORMATS = tuple(fmt.value for fmt in RscFormat)
WORK_KINDS = tuple(kind.value for kind in WorkKind)
# A provider or rater without an endorsement of their own whom an association has vetted.
VETTED = "vetted"
# An Endorsed Reflective Supervisor (North Carolina's credential for RS/C providers).
ERS = "ERS"


@dataclass(frozen=True, slots=True)
class TrainingEntry:
    hours: float
    topic: str = "general"
    title: str | None = None
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class RscEntry:
    """Reflective supervision/consultation the applicant received from one provider."""

    hours: float
    provider: str
    provider_endorsement: str | None = None  # a category code, ERS, vetted, or None
    format: str | None = None
    about_providing: bool | None = None  # about the RS/C the applicant provides to others
    peer: bool | None = None
    started_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    rater: str
    rater_role: str | None = None
    rater_endorsement: str | None = None  # a category code, vetted, or None
    received_on: date | None = None


@dataclass(frozen=True, slots=True)
class WorkPeriod:
    started_on: date
    ended_on: date | None = None  # None: ongoing
    kind: str = "direct_service"
    role: str | None = None
    with_infant_and_parent: bool | None = None
    supervised: bool | None = None
    paid: bool | None = None


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Everything the rules may read about one application.

    ``figures`` are the applications import's figure columns (absent when not
    given). A record kind with no entries means "no records": the lines of that
    kind then fall back to their figure column.
    """

    figures: Mapping[str, Any] = field(default_factory=dict)
    training: Sequence[TrainingEntry] = ()
    rsc: Sequence[RscEntry] = ()
    references: Sequence[ReferenceEntry] = ()
    work: Sequence[WorkPeriod] = ()


def provider_name(name: str) -> str:
    """Providers (and raters) are told apart by name, trimmed and case-insensitive."""
    return name.strip().casefold()
