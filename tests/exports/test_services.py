"""The exports' tables and writers, called directly."""
import csv
import io
from datetime import date, datetime, timezone

import pytest

from centre.exports import services, writers
from centre.exports.services import Column, Table


@pytest.mark.parametrize("start, end, name", [
    (date(2026, 7, 1), date(2026, 7, 31), "2026-07"),
    (date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
    (date(2026, 1, 1), date(2026, 12, 31), "2026"),
    (date(2026, 1, 1), date(2027, 12, 31), "2026-01-01_2027-12-31"),
    (date(2026, 7, 1), date(2026, 8, 31), "2026-07-01_2026-08-31"),
    (date(2026, 7, 2), date(2026, 7, 31), "2026-07-02_2026-07-31"),
    (date(9999, 12, 1), date(9999, 12, 31), "9999-12"),
    (date(1, 1, 1), date(9999, 12, 31), "0001-01-01_9999-12-31"),
    (date(12, 1, 1), date(12, 12, 31), "0012"),
])
def test_period_name_says_a_month_or_a_year_when_it_is_one(start, end, name):
    assert services.period_name(start, end) == name


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Diallo", "Diallo"), ("", ""), (-2, -2), (None, None),
    ("a=b", "a=b"),
])
def test_spreadsheet_safe_quotes_only_text_that_starts_a_formula(value, safe):
    assert writers.spreadsheet_safe(value) == safe


def table(rows, language="en") -> Table:
    return Table("test", language, [Column("Name", 10), Column("On", 12), Column("Count", 8)], rows)


def test_csv_is_streamed_in_chunks_and_reads_back_whole():
    rows = [[f"Nom, \"{n}\"\nsuite", date(2026, 7, n % 28 + 1), n] for n in range(5000)]
    chunks = list(writers.csv_chunks(table(iter(rows))))
    assert len(chunks) > 2
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbfName,On,Count\r\n")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert back[1] == ['Nom, "0"\nsuite', "2026-07-01", "0"]
    assert len(back) == 5001 and back[-1][2] == "4999"


def test_csv_writes_empty_cells_for_none_and_iso_dates():
    data = b"".join(writers.csv_chunks(table([[None, date(2026, 1, 2), 0.5]]))).decode("utf-8-sig")
    assert data.splitlines()[1] == ",2026-01-02,0.5"


def test_xlsx_sheet_title_is_accepted_by_excel():
    assert writers.sheet_title("registrations-A/B:[C]?*") == "registrations-A-B--C---"
    assert len(writers.sheet_title("x" * 40)) == 31


def test_xlsx_header_widths_fit_long_headers():
    from openpyxl import load_workbook

    long = Table("t", "fr", [Column("Un en-tête vraiment très long pour sa colonne", 10)], [["x"]])
    sheet = load_workbook(io.BytesIO(writers.xlsx_bytes(long))).active
    assert sheet.column_dimensions["A"].width >= 40
    assert not sheet.sheet_view.rightToLeft


def test_iso_datetime_is_in_the_centres_time_zone(ctx):
    summer = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)
    assert services.iso_datetime(summer) == "2026-07-06T09:00:00+01:00"  # Africa/Casablanca
    assert services.iso_datetime(None) is None


def test_session_registrations_table_in_arabic(ctx, centre_data):
    from centre.extensions import db
    from centre.models import TrainingSession

    exported = services.session_registrations(db.session.get(TrainingSession, centre_data["july"]), "ar")
    assert exported.name == "registrations-2026-07" and exported.language == "ar"
    assert exported.header[1] == "الحالة"
    rows = list(exported.rows)
    assert len(rows) == 4 and {row[1] for row in rows} == {"مقبول", "في الانتظار"}
