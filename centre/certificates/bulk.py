"""Issuing the certificates of a whole session: numbers reserved in short transactions,
PDFs rendered in worker processes outside the lock, then stored."""
from dataclasses import dataclass

import sqlalchemy as sa

from centre.attendance.services import eligibility_list
from centre.certificates.printing import SIDES, jobs_of
from centre.certificates.rendering import start_rendering, warm_up
from centre.certificates.services import reserve_certificates, store_rendered, valid_languages
from centre.extensions import db
from centre.models import Certificate, DocumentLanguage, Registration, TrainingSession, User
from centre.pdf import require_arabic_font
from centre.signing import signing_identity


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
    signing_identity()  # a signing key that does not work refuses before a number is reserved
    batches = [pending_of(training_session)]
    batches += [plan.todo[i:i + batch_size] for i in range(0, len(plan.todo), batch_size)]
    issued: list[Certificate] = []
    in_flight = None  # (certificates, waiter) of the batch being rendered
    for index, batch in enumerate(batches):
        reserved = batch if index == 0 else reserve_certificates(batch, actor)
        # What the rendering needs is read before the commit, so that no transaction (on SQLite,
        # no write lock) stays open while the PDFs render and other issues can go on meanwhile.
        jobs = jobs_of(reserved) if reserved else None
        commit()  # the numbers' lock is released here, before any rendering
        started = (reserved, start_rendering(*jobs)) if reserved else None
        if in_flight:
            issued += store_rendered(in_flight[0], in_flight[1](), actor)
            commit()
        in_flight = started
    if in_flight:
        issued += store_rendered(in_flight[0], in_flight[1](), actor)
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
