"""Unbounded text (docs/security.md, requirement 34; docs/security-hardening.md, "Text sizes"): every free-text
field a person can post is refused one character past its size — with the field named, the typed text kept
in a refused form, nothing stored anywhere — and accepted at its size.

An outside probe stored an 8 MiB committee rationale twice and rendered it on two pages; the first test is that
request again.
"""

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import Enum, String, Text, or_, select
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField

from app import textlimits as limits
from app.extensions import db
from app.rubrics.registry import get_rubric
from tests.factories import ESSAY_DOMAINS
from tests.hostile.routes import session_token, signed_in_client
from tests.hostile.world import PASSWORD, WINDOW, build_world

pytestmark = pytest.mark.seeded(seed=build_world)
MARKER = "OVERSIZE-"
SCORES = {f"score_{key}": "3" for key in ESSAY_DOMAINS}


@dataclass(frozen=True)
class TextField:
    role: str
    url: str  # formatted with the world's ids
    field: str  # formatted likewise (console forms prefix their fields with the assignment id)
    limit: int
    data: dict  # the rest of a valid request
    htmx: bool = False
    fits: bool = True  # whether a valid value of exactly ``limit`` characters can be built from the marker


# Every free-text field of every state-changing route, with its size. The completeness tests below fail when a
# form gains a text field without a size.
FIELDS = {
    "domain comment": TextField(
        "reviewer_a",
        "/reviews/{asg_a_x}/domains/reflection",
        "comment",
        limits.COMMENT,
        {"score": "3", "seq": "50", **WINDOW},
        htmx=True,
    ),
    "overall comment": TextField(
        "reviewer_a",
        "/reviews/{asg_a_x}/overall",
        "overall_comment",
        limits.COMMENT,
        {"seq": "50", **WINDOW},
        htmx=True,
    ),
    "requirement note": TextField(
        "reviewer_a",
        "/reviews/{asg_a_appw}/requirements/{requirement_key}",
        "note",
        limits.COMMENT,
        {"status": "more_info", "seq": "50", **WINDOW},
        htmx=True,
    ),
    "override reason": TextField(
        "reviewer_a",
        "/reviews/{asg_a_appw}/requirements/{requirement_key}",
        "reason",
        limits.REASON,
        {"status": "met", "seq": "50", **WINDOW},
        htmx=True,
    ),
    "decline reason": TextField("reviewer_a", "/reviews/{asg_a_x}/decline", "reason", limits.REASON, {}),
    "problem report": TextField("reviewer_a", "/reviews/{asg_a_x}/flag", "note", limits.REASON, {}),
    "final scores rationale": TextField(
        "committee_c1", "/committee/items/{e_w}/resolution", "rationale", limits.RATIONALE, {**SCORES, "version": "1"}
    ),
    "decision rationale": TextField(
        "committee_c1",
        "/committee/applications/{app_w}/decision",
        "rationale",
        limits.RATIONALE,
        {"decision": "endorse", "version": "1"},
    ),
    "reopen reason": TextField(
        "coordinator", "/console/assignments/{asg_b_w}/reopen", "re{asg_b_w}-reason", limits.REASON, {}
    ),
    "unassign reason": TextField(
        "coordinator",
        "/console/assignments/{asg_a_x}/unassign",
        "un{asg_a_x}-reason",
        limits.REASON,
        {"un{asg_a_x}-override": "y"},
    ),
    "cycle name": TextField("coordinator", "/console/cycles", "name", limits.CYCLE_NAME, {"readers": "2"}),
    "account name": TextField(
        "coordinator",
        "/console/users",
        "name",
        limits.NAME,
        {"email": "new.person@example.org", "role": "reviewer", "your_password": PASSWORD},
    ),
    "account e-mail": TextField(
        "coordinator",
        "/console/users",
        "email",
        limits.EMAIL,
        {"name": "New Person", "role": "reviewer", "your_password": PASSWORD},
        fits=False,
    ),
    "organization": TextField(
        "coordinator",
        "/console/users/{u_reviewer_a}/profile",
        "profile-organization",
        limits.NAME,
        {"profile-designations": "C"},
    ),
    "endorsements": TextField(
        "coordinator",
        "/console/users/{u_reviewer_a}/profile",
        "profile-endorsements",
        limits.CODES,
        {"profile-designations": "C"},
        fits=False,
    ),
    "committee member name": TextField(
        "coordinator",
        "/console/cycles/{c1}/committee/add",
        "add-name",
        limits.NAME,
        {"add-email": "new.member@example.org", "add-your_password": PASSWORD},
    ),
    "committee member organization": TextField(
        "coordinator",
        "/console/cycles/{c1}/committee/add",
        "add-organization",
        limits.NAME,
        {"add-email": "new.member@example.org", "add-name": "New Member", "add-your_password": PASSWORD},
    ),
    "committee organization": TextField(
        "coordinator", "/console/users/{u_committee_c1}/organization", "organization-organization", limits.NAME, {}
    ),
    "designations": TextField(
        "coordinator",
        "/console/users/{u_reviewer_a}/profile",
        "profile-designations",
        limits.DESIGNATIONS,
        {},
        fits=False,
    ),
}


@pytest.fixture
def world(seeded):
    return seeded


def _values(world) -> dict:
    return {**world.ids, "requirement_key": world.requirement_key}


def _post(app, world, spec: TextField, text: str):
    values = _values(world)
    client = signed_in_client(app, world.emails[spec.role])
    token = session_token(client, True)
    data = {key.format(**values): value for key, value in spec.data.items()} | {spec.field.format(**values): text}
    url = spec.url.format(**values)
    if spec.htmx:
        return client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": token})
    return client.post(url, data={**data, "csrf_token": token})


def _stored_anywhere(app, marker: str) -> list[str]:
    """Every table.column holding text that contains ``marker``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [
                column
                for column in table.columns
                if isinstance(column.type, String | Text) and not isinstance(column.type, Enum)
            ]
            if (
                columns
                and db.session.execute(
                    select(table).where(or_(*(column.contains(marker) for column in columns)))
                ).first()
            ):
                found.append(table.name)
    return found


def _oversized(limit: int, tag: str) -> str:
    return (MARKER + tag + "-").ljust(limit + 1, "x")


@pytest.mark.parametrize("name", list(FIELDS))
def test_one_character_past_the_size_is_refused_naming_the_size_and_nothing_is_stored(app, world, name):
    spec = FIELDS[name]
    tag = re.sub(r"\W", "", name)
    response = _post(app, world, spec, _oversized(spec.limit, tag))
    body = response.get_data(as_text=True)
    assert response.status_code in (400, 422), (name, response.status_code)
    assert f"at most {spec.limit:,} characters" in body.lower(), name
    assert _stored_anywhere(app, MARKER + tag) == []
    if not spec.htmx:  # a refused form shows what was typed, to shorten rather than retype
        assert MARKER + tag in body


@pytest.mark.parametrize("name", [name for name, spec in FIELDS.items() if spec.fits])
def test_text_of_exactly_the_size_is_accepted_and_stored(app, world, name):
    spec = FIELDS[name]
    tag = re.sub(r"\W", "", name)
    response = _post(app, world, spec, (MARKER + tag + "-").ljust(spec.limit, "y"))
    assert response.status_code < 400, (name, response.status_code, response.get_data(as_text=True)[:300])
    assert _stored_anywhere(app, MARKER + tag) != [], name  # reopen and unassign reasons: in the audit log


def test_a_line_break_counts_once_as_the_textarea_counts_it(app, world):
    """A browser counts a textarea's line break once against ``maxlength`` and sends it as CR LF."""
    spec = FIELDS["decision rationale"]
    text = "\r\n".join([MARKER + "lines"] + ["y" * 99] * 99)  # 9,900 + 98 line breaks + the first line
    assert len(text.replace("\r\n", "\n")) <= limits.RATIONALE < len(text) + 200
    response = _post(app, world, spec, text)
    assert response.status_code < 400
    assert _stored_anywhere(app, MARKER + "lines") == ["decisions"]


def test_the_probes_eight_mebibyte_rationale_is_refused_and_not_stored(app, world):
    spec = FIELDS["final scores rationale"]
    response = _post(app, world, spec, MARKER + "probe" + "R" * (8 * 1024 * 1024))
    assert response.status_code == 422
    assert "at most 10,000 characters, this has 8,388,622" in response.get_data(as_text=True).lower()
    assert _stored_anywhere(app, MARKER + "probe") == []


def _form_classes():
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("app.")]


def test_every_text_field_of_every_form_has_a_size(app):
    from app.committee.forms import SCORE_PREFIX, build_resolution_form

    with app.test_request_context():
        build_resolution_form(get_rubric("imhm-c-essay"))  # its fields are made per rubric
    unbounded = []
    for cls in _form_classes():
        for name in dir(cls):
            field = getattr(cls, name)
            if not isinstance(field, UnboundField) or field.field_class not in (StringField, TextAreaField):
                continue
            if name.startswith(SCORE_PREFIX):
                continue  # a score is a number, read by the committee's rules
            if not any(isinstance(v, limits.MaxLength) for v in field.kwargs.get("validators", ())):
                unbounded.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not unbounded, f"text fields without limits.MaxLength: {sorted(set(unbounded))}"


def test_every_form_field_posted_here_is_a_field_the_route_reads(app, world):
    """The table above names real fields: text at the size of each one reaches the page that shows it."""
    for name, spec in FIELDS.items():
        if not spec.htmx:
            response = _post(app, world, spec, _oversized(spec.limit, "named"))
            assert f'maxlength="{spec.limit}"' in response.get_data(as_text=True), name
