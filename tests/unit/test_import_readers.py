"""Reading untrusted uploads: type by content, limits before parsing, hostile workbooks refused."""

import io
import zipfile
from datetime import datetime

import pytest

from app.imports.readers import ImportFileError, ImportLimits, read_upload
from tests.unit.import_files import (
    SHEET_NS,
    SHEET_PART,
    billion_laughs_workbook,
    csv_bytes,
    replace_part,
    sheet_xml,
    xlsx_bytes,
    xxe_workbook,
    zip_bomb_workbook,
)

MiB = 1 << 20
LIMITS = ImportLimits(
    max_bytes=20 * MiB, max_zip_entries=200, max_uncompressed=200 * MiB, max_cells=2_000_000, max_rows=200_000
)


def rows_of(table) -> list[tuple[int, tuple]]:
    """The table row by row: (row number, its cells)."""
    return list(zip(table.numbers, zip(*table.columns, strict=True), strict=True))


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
    assert rows_of(table) == [(2, ("a@example.org", "Ann")), (3, ("b@example.org", "Bo"))]


def test_csv_with_bom_has_a_clean_first_header():
    table = read_upload(b"\xef\xbb\xbfemail,name\na@example.org,Ann\n", "r.csv", LIMITS)
    assert table.header == ("email", "name")


def test_csv_row_numbers_count_records_not_lines_when_a_field_holds_a_newline():
    data = b'item_id,response\nE1,"first line\nsecond line"\nE2,short\n'
    table = read_upload(data, "e.csv", LIMITS)
    assert rows_of(table) == [(2, ("E1", "first line\nsecond line")), (3, ("E2", "short"))]


def test_blank_rows_are_skipped_but_keep_the_numbering():
    table = read_upload(b"\n\nemail,name\n,\na@example.org,Ann\n", "r.csv", LIMITS)
    assert table.header_row == 3
    assert rows_of(table) == [(5, ("a@example.org", "Ann"))]


def test_a_ragged_csv_has_none_where_a_row_is_short_and_a_longer_row_widens_every_row():
    table = read_upload(b"email,name\na@example.org\nb@example.org,Bo,extra\n", "r.csv", LIMITS)
    assert table.header == ("email", "name", None)
    assert rows_of(table) == [(2, ("a@example.org", None, None)), (3, ("b@example.org", "Bo", "extra"))]


def test_equal_values_of_different_types_stay_apart_and_equal_texts_are_one_object():
    """A column keeps one object per distinct value, but True, 1 and 1.0 are equal in Python and distinct cells;
    the rows span several of the reader's chunks."""
    from app.imports.readers import CHUNK_ROWS

    body = [[True, "same"], [1, "same"], [1.5, "same"]] * CHUNK_ROWS
    table = read_upload(xlsx_bytes([["flag", "text"], *body]), "typed.xlsx", LIMITS)
    flags, texts = table.columns
    assert len(flags) == 3 * CHUNK_ROWS
    assert [(type(value), value) for value in flags[:3]] == [(bool, True), (float, 1.0), (float, 1.5)]
    assert [type(value) for value in flags] == [bool, float, float] * CHUNK_ROWS
    assert texts == ["same"] * len(body) and len({id(text) for text in texts}) == 1


def test_a_sheet_that_starts_further_in_is_read_from_a1():
    """calamine's rows start at the first used column; the reader puts the columns before it back."""
    sheet = sheet_xml(
        '<row r="3"><c r="C3" t="inlineStr"><is><t>email</t></is></c>'
        '<c r="D3" t="inlineStr"><is><t>name</t></is></c></row>'
        '<row r="4"><c r="C4" t="inlineStr"><is><t>a@example.org</t></is></c></row>'
        '<row r="6"><c r="D6" t="inlineStr"><is><t>Bo</t></is></c></row>'
    )
    table = read_upload(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet), "far.xlsx", LIMITS)
    assert table.header_row == 3 and table.header == ("", "", "email", "name")
    assert rows_of(table) == [(4, ("", "", "a@example.org", "")), (6, ("", "", "", "Bo"))]


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
    assert rows_of(table) == [(2, ("a@example.org", "Ann"))]


def test_an_uploaded_name_is_never_used_as_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.csv").write_bytes(b"email,name\nleak@example.org,Leak\n")
    table = read_upload(b"email,name\na@example.org,Ann\n", "secret.csv", LIMITS)
    assert rows_of(table) == [(2, ("a@example.org", "Ann"))]


def test_xlsx_cells_keep_their_types():
    moment = datetime(2025, 3, 1, 9, 30)
    table = read_upload(xlsx_bytes([["a", "b", "c", "d"], [3, 2.5, moment, "@PERSON1 text"]]), "t.xlsx", LIMITS)
    assert rows_of(table) == [(2, (3, 2.5, moment, "@PERSON1 text"))]


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


def test_a_raw_nul_byte_inside_the_sheet_xml_is_refused_with_its_cell():
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>em\x00ail</t></is></c></row>'
    )
    message = refused(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet), "nul.xlsx")
    assert "row 2, column A: contains a NUL character" in message


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


def with_declared_size(workbook: bytes, part: str, size: int) -> bytes:
    """The workbook with the uncompressed size the zip's central directory declares for ``part`` changed (what
    zipfile goes by), the content itself untouched."""
    name = part.encode()
    header = workbook.index(b"PK\x01\x02")
    while workbook[header + 46 : header + 46 + len(name)] != name:
        header = workbook.index(b"PK\x01\x02", header + 4)
    return workbook[: header + 24] + size.to_bytes(4, "little") + workbook[header + 28 :]


def test_a_sheet_larger_than_its_declared_size_is_refused_as_damaged():
    """zipfile stops inflating at the declared size; the part's CRC then does not match. The sheet is inflated a
    step at a time (over 2 MiB here), and the CRC is still checked at its end."""
    data = xlsx_bytes([["email", "name"]] + [[f"r{n}@example.org", "N" * 40] for n in range(30_000)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = archive.getinfo(SHEET_PART).file_size
    message = refused(with_declared_size(data, SHEET_PART, declared // 2), "short.xlsx")
    assert "damaged or truncated" in message and "CRC" in message


def test_a_sheet_smaller_than_its_declared_size_is_read_as_it_is():
    data = xlsx_bytes([["email", "name"], ["a@example.org", "Ann"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = archive.getinfo(SHEET_PART).file_size
    table = read_upload(with_declared_size(data, SHEET_PART, declared + 5_000), "long.xlsx", LIMITS)
    assert table.header == ("email", "name") and rows_of(table) == [(2, ("a@example.org", "Ann"))]


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
    assert rows_of(read_upload(path, "ok.csv", LIMITS)) == [(2, ("a@example.org", "Ann"))]


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
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    data = replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet)
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, 2_000_000, max_rows=1000)
    assert "more than 1,000 rows" in refused(data, "far.xlsx", tight)


def test_a_lying_dimension_does_not_pad_rows():
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:XFD1048576"/><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.org</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    table = read_upload(replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet), "dim.xlsx", LIMITS)
    assert rows_of(table) == [(2, ("a@example.org",))]


# --- calamine: no entity is ever expanded, and no sheet area is built before it is bounded -------------


def test_calamine_itself_expands_no_entity_even_without_our_check(tmp_path):
    """Our DTD check runs first; this shows calamine would refuse the bomb and the XXE on its own."""
    import python_calamine

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    for data in (billion_laughs_workbook(), xxe_workbook(str(secret))):
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            with pytest.raises(python_calamine.CalamineError) as caught:
                workbook.get_sheet_by_index(0).to_python()
        assert "unrecognized entity" in str(caught.value) and "CANARY" not in str(caught.value)


def test_a_doctype_after_the_root_element_declares_nothing_and_the_file_is_refused(tmp_path):
    """Only the prolog can hold a DTD; one written further in is skipped by calamine's parser, which then refuses
    the first entity reference instead of expanding it (the bomb's ten lols, the secret file)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    laughs = '<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    for declaration, reference in (
        (f"<!DOCTYPE lolz [{laughs}]>", "&lol1;"),
        (f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;"),
    ):
        sheet = (
            f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}">{declaration}<sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
            f'<row r="2"><c r="A2" t="inlineStr"><is><t>{reference}</t></is></c></row></sheetData></worksheet>'
        ).encode()
        message = refused(replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet), "late.xlsx")
        assert "is not a readable Excel workbook" in message and "entity" in message
        assert "CANARY" not in message and "lollol" not in message


def test_an_internal_entity_declared_but_unused_is_still_refused():
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>',
        prolog='<!DOCTYPE x [<!ENTITY quiet "never used">]>',
    )
    assert "forbidden XML" in refused(replace_part(xlsx_bytes([["email"]]), SHEET_PART, sheet), "quiet.xlsx")


def test_a_dtd_in_another_part_than_the_sheet_is_refused():
    data = xlsx_bytes([["email"], ["a@example.org"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("xl/styles.xml")
    styles = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e "e">]>' + styles
    assert "forbidden XML" in refused(replace_part(data, "xl/styles.xml", styles), "styles.xlsx")


def test_a_part_in_utf16_is_refused():
    sheet = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>').decode()
    data = replace_part(
        xlsx_bytes([["email"]]), SHEET_PART, sheet.replace('"1.0"', '"1.0" encoding="UTF-16"').encode("utf-16")
    )
    assert "UTF-16" in refused(data, "wide.xlsx")


def cell(reference: str, text: str = "x", attributes: str = "") -> str:
    return f'<c r="{reference}"{attributes} t="inlineStr"><is><t>{text}</t></is></c>'


FAR_APART = [
    # (id, sheet body): each would make calamine build a grid of billions of cells (and abort the process).
    ("opposite-corners", f'<row r="1">{cell("A1")}</row><row r="1048576">{cell("XFD1048576")}</row>'),
    ("far-cell-first", f'<row r="1048576">{cell("XFD1048576")}</row><row r="1">{cell("A1")}</row>'),
    ("cell-row-unlike-its-row", f'<row r="1">{cell("A1")}</row><row r="2">{cell("XFD1048576")}</row>'),
    ("lowercase-reference", f'<row r="1">{cell("A1")}</row><row r="2">{cell("xfd1048576")}</row>'),
    (
        "tab-before-r",
        '<row r="1"><c\tr="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="2"><c\tr="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>',
    ),
    (
        "single-quotes",
        f"<row r=\"1\">{cell('A1')}</row><row r='2'><c r='XFD1048576' t='inlineStr'><is><t>y</t></is></c></row>",
    ),
    (
        "second-r-wins",
        f'<row r="1">{cell("A1")}</row><row r="2"><c r="A2" r = "XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>',
    ),
    (
        "r-less-cells-run-right",
        f'<row r="1">{cell("A1")}'
        + '<c t="inlineStr"><is><t>y</t></is></c>' * 3000
        + "</row>"
        + "".join(f'<row r="{n}">{cell(f"A{n}")}</row>' for n in range(2, 1002)),
    ),
    (
        "r-less-rows-far-down",
        f'<row r="1">{cell("A1")}</row><row r="1048575"></row><row><c t="inlineStr"><is><t>y</t></is></c></row>',
    ),
    ("hidden-in-a-comment", f'<row r="1">{cell("A1")}</row><!-- --><row r="2">{cell("XFD1048576")}</row>'),
    (
        # Every cell tag starts <c r="…">, but a second r hides behind an attribute whose value ends in "xr=".
        "an-r-right-after-a-value-that-looks-like-one",
        f'<row r="1">{cell("A1")}</row><row r="2">'
        '<c r="A2" a="xr="r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>',
    ),
    (
        "double-quoted-r-with-spaces",
        f'<row r="1">{cell("A1")}</row><row r="2">'
        '<c r="A2" r\t=\n"XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>',
    ),
    (
        "prefixed-tags",
        f'<row r="1">{cell("A1")}</row><x:row xmlns:x="urn:x" r="2">'
        '<x:c r="XFD1048576" t="inlineStr"><x:is><x:t>y</x:t></x:is></x:c></x:row>',
    ),
]


@pytest.mark.parametrize(("case", "body"), FAR_APART, ids=[case for case, _ in FAR_APART])
def test_a_sheet_whose_cells_lie_far_apart_is_refused_before_calamine_builds_it(case, body):
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, max_cells=2_000_000, max_rows=1000)
    message = refused(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet_xml(body)), "far.xlsx", tight)
    assert "(the limit)" in message and "delete what lies beyond your data" in message


def test_the_area_is_bounded_the_same_way_for_plain_and_unusual_spellings():
    from app.imports.workbook_guard import Extent, cells, sheet_extent

    plain = sheet_xml(f'<row r="1">{cell("A1")}{cell("C1")}</row><row r="4">{cell("B4")}</row>')
    walked = sheet_xml(f'<!-- a comment --><row r="1">{cell("A1")}{cell("C1")}</row><row r="4">{cell("B4")}</row>')
    for xml in (plain, walked):
        # Exact once over a limit (4 rows > 3); within the limits an upper bound that stays within them.
        assert sheet_extent(xml, max_rows=3, max_cells=100) == Extent(rows=4, columns=3)
        assert sheet_extent(xml, max_rows=100, max_cells=11) == Extent(rows=4, columns=3)
        within = sheet_extent(xml, max_rows=100, max_cells=10_000)
        assert 4 <= within.rows <= 100 and within.columns == 3
    # Cells without r follow the previous one; rows without r follow the previous row (as calamine places them).
    sequential = sheet_xml('<row r="2"><c r="B2"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>')
    assert [(row, column) for row, column, _ in cells(sequential)] == [(2, 2), (2, 3), (3, 1)]
    assert sheet_extent(sequential, max_rows=100, max_cells=10_000) == Extent(rows=3, columns=3)


SPELLINGS = ['r="{}"', "r='{}'", 'r = "{}"', "r\t=\n'{}'"]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize(
    ("reference", "extent"),
    [
        ("A1002", (1002, 3)),  # as many digits as the bound (1,001 rows), one row beyond it
        ("A01002", (1002, 3)),  # the same row with a leading zero
        ("A9999", (9999, 3)),
        ("D5", (1001, 4)),  # one column right of the width guessed from the first cells (C)
        ("AA5", (1001, 27)),
        ("A999", (1001, 3)),  # within both: the bound stays the guess
        ("c1001", (1001, 3)),
    ],
)
def test_a_reference_just_beyond_the_bound_is_found_whatever_its_spelling(spelling, reference, extent):
    """The proving search turns away numbers with fewer digits than the bound and letters within the guessed width
    in one step each; a reference with as many digits, or one more letter, is still found."""
    from app.imports.workbook_guard import Extent, sheet_extent

    rows = "".join(f'<row r="{n}">{cell(f"A{n}")}{cell(f"B{n}")}{cell(f"C{n}")}</row>' for n in range(1, 51))
    odd = f'<row r="60"><c r="A60" {spelling.format(reference)} t="inlineStr"><is><t>y</t></is></c></row>'
    xml = sheet_xml(rows + odd)
    assert sheet_extent(xml, max_rows=1001, max_cells=2_000_000) == Extent(*extent)


def test_numbers_above_a_limit_are_matched_exactly():
    import re

    from app.imports.workbook_guard import _numbers_above

    pattern = re.compile(rb"(?:%s)" % _numbers_above(36001))
    for number in (36002, 36010, 36100, 37000, 40000, 99999, 100000, 1048576):
        assert pattern.fullmatch(str(number).encode()), number
    for number in (1, 999, 35999, 36000, 36001):
        assert not pattern.fullmatch(str(number).encode()), number


def test_letters_after_a_column_are_told_from_letters_within_it_in_either_case():
    """Taken possessively, the letters within a column leave a letter behind exactly when a reference lies further
    right: the area check's proving search matches ``(?:within)?+[A-Za-z]`` after the quote."""
    import re

    from app.imports.workbook_guard import _letters_at_most

    letters = {1: "A", 6: "F", 25: "Y", 26: "Z", 27: "AA", 28: "AB", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA"}
    letters |= {704: "AAB", 728: "AAZ", 729: "ABA", 16384: "XFD", 16385: "XFE"}
    for number in (0, 1, 6, 26, 27, 28, 52, 702, 703, 728, 16383, 16384):
        further_right = re.compile(rb"(?:%s)?+[A-Za-z]" % _letters_at_most(number))
        for column, spelled in letters.items():
            for case in (spelled, spelled.lower(), spelled[0] + spelled[1:].lower()):
                assert bool(further_right.match(case.encode() + b"12")) == (column > number), (number, case)


def test_a_row_wider_than_the_sheets_first_cells_still_counts_its_full_width():
    from app.imports.workbook_guard import WIDTH_GUESS_SPAN, Extent, sheet_extent

    narrow_rows = WIDTH_GUESS_SPAN // len(cell("A1")) + 10
    body = "".join(f'<row r="{n}">{cell(f"A{n}")}</row>' for n in range(1, narrow_rows + 1))
    xml = sheet_xml(
        body + f'<row r="{narrow_rows + 1}">{cell(f"A{narrow_rows + 1}")}{cell(f"J{narrow_rows + 1}")}</row>'
    )
    # 10 columns: 40,000 cells hold 4,000 rows, so the bound is within the limits but as wide as the far row.
    assert sheet_extent(xml, max_rows=100_000, max_cells=40_000) == Extent(rows=4_000, columns=10)
    assert sheet_extent(xml, max_rows=100_000, max_cells=10_000) == Extent(rows=narrow_rows + 1, columns=10)


def test_text_that_looks_like_a_far_reference_does_not_refuse_the_sheet():
    """The quick bound counts `` r="ZZZ9"`` in a cell's text as a reference; before refusing, the sheet is walked
    tag by tag, where text is text."""
    rows = "".join(f'<row r="{n}">{cell(f"A{n}", f"row {n}")}</row>' for n in range(2, 40))
    quoting = 'she wrote r=&quot;ZZZ9&quot; r="ZZZ9"'
    body = f'<row r="1">{cell("A1", "comment")}</row>{rows}<row r="40">{cell("A40", quoting)}</row>'
    tight = ImportLimits(20 * MiB, 200, 200 * MiB, max_cells=1_000, max_rows=1_000)
    table = read_upload(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet_xml(body)), "quoted.xlsx", tight)
    assert table.header == ("comment",) and rows_of(table)[-1] == (40, ('she wrote r="ZZZ9" r="ZZZ9"',))


def test_a_sheet_within_the_limits_is_read_whatever_its_spelling():
    body = (
        '<row r="1"><c\tr="A1" t="inlineStr"><is><t>email</t></is></c></row><!-- note -->'
        "<row r='2'><c r='A2' t='inlineStr'><is><t>a@example.org</t></is></c></row>"
    )
    table = read_upload(replace_part(xlsx_bytes([["x"]]), SHEET_PART, sheet_xml(body)), "odd.xlsx", LIMITS)
    assert table.header == ("email",) and rows_of(table) == [(2, ("a@example.org",))]


def percent_workbook() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["applicant_id", "mc_score", "ratio"])
    sheet.append(["A1", 0.86, 0.5])  # typed as 86 % and 50 %
    sheet.append(["A2", 91, 0.25])  # a plain number, and 25 % in another column
    sheet.append(["A3", 1, 1])  # 100 %, and a plain 1
    for reference in ("B2", "B4", "C2", "C3"):
        sheet[reference].number_format = "0%"
    sheet["C3"].number_format = '0.0" %"'  # a literal percent sign is not a percent format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_percent_formatted_cells_are_found_by_column():
    table = read_upload(percent_workbook(), "marks.xlsx", LIMITS)
    assert rows_of(table)[0] == (2, ("A1", 0.86, 0.5))  # calamine gives the stored fraction
    assert table.percent_cells(1) == frozenset({2, 4})
    assert table.percent_cells(2) == frozenset({2})
    assert table.percent_cells(0) == frozenset()


def test_a_csv_has_no_percent_formatted_cells():
    assert read_upload(b"applicant_id,mc_score\nA1,86%\n", "m.csv", LIMITS).percent_cells(1) == frozenset()
