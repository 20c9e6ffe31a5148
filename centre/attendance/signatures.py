"""Signed sign-in: each accepted trainee signs each half-day on their phone, during the slot, and
the session's trainer countersigns the slot's list from theirs.

A signature is the drawing the page's script sends as a PNG data URL; it is checked (a PNG, not too
large, with some ink on it) and re-encoded by the server, then stored once with its time, the
device's address and the mark it recorded (present, or late past CHECKIN_LATE_AFTER_MINUTES) —
never changed afterwards (centre/models/signatures.py). A mark recorded after the signature (a
coordinator's change in the grid) is flagged on the sign-in sheet.
"""
import base64
import binascii
import hashlib
import io
import warnings
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from centre import audit
from centre.attendance.services import _write_mark, late_after, marks_of, signature_data_url
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import format_time
from centre.models import (
    AttendanceSignature,
    Expert,
    MarkStatus,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Slot,
    SlotCountersignature,
    Trainee,
    Trainer,
    TrainingSession,
    User,
)
from centre.models.types import utcnow

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_DATA_URL = 400_000  #: characters of the posted drawing (a phone's canvas is 20-60 KB)
MAX_SIDE = 2000  #: pixels
MIN_INK = 40  #: dark pixels a drawing needs to count as a signature
STORED_WIDTH = 600  #: pixels: wider drawings are scaled down before storing


class SignatureRefused(DomainError):
    """A refusal with the HTTP status the page answers: 400 a drawing that is not one, 403 someone
    else's registration, 409 not (or no longer) allowed now, or twice — like the QR check-in."""

    def __init__(self, message, status=409, **params):
        super().__init__(message, **params)
        self.status = status


def drawing_png(data_url: str) -> bytes:
    """The drawing posted by the page as a PNG data URL, checked and re-encoded (greyscale on white)."""
    data_url = (data_url or "").strip()
    if not data_url:
        raise SignatureRefused(_l("Sign in the box before sending."), 400)
    if len(data_url) > MAX_DATA_URL:
        raise SignatureRefused(_l("The signature is too large."), 400)
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureRefused(_l("The signature must be drawn in the box of this page."), 400)
    try:
        data = base64.b64decode(data_url[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused(_l("The signature must be drawn in the box of this page."), 400) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    raise SignatureRefused(_l("The signature must be drawn in the box of this page."), 400)
                if max(image.size) > MAX_SIDE or min(image.size) < 20:
                    raise SignatureRefused(_l("The signature is too large."), 400)
                image.load()
                flat = Image.new("RGBA", image.size, "white")
                flat.alpha_composite(image.convert("RGBA"))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SignatureRefused(_l("The signature is too large."), 400) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise SignatureRefused(_l("The signature must be drawn in the box of this page."), 400) from None
    grey = flat.convert("L")
    if sum(grey.histogram()[:128]) < MIN_INK:
        raise SignatureRefused(_l("The box is empty: sign with your finger, then send."), 400)
    if grey.width > STORED_WIDTH:
        grey = grey.resize((STORED_WIDTH, max(1, grey.height * STORED_WIDTH // grey.width)))
    out = io.BytesIO()
    grey.save(out, "PNG", optimize=True)
    return out.getvalue()


data_url = signature_data_url  #: for the pages


# Trainees ------------------------------------------------------------------------------------


def own_registration(slot: Slot, user: User) -> Registration | None:
    """The user's accepted registration in the slot's session, if any."""
    return db.session.scalar(
        sa.select(Registration).join(Trainee).where(
            Registration.session_id == slot.session_id, Registration.status == RegistrationStatus.ACCEPTED,
            Trainee.user_id == user.id))


def check_can_sign(slot: Slot, registration: Registration | None, user: User, now: datetime) -> Registration:
    """The registration the user may sign the slot for now, or why not (SignatureRefused)."""
    if registration is None or registration.session_id != slot.session_id:
        raise SignatureRefused(_l("You are not an accepted participant of this session."))
    if registration.trainee.user_id != user.id:
        raise SignatureRefused(_l("This registration is not yours: each trainee signs for themselves."), 403)
    if registration.status != RegistrationStatus.ACCEPTED:
        raise SignatureRefused(_l("You are not an accepted participant of this session."))
    if now >= slot.ends_at:
        raise SignatureRefused(_l("Signing for this half-day closed when it ended, at %(time)s."),
                               time=_format_time(slot.ends_at))
    if slot.training_session.status != SessionStatus.IN_PROGRESS or now < slot.starts_at:
        raise SignatureRefused(_l("Signing for this half-day opens when it starts, at %(time)s."),
                               time=_format_time(slot.starts_at))
    if signature_of(registration, slot) is not None:
        raise SignatureRefused(_l("You have already signed for this half-day."))
    return registration


def _format_time(value: datetime) -> str:
    return format_time(value)


def signature_of(registration: Registration, slot: Slot) -> AttendanceSignature | None:
    return db.session.scalar(sa.select(AttendanceSignature).where(
        AttendanceSignature.registration_id == registration.id, AttendanceSignature.slot_id == slot.id))


def sign(slot: Slot, registration: Registration | None, user: User, drawing: str, client_address: str,
         now: datetime | None = None) -> AttendanceSignature:
    """Store the trainee's signature for the slot and mark them present (late past the set minutes);
    a mark already present or late stays."""
    now = now or utcnow()
    registration = check_can_sign(slot, registration, user, now)
    png = drawing_png(drawing)
    key = (registration.id, slot.id)
    mark = marks_of(slot.training_session, [key]).get(key)
    if mark is None or mark.status not in (MarkStatus.PRESENT, MarkStatus.LATE):
        status = MarkStatus.LATE if now >= late_after(slot) else MarkStatus.PRESENT
        mark = _write_mark(key, mark, status, mark.note if mark else "", user, now, "sign_in")
    signature = AttendanceSignature(registration=registration, slot=slot, user_id=user.id, image=png,
                                    sha256=hashlib.sha256(png).hexdigest(), signed_at=now,
                                    client_address=(client_address or "")[:45], mark_status=mark.status)
    try:
        with db.session.begin_nested():  # the same signature posted twice at once: the second is refused
            db.session.add(signature)
    except sa.exc.IntegrityError:
        raise SignatureRefused(_l("You have already signed for this half-day.")) from None
    audit.record(signature, "sign", to_state=mark.status, actor=user, slot=slot.id, address=signature.client_address,
                 sha256=signature.sha256)
    return signature


# Trainers ------------------------------------------------------------------------------------


def trainer_expert(training_session: TrainingSession, user: User) -> Expert | None:
    """The user's expert record if they teach the session."""
    return db.session.scalar(sa.select(Expert).join(Trainer, Trainer.expert_id == Expert.id).where(
        Trainer.session_id == training_session.id, Expert.user_id == user.id))


def countersign_window(slot: Slot) -> tuple[datetime, datetime]:
    """From the slot's start until COUNTERSIGN_HOURS after its end."""
    return slot.starts_at, slot.ends_at + timedelta(hours=current_app.config["COUNTERSIGN_HOURS"])


def check_can_countersign(slot: Slot, user: User, now: datetime) -> Expert:
    expert = trainer_expert(slot.training_session, user)
    if expert is None:
        raise SignatureRefused(_l("Only a trainer of this session countersigns its sign-in."))
    opens, closes = countersign_window(slot)
    if now >= closes:
        raise SignatureRefused(_l("The countersignature of this half-day closed at %(time)s."),
                               time=_format_time(closes))
    if slot.training_session.status not in (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED) or now < opens:
        raise SignatureRefused(_l("Signing for this half-day opens when it starts, at %(time)s."),
                               time=_format_time(slot.starts_at))
    if db.session.scalar(sa.select(SlotCountersignature.id).where(
            SlotCountersignature.slot_id == slot.id, SlotCountersignature.expert_id == expert.id)):
        raise SignatureRefused(_l("You have already countersigned this half-day."))
    return expert


def countersign(slot: Slot, user: User, drawing: str, client_address: str,
                now: datetime | None = None) -> SlotCountersignature:
    """The trainer's signature under the slot's list, vouching for the signatures on it now."""
    now = now or utcnow()
    expert = check_can_countersign(slot, user, now)
    signed = [s.id for s in slot_signatures(slot)]
    if not signed:
        raise SignatureRefused(_l("No trainee has signed this half-day yet: there is nothing to countersign."))
    png = drawing_png(drawing)
    countersignature = SlotCountersignature(
        slot=slot, expert=expert, user_id=user.id, image=png, sha256=hashlib.sha256(png).hexdigest(),
        signed_at=now, client_address=(client_address or "")[:45], signature_ids=signed)
    try:
        with db.session.begin_nested():
            db.session.add(countersignature)
    except sa.exc.IntegrityError:
        raise SignatureRefused(_l("You have already countersigned this half-day.")) from None
    audit.record(countersignature, "countersign", actor=user, slot=slot.id, signatures=len(signed),
                 address=countersignature.client_address, sha256=countersignature.sha256)
    return countersignature


# Reading ---------------------------------------------------------------------------------------


def slot_signatures(slot: Slot) -> list[AttendanceSignature]:
    return db.session.scalars(sa.select(AttendanceSignature).where(AttendanceSignature.slot_id == slot.id)
                              .options(sa.orm.joinedload(AttendanceSignature.registration)
                                       .joinedload(Registration.trainee))
                              .order_by(AttendanceSignature.signed_at, AttendanceSignature.id)).all()


def session_signatures(training_session: TrainingSession, *, with_images: bool = False
                       ) -> dict[tuple[int, int], AttendanceSignature]:
    """The session's signatures by (registration, slot), in one query (the images only if asked)."""
    query = (sa.select(AttendanceSignature).join(Slot)
             .where(Slot.session_id == training_session.id))
    if not with_images:
        query = query.options(sa.orm.defer(AttendanceSignature.image))
    return {(s.registration_id, s.slot_id): s for s in db.session.scalars(query)}


def session_countersignatures(training_session: TrainingSession) -> dict[int, list[SlotCountersignature]]:
    rows = db.session.scalars(sa.select(SlotCountersignature).join(Slot)
                              .where(Slot.session_id == training_session.id)
                              .options(sa.orm.joinedload(SlotCountersignature.expert))
                              .order_by(SlotCountersignature.signed_at)).all()
    result: dict[int, list[SlotCountersignature]] = {}
    for row in rows:
        result.setdefault(row.slot_id, []).append(row)
    return result


def slots_to_sign(user: User, now: datetime | None = None) -> list[tuple[Slot, Registration, bool]]:
    """The half-days under way in the user's accepted sessions, each with whether it is signed."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Slot, Registration).join(Registration, Registration.session_id == Slot.session_id)
        .join(Trainee).join(TrainingSession, TrainingSession.id == Slot.session_id)
        .where(Trainee.user_id == user.id, Registration.status == RegistrationStatus.ACCEPTED,
               TrainingSession.status == SessionStatus.IN_PROGRESS, Slot.starts_at <= now, Slot.ends_at > now)
    ).all()
    signed = {tuple(row) for row in db.session.execute(
        sa.select(AttendanceSignature.registration_id, AttendanceSignature.slot_id)
        .where(AttendanceSignature.registration_id.in_([r.id for _, r in rows])))} if rows else set()
    return [(slot, registration, (registration.id, slot.id) in signed) for slot, registration in rows]


def slots_to_countersign(user: User, now: datetime | None = None) -> list[tuple[Slot, int, bool]]:
    """The half-days of the sessions the user teaches whose countersignature is open now: each with
    how many trainees signed and whether the user countersigned."""
    now = now or utcnow()
    hours = timedelta(hours=current_app.config["COUNTERSIGN_HOURS"])
    slots = db.session.scalars(
        sa.select(Slot).join(TrainingSession).join(Trainer, Trainer.session_id == TrainingSession.id)
        .join(Expert, Expert.id == Trainer.expert_id)
        .where(Expert.user_id == user.id, TrainingSession.status.in_((SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)),
               Slot.starts_at <= now, Slot.ends_at > now - hours)
        .order_by(Slot.starts_at)).all()
    if not slots:
        return []
    ids = [s.id for s in slots]
    counts = dict(db.session.execute(sa.select(AttendanceSignature.slot_id, sa.func.count())
                                     .where(AttendanceSignature.slot_id.in_(ids))
                                     .group_by(AttendanceSignature.slot_id)).all())
    done = set(db.session.scalars(sa.select(SlotCountersignature.slot_id).join(Expert).where(
        SlotCountersignature.slot_id.in_(ids), Expert.user_id == user.id)))
    return [(slot, counts.get(slot.id, 0), slot.id in done) for slot in slots]
