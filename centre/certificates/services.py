"""Issuing certificates: eligibility, gapless numbers per year, stored bytes; replacement and
revocation."""
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from centre import audit
from centre.attendance.services import eligibility
from centre.certificates.printing import SIDES, jobs_of, printed_fields, render_job
from centre.certificates.signatories import active_signatories
from centre.certificates.verification import new_verification_code
from centre.credentials.services import credentials_of
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import Certificate, CertificateSequence, DocumentLanguage, Registration, User
from centre.models.types import utcnow
from centre.pdf import require_arabic_font
from centre.signing import signing_identity


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


@dataclass(frozen=True)
class Refusal:
    """Why a certificate in a language may not be issued to a registration."""
    reason: str
    held: bool  #: True: a live certificate (valid, or pending) already covers that language
    pending: bool = False  #: the covering certificate's number is reserved, its PDF not yet stored


def issue_refusals(pairs, *, replacing: Certificate | None = None) -> dict[tuple[int, DocumentLanguage], Refusal]:
    """The one rule of what may be issued again, for (registration id, language) pairs; the
    pairs that may be issued are absent from the answer. Called by the page, the bulk job (so the
    CLI) and the issue itself, under the numbering lock.

    - A trainee whose certificate was revoked gets no new one (a replacement is the way to correct).
    - A language is covered by a live certificate (valid, or reserved and rendering) whose sides
      overlap it: a bilingual certificate covers French and Arabic, so neither is issued beside it,
      and no bilingual one beside a French or an Arabic one. French and Arabic apart may coexist.
    `replacing`: the certificate a replacement retires, which covers nothing any more.
    """
    pairs = list(pairs)
    by_registration: dict[int, list] = {}
    for row in db.session.execute(
        sa.select(Certificate.registration_id, Certificate.id, Certificate.number, Certificate.language,
                  Certificate.revoked_at, Certificate.replaced_by_id, Certificate.sha256)
        .where(Certificate.registration_id.in_({rid for rid, _ in pairs}))
    ):
        by_registration.setdefault(row.registration_id, []).append(row)
    refusals = {}
    for registration_id, language in pairs:
        rows = by_registration.get(registration_id, [])
        revoked = next((r for r in rows if r.revoked_at is not None), None)
        covering = next((r for r in rows if r.revoked_at is None and r.replaced_by_id is None
                         and (replacing is None or r.id != replacing.id)
                         and set(SIDES[r.language]) & set(SIDES[language])), None)
        if revoked is not None and replacing is None:
            refusals[registration_id, language] = Refusal(str(_l(
                "Certificate %(number)s of this trainee was revoked: no new certificate is issued to them.",
                number=revoked.number)), held=False)
        elif covering is not None:
            refusals[registration_id, language] = Refusal(str(_l(
                "The trainee already holds certificate %(number)s (%(language)s), which covers this language.",
                number=covering.number, language=covering.language.label)), held=True,
                pending=covering.sha256 == Certificate.PENDING)
    return refusals


def reserve_certificates(batch: list[tuple[Registration, DocumentLanguage]], actor: User | None,
                         replaces: Certificate | None = None) -> list[Certificate]:
    """Give the batch its numbers and write its rows, pending (no PDF yet), under the year's lock.

    The caller commits at once, which releases the lock: rendering happens outside it. A pair
    that already holds a valid or pending certificate is left out (checked under the lock, so a
    double click cannot issue twice) and its number given back, so that none is skipped.
    `replaces`: the certificate a one-certificate batch corrects, linked in the same transaction.
    """
    issued_at = utcnow()
    issued_on = issued_at.astimezone(centre_zone()).date()
    numbers = reserve_numbers(issued_on.year, len(batch))
    if replaces is not None:
        db.session.refresh(replaces)  # under the lock: another request may have replaced it
        if replaces.state != "valid":
            raise DomainError(_l("Only a valid certificate can be replaced."))
    else:
        refused = issue_refusals((r.id, lang) for r, lang in batch)
        batch = [(r, lang) for r, lang in batch if (r.id, lang) not in refused]
    signatories = active_signatories()
    certificates = []
    for (registration, language), (sequence, number) in zip(batch, numbers):
        certificates.append(Certificate(
            number=number, year=issued_on.year, sequence=sequence, registration=registration,
            language=language, verification_code=new_verification_code(),
            printed=printed_fields(registration, number, issued_on, signatories),
            pdf=b"", sha256=Certificate.PENDING, issued_at=issued_at, issued_by=actor,
        ))
    if len(batch) < len(numbers):
        db.session.get(CertificateSequence, issued_on.year).last_value -= len(numbers) - len(batch)
    db.session.add_all(certificates)
    db.session.flush()
    if replaces is not None:
        replaces.replaced_by = certificates[0]
    return certificates


def store_rendered(certificates: list[Certificate], pdfs: list[bytes], actor: User | None) -> list[Certificate]:
    """Store each rendered certificate's bytes and hash, and its Open Badges credential (built
    now, outside the numbering lock), once, and audit the issue."""
    done = []
    credentials = credentials_of(certificates)
    for certificate, pdf in zip(certificates, pdfs):
        digest = hashlib.sha256(pdf).hexdigest()
        stored = db.session.execute(
            sa.update(Certificate).where(Certificate.id == certificate.id, Certificate.sha256 == Certificate.PENDING)
            .values(pdf=pdf, sha256=digest, credential=credentials[certificate.id])
            .execution_options(synchronize_session=False)
        ).rowcount
        if stored:  # else another run completed it first
            audit.record(certificate, "issue", to_state="valid", actor=actor, number=certificate.number,
                         sha256=digest)
            done.append(certificate)
    for certificate in certificates:
        db.session.expire(certificate)
    return done


def issue_certificate(registration: Registration, language: DocumentLanguage, actor: User | None,
                      replaces: Certificate | None = None, reason: str = "", commit=None) -> Certificate:
    """Issue a certificate if the registration is eligible; its PDF bytes, signed, are stored for good.

    The number is reserved (a pending row) in a short transaction, committed before rendering
    so that other issues never wait for this one's PDF; the bytes are stored after. Should the
    process die in between, the pending row keeps its number and the session's next bulk issue
    completes it: no number is skipped or reused.
    """
    eligible, why = eligibility(registration)
    if not eligible:
        raise DomainError(why)
    refusal = issue_refusals([(registration.id, language)], replacing=replaces).get((registration.id, language))
    if refusal is not None:
        raise DomainError(refusal.reason)
    if SIDES[language] != ("fr",):
        require_arabic_font()
    signing_identity()  # a signing key that does not work refuses before a number is reserved
    reserved = reserve_certificates([(registration, language)], actor, replaces=replaces)
    if not reserved:
        raise DomainError(_l("A valid certificate in this language has already been issued."))
    certificate, = reserved
    if replaces is not None:
        audit.record(replaces, "replace", from_state="valid", to_state="replaced", actor=actor,
                     reason=reason, replaced_by=certificate.number)
    (job,), signatures = jobs_of([certificate])
    # Releases the year's numbering lock; the rendering reads nothing from the database, so no
    # transaction (on SQLite, no write lock) is open while it runs.
    (commit or db.session.commit)()
    pdf = render_job(job, signatures)
    store_rendered([certificate], [pdf], actor)
    return certificate


def replace_certificate(certificate: Certificate, reason: str, actor: User | None,
                        language: DocumentLanguage | None = None) -> Certificate:
    """A correction: a new certificate, printed from today's data, replaces the old one."""
    if certificate.state != "valid":
        raise DomainError(_l("Only a valid certificate can be replaced."))
    if not reason.strip():
        raise DomainError(_l("Give the reason for the correction."))
    return issue_certificate(certificate.registration, language or certificate.language, actor,
                             replaces=certificate, reason=reason)


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


def replaced_by(certificate: Certificate) -> Certificate | None:
    """The certificate that `certificate` replaced (corrected), if any."""
    return db.session.scalar(sa.select(Certificate).where(Certificate.replaced_by_id == certificate.id))
