"""Issuing certificates: eligibility, gapless numbers per year, stored bytes, verification."""
import base64
import hashlib
import io
import secrets
import smtplib
import zipfile
from dataclasses import dataclass
from datetime import date

import segno
from babel.dates import format_date
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from centre import audit
from centre.attendance.services import eligibility, eligibility_list
from centre.errors import DomainError
from centre.extensions import db
from centre.mail import absolute_url
from centre.i18n import (
    FORMAT_LOCALES,
    FULL_DATE,
    centre_zone,
    country_name,
    format_date_range,
    isolate,
    localized,
)
from centre.models import (
    Certificate,
    CertificateSequence,
    DocumentLanguage,
    Registration,
    Signatory,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.pdf import render_pdf, render_pdf_per_page, require_arabic_font

#: The languages each kind of certificate prints, in order: the bilingual one puts French and
#: Arabic side by side on one landscape page.
SIDES = {
    DocumentLanguage.FR: ("fr",),
    DocumentLanguage.AR: ("ar",),
    DocumentLanguage.BILINGUAL: ("fr", "ar"),
}
_CODE_BYTES = 15  # 120 random bits, 24 base32 characters
#: What an uploaded signature may be.
SIGNATURE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_MAX_PIXELS = 2000
#: Pending: the number is reserved and the row written, the PDF not yet stored.
PENDING = ""


def new_verification_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize_code(code: str) -> str:
    """Accept a code typed with spaces, lower case or without dashes."""
    raw = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())[:64]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def verification_url(code: str) -> str:
    return absolute_url("public.verify", code=code)


def _reserve_numbers(year: int, count: int) -> list[tuple[int, str]]:
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


def active_signatories() -> list[Signatory]:
    return db.session.scalars(
        sa.select(Signatory).where(Signatory.is_active).order_by(Signatory.position, Signatory.id)
    ).all()


def printed_fields(registration: Registration, number: str, issued_on, signatories=None) -> dict:
    """What the certificate prints; the verification page shows (part of) exactly this."""
    trainee = registration.trainee
    training_session = registration.training_session
    institution = trainee.institution
    if signatories is None:
        signatories = active_signatories()
    return {
        "number": number,
        "given_name": trainee.given_name,
        "family_name": trainee.family_name,
        "full_name_ar": trainee.full_name_ar,
        "gender": trainee.gender.value,  # Arabic and French agree the verb with it
        "institution_fr": institution.name_fr if institution else trainee.institution_other,
        "institution_ar": (institution.name_ar or institution.name_fr) if institution else trainee.institution_other,
        "country": trainee.nationality,
        "session_code": training_session.code,
        "title_fr": localized(training_session, "title", "fr"),
        "title_ar": localized(training_session, "title", "ar"),
        "venue_fr": localized(training_session, "venue", "fr"),
        "venue_ar": localized(training_session, "venue", "ar"),
        "start_on": training_session.start_on.isoformat(),
        "end_on": training_session.end_on.isoformat(),
        "issued_on": issued_on.isoformat(),
        "signatories": [{"id": s.id, "name_fr": s.name_fr, "name_ar": s.name_ar,
                         "title_fr": s.title_fr, "title_ar": s.title_ar} for s in signatories],
    }


def qr_svg(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=0, omitsize=True))


def signature_images(ids) -> dict[int, str]:
    """The signature images of these signatories as data: URLs, for WeasyPrint."""
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Signatory.id, Signatory.signature_type, Signatory.signature)
                              .where(Signatory.id.in_(list(ids))))
    return {id_: f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}" for id_, kind, data in rows}


@dataclass(frozen=True)
class RenderJob:
    """All a certificate's rendering needs, picklable, so that a worker process can do it."""

    language: str
    printed: dict
    code: str
    url: str


def certificate_page(job: RenderJob, signatures: dict[int, str]) -> Markup:
    """The certificate's one page (a <section>), each side under force_locale(its language)."""
    language = DocumentLanguage(job.language)
    template = current_app.jinja_env.get_template("pdf/certificate_side.html")
    sides, labels = [], {}
    for side in SIDES[language]:
        with force_locale(side):
            sides.append(Markup(template.render(
                p=job.printed, side=side, centre=current_app.config, isolate=isolate,
                country=country_name(job.printed["country"], side), bilingual=len(SIDES[language]) > 1,
                printed_dates=printed_dates, issued_on=printed_issued_on,
            )))
            labels[side] = {"number": gettext("Certificate number"), "code": gettext("Verification code"),
                            "verify": gettext("Verify this certificate at")}
    return Markup(current_app.jinja_env.get_template("pdf/certificate_page.html").render(
        p=job.printed, sides=sides, languages=SIDES[language], labels=labels, code=job.code,
        url=job.url, qr=qr_svg(job.url), signatures=signatures, centre=current_app.config,
    ))


def render_job(job: RenderJob, signatures: dict[int, str]) -> bytes:
    return render_pdf("pdf/document.html", pages=[certificate_page(job, signatures)],
                      title=job.printed["number"])


def render_jobs(jobs: list[RenderJob], signatures: dict[int, str]) -> list[bytes]:
    """Several certificates, each its own PDF, laid out together (layout is shared work)."""
    pdfs = render_pdf_per_page("pdf/document.html", [job.printed["number"] for job in jobs],
                               pages=[certificate_page(job, signatures) for job in jobs], title="")
    return pdfs if pdfs is not None else [render_job(job, signatures) for job in jobs]


def render_certificate(language: DocumentLanguage, printed: dict, code: str) -> bytes:
    signatures = signature_images(s["id"] for s in printed.get("signatories", []))
    return render_job(RenderJob(language.value, printed, code, verification_url(code)), signatures)


def _valid_languages(registration_ids) -> set[tuple[int, DocumentLanguage]]:
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
    (sequence, number), = _reserve_numbers(issued_on.year, 1)
    # Checked once the year's row is locked: a double click cannot issue twice.
    if replaces is None and (registration.id, language) in _valid_languages([registration.id]):
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


# Issuing for a whole session ---------------------------------------------------------------


@dataclass
class BulkPlan:
    todo: list[tuple[Registration, DocumentLanguage]]
    refused: list[tuple[Registration, str]]  #: ineligible, with the reason
    already: int  #: eligible trainees who already hold a valid certificate in that language


def plan_bulk(training_session: TrainingSession, language: DocumentLanguage | None) -> BulkPlan:
    """Who gets a certificate (in `language`, or else each trainee's preference) and who does not, why."""
    rows = eligibility_list(training_session)
    held = _valid_languages(row.registration.id for row in rows)
    plan = BulkPlan([], [], 0)
    for row in rows:
        if not row.eligible:
            plan.refused.append((row.registration, row.reason))
            continue
        chosen = language or row.registration.trainee.certificate_language
        if (row.registration.id, chosen) in held:
            plan.already += 1
        else:
            plan.todo.append((row.registration, chosen))
    return plan


def _reserve(batch: list[tuple[Registration, DocumentLanguage]], actor: User | None) -> list[Certificate]:
    """Give the batch its numbers and write its rows, without PDF yet, in one short transaction."""
    issued_at = utcnow()
    issued_on = issued_at.astimezone(centre_zone()).date()
    numbers = _reserve_numbers(issued_on.year, len(batch))
    held = _valid_languages(r.id for r, _ in batch)  # under the lock: no double issue
    batch = [(r, lang) for r, lang in batch if (r.id, lang) not in held]
    signatories = active_signatories()
    certificates = []
    for (registration, language), (sequence, number) in zip(batch, numbers):
        certificates.append(Certificate(
            number=number, year=issued_on.year, sequence=sequence, registration=registration,
            language=language, verification_code=new_verification_code(),
            printed=printed_fields(registration, number, issued_on, signatories),
            pdf=b"", sha256=PENDING, issued_at=issued_at, issued_by=actor,
        ))
    if len(batch) < len(numbers):  # give back the numbers not used, so that none is skipped
        db.session.get(CertificateSequence, issued_on.year).last_value -= len(numbers) - len(batch)
    db.session.add_all(certificates)
    db.session.flush()
    return certificates


def _start(certificates: list[Certificate]):
    """Start rendering reserved certificates in the worker processes; returns the waiter."""
    from centre.certificates.rendering import start_rendering

    signatures = signature_images({s["id"] for c in certificates for s in c.printed.get("signatories", [])})
    jobs = [RenderJob(c.language.value, c.printed, c.verification_code, verification_url(c.verification_code))
            for c in certificates]
    return start_rendering(jobs, signatures)


def _store(certificates: list[Certificate], pdfs: list[bytes], actor: User | None) -> list[Certificate]:
    """Store each rendered certificate's bytes and hash, once, and audit the issue."""
    done = []
    for certificate, pdf in zip(certificates, pdfs):
        digest = hashlib.sha256(pdf).hexdigest()
        stored = db.session.execute(
            sa.update(Certificate).where(Certificate.id == certificate.id, Certificate.sha256 == PENDING)
            .values(pdf=pdf, sha256=digest).execution_options(synchronize_session=False)
        ).rowcount
        if stored:  # else another run completed it first
            audit.record(certificate, "issue", to_state="valid", actor=actor, number=certificate.number,
                         sha256=digest)
            done.append(certificate)
    for certificate in certificates:
        db.session.expire(certificate)
    return done


def issue_for_session(training_session: TrainingSession, language: DocumentLanguage | None,
                      actor: User | None, batch_size: int = 50, commit=None) -> tuple[list[Certificate], BulkPlan]:
    """Issue every eligible trainee's certificate, batch by batch, each batch committed.

    A batch's numbers are reserved (and its rows written, pending) in one short transaction;
    its PDFs are rendered outside the lock, in worker processes, while the next batch is
    reserved; then bytes and hashes are stored. Rows left pending by an interrupted run are
    completed first, so numbers are neither skipped nor reused.
    """
    from centre.certificates.rendering import warm_up

    commit = commit or db.session.commit
    warm_up()
    plan = plan_bulk(training_session, language)
    if any(SIDES[lang] != ("fr",) for _, lang in plan.todo):
        require_arabic_font()
    batches = [pending_of(training_session)]
    batches += [plan.todo[i:i + batch_size] for i in range(0, len(plan.todo), batch_size)]
    issued: list[Certificate] = []
    in_flight = None  # (certificates, waiter) of the batch being rendered
    for index, batch in enumerate(batches):
        reserved = batch if index == 0 else _reserve(batch, actor)
        commit()  # the numbers' lock is released here, before any rendering
        started = (reserved, _start(reserved)) if reserved else None
        if in_flight:
            issued += _store(in_flight[0], in_flight[1](), actor)
            commit()
        in_flight = started
    if in_flight:
        issued += _store(in_flight[0], in_flight[1](), actor)
        commit()
    return issued, plan


def pending_of(training_session: TrainingSession) -> list[Certificate]:
    return db.session.scalars(
        sa.select(Certificate).join(Registration)
        .where(Registration.session_id == training_session.id, Certificate.sha256 == PENDING)
    ).all()


def bulk_status(training_session: TrainingSession) -> dict:
    """Where a session's bulk issue stands, computed from the database alone (for polling)."""
    rows = eligibility_list(training_session)
    eligible = {row.registration.id for row in rows if row.eligible}
    states = db.session.execute(
        sa.select(Certificate.registration_id, Certificate.sha256 == PENDING)
        .where(Certificate.registration_id.in_(eligible),
               Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None))
    ).all()
    issued = {rid for rid, pending in states if not pending}
    pending = {rid for rid, pending in states if pending} - issued
    return {"eligible": len(eligible), "issued": len(issued), "pending": len(pending),
            "to_issue": len(eligible - issued - pending), "refused": len(rows) - len(eligible)}


def find_by_code(code: str) -> Certificate | None:
    """The issued certificate with this code; None for an unknown, malformed or pending one."""
    normalized = normalize_code(code)
    if len(normalized) != 29:  # 24 base32 characters in groups of four
        return None
    return db.session.scalar(sa.select(Certificate).where(
        Certificate.verification_code == normalized, Certificate.sha256 != PENDING))


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


def printed_issued_on(printed: dict, language: str) -> str:
    return format_date(date.fromisoformat(printed["issued_on"]), FULL_DATE,
                       locale=FORMAT_LOCALES[language])


def printed_dates(printed: dict, language: str) -> str:
    """The session's dates as the certificate prints them."""
    return format_date_range(date.fromisoformat(printed["start_on"]),
                             date.fromisoformat(printed["end_on"]), language)


# Signatories ---------------------------------------------------------------------------------


def check_signature_image(data: bytes) -> str:
    """The image's type (image/png or image/jpeg), judged by its content; else DomainError."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > SIGNATURE_MAX_BYTES:
        raise DomainError(_l("The signature image is too large: at most %(size)s MB."), size=1)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_l("The signature must be a PNG or JPEG image.")) from None
    if kind not in SIGNATURE_TYPES:
        raise DomainError(_l("The signature must be a PNG or JPEG image."))
    if max(width, height) > SIGNATURE_MAX_PIXELS:
        raise DomainError(_l("The signature image is too large: at most %(pixels)s pixels a side."),
                          pixels=SIGNATURE_MAX_PIXELS)
    return SIGNATURE_TYPES[kind]


def add_signatory(name_fr: str, title_fr: str, signature: bytes, actor: User | None, name_ar: str = "",
                  title_ar: str = "", position: int = 1) -> Signatory:
    kind = check_signature_image(signature)
    signatory = Signatory(name_fr=name_fr.strip(), name_ar=(name_ar or "").strip(), title_fr=title_fr.strip(),
                          title_ar=(title_ar or "").strip(), signature=signature, signature_type=kind,
                          position=position or 0)
    db.session.add(signatory)
    audit.record(signatory, "create", to_state="active", actor=actor, name=signatory.name_fr)
    return signatory


def withdraw_signatory(signatory: Signatory, actor: User | None) -> Signatory:
    """Certificates issued from now on no longer print this signatory; issued ones keep it."""
    signatory.is_active = False
    audit.record(signatory, "withdraw", from_state="active", to_state="withdrawn", actor=actor)
    return signatory


# Delivery ------------------------------------------------------------------------------------


def valid_certificates_of_session(training_session: TrainingSession, with_pdf: bool = False) -> list[Certificate]:
    query = (sa.select(Certificate).join(Registration)
             .where(Registration.session_id == training_session.id, Certificate.sha256 != PENDING,
                    Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None))
             .order_by(Certificate.year, Certificate.sequence))
    if with_pdf:
        query = query.options(sa.orm.undefer(Certificate.pdf))
    return db.session.scalars(query).all()


def session_archive(training_session: TrainingSession) -> bytes:
    """A ZIP of the session's valid certificates, as stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in valid_certificates_of_session(training_session, with_pdf=True):
            archive.writestr(certificate.filename, certificate.pdf)
    return buffer.getvalue()


def export_session(training_session: TrainingSession, folder) -> list:
    """Write the session's valid certificates, as stored, into a folder; returns the paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for certificate in valid_certificates_of_session(training_session, with_pdf=True):
        path = folder / certificate.filename
        path.write_bytes(certificate.pdf)
        paths.append(path)
    return paths


def mail_language(certificate: Certificate) -> str:
    """The trainee's language: their account's, else the certificate's (French when bilingual)."""
    trainee = certificate.registration.trainee
    if trainee.user is not None and trainee.user.locale:
        return trainee.user.locale
    return "ar" if certificate.language == DocumentLanguage.AR else "fr"


def email_certificate(certificate: Certificate, actor: User | None):
    """Send the stored PDF to its trainee, in the trainee's language."""
    from centre.mail import send

    if certificate.state != "valid":
        raise DomainError(_l("Only a valid certificate is sent."))
    trainee = certificate.registration.trainee
    try:
        message = send(trainee.email, "certificate", mail_language(certificate),
                       trainee=trainee, certificate=certificate,
                       session_title=localized(certificate.registration.training_session, "title",
                                               mail_language(certificate)),
                       verify_url=verification_url(certificate.verification_code),
                       attachments=[(certificate.filename, "application/pdf", certificate.pdf)])
    except (OSError, smtplib.SMTPException) as error:
        raise DomainError(_l("The certificate %(number)s could not be sent to %(email)s; try again later."),
                          number=certificate.number, email=trainee.email) from error
    audit.record(certificate, "email", actor=actor, to=trainee.email)
    return message


# The public verification page's rate limit ---------------------------------------------------


def allow_verification(client: str, now=None) -> bool:
    """Count this request against the client's allowance; False once the allowance is spent.

    The count lives in the database, so that every app server sharing it sees the same one.
    """
    from datetime import timedelta

    from centre.models import VerificationHit

    now = now or utcnow()
    config = current_app.config
    since = now - timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
    client = (client or "unknown")[:64]
    db.session.execute(sa.delete(VerificationHit).where(VerificationHit.client == client,
                                                        VerificationHit.at < since))
    used = db.session.scalar(sa.select(sa.func.count(VerificationHit.id)).where(VerificationHit.client == client))
    if used >= config["VERIFY_RATE_LIMIT"]:
        return False
    db.session.add(VerificationHit(client=client, at=now))
    return True
