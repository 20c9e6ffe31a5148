"""Periodic work declared in the app instead of cron lines: the reviews' reminders, the pruning
of sign-in and verification records, the reaper.

Every worker's scheduler ticks each schedule once a minute; the tick runs it when its last due
moment has passed since its last run (so a run missed while no worker was up happens at the
next tick), and a row per schedule in `schedule_run` lets only one of several workers claim it.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre.evaluation.questionnaires import run_daily as run_evaluation
from centre.extensions import db
from centre.jobs.services import reap
from centre.joining.services import send_reminders
from centre.models import FailedLogin, MailRequest, ScheduleRun, VerificationHit
from centre.models.types import utcnow
from centre.reviews.services import remind_overdue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    name: str
    label: Any  #: a lazy string for the admin page
    run: Callable[[datetime], int]  #: does the work (flushing, not committing); returns how many things it handled
    every_minutes: int = 0  #: an interval, or …
    daily_at_setting: str = ""  #: … the configuration key of a daily "HH:MM" in the centre's time zone

    def daily_at(self) -> tuple[int, int]:
        hours, minutes = current_app.config[self.daily_at_setting].split(":")
        return int(hours), int(minutes)

    def last_due(self, now: datetime) -> datetime:
        """The latest moment at or before `now` this schedule was due (UTC)."""
        now = now.astimezone(timezone.utc)
        if self.every_minutes:
            minute = now.replace(second=0, microsecond=0)
            return minute - timedelta(minutes=minute.minute % self.every_minutes)
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        local = now.astimezone(zone)
        hour, minute = self.daily_at()
        due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if due > local:
            due -= timedelta(days=1)  # wall-clock arithmetic in the zone: the same time the day before
        return due.astimezone(timezone.utc)

    def next_due(self, now: datetime) -> datetime:
        last = self.last_due(now)
        if self.every_minutes:
            return last + timedelta(minutes=self.every_minutes)
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        return (last.astimezone(zone) + timedelta(days=1)).astimezone(timezone.utc)


def _remind_overdue_reviews(now: datetime) -> int:
    return len(remind_overdue(now).reminded)


def prune_records(now: datetime) -> int:
    """Delete the failed sign-ins older than the sign-in rules look back (the window and the
    lock), the verification page's hits older than its rate window and the mail requests older
    than theirs; returns how many."""
    config = current_app.config
    sign_in_horizon = now - timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"] + config["LOGIN_LOCK_MINUTES"])
    verify_horizon = now - timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
    deleted = db.session.execute(sa.delete(FailedLogin).where(FailedLogin.at < sign_in_horizon)).rowcount
    deleted += db.session.execute(sa.delete(VerificationHit).where(VerificationHit.at < verify_horizon)).rowcount
    mail_horizon = now - timedelta(minutes=config["MAIL_REQUEST_WINDOW_MINUTES"])
    deleted += db.session.execute(sa.delete(MailRequest).where(MailRequest.at < mail_horizon)).rowcount
    return deleted


def _reap(now: datetime) -> int:
    return reap(now).count


SCHEDULES = (
    Schedule("reviews.remind", _l("Reminders of overdue reviews"), _remind_overdue_reviews,
             daily_at_setting="REVIEW_REMINDERS_AT"),
    Schedule("records.prune", _l("Pruning of old sign-in failures and verification records"), prune_records,
             daily_at_setting="PRUNING_AT"),
    Schedule("joining.remind", _l("Reminders to trainees before their session"), send_reminders,
             daily_at_setting="JOINING_REMINDERS_AT"),
    Schedule("evaluation.daily", _l("Questionnaires sent, reminded and closed"), run_evaluation,
             daily_at_setting="EVALUATION_AT"),
    Schedule("jobs.reap", _l("Recovery of jobs whose worker stopped"), _reap, every_minutes=1),
)
SCHEDULES_BY_NAME = {schedule.name: schedule for schedule in SCHEDULES}


def run_schedule(schedule: Schedule, now: datetime | None = None, *, force: bool = False) -> bool:
    """Run the schedule if it is due and no other worker claimed this due moment; commits.
    Returns whether it ran."""
    now = now or utcnow()
    due = schedule.last_due(now)
    if not _claim(schedule, due, now, force):
        return False
    try:
        count = schedule.run(now)
        db.session.flush()
    except Exception as error:
        db.session.rollback()
        logger.exception("Schedule %s failed", schedule.name)
        _record(schedule.name, last_ok=False, last_count=None, last_error=repr(error))
        return True
    _record(schedule.name, last_ok=True, last_count=count, last_error=None)
    return True


def _claim(schedule, due, now, force) -> bool:
    values = {"slot": due, "last_started_at": now, "next_run_at": schedule.next_due(now)}
    statement = sa.update(ScheduleRun).where(ScheduleRun.name == schedule.name)
    if not force:
        statement = statement.where(sa.or_(ScheduleRun.slot.is_(None), ScheduleRun.slot < due))
    if db.session.execute(statement.values(**values).execution_options(synchronize_session=False)).rowcount:
        db.session.commit()
        return True
    if db.session.get(ScheduleRun, schedule.name) is not None:
        db.session.rollback()
        return False
    try:
        db.session.add(ScheduleRun(name=schedule.name, **values))
        db.session.commit()
    except sa.exc.IntegrityError:  # another worker claimed its first run at the same moment
        db.session.rollback()
        return False
    return True


def _record(name, **values) -> None:
    db.session.execute(sa.update(ScheduleRun).where(ScheduleRun.name == name)
                       .values(last_finished_at=utcnow(), **values).execution_options(synchronize_session=False))
    db.session.commit()


def schedule_states(now: datetime | None = None) -> list[tuple[Schedule, ScheduleRun | None, datetime]]:
    """Each schedule with its recorded run (None: never ran) and its next due moment."""
    now = now or utcnow()
    runs = {run.name: run for run in db.session.scalars(sa.select(ScheduleRun))}
    states = []
    for schedule in SCHEDULES:
        run = runs.get(schedule.name)
        due = schedule.last_due(now)
        next_at = due if run is None or run.slot is None or run.slot < due else schedule.next_due(now)
        states.append((schedule, run, next_at))
    return states
