"""Attendance marks, QR self check-in, the attendance rate, eligibility for a certificate
and the sign-in sheet."""
import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import FULL_DATE, centre_zone, format_date_range, format_day, format_time, localized
from centre.models import (
    AttendanceMark,
    AttendanceSignature,
    MarkStatus,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Slot,
    SlotCountersignature,
    Trainee,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.pdf import render_pdf, require_arabic_font
from centre.registrations.services import accepted_registrations

MARKING_STATUSES = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
NOTE_MAX = 500  #: length of AttendanceMark.note
CHECKIN_CODE_LENGTH = 16  #: hex digits of the HMAC shown in the QR code (64 bits)


@dataclass(frozen=True)
class AttendanceFigures:
    slots: int  #: slots of the session
    present: int  #: present or late
    excused: int
    counted: int  #: the denominator: slots held (or marked), less excused ones if the session leaves them out
    late: int = 0  #: of `present`, how many late
    absent: int = 0  #: marked absent, or not marked once the slot ended
    pending: int = 0  #: not marked and not ended yet: outside the count

    @property
    def rate(self) -> float:
        """Percentage of counted slots attended (present or late)."""
        return 100.0 * self.present / self.counted if self.counted else 0.0

    @property
    def percent(self) -> int:
        """The rate rounded down, as shown: 79.6 % shows as 79, never as a threshold of 80 met."""
        return self.present * 100 // self.counted if self.counted else 0

    def meets(self, threshold: int) -> bool:
        # Integer comparison, so a threshold met exactly is never lost to rounding.
        return self.counted > 0 and self.present * 100 >= threshold * self.counted


# Marks -----------------------------------------------------------------------------------


def accepted_registration_ids(training_session: TrainingSession) -> set[int]:
    return set(db.session.scalars(
        sa.select(Registration.id).where(Registration.session_id == training_session.id,
                                         Registration.status == RegistrationStatus.ACCEPTED)
    ))


def save_marks(training_session: TrainingSession, marks: dict[tuple[int, int], MarkStatus],
               actor: User | None, *, notes: dict[tuple[int, int], str] | None = None,
               reason: str = "", now: datetime | None = None) -> int:
    """Record marks {(registration_id, slot_id): status} and notes; returns how many changed.

    A note alone changes the note of a mark already recorded. Once the session is completed
    a change is a correction: it needs a reason, kept in the audit log.
    """
    if training_session.status not in MARKING_STATUSES:
        raise DomainError(_l("Attendance is taken once the session has started."))
    notes = notes or {}
    accepted = accepted_registration_ids(training_session)
    slot_ids = {slot.id for slot in training_session.slots}
    keys = sorted(set(marks) | set(notes))
    for registration_id, slot_id in keys:
        if registration_id not in accepted or slot_id not in slot_ids:
            raise DomainError(_l("A mark names a trainee or slot that is not part of this session."))
    existing = marks_of(training_session, keys) if keys else {}
    changes = []
    for key in keys:
        mark = existing.get(key)
        status = marks.get(key) or (mark.status if mark else None)
        note = (notes[key] if key in notes else (mark.note if mark else "")).strip()
        if status is None:
            if not note:
                continue
            raise DomainError(_l("A note needs a mark: choose present, late, excused or absent first."))
        if len(note) > NOTE_MAX:
            raise DomainError(_l("A note has at most %(max)d characters."), max=NOTE_MAX)
        if mark is not None and mark.status == status and mark.note == note:
            continue
        changes.append((key, mark, status, note))
    correcting = training_session.status == SessionStatus.COMPLETED
    reason = reason.strip()
    if changes and correcting and not reason:
        raise DomainError(_l("The session is completed: give the reason for this correction."))
    for key, mark, status, note in changes:
        _write_mark(key, mark, status, note, actor, now or utcnow(),
                    "correct" if correcting else "mark", reason=reason or None)
    db.session.flush()
    return len(changes)


def _write_mark(key, mark: AttendanceMark | None, status: MarkStatus, note: str, actor: User | None,
                now: datetime, action: str, **details) -> AttendanceMark:
    """Set a mark, remember who recorded it and when, and write the audit entry."""
    if mark is None:
        mark = AttendanceMark(registration_id=key[0], slot_id=key[1], status=status, note=note)
        db.session.add(mark)
        previous = None
    else:
        previous = mark.status
        if note != mark.note:
            details["note"] = note
    mark.status = status
    mark.note = note
    mark.recorded_by = actor
    mark.recorded_at = now
    audit.record(mark, action, from_state=previous, to_state=status, actor=actor, **details)
    return mark


def mark_everyone_present(training_session: TrainingSession, slot: Slot, actor: User | None, *,
                          reason: str = "", now: datetime | None = None) -> int:
    """Mark present, for one slot, every accepted trainee not marked yet; marks already there stay."""
    marked = set(db.session.scalars(
        sa.select(AttendanceMark.registration_id).where(AttendanceMark.slot_id == slot.id)))
    marks = {(rid, slot.id): MarkStatus.PRESENT for rid in accepted_registration_ids(training_session) - marked}
    return save_marks(training_session, marks, actor, reason=reason, now=now)


def marks_of(training_session: TrainingSession,
             keys: Iterable[tuple[int, int]] | None = None) -> dict[tuple[int, int], AttendanceMark]:
    """The session's marks (or those of some cells), with who recorded them, in one query."""
    slot_ids = [slot.id for slot in training_session.slots]
    query = (sa.select(AttendanceMark).where(AttendanceMark.slot_id.in_(slot_ids))
             .options(sa.orm.joinedload(AttendanceMark.recorded_by)))
    if keys is not None:
        keys = list(keys)
        query = query.where(AttendanceMark.registration_id.in_({k[0] for k in keys}))
    return {(m.registration_id, m.slot_id): m for m in db.session.scalars(query)}


def attended_hours(registration: Registration) -> float:
    """Hours of the slots the trainee attended (present or late), to the quarter hour."""
    return attended_hours_of([registration.id])[registration.id]


def attended_hours_of(registration_ids: list[int]) -> dict[int, float]:
    """attended_hours of several registrations, in one query."""
    seconds = dict.fromkeys(registration_ids, 0.0)
    rows = db.session.execute(
        sa.select(AttendanceMark.registration_id, Slot.starts_at, Slot.ends_at)
        .join(AttendanceMark, AttendanceMark.slot_id == Slot.id)
        .where(AttendanceMark.registration_id.in_(registration_ids),
               AttendanceMark.status.in_((MarkStatus.PRESENT, MarkStatus.LATE)))
    )
    for registration_id, starts_at, ends_at in rows:
        seconds[registration_id] += (ends_at - starts_at).total_seconds()
    return {rid: round(total / 900) / 4 for rid, total in seconds.items()}


# QR self check-in --------------------------------------------------------------------------


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // 60


def checkin_code(slot: Slot, now: datetime) -> str:
    """The code of the slot for the minute of `now`: an HMAC of slot and minute with SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"attendance-check-in:{slot.id}:{_minute(now)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:CHECKIN_CODE_LENGTH]


def checkin_code_is_valid(slot: Slot, code: str, now: datetime) -> bool:
    """This minute's code, or the previous minute's (a scan made just before it changed)."""
    given = (code or "").strip().lower().encode()
    return any(hmac.compare_digest(given, checkin_code(slot, now - timedelta(minutes=back)).encode())
               for back in (0, 1))


def qr_svg(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=True))


def current_slot(training_session: TrainingSession, now: datetime | None = None) -> Slot | None:
    now = now or utcnow()
    return next((s for s in training_session.slots if s.starts_at <= now < s.ends_at), None)


def next_slot(training_session: TrainingSession, now: datetime | None = None) -> Slot | None:
    now = now or utcnow()
    return next((s for s in training_session.slots if s.starts_at > now), None)


def late_after(slot: Slot) -> datetime:
    """From when a check-in counts as late."""
    return slot.starts_at + timedelta(minutes=current_app.config["CHECKIN_LATE_AFTER_MINUTES"])


def checkin_registration(slot: Slot, code: str, user: User, now: datetime | None = None) -> Registration:
    """The signed-in trainee's accepted registration the code lets them check in with, or why not."""
    now = now or utcnow()
    if not checkin_code_is_valid(slot, code, now):
        raise DomainError(_l("This code is not valid or has expired. Scan the code on the screen again."))
    if not slot.starts_at <= now < slot.ends_at:
        raise DomainError(_l("Check-in is open only during the slot's hours."))
    if slot.training_session.status != SessionStatus.IN_PROGRESS:
        raise DomainError(_l("Check-in is open only while the session is in progress."))
    registration = db.session.scalar(
        sa.select(Registration).join(Trainee).where(
            Registration.session_id == slot.session_id,
            Registration.status == RegistrationStatus.ACCEPTED,
            Trainee.user_id == user.id,
        ))
    if registration is None:
        raise DomainError(_l("You are not an accepted participant of this session."))
    return registration


def check_in(slot: Slot, code: str, user: User, now: datetime | None = None) -> AttendanceMark:
    """Mark the signed-in trainee present (late after the configured minutes) for the slot."""
    now = now or utcnow()
    registration = checkin_registration(slot, code, user, now)
    key = (registration.id, slot.id)
    mark = marks_of(slot.training_session, [key]).get(key)
    if mark is not None and mark.status in (MarkStatus.PRESENT, MarkStatus.LATE):
        return mark  # already there: a second scan changes nothing
    status = MarkStatus.LATE if now >= late_after(slot) else MarkStatus.PRESENT
    mark = _write_mark(key, mark, status, mark.note if mark else "", user, now, "check_in")
    db.session.flush()
    return mark


# Figures and eligibility -----------------------------------------------------------------


def slot_has_ended(session_status: SessionStatus, ends_at: datetime, now: datetime) -> bool:
    """Whether a slot counts towards attendance even unmarked: once it has ended, and every slot
    once the session is completed."""
    return session_status == SessionStatus.COMPLETED or ends_at <= now


def session_figures(training_session: TrainingSession, registration_ids: list[int] | None = None,
                    now: datetime | None = None) -> dict[int, AttendanceFigures]:
    """Attendance figures of each registration of the session, in one query.

    A slot counts once it has ended (every slot, once the session is completed) or once it is
    marked; a slot not marked counts as absent once it has ended.
    """
    now = now or utcnow()
    slots = training_session.slots
    ended = {s.id for s in slots if slot_has_ended(training_session.status, s.ends_at, now)}
    query = (sa.select(AttendanceMark.registration_id, AttendanceMark.slot_id, AttendanceMark.status)
             .where(AttendanceMark.slot_id.in_([s.id for s in slots])))
    if registration_ids is not None:
        query = query.where(AttendanceMark.registration_id.in_(registration_ids))
    marked: dict[int, dict[int, MarkStatus]] = {}
    for registration_id, slot_id, status in db.session.execute(query):
        marked.setdefault(registration_id, {})[slot_id] = status
    ids = registration_ids if registration_ids is not None else list(marked)
    return {rid: _figures(training_session, len(slots), ended, marked.get(rid, {})) for rid in ids}


def _figures(training_session: TrainingSession, slots: int, ended: set[int],
             marked: dict[int, MarkStatus]) -> AttendanceFigures:
    statuses = list(marked.values())
    late = statuses.count(MarkStatus.LATE)
    present = statuses.count(MarkStatus.PRESENT) + late
    excused = statuses.count(MarkStatus.EXCUSED)
    unmarked_ended = len(ended - marked.keys())
    held = len(marked) + unmarked_ended
    counted = held - (excused if training_session.excused_left_out else 0)
    return AttendanceFigures(
        slots=slots, present=present, excused=excused, counted=counted, late=late,
        absent=statuses.count(MarkStatus.ABSENT) + unmarked_ended, pending=slots - held,
    )


def figures(registration: Registration, now: datetime | None = None) -> AttendanceFigures:
    return session_figures(registration.training_session, [registration.id], now)[registration.id]


def total(all_figures: Iterable[AttendanceFigures]) -> AttendanceFigures:
    """The session's figures: every trainee's slots added up (its rate is the session's rate)."""
    fields = ("slots", "present", "excused", "counted", "late", "absent", "pending")
    sums = dict.fromkeys(fields, 0)
    for item in all_figures:
        for name in fields:
            sums[name] += getattr(item, name)
    return AttendanceFigures(**sums)


def eligibility(registration: Registration, result: AttendanceFigures | None = None,
                now: datetime | None = None) -> tuple[bool, str]:
    """Whether the registration may receive a certificate, and if not, why."""
    training_session = registration.training_session
    if training_session.status != SessionStatus.COMPLETED:
        return False, str(_l("The session is not completed."))
    if registration.status != RegistrationStatus.ACCEPTED:
        return False, str(_l("The registration is not accepted."))
    if registration.trainee.anonymised_at is not None:
        return False, str(_l("The trainee's personal data was erased at the retention limit: no certificate "
                             "can be printed for them."))
    result = result or figures(registration, now)
    if result.slots == 0:
        return False, str(_l("The session has no slots."))
    if result.counted == 0:
        return False, str(_l("No slot counts towards attendance: every slot is excused."))
    if not result.meets(training_session.attendance_threshold):
        return False, str(_l("Attendance %(rate).0f%% is below the threshold of %(threshold)s%%.",
                             rate=result.percent, threshold=training_session.attendance_threshold))
    return True, ""


@dataclass(frozen=True)
class EligibilityRow:
    registration: Registration
    figures: AttendanceFigures
    eligible: bool
    reason: str  #: why not, empty when eligible


def eligibility_list(training_session: TrainingSession, now: datetime | None = None) -> list[EligibilityRow]:
    """Every accepted trainee of the session, whether they may receive a certificate and why not."""
    registrations = accepted_registrations(training_session)
    all_figures = session_figures(training_session, [r.id for r in registrations], now)
    return [EligibilityRow(r, all_figures[r.id], *eligibility(r, all_figures[r.id]))
            for r in registrations]


# Downloads ---------------------------------------------------------------------------------


def file_name(training_session: TrainingSession, kind: str, extension: str) -> str:
    """A download's name that any header and file system accept, whatever the session's code."""
    return f"{kind}-{re.sub(r'[^A-Za-z0-9._-]', '_', training_session.code)}.{extension}"


# The sign-in sheet -------------------------------------------------------------------------

SHEET_LANGUAGES = ("fr", "ar")
#: Days, and slots, side by side on the whole session's sheet (A4 landscape: a signature box 18 mm
#: wide); a longer session goes on with the next days on further pages.
SHEET_DAYS, SHEET_SLOTS = 5, 10


@dataclass(frozen=True)
class SheetDay:
    day: date
    slots: list[Slot]


def sheet_groups(slots: list[Slot], days: int = SHEET_DAYS, columns: int = SHEET_SLOTS) -> list[list[SheetDay]]:
    """The slots by day (in the centre's time zone) and the days by page-group: up to `days` days
    and `columns` slots a group (a day of more slots than that is a group of its own)."""
    by_day: dict[date, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        by_day.setdefault(slot.starts_at.astimezone(centre_zone()).date(), []).append(slot)
    groups: list[list[SheetDay]] = []
    for day, day_slots in by_day.items():
        group = groups[-1] if groups else None
        if group is None or len(group) == days or sum(len(d.slots) for d in group) + len(day_slots) > columns:
            groups.append(group := [])
        group.append(SheetDay(day, day_slots))
    return groups


def _sheet_texts(training_session: TrainingSession, slots: list[Slot]) -> dict[str, dict]:
    """The sheet's headings and the slots' dates in each of its languages."""
    texts = {}
    for language in SHEET_LANGUAGES:
        with force_locale(language):
            texts[language] = {
                "title": _("Sign-in sheet"),
                "session": _("Session"),
                "venue": _("Venue"),
                "dates": _("Dates"),
                "number": _("No."),
                "latin_name": _("Name (Latin script)"),
                "arabic_name": _("Name (Arabic script)"),
                "institution": _("Institution"),
                "signature": _("Signature"),
                "coordinator": _("The coordinator's signature"),
                "countersignature": _("The trainer's or coordinator's signature"),
                "changed": _("* The mark was changed after the trainee signed."),
                "session_title": localized(training_session, "title", language),
                "venue_name": localized(training_session, "venue", language),
                "institution_name": current_app.config["INSTITUTION_NAMES"][language],
                "centre_name": current_app.config["CENTRE_NAMES"][language],
                "slots": {slot.id: _("%(day)s, %(part)s, %(start)s–%(end)s",
                                     day=format_day(slot.starts_at, "EEEE " + FULL_DATE, language),
                                     part=slot.part.label, start=format_time(slot.starts_at, language),
                                     end=format_time(slot.ends_at, language))
                          for slot in slots},
                "parts": {slot.id: str(slot.part.label) for slot in slots},
                "hours": {slot.id: f"{format_time(slot.starts_at, language)}–{format_time(slot.ends_at, language)}"
                          for slot in slots},
            }
    return texts


def _day_texts(training_session: TrainingSession, groups: list[list[SheetDay]]) -> dict[str, dict]:
    """Each day's date, each page-group's dates and its running line, in each language of the sheet."""
    texts = {}
    for language in SHEET_LANGUAGES:
        with force_locale(language):
            dates = [format_date_range(group[0].day, group[-1].day, language) for group in groups]
        texts[language] = {
            "days": {d.day: format_day(d.day, "EEEE " + FULL_DATE, language) for group in groups for d in group},
            "groups": dates,
            # A page's running line is plain text (no element to set dir on): the code is isolated
            # left to right (U+2066 … U+2069) so that an Arabic line does not reorder it.
            "running": [f"\u2066{training_session.code}\u2069 · {d}" for d in dates],
        }
    return texts


def sign_in_sheet(training_session: TrainingSession, slot: Slot | None = None) -> bytes:
    """The feuille d'émargement as a PDF: one slot's (a row and a signature per trainee), or the whole
    session's as one grid, a trainee a row and a slot a column, up to SHEET_DAYS days a page-group."""
    require_arabic_font()
    slots = [slot] if slot else list(training_session.slots)
    if not slots:
        raise DomainError(_l("The session has no slots."))
    registrations = db.session.scalars(
        sa.select(Registration).join(Trainee)
        .where(Registration.session_id == training_session.id,
               Registration.status == RegistrationStatus.ACCEPTED)
        .options(sa.orm.contains_eager(Registration.trainee).joinedload(Trainee.institution))
        .order_by(Trainee.family_name, Trainee.given_name)
    ).unique().all()
    texts = _sheet_texts(training_session, slots)
    signed, countersigned = _signed_cells(training_session, slots)
    any_changed = any(cell.changed for cell in signed.values())
    if slot:
        return render_pdf("pdf/sign_in_sheet.html", s=training_session, slots=slots, signed=signed,
                          countersigned=countersigned, any_changed=any_changed,
                          registrations=registrations, texts=texts, title=training_session.code)
    groups = sheet_groups(slots)
    for language, day_texts in _day_texts(training_session, groups).items():
        texts[language].update(day_texts)
    signed_rows = {registration_id for registration_id, _slot in signed}
    return render_pdf("pdf/sign_in_grid.html", s=training_session, groups=groups, signed=signed,
                      signed_rows=signed_rows, countersigned=countersigned, any_changed=any_changed,
                      registrations=registrations, texts=texts, title=training_session.code)


# Signatures on the sheet ---------------------------------------------------------------------


def signature_data_url(png: bytes) -> str:
    """A stored signature as a data: URL, for pages (the CSP allows data: images) and PDFs."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def changed_after_signing(signature: AttendanceSignature, mark: AttendanceMark | None) -> bool:
    """Whether the slot's mark is no longer the one the signature recorded (a change in the grid after
    signing; the audit log has who made it and when)."""
    return mark is None or mark.status != signature.mark_status


@dataclass(frozen=True)
class SignedCell:
    image: str  #: data: URL
    time: str  #: when signed, in the centre's time zone
    changed: bool  #: the mark was recorded again after signing


def _signed_cells(training_session: TrainingSession, slots: list[Slot]
                  ) -> tuple[dict[tuple[int, int], SignedCell], dict[int, list[tuple[str, str, str]]]]:
    """The trainees' signatures of the slots by (registration, slot), and each slot's countersignatures
    as (trainer's name, image, time), in three queries."""
    slot_ids = [slot.id for slot in slots]
    marks = {(m.registration_id, m.slot_id): m for m in db.session.scalars(
        sa.select(AttendanceMark).where(AttendanceMark.slot_id.in_(slot_ids)))}
    signed = {}
    for signature in db.session.scalars(sa.select(AttendanceSignature).where(AttendanceSignature.slot_id.in_(slot_ids))):
        key = (signature.registration_id, signature.slot_id)
        signed[key] = SignedCell(signature_data_url(signature.image), format_time(signature.signed_at, "fr"),
                                 changed_after_signing(signature, marks.get(key)))
    countersigned: dict[int, list[tuple[str, str, str]]] = {}
    for row in db.session.scalars(sa.select(SlotCountersignature).where(SlotCountersignature.slot_id.in_(slot_ids))
                                  .options(sa.orm.joinedload(SlotCountersignature.expert))
                                  .order_by(SlotCountersignature.signed_at)):
        countersigned.setdefault(row.slot_id, []).append(
            (row.expert.name, signature_data_url(row.image), format_time(row.signed_at, "fr")))
    return signed, countersigned
