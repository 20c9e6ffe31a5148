"""Issuing the certificates of a whole session, as a background job: numbers reserved in short
transactions, PDFs rendered in worker processes outside the lock, then stored.

The coordinator (or `flask certificates issue`) starts a job of kind BULK_KIND; a worker runs
it batch by batch, each batch's certificates (and their mails) committed with the job's
progress. Killed at any moment, the job is taken up again by the reaper and completes the
rows an earlier run left pending before reserving more: no number is skipped or used twice,
no PDF is stored half.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.attendance.services import eligibility_list
from centre.certificates.delivery import email_each
from centre.certificates.printing import SIDES, jobs_of
from centre.certificates.rendering import start_rendering, warm_up
from centre.certificates.services import issue_refusals, reserve_certificates, store_rendered
from centre.errors import DomainError
from centre.extensions import db
from centre.jobs.services import enqueue, job_kind, latest_job, record_job
from centre.models import (Certificate, DocumentLanguage, Job, Registration, SessionStatus, TrainingSession,
                           User)
from centre.pdf import require_arabic_font
from centre.signing import signing_identity

BULK_KIND = "certificates.issue"


@dataclass
class BulkPlan:
    todo: list[tuple[Registration, DocumentLanguage]]
    refused: list[tuple[Registration, str]]  #: ineligible, with the reason
    already: int  #: eligible trainees who already hold a valid certificate in that language (stored, not pending)


def plan_bulk(training_session: TrainingSession, language: DocumentLanguage | None) -> BulkPlan:
    """Who gets a certificate (in `language`, or else each trainee's preference) and who does not, why."""
    rows = eligibility_list(training_session)
    chosen = {row.registration.id: language or row.registration.trainee.certificate_language for row in rows}
    refusals = issue_refusals(chosen.items())
    plan = BulkPlan([], [], 0)
    for row in rows:
        refusal = refusals.get((row.registration.id, chosen[row.registration.id]))
        if not row.eligible:
            plan.refused.append((row.registration, row.reason))
        elif refusal is None:
            plan.todo.append((row.registration, chosen[row.registration.id]))
        elif not refusal.held:
            plan.refused.append((row.registration, refusal.reason))
        elif not refusal.pending:  # a pending one is completed first, not "held"
            plan.already += 1
    return plan


def issue_for_session(training_session: TrainingSession, language: DocumentLanguage | None,
                      actor: User | None, batch_size: int = 50, commit=None, stored=None,
                      plan: BulkPlan | None = None) -> tuple[list[Certificate], BulkPlan]:
    """Issue every eligible trainee's certificate, batch by batch, each batch committed.

    A batch's numbers are reserved (and its rows written, pending) in one short transaction;
    its PDFs are rendered outside the lock, in worker processes, while the next batch is
    reserved; then bytes and hashes are stored. Rows left pending by an interrupted run are
    completed first, so numbers are neither skipped nor reused.
    commit: called at each commit point (default: the session's commit); stored(certificates):
    called with each batch just stored, before its commit, to write more in the same transaction.
    """
    commit = commit or db.session.commit
    warm_up()
    plan = plan or plan_bulk(training_session, language)
    if any(SIDES[lang] != ("fr",) for _, lang in plan.todo):
        require_arabic_font()
    signing_identity()  # a signing key that does not work refuses before a number is reserved
    batches = [pending_of(training_session)]
    batches += [plan.todo[i:i + batch_size] for i in range(0, len(plan.todo), batch_size)]
    issued: list[Certificate] = []

    def store(certificates, pdfs):
        done = store_rendered(certificates, pdfs, actor)
        issued.extend(done)
        if stored is not None:
            stored(done)
        commit()

    in_flight = None  # (certificates, waiter) of the batch being rendered
    for index, batch in enumerate(batches):
        reserved = batch if index == 0 else reserve_certificates(batch, actor)
        # What the rendering needs is read before the commit, so that no transaction (on SQLite,
        # no write lock) stays open while the PDFs render and other issues can go on meanwhile.
        jobs = jobs_of(reserved) if reserved else None
        commit()  # the numbers' lock is released here, before any rendering
        started = (reserved, start_rendering(*jobs)) if reserved else None
        if in_flight:
            store(in_flight[0], in_flight[1]())
        in_flight = started
    if in_flight:
        store(in_flight[0], in_flight[1]())
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


# The bulk issue as a job ------------------------------------------------------------------------


def bulk_job(training_session: TrainingSession) -> Job | None:
    """The session's latest bulk issue job (running or ended), if any."""
    return latest_job(BULK_KIND, training_session)


def _bulk_params(training_session, language, email) -> dict:
    if training_session.status != SessionStatus.COMPLETED:
        raise DomainError(_l("Certificates are issued once the session is completed."))
    running = bulk_job(training_session)
    if running is not None and not running.is_finished:
        raise DomainError(_l("The certificates of this session are already being issued (job %(number)d): "
                             "follow it on this page.", number=running.id))
    signing_identity()  # a signing key that does not work is refused now, not when the job runs
    return {"session_id": training_session.id, "language": language.value if language else None,
            "email": bool(email)}


def start_bulk_issue(training_session: TrainingSession, language: DocumentLanguage | None, email: bool,
                     actor: User | None, *, queue: bool = True, locale: str | None = None) -> Job:
    """Start issuing the session's certificates in the background (the caller commits).

    queue=False records the job without sending it to the workers: the caller runs it at once
    with `execute_job` (a command run in the foreground); should it die, the reaper hands the
    job to the workers. One bulk issue at a time per session. locale: the language of the reasons the
    job records (default: the starter's, else the default language; a command asks for English).
    """
    params = _bulk_params(training_session, language, email)
    if locale:
        params["locale"] = locale
    start = enqueue if queue else record_job
    job = start(BULK_KIND, actor, entity=training_session, **params)
    audit.record(training_session, "issue_all", actor=actor, job=job.id, language=params["language"] or "",
                 email=params["email"])
    return job


@job_kind(BULK_KIND, _l("Issuing a session's certificates"))
def run_bulk_issue(job: Job, progress) -> dict:
    """The task: resumes where an earlier run of the job stopped (job.progress_done certificates
    were stored and committed with it), and counts the whole job's work in its progress."""
    locale = (job.params.get("locale") or (job.actor.locale if job.actor else None)
              or current_app.config["BABEL_DEFAULT_LOCALE"])
    with force_locale(locale):  # the reasons and the error it records are read by the one who started it
        try:
            return _issue_for_job(job, progress)
        except DomainError as error:
            raise DomainError(str(error)) from error  # translated here, in that language


def _issue_for_job(job: Job, progress) -> dict:
    params = dict(job.params)  # read once: each commit expires the job's row
    training_session = db.session.get(TrainingSession, params["session_id"])
    if training_session is None:
        raise DomainError(_l("The session no longer exists: no certificate was issued."))
    if training_session.status != SessionStatus.COMPLETED:
        raise DomainError(_l("The session is %(status)s, not completed: no certificate was issued.",
                             status=str(training_session.status.label).lower()))
    language = DocumentLanguage(params["language"]) if params.get("language") else None
    earlier = job.progress_done  # stored by the job's earlier runs
    plan = plan_bulk(training_session, language)
    total = earlier + len(pending_of(training_session)) + len(plan.todo)  # pending: reserved, not stored
    mails = {"refused": []}
    issued_now = []

    def stored(certificates):
        issued_now.extend(certificates)
        if params.get("email"):
            report = email_each(certificates, job.actor)
            mails["refused"] += [{"number": c.number, "email": c.registration.trainee.email, "error": reason}
                                 for c, reason in report.failed]

    progress(earlier, total)
    issue_for_session(training_session, language, job.actor, plan=plan, stored=stored,
                      commit=lambda: progress(earlier + len(issued_now), total))
    issued = earlier + len(issued_now)
    result = {"issued": issued, "already": plan.already - earlier,
              "refused": [{"name": r.trainee.name, "reason": reason} for r, reason in plan.refused]}
    if params.get("email"):
        result["emailed"] = issued - len(mails["refused"])
        result["mail_refused"] = mails["refused"]
    return result
