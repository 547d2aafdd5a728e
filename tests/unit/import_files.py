"""Building spreadsheet files for the import tests: well-formed ones with openpyxl/csv, and hostile ones by hand."""

import csv
import io
import zipfile

import openpyxl

SHEET_PART = "xl/worksheets/sheet1.xml"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def spreadsheet(file_format: str, rows: list[list]) -> tuple[bytes, str]:
    """The rows as ``(bytes, file name)`` in either format."""
    if file_format == "xlsx":
        return xlsx_bytes(rows), "upload.xlsx"
    return csv_bytes(rows), "upload.csv"


def replace_part(workbook: bytes, part: str, content: bytes) -> bytes:
    """The same workbook with one zip entry's content swapped."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == part else source.read(info.filename))
    return out.getvalue()


def sheet_xml(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{prolog}<worksheet xmlns="{SHEET_NS}"><sheetData>{body}</sheetData></worksheet>'
    ).encode()


def billion_laughs_workbook() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', prolog=f"<!DOCTYPE lolz [{entities}]>"
    )
    return replace_part(xlsx_bytes([["email", "name"]]), SHEET_PART, sheet)


def xxe_workbook(target: str) -> bytes:
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>',
        prolog=f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{target}">]>',
    )
    return replace_part(xlsx_bytes([["email", "name"]]), SHEET_PART, sheet)


def zip_bomb_workbook(padding_bytes: int) -> bytes:
    """A valid workbook plus one extra entry of zeros that compresses about a thousandfold."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([["email", "name"], ["a@example.org", "A"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/media/padding.bin", "w", force_zip64=True) as padding:
            chunk = bytes(1 << 20)
            for _ in range(padding_bytes >> 20):
                padding.write(chunk)
    return out.getvalue()
