"""Reading untrusted uploads: type by content, limits before parsing, hostile workbooks refused."""
import io
import zipfile
from datetime import datetime

import openpyxl.xml
import pytest

from app.imports.readers import ImportFileError, ImportLimits, read_upload
from tests.unit.import_files import (SHEET_PART, billion_laughs_workbook, csv_bytes, replace_part, sheet_xml,
                                     xlsx_bytes, xxe_workbook, zip_bomb_workbook)

MiB = 1 << 20
LIMITS = ImportLimits(max_bytes=20 * MiB, max_zip_entries=200, max_uncompressed=200 * MiB, max_cells=2_000_000,
                      max_rows=200_000)


def refused(data: bytes, filename: str, limits: ImportLimits = LIMITS) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_upload(data, filename, limits)
    message = str(caught.value)
    assert message.startswith(filename + ":")
    return message


def test_csv_without_bom_gives_header_and_numbered_rows():
    table = read_upload(b"email,name\r\na@example.org,Ann\r\nb@example.org,Bo\r\n", "r.csv", LIMITS)
    assert table.file_format == "csv"
    assert table.header_row == 1
    assert table.header == ("email", "name")
    assert table.rows == [(2, ("a@example.org", "Ann")), (3, ("b@example.org", "Bo"))]


def test_csv_with_bom_has_a_clean_first_header():
    table = read_upload(b"\xef\xbb\xbfemail,name\na@example.org,Ann\n", "r.csv", LIMITS)
    assert table.header == ("email", "name")


def test_csv_row_numbers_count_records_not_lines_when_a_field_holds_a_newline():
    data = b'item_id,response\nE1,"first line\nsecond line"\nE2,short\n'
    table = read_upload(data, "e.csv", LIMITS)
    assert table.rows == [(2, ("E1", "first line\nsecond line")), (3, ("E2", "short"))]


def test_blank_rows_are_skipped_but_keep_the_numbering():
    table = read_upload(b"\n\nemail,name\n,\na@example.org,Ann\n", "r.csv", LIMITS)
    assert table.header_row == 3
    assert table.rows == [(5, ("a@example.org", "Ann"))]


def test_text_that_is_not_utf8_names_the_byte_offset_and_line():
    data = "email,name\na@example.org,Zoë\n".encode("latin-1")
    offset = data.index(b"\xeb")  # ë in Latin-1; counted by hand: 11 + 14 + 2 = 27
    assert offset == 27
    message = refused(data, "latin.csv")
    assert "not UTF-8" in message and "offset 27" in message and "line 2" in message and "0xeb" in message


def test_nul_bytes_in_a_csv_are_refused_with_their_line():
    message = refused(b"email,name\na@example.org,A\x00nn\n", "nul.csv")
    assert "NUL" in message and "line 2" in message


def test_utf16_text_is_refused():
    assert "NUL" in refused("email,name\n".encode("utf-16-le"), "wide.csv")


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    assert "empty" in refused(data, "empty.csv")


def test_a_header_without_rows_is_refused():
    assert "no data rows" in refused(b"email,name\n", "head.csv")


def test_an_empty_workbook_is_refused():
    assert "empty" in refused(xlsx_bytes([]), "empty.xlsx")


def test_html_renamed_xlsx_is_refused_as_html():
    page = b"<!DOCTYPE html><html><body><table><tr><td>email</td></tr></table></body></html>"
    assert "HTML" in refused(page, "export.xlsx")


def test_csv_text_renamed_xlsx_is_refused():
    assert "not one" in refused(b"email,name\na@example.org,Ann\n", "reviewers.xlsx")


def test_old_binary_xls_is_refused():
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xlsx")


def test_type_is_decided_by_content_so_a_workbook_named_csv_is_read_as_a_workbook():
    table = read_upload(xlsx_bytes([["email", "name"], ["a@example.org", "Ann"]]), "really-a-workbook.csv", LIMITS)
    assert table.file_format == "xlsx"
    assert table.rows == [(2, ("a@example.org", "Ann"))]


def test_an_uploaded_name_is_never_used_as_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.csv").write_bytes(b"email,name\nleak@example.org,Leak\n")
    table = read_upload(b"email,name\na@example.org,Ann\n", "secret.csv", LIMITS)
    assert table.rows == [(2, ("a@example.org", "Ann"))]


def test_xlsx_cells_keep_their_types():
    moment = datetime(2025, 3, 1, 9, 30)
    table = read_upload(xlsx_bytes([["a", "b", "c", "d"], [3, 2.5, moment, "@PERSON1 text"]]), "t.xlsx", LIMITS)
    assert table.rows == [(2, (3, 2.5, moment, "@PERSON1 text"))]


def test_a_truncated_workbook_is_refused_as_damaged():
    data = xlsx_bytes([["email", "name"], ["a@example.org", "Ann"]])
    assert "damaged or truncated" in refused(data[: len(data) // 2], "cut.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    archive = tmp_path / "plain.zip"
    with zipfile.ZipFile(archive, "w") as plain:
        plain.writestr("notes.txt", "hello")
    assert "not an Excel workbook" in refused(archive.read_bytes(), "plain.xlsx")


def test_a_workbook_part_with_broken_xml_is_refused():
    broken = replace_part(xlsx_bytes([["email"]]), SHEET_PART, b"<worksheet><sheetData><row>")
    assert "not a readable Excel workbook" in refused(broken, "broken.xlsx")


def test_a_raw_nul_byte_inside_the_sheet_xml_is_refused():
    sheet = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>em\x00ail</t></is></c></row>')
    assert "not a readable Excel workbook" in refused(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet), "nul.xlsx")


def test_billion_laughs_workbook_is_refused_before_any_expansion():
    assert "forbidden XML" in refused(billion_laughs_workbook(), "laughs.xlsx")


def test_xxe_workbook_is_refused_and_leaks_nothing(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    message = refused(xxe_workbook(str(secret)), "xxe.xlsx")
    assert "forbidden XML" in message and "CANARY" not in message


def test_zip_bomb_is_refused_from_the_directory_with_the_default_limits():
    bomb = zip_bomb_workbook(256 * MiB)
    assert len(bomb) < MiB  # small on disk, 256 MiB unpacked
    assert "zip bomb" in refused(bomb, "bomb.xlsx")


def test_too_many_zip_entries_are_refused():
    data = xlsx_bytes([["email"], ["a@example.org"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = len(archive.infolist())
    tight = ImportLimits(20 * MiB, entries - 1, 200 * MiB, 2_000_000, 200_000)
    assert f"{entries} entries" in refused(data, "many.xlsx", tight)


def test_file_size_is_checked_before_reading_a_path(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"email,name\n" + b"a@example.org,Ann\n" * 100)
    tight = ImportLimits(100, 200, 200 * MiB, 2_000_000, 200_000)
    assert "more than the limit of 100" in refused(big, "big.csv", tight)


def test_a_path_within_the_limit_is_read(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(b"email,name\na@example.org,Ann\n")
    assert read_upload(path, "ok.csv", LIMITS).rows == [(2, ("a@example.org", "Ann"))]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cell_limit_is_enforced_while_reading(file_format):
    rows = [["email", "name"]] + [[f"r{n}@example.org", "N"] for n in range(10)]
    data = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, max_cells=21, max_rows=200_000)
    assert "more than 21 cells" in refused(data, f"cells.{file_format}", tight)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_row_limit_is_enforced_while_reading(file_format):
    rows = [["email", "name"]] + [[f"r{n}@example.org", "N"] for n in range(10)]
    data = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, max_cells=2_000_000, max_rows=9)
    assert "more than 9 rows" in refused(data, f"rows.{file_format}", tight)


def test_a_far_away_row_number_hits_the_row_limit_instead_of_filling_memory():
    sheet = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
                      '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    data = replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet)
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, 2_000_000, max_rows=1000)
    assert "more than 1,000 rows" in refused(data, "far.xlsx", tight)


def test_a_lying_dimension_does_not_pad_rows():
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<dimension ref="A1:XFD1048576"/><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.org</t></is></c></row>'
             b'</sheetData></worksheet>')
    table = read_upload(replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet), "dim.xlsx", LIMITS)
    assert table.rows == [(2, ("a@example.org",))]


def test_workbooks_are_refused_when_defusedxml_is_not_active(monkeypatch):
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    assert "defusedxml" in str(pytest.raises(ImportFileError, read_upload, xlsx_bytes([["email"], ["a@b.org"]]),
                                             "w.xlsx", LIMITS).value)


def test_defusedxml_is_active_in_this_installation():
    assert openpyxl.xml.DEFUSEDXML is True
