"""Issuing certificates: eligibility, gapless numbers per year, stored bytes; replacement and
revocation."""
import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from centre import audit
from centre.attendance.services import eligibility
from centre.certificates.printing import SIDES, printed_fields, render_certificate
from centre.certificates.verification import new_verification_code
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import Certificate, CertificateSequence, DocumentLanguage, Registration, User
from centre.models.types import utcnow
from centre.pdf import require_arabic_font


def reserve_numbers(year: int, count: int) -> list[tuple[int, str]]:
    """The next `count` numbers of the year, the year's row locked until commit so that none
    is given twice and none is skipped."""
    if db.session.get(CertificateSequence, year) is None:
        try:
            with db.session.begin_nested():
                db.session.add(CertificateSequence(year=year, last_value=0))
        except IntegrityError:
            pass  # another transaction created the year's row first
    sequence = db.session.execute(
        sa.select(CertificateSequence).where(CertificateSequence.year == year)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    first = sequence.last_value + 1
    sequence.last_value += count
    prefix = current_app.config["CERTIFICATE_PREFIX"]
    return [(n, f"{prefix}-{year}-{n:04d}") for n in range(first, first + count)]


def valid_languages(registration_ids) -> set[tuple[int, DocumentLanguage]]:
    """(registration, language) pairs that already have a valid (or pending) certificate."""
    return set(db.session.execute(sa.select(Certificate.registration_id, Certificate.language).where(
        Certificate.registration_id.in_(list(registration_ids)),
        Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None),
    )).all())


def issue_certificate(registration: Registration, language: DocumentLanguage, actor: User | None,
                      replaces: Certificate | None = None) -> Certificate:
    """Issue a certificate if the registration is eligible; its PDF bytes are stored for good."""
    eligible, reason = eligibility(registration)
    if not eligible:
        raise DomainError(reason)
    if SIDES[language] != ("fr",):
        require_arabic_font()
    issued_at = utcnow()
    issued_on = issued_at.astimezone(centre_zone()).date()
    (sequence, number), = reserve_numbers(issued_on.year, 1)
    # Checked once the year's row is locked: a double click cannot issue twice.
    if replaces is None and (registration.id, language) in valid_languages([registration.id]):
        raise DomainError(_l("A valid certificate in this language has already been issued."))
    code = new_verification_code()
    printed = printed_fields(registration, number, issued_on)
    pdf = render_certificate(language, printed, code)
    certificate = Certificate(
        number=number, year=issued_on.year, sequence=sequence, registration=registration,
        language=language, verification_code=code, printed=printed, pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(), issued_at=issued_at, issued_by=actor,
    )
    db.session.add(certificate)
    audit.record(certificate, "issue", to_state="valid", actor=actor, number=number,
                 sha256=certificate.sha256)
    return certificate


def replace_certificate(certificate: Certificate, reason: str, actor: User | None,
                        language: DocumentLanguage | None = None) -> Certificate:
    """A correction: a new certificate, printed from today's data, replaces the old one."""
    if certificate.state != "valid":
        raise DomainError(_l("Only a valid certificate can be replaced."))
    if not reason.strip():
        raise DomainError(_l("Give the reason for the correction."))
    new = issue_certificate(certificate.registration, language or certificate.language, actor,
                            replaces=certificate)
    certificate.replaced_by = new
    audit.record(certificate, "replace", from_state="valid", to_state="replaced", actor=actor,
                 reason=reason, replaced_by=new.number)
    return new


def revoke_certificate(certificate: Certificate, reason: str, actor: User | None) -> Certificate:
    """Revocation keeps the record, and says why."""
    if certificate.state != "valid":
        raise DomainError(_l("Only a valid certificate can be revoked."))
    if not reason.strip():
        raise DomainError(_l("Give the reason for the revocation."))
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    audit.record(certificate, "revoke", from_state="valid", to_state="revoked", actor=actor, reason=reason)
    return certificate


def certificates_by_registration(registrations: list[Registration]) -> dict[int, list[Certificate]]:
    """The certificates of several registrations, in one query."""
    result: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(
        sa.select(Certificate).where(Certificate.registration_id.in_([r.id for r in registrations]))
        .order_by(Certificate.issued_at)
    ):
        result.setdefault(certificate.registration_id, []).append(certificate)
    return result


def certificates_of(registration: Registration) -> list[Certificate]:
    return db.session.scalars(
        sa.select(Certificate).where(Certificate.registration_id == registration.id).order_by(Certificate.issued_at)
    ).all()
