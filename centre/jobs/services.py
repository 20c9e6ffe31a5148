"""Jobs: the rows that record background work, the registry of kinds, and the worker's side.

Enqueue in the caller's transaction: `enqueue(...)` adds the job's row and flushes; the queue
receives the job's id only once that transaction commits (an `after_commit` hook on the
session), and never if it rolls back. The queue is at-most-once delivery with our own
safety net: a worker marks the job running and beats its heartbeat; the reaper queues again a
running job whose heartbeat went stale (its worker died), up to the job's attempts.
"""
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre.errors import DomainError
from centre.extensions import db
from centre.models import Job, JobStatus, User
from centre.models.types import utcnow

logger = logging.getLogger(__name__)

#: The session.info key of the job ids to send to the queue once the transaction commits.
PENDING_KEY = "centre_jobs_to_send"


class JobSuperseded(Exception):
    """This run no longer owns its job: cancelled, or queued again by the reaper meanwhile."""


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[Job, "Progress"], Any]
    label: Any  #: a lazy string shown on the admin page
    max_attempts: int | None = None  #: None: JOB_MAX_ATTEMPTS from the configuration


#: Every kind of job, by name. Filled by @job_kind in the modules that declare tasks.
KINDS: dict[str, JobKind] = {}


def job_kind(name: str, label, *, max_attempts: int | None = None):
    """Register `run(job, progress)` as the task for jobs of kind `name`.

    A task must be idempotent: it may run more than once for one job (a worker killed mid-run
    is detected by its stale heartbeat and the job is queued again), so it must find out what
    an earlier run already did — e.g. from the rows it wrote or from `job.progress_done` — and
    neither repeat nor duplicate it. `progress(done, total)` commits the task's work done so
    far together with the job's progress, and raises JobSuperseded when this run lost the job;
    call it between units of work that are complete. The return value (a dict, or None) is
    kept as the job's result. A DomainError ends the job as failed at once (a rule will not
    change its mind on retry); any other exception is retried until the attempts run out.
    """

    def register(run):
        KINDS[name] = JobKind(name, run, label, max_attempts)
        return run

    return register


def enqueue(kind: str, actor: User | None, *, entity: db.Model | None = None, **params) -> Job:
    """Record a job in the caller's transaction; it reaches the queue when that transaction commits."""
    job = record_job(kind, actor, entity=entity, **params)
    send_after_commit(job.id)
    return job


def record_job(kind: str, actor: User | None, *, entity: db.Model | None = None, **params) -> Job:
    """Record a job without sending it to the queue: the caller runs it itself once committed
    (`execute_job`, e.g. a command run in the foreground). Should the caller die, the reaper
    finds the row (queued or running, with a stale heartbeat) and a worker finishes the job."""
    if kind not in KINDS:
        raise ValueError(f"No job kind {kind!r} is registered.")
    config = current_app.config
    job = Job(kind=kind, actor=actor, params=params, status=JobStatus.QUEUED, heartbeat_at=utcnow(),
              max_attempts=KINDS[kind].max_attempts or config["JOB_MAX_ATTEMPTS"])
    if entity is not None:
        job.entity, job.entity_id = entity.__tablename__, entity.id
    db.session.add(job)
    db.session.flush()
    return job


def send_after_commit(job_id: int, delay: float = 0) -> None:
    # The innermost savepoint, if any: rolling it back forgets the jobs enqueued inside it.
    savepoint = db.session().get_nested_transaction()
    db.session.info.setdefault(PENDING_KEY, []).append((current_app._get_current_object(), job_id, delay, savepoint))


def send_pending(session) -> None:
    """after_commit: hand the committed jobs to their app's queue. A queue that is down loses
    nothing: the row stays queued and the reaper sends it again later.

    SQLAlchemy also calls after_commit when a savepoint is released (begin_nested): nothing is
    committed yet then, and a job run at once (QUEUE_IMMEDIATE, or a fast worker) would wait for
    the rows the open transaction holds (on SQLite, its write lock: a deadlock) or not find them."""
    if session.get_nested_transaction() is not None:
        return
    for app, job_id, delay, _ in session.info.pop(PENDING_KEY, []):
        try:
            send(app, job_id, delay)
        except Exception:
            logger.exception("Job %s could not reach the queue; the reaper will send it again", job_id)


def send(app, job_id: int, delay: float = 0) -> None:
    """Put a job's id on the app's queue (after the row's transaction committed)."""
    huey = app.extensions["centre_queue"]
    if delay:
        huey.run_job.schedule((job_id,), delay=delay)
    else:
        huey.run_job(job_id)


def forget_pending(session, previous_transaction) -> None:
    """after_soft_rollback: forget the jobs of what was rolled back — everything, or a savepoint's."""
    pending = session.info.get(PENDING_KEY)
    if not pending:
        return
    if not previous_transaction.nested:
        if previous_transaction.parent is None:
            del session.info[PENDING_KEY]
        return
    session.info[PENDING_KEY] = [entry for entry in pending if not _inside(entry[3], previous_transaction)]


def _inside(savepoint, ended) -> bool:
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False


def register_session_hooks() -> None:
    """Listen on every session of `db` (once, whatever the number of apps created)."""
    for name, hook in (("after_commit", send_pending), ("after_soft_rollback", forget_pending)):
        if not sa.event.contains(db.session, name, hook):
            sa.event.listen(db.session, name, hook)


# The worker's side.

class Progress:
    """progress(done, total=None): record how far the job got, commit, beat the heartbeat."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt

    def __call__(self, done: int, total: int | None = None) -> None:
        values = {"progress_done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        if not _update_own(self.job_id, self.attempt, **values):
            db.session.rollback()
            raise JobSuperseded(self.job_id)
        db.session.commit()


def _update_own(job_id: int, attempt: int, **values) -> bool:
    """Update the job only if this run still owns it (running, at this attempt): the fence that
    keeps a superseded run from writing over the next one."""
    statement = (sa.update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == JobStatus.RUNNING)
                 .values(**values).execution_options(synchronize_session=False))
    return db.session.execute(statement).rowcount == 1


class Heartbeat(threading.Thread):
    """Beats the job's heartbeat from a thread of its own, even while a unit of work is long."""

    def __init__(self, engine, job_id: int, attempt: int, interval: float):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.engine, self.job_id, self.attempt, self.interval = engine, job_id, attempt, interval
        self.stopped = threading.Event()

    def run(self):
        table = Job.__table__
        while not self.stopped.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.update(table).where(table.c.id == self.job_id, table.c.attempts == self.attempt,
                                               table.c.status == JobStatus.RUNNING)
                        .values(heartbeat_at=utcnow()))
            except sa.exc.SQLAlchemyError:
                logger.warning("Job %s: heartbeat not recorded", self.job_id, exc_info=True)

    def stop(self):
        """Stop beating. Waits a moment at most: a beat blocked on the database (SQLite's write
        lock, held by the job's own transaction until it ends) must not hold the job's end back
        — it would wait for that very transaction. A late beat writes nothing: the job is not
        running any more."""
        self.stopped.set()
        self.join(timeout=1.0)


def execute_job(job_id: int) -> JobStatus | None:
    """Run one job (inside an app context): claim it, run its task, record how it ended.

    Returns the status it ended with, or None when the job was not this worker's to run
    (unknown, finished, cancelled, or taken by another worker).
    """
    config = current_app.config
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now,
                finished_at=None).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        logger.info("Job %s is not queued any more: skipped", job_id)
        return None
    job = db.session.get(Job, job_id)
    attempt = job.attempts
    kind = KINDS.get(job.kind)
    if kind is None:
        return _finish(job_id, attempt, JobStatus.FAILED, error=f"No task is registered for the kind {job.kind!r}.")
    heartbeat = Heartbeat(db.engine, job_id, attempt, config["JOB_HEARTBEAT_SECONDS"])
    heartbeat.start()
    try:
        result = kind.run(job, Progress(job_id, attempt))
    except JobSuperseded:
        db.session.rollback()
        logger.info("Job %s attempt %s was superseded; its run stops", job_id, attempt)
        return None
    except DomainError as error:
        db.session.rollback()
        return _finish(job_id, attempt, JobStatus.FAILED, error=str(error))
    except Exception as error:
        db.session.rollback()
        logger.exception("Job %s (%s) failed on attempt %s", job_id, job.kind, attempt)
        note = "".join(traceback.format_exception_only(error)).strip()
        if attempt < job.max_attempts:
            return _retry(job_id, attempt, note, config)
        return _finish(job_id, attempt, JobStatus.FAILED, error=note)
    finally:
        heartbeat.stop()
    return _finish(job_id, attempt, JobStatus.DONE, result=result if isinstance(result, dict) else None)


def _finish(job_id, attempt, status, *, error=None, result=None):
    values = {"status": status, "finished_at": utcnow(), "heartbeat_at": utcnow()}
    if error is not None:
        values["last_error"] = error
    if result is not None:
        values["result"] = result
    if not _update_own(job_id, attempt, **values):
        db.session.rollback()
        logger.info("Job %s attempt %s was superseded before it could end as %s", job_id, attempt, status)
        return None
    db.session.commit()
    return status


def _retry(job_id, attempt, note, config):
    delay = config["JOB_RETRY_DELAY_SECONDS"] * 2 ** (attempt - 1)
    if current_app.extensions["centre_queue"].immediate:
        delay = 0  # nothing would ever run a delayed message in immediate mode
    due = utcnow() + timedelta(seconds=delay)
    if not _update_own(job_id, attempt, status=JobStatus.QUEUED, last_error=note, heartbeat_at=due):
        db.session.rollback()
        return None
    send_after_commit(job_id, delay)
    db.session.commit()
    return JobStatus.QUEUED


# The reaper, and what admins read.

@dataclass
class ReapReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.requeued) + len(self.failed) + len(self.resent)


def reap(now: datetime | None = None) -> ReapReport:
    """Queue again the running jobs whose worker died (stale heartbeat), up to their attempts,
    else mark them failed; send again the queued jobs the queue may have lost. Flushes."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    report = ReapReport()
    stale = db.session.scalars(
        sa.select(Job).where(Job.status.in_([JobStatus.RUNNING, JobStatus.QUEUED]), Job.heartbeat_at < stale_before)
        .order_by(Job.id).with_for_update(skip_locked=True)
    ).all()
    for job in stale:
        if job.status == JobStatus.QUEUED:
            report.resent.append(job.id)
        elif job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.last_error = (f"The worker stopped during attempt {job.attempts} of {job.max_attempts} "
                              f"(no heartbeat since {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); given up.")
            report.failed.append(job.id)
            continue
        else:
            job.status = JobStatus.QUEUED
            job.last_error = (f"The worker stopped during attempt {job.attempts} of {job.max_attempts} "
                              f"(no heartbeat since {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); queued again.")
            report.requeued.append(job.id)
        job.heartbeat_at = now
        send_after_commit(job.id)
    db.session.flush()
    if report.count:
        logger.warning("Reaper: %s queued again, %s failed, %s sent again",
                       report.requeued, report.failed, report.resent)
    return report


def latest_job(kind: str, entity: db.Model) -> Job | None:
    """The newest job of a kind about one record (e.g. a session's last bulk issue), if any."""
    return db.session.scalars(
        sa.select(Job).where(Job.kind == kind, Job.entity == entity.__tablename__, Job.entity_id == entity.id)
        .order_by(Job.created_at.desc(), Job.id.desc()).limit(1)
    ).first()


def cancel_job(job: Job) -> Job:
    """Cancel a job that has not finished; a running task stops at its next progress call."""
    if job.is_finished:
        raise DomainError(_l("This job has already ended."))
    job.status, job.finished_at = JobStatus.CANCELLED, utcnow()
    db.session.flush()
    return job


def recent_jobs(*, kind: str | None = None, status: JobStatus | None = None, since: datetime | None = None,
                until: datetime | None = None):
    """The jobs query for the admin page and `flask jobs list`, newest first."""
    query = sa.select(Job).options(sa.orm.joinedload(Job.actor)).order_by(Job.created_at.desc(), Job.id.desc())
    if kind:
        query = query.where(Job.kind == kind)
    if status:
        query = query.where(Job.status == status)
    if since:
        query = query.where(Job.created_at >= since)
    if until:
        query = query.where(Job.created_at < until)
    return query
