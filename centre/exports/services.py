"""The exports' tables: one function per export, each giving its columns (headers in the chosen
language) and an iterator of rows, so that every export is written once and rendered both as
CSV and as XLSX by centre.exports.writers.

Each export runs a fixed number of queries whatever its number of rows (joins, not lazy loads),
and the long ones (across a period) read their rows in batches while they are written.
"""
import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from centre import audit
from centre.attendance.services import session_figures
from centre.extensions import db
from centre.i18n import centre_zone, country_name, localized
from centre.models import (
    AttendanceMark,
    Certificate,
    DocumentLanguage,
    Gender,
    Institution,
    InstitutionKind,
    MarkStatus,
    Registration,
    RegistrationStatus,
    SlotPart,
    Trainee,
    TrainingSession,
    User,
)
from centre.models.certificates import CERTIFICATE_STATE_LABELS
from centre.registrations.services import accepted_registrations

#: Rows read from the database at a time by the long exports.
BATCH = 1000


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14  #: in characters, for the spreadsheet


@dataclass
class Table:
    """An export: its columns and its rows of cells (str, int, float, date, or None)."""

    name: str  #: the file's name without extension: registrations-2026-07
    language: str  #: of the headers and labels; Arabic sheets read right to left
    columns: list[Column]
    rows: Iterable[list]

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]


def iso_datetime(value: datetime | None, zone: ZoneInfo | None = None) -> str | None:
    """ISO 8601 in the centre's time zone, to the second: 2026-03-02T09:05:00+01:00."""
    return value.astimezone(zone or centre_zone()).isoformat(timespec="seconds") if value else None


def _labels(language: str, pairs) -> dict:
    """Labels (lazy strings) made plain text in the export's language, once per export."""
    with force_locale(language):
        return {key: str(label) for key, label in pairs}


def _enum_labels(language: str, enum_cls) -> dict:
    return _labels(language, ((member, member.label) for member in enum_cls))


def _columns(language: str, specs) -> list[Column]:
    """Columns from a callable giving (header, width) pairs, called in the export's language so
    that the gettext calls in it translate into that language."""
    with force_locale(language):
        return [Column(header, width) for header, width in specs()]


def safe_name(text: str) -> str:
    """A file name part that any header and file system accept, whatever the session's code."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def period_name(start: date, end: date) -> str:
    """2026-07 for a whole month, 2026 for a whole year, else 2026-01-15_2026-03-31."""
    if start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]:
        if (start.year, start.month) == (end.year, end.month):
            return start.isoformat()[:7]
        if start.month == 1 and end.month == 12 and start.year == end.year:
            return start.isoformat()[:4]
    return f"{start.isoformat()}_{end.isoformat()}"


def _institution_name(row, language: str) -> str:
    if row.institution_id is not None:
        return localized(row, "name", language)
    return row.institution_other


def _stream(query) -> Iterator:
    """The query's rows, fetched in batches (a server-side cursor on PostgreSQL)."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


# Registrations ---------------------------------------------------------------------------------


def _registrations_table(name: str, language: str, where) -> Table:
    columns = _columns(language, lambda: [
        (_("Session"), 12), (_("Status"), 16), (_("Family name"), 20), (_("Given name"), 20),
        (_("Name in Arabic script"), 24), (_("Gender"), 10), (_("Nationality"), 18),
        (_("Institution"), 36), (_("E-mail"), 30), (_("Submitted at"), 26), (_("Decided at"), 26),
    ])
    statuses = _enum_labels(language, RegistrationStatus)
    genders = _enum_labels(language, Gender)
    countries: dict[str, str] = {}
    query = (
        sa.select(TrainingSession.code, Registration.status, Trainee.family_name, Trainee.given_name,
                  Trainee.full_name_ar, Trainee.gender, Trainee.nationality, Trainee.institution_id,
                  Trainee.institution_other, Institution.name_fr, Institution.name_ar, Institution.name_en,
                  Trainee.email, Registration.submitted_at, Registration.decided_at)
        .select_from(Registration)
        .join(Trainee, Registration.trainee_id == Trainee.id)
        .join(TrainingSession, Registration.session_id == TrainingSession.id)
        .outerjoin(Institution, Trainee.institution_id == Institution.id)
        .where(where)
        .order_by(TrainingSession.start_on, TrainingSession.code, Trainee.family_name, Trainee.given_name,
                  Registration.id)
    )

    def rows():
        zone = centre_zone()
        for row in _stream(query):
            if row.nationality not in countries:
                countries[row.nationality] = country_name(row.nationality, language)
            yield [row.code, statuses[row.status], row.family_name, row.given_name, row.full_name_ar,
                   genders[row.gender], countries[row.nationality], _institution_name(row, language),
                   row.email, iso_datetime(row.submitted_at, zone), iso_datetime(row.decided_at, zone)]

    return Table(name, language, columns, rows())


def session_registrations(training_session: TrainingSession, language: str) -> Table:
    """Every registration of the session, whatever its status."""
    return _registrations_table(f"registrations-{safe_name(training_session.code)}", language,
                                Registration.session_id == training_session.id)


def period_registrations(start: date, end: date, language: str) -> Table:
    """Every registration to the sessions starting between `start` and `end` (both included)."""
    return _registrations_table(f"registrations-{period_name(start, end)}", language,
                                TrainingSession.start_on.between(start, end))


# Attendance ------------------------------------------------------------------------------------


def _slot_heading(slot, parts: dict) -> str:
    return f"{slot.starts_at.astimezone(centre_zone()).date().isoformat()} {parts[slot.part]}"


def session_attendance(training_session: TrainingSession, language: str,
                       now: datetime | None = None) -> Table:
    """The attendance grid: one row per accepted trainee, one column per slot, then the figures
    and the rate (the percentage shown on the grid, rounded down)."""
    registrations = accepted_registrations(training_session)
    slots = training_session.slots
    parts = _enum_labels(language, SlotPart)
    statuses = _enum_labels(language, MarkStatus)
    marks = {(registration_id, slot_id): status for registration_id, slot_id, status in db.session.execute(
        sa.select(AttendanceMark.registration_id, AttendanceMark.slot_id, AttendanceMark.status)
        .where(AttendanceMark.slot_id.in_([slot.id for slot in slots])))}
    all_figures = session_figures(training_session, [r.id for r in registrations], now)
    columns = [
        *_columns(language, lambda: [(_("Family name"), 20), (_("Given name"), 20),
                                     (_("Name in Arabic script"), 24)]),
        *(Column(_slot_heading(slot, parts), 18) for slot in slots),
        *_columns(language, lambda: [(_("Present or late"), 12), (_("Excused"), 10), (_("Absent"), 10),
                                     (_("Slots counted"), 12), (_("Attendance rate (percent)"), 14)]),
    ]

    def rows():
        for registration in registrations:
            trainee = registration.trainee
            figures = all_figures[registration.id]
            cells = [statuses[marks[registration.id, slot.id]] if (registration.id, slot.id) in marks else ""
                     for slot in slots]
            yield [trainee.family_name, trainee.given_name, trainee.full_name_ar, *cells,
                   figures.present, figures.excused, figures.absent, figures.counted, figures.percent]

    return Table(f"attendance-{safe_name(training_session.code)}", language, columns, rows())


# Certificates ----------------------------------------------------------------------------------


def _certificates_table(name: str, language: str, where) -> Table:
    columns = _columns(language, lambda: [
        (_("Session"), 12), (_("Certificate number"), 18), (_("Family name"), 20),
        (_("Given name"), 20), (_("Name in Arabic script"), 24), (_("Language"), 16),
        (_("Issued at"), 26), (_("Status"), 12), (_("Replaced by"), 18), (_("Revoked at"), 26),
    ])
    languages = _enum_labels(language, DocumentLanguage)
    states = _labels(language, CERTIFICATE_STATE_LABELS.items())
    replacement = aliased(Certificate)
    query = (
        sa.select(Certificate.number, Certificate.language, Certificate.issued_at, Certificate.revoked_at,
                  Certificate.replaced_by_id, Certificate.sha256, Certificate.erased_at,
                  replacement.number.label("replaced_by"),
                  TrainingSession.code, Trainee.family_name, Trainee.given_name, Trainee.full_name_ar)
        .select_from(Certificate)
        .join(Registration, Certificate.registration_id == Registration.id)
        .join(Trainee, Registration.trainee_id == Trainee.id)
        .join(TrainingSession, Registration.session_id == TrainingSession.id)
        .outerjoin(replacement, Certificate.replaced_by_id == replacement.id)
        .where(where)
        .order_by(Certificate.year, Certificate.sequence)
    )

    def rows():
        zone = centre_zone()
        for row in _stream(query):
            state = Certificate.state_of(row.sha256, row.revoked_at, row.replaced_by_id, row.erased_at)
            yield [row.code, row.number, row.family_name, row.given_name, row.full_name_ar,
                   languages[row.language], iso_datetime(row.issued_at, zone), states[state],
                   row.replaced_by, iso_datetime(row.revoked_at, zone)]

    return Table(name, language, columns, rows())


def session_certificates(training_session: TrainingSession, language: str) -> Table:
    """Every certificate of the session, valid, replaced or revoked, in the order of their numbers."""
    return _certificates_table(f"certificates-{safe_name(training_session.code)}", language,
                               Registration.session_id == training_session.id)


def period_certificates(start: date, end: date, language: str) -> Table:
    """Every certificate of the sessions starting between `start` and `end` (both included)."""
    return _certificates_table(f"certificates-{period_name(start, end)}", language,
                               TrainingSession.start_on.between(start, end))


# Partner institutions --------------------------------------------------------------------------


def partners(language: str, today: date) -> Table:
    """Every partner institution with its memberships and agreements, by name in `language`."""
    columns = _columns(language, lambda: [
        (_("Name in French"), 40), (_("Name in Arabic"), 40), (_("Name in English"), 40),
        (_("Country"), 18), (_("Kind"), 22), (_("Member of"), 18), (_("Agreements"), 12),
        (_("Agreements in force"), 12), (_("Latest agreement signed on"), 16),
        (_("Latest agreement ends on"), 16),
    ])
    kinds = _enum_labels(language, InstitutionKind)
    institutions = db.session.scalars(
        sa.select(Institution).options(selectinload(Institution.associations),
                                       selectinload(Institution.agreements))
    ).all()
    institutions.sort(key=lambda i: localized(i, "name", language).casefold())

    def rows():
        for institution in institutions:
            agreements = institution.agreements  # ordered by signing date
            latest = agreements[-1] if agreements else None
            yield [institution.name_fr, institution.name_ar, institution.name_en,
                   country_name(institution.country, language), kinds[institution.kind],
                   ", ".join(a.code for a in institution.associations), len(agreements),
                   sum(a.is_in_force(today) for a in agreements),
                   latest.signed_on if latest else None, latest.ends_on if latest else None]

    return Table(f"partners-{today.isoformat()}", language, columns, rows())


# The audit log ---------------------------------------------------------------------------------


def record_export(kind: str, actor: User | None, training_session: TrainingSession | None = None,
                  **details) -> None:
    """Write the audit entry of an export of personal data (registrations, attendance,
    certificates): on the session's history, or on the exporting account for a period."""
    audit.record(training_session or actor, f"export_{kind}", actor=actor, **details)
