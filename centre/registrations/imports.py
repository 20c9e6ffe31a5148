"""Importing the lists of trainees that partner institutions send (CSV or XLSX).

Each person imported gets a trainee account without a password (unless they have one): they sign
in with a link sent by e-mail, or choose a password through the link of their acceptance e-mail.

A file is read whole and every row checked before anything is written: a file with bad rows
imports nothing unless the coordinator asks to skip them. A person already registered for the
session (same e-mail or passport) is reported, never registered twice.
"""
import csv
import io
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import is_country
from centre.models import Gender, Institution, Trainee, TrainingSession, User
from centre.models.types import utcnow
from centre.registrations import services
from centre.security import clean_text

COLUMNS = ("given_name", "family_name", "arabic_name", "gender", "nationality", "email",
           "institution", "position", "passport_number")
REQUIRED = ("given_name", "family_name", "gender", "nationality", "email")
MAX_BYTES = 2 * 1024 * 1024  #: the default of IMPORT_MAX_BYTES
MAX_ROWS = 2000
#: Columns read from each row: a list has nine, and a sheet may declare 16,384 (A1:XFD1048576),
#: which openpyxl's read-only mode trusts and pads every row to.
MAX_COLUMNS = 40
#: Bytes an XLSX may hold once unpacked (a 2 MB upload of repeated cells unpacks to gigabytes;
#: 2,000 rows of nine columns are about 1 MB of XML), counted while unpacking, not as declared.
XLSX_MAX_UNPACKED = 8 * 1024 * 1024
XLSX_MAX_MEMBERS = 200
#: Seconds reading a file may take before it is refused (a second guard, after the sizes).
PARSE_SECONDS = 10
GENDERS = {"female": Gender.FEMALE, "f": Gender.FEMALE, "femme": Gender.FEMALE, "féminin": Gender.FEMALE,
           "أنثى": Gender.FEMALE, "male": Gender.MALE, "m": Gender.MALE, "h": Gender.MALE,
           "homme": Gender.MALE, "masculin": Gender.MALE, "ذكر": Gender.MALE}
LENGTHS = {"given_name": 100, "family_name": 100, "arabic_name": 200, "email": 254, "institution": 300,
           "position": 200, "passport_number": 30}


class DateCell(str):
    """A cell the spreadsheet holds as a date, as ISO text: no column of the list is a date, so
    a date is a mistyped cell (a passport number a spreadsheet took for a date), never imported."""


def cell_text(value) -> str:
    """A cell's text by its type: a whole number without ".0", a date as its ISO day (a DateCell),
    text as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return DateCell(value.date().isoformat() if value.time() == time_of_day() else value.isoformat(" "))
    if isinstance(value, date):
        return DateCell(value.isoformat())
    return clean_text(str(value)).strip()


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)  #: (line, reason)
    already: list[tuple[int, str]] = field(default_factory=list)  #: (line, e-mail) already registered
    imported: list[tuple[int, str]] = field(default_factory=list)  #: (line, e-mail)
    accounts: int = 0  #: trainee accounts opened (without a password) for the people imported
    written: bool = False


def max_bytes() -> int:
    return current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES)


def read_table(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(line number, {column: text}) for each non-empty row; DomainError if the file is not a list."""
    if len(data) > max_bytes():
        raise DomainError(_l("The file is too large (at most %(size)s KB)."), size=max_bytes() // 1024)
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise DomainError(_l("This file is not a valid XLSX workbook."))
        rows = _xlsx_rows(data)
    elif suffix == "csv":
        rows = _csv_rows(data)
    else:
        raise DomainError(_l("The list must be a CSV or XLSX file."))
    if not rows:
        raise DomainError(_l("The file is empty."))
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise DomainError(_l("Columns missing from the first line: %(columns)s."), columns=", ".join(missing))
    table = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {name: cell_text(cells[i]) if i < len(cells) else ""
                  for i, name in enumerate(header) if name in COLUMNS}
        if any(values.values()):
            table.append((number, values))
    if len(table) > MAX_ROWS:
        raise DomainError(_l("The file has too many rows (at most %(rows)s)."), rows=MAX_ROWS)
    return table


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("The CSV file must be saved as UTF-8 text.")) from None
    if "\0" in text:
        raise DomainError(_l("This file is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:
        raise DomainError(_l("This file is not a CSV text file.")) from None


def _check_unpacked_size(data: bytes) -> None:
    """Unpack every member of the archive, counting, and refuse it past XLSX_MAX_UNPACKED: the
    sizes an archive declares may lie, what comes out of the decompressor does not."""
    not_valid = DomainError(_l("This file is not a valid XLSX workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise not_valid
            unpacked = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(256 * 1024):
                        unpacked += len(chunk)
                        if unpacked > XLSX_MAX_UNPACKED:
                            raise DomainError(_l("The file is too large once unpacked (at most %(size)s MB): "
                                                 "send a list of the trainees only."),
                                              size=XLSX_MAX_UNPACKED // (1024 * 1024))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError):
        raise not_valid from None


def _xlsx_rows(data: bytes) -> list[tuple]:
    """The first MAX_ROWS + 1 rows of the first sheet, MAX_COLUMNS cells each at most; the
    archive's unpacked size is bounded first, and reading stops after PARSE_SECONDS."""
    _check_unpacked_size(data)
    deadline = time.monotonic() + PARSE_SECONDS
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise DomainError(_l("This file is not a valid XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension (e.g. A1:XFD1048576) is not believed: rows are read as they are.
        sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS, values_only=True):
            rows.append(row)
            if time.monotonic() > deadline:
                raise DomainError(_l("Reading this file takes too long: send a list of the trainees only."))
        return rows
    except DomainError:
        raise
    except Exception:  # a damaged sheet found while reading it
        raise DomainError(_l("This file is not a valid XLSX workbook.")) from None
    finally:
        workbook.close()


def _institutions_by_name() -> dict[str, Institution]:
    names = {}
    for institution in db.session.scalars(sa.select(Institution)):
        for name in (institution.name_fr, institution.name_ar, institution.name_en):
            if name:
                names[name.strip().casefold()] = institution
    return names


def check_row(values: dict) -> tuple[dict | None, str | None]:
    """The trainee's fields from one row, or the reason it cannot be imported."""
    for name in REQUIRED:
        if not values.get(name):
            return None, str(_l("the column %(column)s is empty", column=name))
    for name, value in values.items():
        if isinstance(value, DateCell):
            return None, str(_l("the column %(column)s holds a date (%(value)s) where text is expected: format "
                                "the column as text in the spreadsheet and type it again", column=name, value=value))
    for name, limit in LENGTHS.items():
        if len(values.get(name, "")) > limit:
            return None, str(_l("%(column)s is longer than %(limit)s characters", column=name, limit=limit))
    gender = GENDERS.get(values["gender"].casefold())
    if gender is None:
        return None, str(_l("gender “%(value)s” is not female or male", value=values["gender"]))
    nationality = values["nationality"].upper()
    if not is_country(nationality):
        return None, str(_l("nationality “%(value)s” is not a two-letter country code (ISO 3166)",
                            value=values["nationality"]))
    try:
        email = validate_email(values["email"], check_deliverability=False).normalized
    except EmailNotValidError:
        return None, str(_l("“%(value)s” is not an e-mail address", value=values["email"]))
    return {
        "given_name": values["given_name"], "family_name": values["family_name"],
        "full_name_ar": values.get("arabic_name", ""), "gender": gender, "nationality": nationality,
        "email": services.normalize_email(email), "institution": values.get("institution", ""),
        "position": values.get("position", ""),
        "passport_number": services.normalize_passport(values.get("passport_number")),
    }, None


def import_trainees(training_session: TrainingSession, table: list[tuple[int, dict]], actor: User | None,
                    *, skip_errors: bool = False) -> ImportReport:
    """Check every row, then (if no error, or if asked to skip them) register each person."""
    report = ImportReport()
    good, seen = [], {}
    for number, values in table:
        fields, reason = check_row(values)
        if fields:
            for key in ("email", "passport_number"):
                if fields[key] and (fields[key], key) in seen:
                    reason = str(_l("the same person as on line %(line)s", line=seen[fields[key], key]))
                    break
        if reason:
            report.errors.append((number, reason))
            continue
        for key in ("email", "passport_number"):
            if fields[key]:
                seen[fields[key], key] = number
        good.append((number, fields))
    if report.errors and not skip_errors:
        return report
    institutions = _institutions_by_name()
    for number, fields in good:
        trainee = db.session.scalar(sa.select(Trainee).where(Trainee.email == fields["email"]))
        if trainee is None:
            institution = institutions.get(fields["institution"].casefold())
            trainee = Trainee(
                given_name=fields["given_name"], family_name=fields["family_name"],
                full_name_ar=fields["full_name_ar"], gender=fields["gender"], nationality=fields["nationality"],
                institution=institution, institution_other="" if institution else fields["institution"],
                position=fields["position"], email=fields["email"], passport_number=fields["passport_number"],
                # The partner institution vouches for the address, through the coordinator who imports it.
                email_confirmed_at=utcnow(),
            )
            db.session.add(trainee)
            db.session.flush()
            audit.record(trainee, "import", actor=actor, session=training_session.code)
        if trainee.user is None and services.open_trainee_account(trainee, actor) is not None:
            report.accounts += 1
        try:
            services.register(training_session, trainee)
        except services.DuplicateRegistration:
            report.already.append((number, fields["email"]))
            continue
        report.imported.append((number, fields["email"]))
    report.written = True
    return report
