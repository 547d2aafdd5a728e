"""Malicious spreadsheets through both doors — ``flask import`` and the console upload — are refused with a
message naming the problem, and not a row anywhere changes (docs/security.md, requirements 16, 17, 20).

The service-level cases live in tests/unit/test_import_service.py; these check the two ways a file reaches it,
with the production limits (no test-sized thresholds).
"""

import html
import io

import pytest

from tests.hostile.routes import session_token, signed_in_client
from tests.hostile.world import build_world, counts
from tests.unit.import_files import billion_laughs_workbook, csv_bytes, xlsx_bytes, xxe_workbook, zip_bomb_workbook

pytestmark = pytest.mark.seeded(seed=build_world)

CYCLE = "Hostile spring"
UNPACKED_LIMIT = 200 << 20  # IMPORT_MAX_UNCOMPRESSED in app/config.py


def hostile_files():
    """(id, file name, bytes, words the refusal must contain)."""
    good = [["email", "name"], ["new.reviewer@example.org", "New Reviewer"]]
    return [
        ("billion-laughs", "laughs.xlsx", billion_laughs_workbook(), "forbidden XML"),
        ("xxe", "xxe.xlsx", xxe_workbook("/etc/passwd"), "forbidden XML"),
        ("zip-bomb", "bomb.xlsx", zip_bomb_workbook(UNPACKED_LIMIT + (8 << 20)), "would unpack to"),
        (
            "html-renamed",
            "pool.xlsx",
            b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>",
            "is an HTML or XML document, not a spreadsheet",
        ),
        ("truncated-zip", "cut.xlsx", xlsx_bytes(good)[:700], "damaged or truncated zip"),
        ("not-utf8", "latin.csv", "email,name\nzoë@example.org,Zoë\n".encode("latin-1"), "is not UTF-8 text"),
        ("nul-bytes", "nul.csv", b"email,name\nx@example.org,X\x00Y\n", "contains a NUL byte"),
        ("duplicate-ids", "dupes.csv", csv_bytes([*good, ["NEW.reviewer@example.org", "Again"]]), "duplicate of row 2"),
    ]


FILES = hostile_files()
IDS = [case[0] for case in FILES]


@pytest.fixture
def world(seeded):
    return seeded


def table_counts(app):
    with app.app_context():
        return counts()


@pytest.mark.parametrize(("case", "name", "data", "message"), FILES, ids=IDS)
def test_the_import_command_refuses_a_hostile_file_and_writes_nothing(
    app, runner, world, tmp_path, case, name, data, message
):
    path = tmp_path / name
    path.write_bytes(data)
    before = table_counts(app)
    result = runner.invoke(args=["import", "reviewers", str(path), "--cycle", CYCLE])
    assert result.exit_code != 0
    assert name in result.output and message in result.output, result.output
    assert "Traceback" not in result.output and "root:" not in result.output  # nothing of /etc/passwd
    assert table_counts(app) == before


@pytest.mark.parametrize(("case", "name", "data", "message"), FILES, ids=IDS)
def test_the_console_upload_refuses_a_hostile_file_and_writes_nothing(app, world, case, name, data, message):
    client = signed_in_client(app, world.emails["coordinator"])
    path = f"/console/cycles/{world.ids['c1']}/import"
    token = session_token(client, True)
    before = table_counts(app)
    response = client.post(
        path,
        data={"csrf_token": token, "kind": "reviewers", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in page, f"{case}: the page does not say {message!r}"
    assert "root:" not in page
    assert table_counts(app) == before


def test_an_uploaded_name_is_never_used_as_a_path(app, world, tmp_path):
    client = signed_in_client(app, world.emails["coordinator"])
    target = tmp_path / "planted.csv"
    name = f"../../../../..{target}"
    data = csv_bytes([["email", "name"], ["path.person@example.org", "Path Person"]])
    response = client.post(
        f"/console/cycles/{world.ids['c1']}/import",
        data={"csrf_token": session_token(client, True), "kind": "reviewers", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert not target.exists()
    assert "planted.csv" in client.get(response.headers["Location"]).get_data(as_text=True)
