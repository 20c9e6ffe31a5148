"""An export's table written as CSV (streamed) or as XLSX: one writer per format, for every export."""
import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from centre.exports.services import Table

MIMETYPES = {
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: First characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters of CSV gathered before they are sent.
CSV_CHUNK = 64 * 1024


def spreadsheet_safe(value):
    """Text never starts a formula: a leading apostrophe keeps it text (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return spreadsheet_safe(value)


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as RFC 4180 CSV in UTF-8, written out every few tens of kilobytes.

    It starts with a byte order mark: without it Excel reads UTF-8 as the local code page and
    Arabic names come out garbled.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(text) for text in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def sheet_title(name: str) -> str:
    """A worksheet title Excel accepts: no []:*?/\\, at most 31 characters."""
    return re.sub(r"[][:*?/\\]", "-", name)[:31] or "export"


def _xlsx_text(value):
    """A cell's value as XLSX can hold it: the control characters XML 1.0 forbids (openpyxl
    refuses them with IllegalCharacterError) are dropped — a name pasted with one would otherwise
    make every export holding it fail — then the formula guard."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return spreadsheet_safe(value)


def xlsx_bytes(table: Table) -> bytes:
    """The table as an XLSX workbook: header bold and frozen, widths set, right to left in Arabic.

    A write-only workbook keeps memory flat on long exports; every cell holding text is written
    as a string with the same guard as the CSV, so nothing typed by a person becomes a formula.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(ILLEGAL_CHARACTERS_RE.sub("", table.name)))
    sheet.sheet_view.rightToLeft = table.language == "ar"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(column.width, len(column.header) + 2)
    bold = Font(bold=True)

    def header_cell(text):
        cell = WriteOnlyCell(sheet, value=_xlsx_text(text))
        cell.font = bold
        return cell

    def date_cell(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell

    sheet.append([header_cell(text) for text in table.header])
    for row in table.rows:
        sheet.append([date_cell(v) if isinstance(v, date) and not isinstance(v, datetime) else _xlsx_text(v)
                      for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
