"""Issuing the certificates of a whole session: numbers reserved in short transactions,
PDFs rendered in worker processes outside the lock, then stored."""
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from centre import audit
from centre.attendance.services import eligibility_list
from centre.certificates.printing import SIDES, RenderJob, printed_fields, signature_images
from centre.certificates.rendering import start_rendering, warm_up
from centre.certificates.services import reserve_numbers, valid_languages
from centre.certificates.signatories import active_signatories
from centre.certificates.verification import new_verification_code, verification_url
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import Certificate, CertificateSequence, DocumentLanguage, Registration, TrainingSession, User
from centre.models.types import utcnow
from centre.pdf import require_arabic_font


@dataclass
class BulkPlan:
    todo: list[tuple[Registration, DocumentLanguage]]
    refused: list[tuple[Registration, str]]  #: ineligible, with the reason
    already: int  #: eligible trainees who already hold a valid certificate in that language


def plan_bulk(training_session: TrainingSession, language: DocumentLanguage | None) -> BulkPlan:
    """Who gets a certificate (in `language`, or else each trainee's preference) and who does not, why."""
    rows = eligibility_list(training_session)
    held = valid_languages(row.registration.id for row in rows)
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
    numbers = reserve_numbers(issued_on.year, len(batch))
    held = valid_languages(r.id for r, _ in batch)  # under the lock: no double issue
    batch = [(r, lang) for r, lang in batch if (r.id, lang) not in held]
    signatories = active_signatories()
    certificates = []
    for (registration, language), (sequence, number) in zip(batch, numbers):
        certificates.append(Certificate(
            number=number, year=issued_on.year, sequence=sequence, registration=registration,
            language=language, verification_code=new_verification_code(),
            printed=printed_fields(registration, number, issued_on, signatories),
            pdf=b"", sha256=Certificate.PENDING, issued_at=issued_at, issued_by=actor,
        ))
    if len(batch) < len(numbers):  # give back the numbers not used, so that none is skipped
        db.session.get(CertificateSequence, issued_on.year).last_value -= len(numbers) - len(batch)
    db.session.add_all(certificates)
    db.session.flush()
    return certificates


def _start(certificates: list[Certificate]):
    """Start rendering reserved certificates in the worker processes; returns the waiter."""
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
            sa.update(Certificate).where(Certificate.id == certificate.id, Certificate.sha256 == Certificate.PENDING)
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
        .where(Registration.session_id == training_session.id, Certificate.sha256 == Certificate.PENDING)
    ).all()


def bulk_status(training_session: TrainingSession) -> dict:
    """Where a session's bulk issue stands, computed from the database alone (for polling)."""
    rows = eligibility_list(training_session)
    eligible = {row.registration.id for row in rows if row.eligible}
    states = db.session.execute(
        sa.select(Certificate.registration_id, Certificate.sha256 == Certificate.PENDING)
        .where(Certificate.registration_id.in_(eligible),
               Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None))
    ).all()
    issued = {rid for rid, pending in states if not pending}
    pending = {rid for rid, pending in states if pending} - issued
    return {"eligible": len(eligible), "issued": len(issued), "pending": len(pending),
            "to_issue": len(eligible - issued - pending), "refused": len(rows) - len(eligible)}
