"""Background work: one row per job the app starts, one row per periodic schedule."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return JOB_STATUS_LABELS[self]


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: _l("Queued"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
    JobStatus.CANCELLED: _l("Cancelled"),
}
FINISHED_STATUSES = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(db.Model):
    """A piece of background work: what it is, who asked, how far it got, how it ended.

    The queue (Huey) only carries the job's id; this row is the truth every app server reads.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60))  #: the registered task, e.g. "certificates.issue"
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))  #: None: the system
    entity: Mapped[str | None] = mapped_column(sa.String(40))  #: table name of what the job is about
    entity_id: Mapped[int | None]
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  #: the task's keyword arguments
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]  #: None until the task knows how much there is
    attempts: Mapped[int] = mapped_column(default=0)  #: runs started; also fences a superseded run's writes
    max_attempts: Mapped[int] = mapped_column(default=3)
    last_error: Mapped[str | None] = mapped_column(sa.Text)  #: a technical note, as logged (not translated)
    result: Mapped[dict | None] = mapped_column(sa.JSON)  #: the task's summary once done
    #: running: the worker's last sign of life; queued: when it was last sent to the queue
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: the last attempt's start
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("progress_done >= 0", name="progress_done_not_negative"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_job_status_heartbeat_at", "status", "heartbeat_at"),
        sa.Index("ix_job_created_at", "created_at"),
        sa.Index("ix_job_entity", "entity", "entity_id"),
    )

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    def __repr__(self):
        return f"<Job #{self.id} {self.kind} {self.status}>"


class ScheduleRun(db.Model):
    """The last and next run of one periodic task (the reminders, the pruning, the reaper).

    `slot` is the minute the last run was due at: several workers share one claim per minute.
    """

    __tablename__ = "schedule_run"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok: Mapped[bool | None]  #: None: never finished
    last_count: Mapped[int | None]  #: how many things the last run handled (reminders sent, rows pruned)
    last_error: Mapped[str | None] = mapped_column(sa.Text)  #: the last run's exception, as logged
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self):
        return f"<ScheduleRun {self.name} {self.last_started_at}>"
