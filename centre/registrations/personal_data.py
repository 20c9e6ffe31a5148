"""A trainee's personal data: what is stored about them (right of access), and its erasure
once their last session is old enough, keeping what the activity reports count."""
from datetime import date, datetime

import sqlalchemy as sa

from centre import audit, clock
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import (
    AttendanceMark,
    AttendanceSignature,
    AuditEntry,
    Certificate,
    FailedLogin,
    InvitationLetter,
    OutboxMail,
    Registration,
    Trainee,
    TrainingSession,
)
from centre.models import Invitation as QuestionnaireInvitation
from centre.models.types import utcnow

#: Certificate fields that name the person; the number, dates and session stay.
PRINTED_PERSONAL = ("given_name", "family_name", "full_name_ar")


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def export(trainee: Trainee) -> dict:
    """Everything stored about the trainee, in plain JSON types."""
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.trainee_id == trainee.id).order_by(Registration.id)
    ).all()
    user = trainee.user
    data = {
        "trainee": {
            "given_name": trainee.given_name, "family_name": trainee.family_name,
            "full_name_ar": trainee.full_name_ar, "gender": trainee.gender.value,
            "nationality": trainee.nationality,
            "institution": trainee.institution.name_fr if trainee.institution else trainee.institution_other,
            "position": trainee.position, "email": trainee.email, "phone": trainee.phone,
            "passport_number": trainee.passport_number, "passport_expires_on": _iso(trainee.passport_expires_on),
            "certificate_language": trainee.certificate_language.value,
            "created_at": _iso(trainee.created_at), "email_confirmed_at": _iso(trainee.email_confirmed_at),
        },
        "account": user and {
            "email": user.email, "full_name": user.full_name, "locale": user.locale,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        },
        "registrations": [],
    }
    for registration in registrations:
        marks = db.session.scalars(sa.select(AttendanceMark).where(AttendanceMark.registration_id == registration.id)
                                   .options(sa.orm.joinedload(AttendanceMark.slot))).all()
        certificates = db.session.scalars(
            sa.select(Certificate).where(Certificate.registration_id == registration.id)).all()
        letter = db.session.scalar(sa.select(InvitationLetter.generated_at)
                                   .where(InvitationLetter.registration_id == registration.id))
        s = registration.training_session
        data["registrations"].append({
            "session": s.code, "title": s.title_fr, "start_on": _iso(s.start_on), "end_on": _iso(s.end_on),
            "status": registration.status.value, "submitted_at": _iso(registration.submitted_at),
            "decided_at": _iso(registration.decided_at), "decision_reason": registration.decision_reason,
            "waitlist_position": registration.waitlist_position,
            "arrival_on": _iso(registration.arrival_on), "departure_on": _iso(registration.departure_on),
            "needs_visa_letter": registration.needs_visa_letter, "cancelled_at": _iso(registration.cancelled_at),
            "invitation_letter_generated_at": _iso(letter),
            "attendance": [{"slot_starts_at": _iso(m.slot.starts_at), "status": m.status.value}
                           for m in sorted(marks, key=lambda m: m.slot.starts_at)],
            "signatures": [{"slot_starts_at": _iso(s.slot.starts_at), "signed_at": _iso(s.signed_at),
                            "client_address": s.client_address, "image_sha256": s.sha256}
                           for s in db.session.scalars(sa.select(AttendanceSignature).where(
                               AttendanceSignature.registration_id == registration.id)
                               .order_by(AttendanceSignature.signed_at))],
            "certificates": [{"number": c.number, "language": c.language.value, "issued_at": _iso(c.issued_at),
                              "state": c.state} for c in certificates],
        })
    return data


def trainees_to_anonymise(years: int, today: date | None = None) -> list[Trainee]:
    """Trainees not yet anonymised whose last session ended more than `years` years ago (or who
    never registered and were created that long ago)."""
    today = today or clock.today()
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    last_end = (sa.select(sa.func.max(TrainingSession.end_on))
                .join(Registration, Registration.session_id == TrainingSession.id)
                .where(Registration.trainee_id == Trainee.id).scalar_subquery())
    created_before = datetime.combine(cutoff, datetime.min.time(), tzinfo=centre_zone())
    return db.session.scalars(
        sa.select(Trainee).where(
            Trainee.anonymised_at.is_(None),
            sa.or_(last_end < cutoff, sa.and_(last_end.is_(None), Trainee.created_at < created_before)),
        ).order_by(Trainee.id)
    ).all()


def anonymise(trainee: Trainee, actor=None) -> None:
    """Erase names, e-mail, phone and passport; country, institution, gender, registrations,
    attendance and certificate numbers stay for the reports. The account can no longer sign in."""
    placeholder = f"anonymised-{trainee.id}@invalid"
    addresses = {address.lower() for address in (trainee.email, trainee.user and trainee.user.email) if address}
    trainee.given_name = trainee.family_name = trainee.full_name_ar = ""
    trainee.email, trainee.phone = placeholder, ""
    trainee.passport_number = trainee.passport_expires_on = None
    trainee.anonymised_at = utcnow()
    if trainee.user is not None:
        user = trainee.user
        user.email, user.full_name, user.password_hash, user.is_active = placeholder, "", None, False
    # Questionnaire invitations keep the address they were sent to; their answers stay (anonymous
    # ones name nobody anyway).
    db.session.execute(sa.update(QuestionnaireInvitation).where(QuestionnaireInvitation.trainee_id == trainee.id)
                       .values(email=placeholder).execution_options(synchronize_session="fetch"))
    registration_ids = sa.select(Registration.id).where(Registration.trainee_id == trainee.id)
    db.session.execute(sa.delete(InvitationLetter).where(InvitationLetter.registration_id.in_(registration_ids)))
    # A drawn signature and the device's address are personal data; the marks they made stay.
    db.session.execute(sa.delete(AttendanceSignature).where(AttendanceSignature.registration_id.in_(registration_ids)))
    erased_at = utcnow()
    for certificate in db.session.scalars(sa.select(Certificate).where(Certificate.registration_id.in_(registration_ids))):
        before = certificate.state
        certificate.printed = {k: ("" if k in PRINTED_PERSONAL else v) for k, v in certificate.printed.items()}
        certificate.pdf = b""  # the bytes print the name; the SHA-256 still proves a presented copy genuine
        certificate.credential = None  # names and e-mail hash; a copy the holder kept still verifies
        certificate.erased_at = erased_at
        audit.record(certificate, "erase", from_state=before, to_state=certificate.state, actor=actor)
    erase_addresses(addresses)
    audit.record(trainee, "anonymise", actor=actor)
    db.session.flush()


def erase_addresses(addresses: set[str]) -> None:
    """Erase these e-mail addresses wherever they were recorded about the person, whatever the
    entity: audit details (the trainee's own, a certificate mailed to them, a failed sign-in with
    their address...) lose the values that hold one; the entries themselves stay. Failed sign-ins
    with the address go (they only serve the lock, and the account is closed), and so do the mails
    to it in the outbox (their bodies hold the person's name; one not yet sent is not sent)."""
    for address in addresses:
        db.session.execute(sa.delete(FailedLogin).where(sa.func.lower(FailedLogin.email) == address))
        db.session.execute(sa.delete(OutboxMail).where(sa.func.lower(OutboxMail.recipient) == address))
        holding = sa.func.lower(sa.cast(AuditEntry.details, sa.Text)).contains(address, autoescape=True)
        for entry in db.session.scalars(sa.select(AuditEntry).where(holding)):
            entry.details = {k: v for k, v in (entry.details or {}).items()
                             if not (isinstance(v, str) and address in v.lower())}


def anonymise_older_than(years: int, today: date | None = None) -> int:
    trainees = trainees_to_anonymise(years, today)
    for trainee in trainees:
        anonymise(trainee)
    return len(trainees)
