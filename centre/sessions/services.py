"""Planning a session: creation, its slots, and the status workflow with its guards."""
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from icalendar import Calendar, Event

from centre import audit
from centre.errors import DomainError
from centre.evaluation.questionnaires import on_session_completed
from centre.extensions import db
from centre.i18n import centre_zone, format_day, localized
from centre.models import SessionStatus as S
from centre.models import (
    AttendanceMark,
    Expert,
    Registration,
    RegistrationStatus,
    Review,
    Slot,
    SlotPart,
    Trainee,
    Trainer,
    TrainingSession,
    User,
    institution_association,
)
from centre.models.types import utcnow
from centre.reviews.services import review_gate_problems

#: Default hours of the two half-day slots, in the centre's time zone.
SLOT_HOURS = {
    SlotPart.MORNING: (time(9, 0), time(12, 30)),
    SlotPart.AFTERNOON: (time(14, 0), time(17, 30)),
}

#: The workflow: from each status, where a coordinator may take the session.
TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.DRAFT: (S.IN_REVIEW, S.CANCELLED),
    S.IN_REVIEW: (S.APPROVED, S.DRAFT, S.CANCELLED),
    S.APPROVED: (S.OPEN, S.CANCELLED),
    S.OPEN: (S.CLOSED, S.CANCELLED),
    S.CLOSED: (S.IN_PROGRESS, S.OPEN, S.CANCELLED),
    S.IN_PROGRESS: (S.COMPLETED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (),
}

#: The usual path through the workflow, draft to completed; TRANSITIONS allows the detours.
MAIN_LINE = (S.DRAFT, S.IN_REVIEW, S.APPROVED, S.OPEN, S.CLOSED, S.IN_PROGRESS, S.COMPLETED)

#: The button that takes a session to each status.
ACTION_LABELS = {
    S.IN_REVIEW: _l("Send to the experts' review"),
    S.DRAFT: _l("Back to draft"),
    S.APPROVED: _l("Approve"),
    S.OPEN: _l("Open registration"),
    S.CLOSED: _l("Close registration"),
    S.IN_PROGRESS: _l("Start the session"),
    S.COMPLETED: _l("Mark as completed"),
    S.CANCELLED: _l("Cancel the session"),
}


#: Fields a coordinator sets on a session (create, edit, duplicate).
SESSION_FIELDS = (
    "code", "kind", "title_fr", "title_ar", "title_en", "theme_fr", "theme_ar", "theme_en",
    "programme_fr", "programme_ar", "programme_en", "venue_fr", "venue_ar", "venue_en",
    "start_on", "end_on", "capacity", "institution_quota", "registration_deadline", "languages",
    "attendance_threshold", "excused_left_out",
)
#: Statuses in which a session no longer changes.
FROZEN = (S.COMPLETED, S.CANCELLED)

#: The dates a session may have: far enough from the ends of Python's calendar that a
#: calendar page, a clone's shift and the conflict search (60 days either side) stay inside it.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
#: The longest session, in days from its first to its last (a year gives about 500 slots).
MAX_SESSION_DAYS = 366


def check_dates(start_on: date | None, end_on: date | None) -> None:
    """Refuse dates outside the window, and a session longer than MAX_SESSION_DAYS."""
    for day in (start_on, end_on):
        if day and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise DomainError(_l("Dates must lie between %(earliest)s and %(latest)s.",
                                 earliest=format_day(EARLIEST_DAY, "medium"), latest=format_day(LATEST_DAY, "medium")))
    if start_on and end_on and (end_on - start_on).days + 1 > MAX_SESSION_DAYS:
        raise DomainError(_l("A session lasts at most %(days)d days.", days=MAX_SESSION_DAYS))


def _check_fields(fields: dict, training_session: TrainingSession | None = None) -> None:
    code = fields.get("code")
    if code is not None:
        taken = db.session.scalar(sa.select(TrainingSession.id).where(TrainingSession.code == code))
        if taken and (training_session is None or taken != training_session.id):
            raise DomainError(_l("A session with the code %(code)s already exists."), code=code)
    start_on, end_on = fields.get("start_on"), fields.get("end_on")
    if start_on and end_on and end_on < start_on:
        raise DomainError(_l("The session cannot end before it starts."))
    deadline = fields.get("registration_deadline")
    check_dates(start_on, end_on)
    check_dates(deadline, None)
    if deadline and start_on and deadline > start_on:
        raise DomainError(_l("The deadline must not be after the first day."))
    quota, capacity = fields.get("institution_quota"), fields.get("capacity")
    if quota and capacity and quota > capacity:
        raise DomainError(_l("The places per institution cannot exceed the capacity."))


def create_session(actor: User | None = None, *, generate=True, **fields) -> TrainingSession:
    """A new draft session; its slots are generated from the date range."""
    _check_fields(fields)
    training_session = TrainingSession(status=S.DRAFT, **fields)
    db.session.add(training_session)
    if generate:
        training_session.slots = build_slots(training_session.start_on, training_session.end_on)
    audit.record(training_session, "create", to_state=S.DRAFT, actor=actor, code=training_session.code)
    return training_session


def update_session(training_session: TrainingSession, actor: User | None = None, **fields) -> list[str]:
    """Change a session's fields; returns the names of those that changed.

    New dates give new slots, as long as no attendance has been taken.
    """
    if training_session.status in FROZEN:
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    _check_fields(fields, training_session)
    changed = [name for name, value in fields.items() if getattr(training_session, name) != value]
    new_dates = {"start_on", "end_on"} & set(changed)
    if new_dates and _has_marks(training_session):
        raise DomainError(_l("Attendance has been taken: change the slots one by one rather than the dates."))
    capacity = fields.get("capacity", training_session.capacity)
    if capacity < _accepted(training_session):
        raise DomainError(_l("More registrations are accepted than this capacity allows."))
    for name in changed:
        setattr(training_session, name, fields[name])
    if new_dates:
        training_session.slots = build_slots(training_session.start_on, training_session.end_on)
    if changed:
        audit.record(training_session, "edit", actor=actor, fields=", ".join(sorted(changed)))
    db.session.flush()
    return changed


def duplicate_session(source: TrainingSession, actor: User | None, *, code: str, start_on: date) -> TrainingSession:
    """A new draft with the source's content and trainers, moved to a new first day."""
    fields = {name: getattr(source, name) for name in SESSION_FIELDS}
    check_dates(start_on, None)
    check_dates(source.start_on, source.end_on)
    shift = start_on - source.start_on
    check_dates(None, start_on + (source.end_on - source.start_on))
    fields.update(code=code, start_on=start_on, end_on=source.end_on + shift,
                  registration_deadline=source.registration_deadline + shift
                  if source.registration_deadline else None)
    copy = create_session(actor, **fields)
    copy.trainers = [Trainer(expert=t.expert, days=t.days) for t in source.trainers]
    audit.record(copy, "duplicate", actor=actor, source=source.code)
    return copy


def _has_marks(training_session: TrainingSession) -> bool:
    return db.session.scalar(
        sa.select(AttendanceMark.id).join(Slot).where(Slot.session_id == training_session.id).limit(1)
    ) is not None


def _accepted(training_session: TrainingSession) -> int:
    return db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
        Registration.session_id == training_session.id, Registration.status == RegistrationStatus.ACCEPTED))


def holidays_between(start_on: date, end_on: date) -> frozenset[date]:
    """Public holidays in the range: fixed national days, plus the configured dates."""
    config = current_app.config
    days = set()
    for year in range(start_on.year, end_on.year + 1):
        for month_day in config["FIXED_HOLIDAYS"]:
            month, day = map(int, month_day.split("-"))
            days.add(date(year, month, day))
    days.update(date.fromisoformat(iso) for iso in config["HOLIDAYS"])
    return frozenset(d for d in days if start_on <= d <= end_on)


def slot_times(start_on: date, end_on: date,
               holidays: frozenset[date] | None = None) -> list[tuple[SlotPart, datetime, datetime]]:
    """(part, start, end) of a morning and an afternoon slot for each working day of the range
    (no weekend, no holiday), in the centre's time zone."""
    if holidays is None:
        holidays = holidays_between(start_on, end_on)
    zone = centre_zone()
    times = []
    day = start_on
    while day <= end_on:
        if day.weekday() < 5 and day not in holidays:
            times += [(part, datetime.combine(day, start, zone), datetime.combine(day, end, zone))
                      for part, (start, end) in SLOT_HOURS.items()]
        day += timedelta(days=1)
    return times


def build_slots(start_on: date, end_on: date, holidays: frozenset[date] | None = None) -> list[Slot]:
    """The slots of slot_times(), as rows of a session."""
    return [Slot(part=part, starts_at=starts_at, ends_at=ends_at)
            for part, starts_at, ends_at in slot_times(start_on, end_on, holidays)]


def _check_slot(training_session: TrainingSession, day: date, starts: time, ends: time,
                slot: Slot | None = None) -> tuple[datetime, datetime]:
    if training_session.status in FROZEN:
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    if not training_session.start_on <= day <= training_session.end_on:
        raise DomainError(_l("The slot must fall within the session's dates."))
    if ends <= starts:
        raise DomainError(_l("A slot must end after it starts."))
    zone = centre_zone()
    starts_at, ends_at = datetime.combine(day, starts, zone), datetime.combine(day, ends, zone)
    for other in training_session.slots:
        if other is not slot and other.starts_at < ends_at and starts_at < other.ends_at:
            raise DomainError(_l("This slot overlaps another slot of the session."))
    return starts_at, ends_at


def add_slot(training_session: TrainingSession, actor: User | None, *, day: date, part: SlotPart,
             starts: time, ends: time) -> Slot:
    starts_at, ends_at = _check_slot(training_session, day, starts, ends)
    slot = Slot(part=part, starts_at=starts_at, ends_at=ends_at)
    training_session.slots.append(slot)
    db.session.flush()
    audit.record(training_session, "slot_add", actor=actor, slot=slot.id, starts_at=starts_at.isoformat())
    return slot


def change_slot(slot: Slot, actor: User | None, *, starts: time, ends: time) -> Slot:
    training_session = slot.training_session
    day = slot.starts_at.astimezone(centre_zone()).date()
    before = slot.starts_at.isoformat(), slot.ends_at.isoformat()
    slot.starts_at, slot.ends_at = _check_slot(training_session, day, starts, ends, slot)
    audit.record(training_session, "slot_change", actor=actor, slot=slot.id, before=" – ".join(before),
                 after=f"{slot.starts_at.isoformat()} – {slot.ends_at.isoformat()}")
    db.session.flush()
    return slot


def remove_slot(slot: Slot, actor: User | None) -> None:
    """Remove a slot; its attendance marks go with it, and the audit log says how many."""
    training_session = slot.training_session
    if training_session.status in FROZEN:
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    marks = db.session.scalar(sa.select(sa.func.count(AttendanceMark.id)).where(AttendanceMark.slot_id == slot.id))
    audit.record(training_session, "slot_remove", actor=actor, slot=slot.id,
                 starts_at=slot.starts_at.isoformat(), marks=marks)
    training_session.slots.remove(slot)
    db.session.flush()


def set_trainer(training_session: TrainingSession, expert, days, actor: User | None) -> Trainer:
    """Make an expert a trainer of the session, with the days they work on it."""
    if training_session.status in FROZEN:
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    length = (training_session.end_on - training_session.start_on).days + 1
    if not 0 < days <= length:
        raise DomainError(_l("A trainer works between half a day and the length of the session."))
    trainer = db.session.get(Trainer, (training_session.id, expert.id))
    if trainer is None:
        trainer = Trainer(expert=expert, days=days)
        training_session.trainers.append(trainer)
    trainer.days = days
    audit.record(training_session, "trainer", actor=actor, expert=expert.name, days=days)
    db.session.flush()
    return trainer


def remove_trainer(training_session: TrainingSession, trainer: Trainer, actor: User | None) -> None:
    if training_session.status in FROZEN:
        raise DomainError(_l("A completed or cancelled session can no longer be changed."))
    audit.record(training_session, "trainer_remove", actor=actor, expert=trainer.expert.name)
    training_session.trainers.remove(trainer)
    db.session.flush()


def transition_problems(training_session: TrainingSession, target: S, *, override_reason: str = "") -> list[str]:
    """What stands between the session and `target`, in words a coordinator understands."""
    if target not in TRANSITIONS[training_session.status]:
        return [str(_l("A session cannot go from “%(source)s” to “%(target)s”.",
                        source=training_session.status.label, target=target.label))]
    problems = []
    if target == S.IN_REVIEW:
        if not training_session.theme_fr and not training_session.theme_en:
            problems.append(str(_l("Describe the theme before sending it to the experts.")))
        if not training_session.slots:
            problems.append(str(_l("The session has no slots.")))
    elif target == S.APPROVED:
        problems += review_gate_problems(training_session, override_reason=override_reason)
    elif target == S.OPEN:
        if not training_session.title_ar:
            problems.append(str(_l("Give the title in Arabic before opening registration.")))
        if not training_session.theme_ar:
            problems.append(str(_l("Give the theme in Arabic before opening registration.")))
        if training_session.programme_fr and not training_session.programme_ar:
            problems.append(str(_l("Give the programme in Arabic before opening registration.")))
        if not training_session.slots:
            problems.append(str(_l("The session has no slots.")))
    elif target == S.COMPLETED:
        problems += completion_problems(training_session)
    return problems


def completion_problems(training_session: TrainingSession, now: datetime | None = None) -> list[str]:
    """Completing counts every slot: one still to come and not marked for every accepted trainee
    would silently become their absence. Refused while such slots remain, saying so and how to
    correct it (remove the slots that will not be held, or wait for them)."""
    now = now or utcnow()
    accepted = _accepted(training_session)
    pending = [slot for slot in training_session.slots if slot.ends_at > now]
    if not pending or not accepted:
        return []
    marked = dict(db.session.execute(
        sa.select(AttendanceMark.slot_id, sa.func.count(AttendanceMark.id))
        .join(Registration, AttendanceMark.registration_id == Registration.id)
        .where(AttendanceMark.slot_id.in_([slot.id for slot in pending]),
               Registration.status == RegistrationStatus.ACCEPTED)
        .group_by(AttendanceMark.slot_id)).all())
    unmarked = [slot for slot in pending if marked.get(slot.id, 0) < accepted]
    if not unmarked:
        return []
    last = max(slot.ends_at for slot in unmarked)
    return [ngettext(
        "%(num)d slot has not been held yet (the last ends on %(day)s). Completing the session now would count "
        "it as an absence for each of its %(trainees)d accepted trainees not marked, and those below the "
        "attendance threshold would get no certificate. Remove the slots that will not be held (Slots page), "
        "or complete the session after its last slot.",
        "%(num)d slots have not been held yet (the last ends on %(day)s). Completing the session now would "
        "count them as absences for each of its %(trainees)d accepted trainees not marked, and those below the "
        "attendance threshold would get no certificate. Remove the slots that will not be held (Slots page), "
        "or complete the session after its last slot.",
        len(unmarked), day=format_day(last, "long"), trainees=accepted)]


def allowed_transitions(training_session: TrainingSession) -> list[tuple[S, list[str]]]:
    """Each status the session may go to next, with what is missing (empty when ready)."""
    return [(target, transition_problems(training_session, target))
            for target in TRANSITIONS[training_session.status]]


def change_status(training_session: TrainingSession, target: S, actor: User | None = None, *,
                  reason: str = "", override_reason: str = "", evaluate: bool = True) -> TrainingSession:
    """Move the session along its workflow, or raise DomainError saying what is missing.
    Completing it sends its evaluation questionnaires, unless `evaluate` is False (seed data
    made to measure something else)."""
    if target == S.CANCELLED and not reason.strip():
        raise DomainError(_l("Say why the session is cancelled."))
    problems = transition_problems(training_session, target, override_reason=override_reason)
    if problems:
        raise DomainError(" ".join(problems))
    source = training_session.status
    training_session.status = target
    details = {}
    if reason:
        details["reason"] = reason
    if target == S.APPROVED and override_reason.strip():
        details["override_reason"] = override_reason
    audit.record(training_session, "status", from_state=source, to_state=target, actor=actor, **details)
    if target == S.COMPLETED and evaluate:
        on_session_completed(training_session, actor)
    db.session.flush()
    return training_session


def lock_session(session_id: int) -> TrainingSession:
    """The session row, locked until commit (PostgreSQL; SQLite holds its write lock already)."""
    return db.session.execute(
        db.select(TrainingSession).where(TrainingSession.id == session_id).with_for_update()
    ).scalar_one()


def sessions_query(*, year: int | None = None, status: S | None = None, kind=None,
                   association_id: int | None = None, institution_id: int | None = None) -> sa.Select:
    """Sessions, latest first, filtered; a partner or association filter keeps the sessions
    that trainees of that partner (or of its members) registered for."""
    query = sa.select(TrainingSession).order_by(TrainingSession.start_on.desc(), TrainingSession.code)
    if year:
        query = query.where(TrainingSession.start_on.between(date(year, 1, 1), date(year, 12, 31)))
    if status:
        query = query.where(TrainingSession.status == status)
    if kind:
        query = query.where(TrainingSession.kind == kind)
    if institution_id or association_id:
        participants = sa.select(Registration.session_id).join(Trainee)
        if institution_id:
            participants = participants.where(Trainee.institution_id == institution_id)
        if association_id:
            participants = participants.join(
                institution_association, institution_association.c.institution_id == Trainee.institution_id
            ).where(institution_association.c.association_id == association_id)
        query = query.where(TrainingSession.id.in_(participants))
    return query


def list_sessions(**filters) -> list[TrainingSession]:
    return db.session.scalars(sessions_query(**filters)).all()


def calendar_month(requested: str, fallback: date) -> date:
    """The first day of the month asked for as "YYYY-MM", or of `fallback`'s month when the
    text is no month or one outside the sessions' date window."""
    try:
        year, month = map(int, requested.split("-"))
        if EARLIEST_DAY.year <= year <= LATEST_DAY.year:
            return date(year, month, 1)
    except ValueError:
        pass
    return fallback.replace(day=1)


def month_calendar(year: int, month: int) -> list[list[tuple[date, list[TrainingSession]]]]:
    """The weeks (Monday first) of a month, each day with the sessions held on it."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    sessions = db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.start_on <= last, TrainingSession.end_on >= first,
               TrainingSession.status != S.CANCELLED)
        .order_by(TrainingSession.start_on, TrainingSession.code)
    ).all()
    day = first - timedelta(days=first.weekday())
    weeks = []
    while day <= last:
        week = []
        for _ in range(7):
            week.append((day, [s for s in sessions if s.start_on <= day <= s.end_on] if day.month == month else []))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def _days_after(day: date, days: int) -> date:
    """`day` moved by `days`, held at the ends of the calendar (a session saved before the date
    window existed may sit at 0001-01-01 or 9999-12-31: its page must still open)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def conflicts(training_session: TrainingSession) -> list[str]:
    """Warnings: the venue booked twice on a slot; an expert reviewing or teaching two
    sessions on the same day."""
    warnings = []
    others = db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.id != training_session.id, TrainingSession.status != S.CANCELLED,
               TrainingSession.start_on <= _days_after(training_session.end_on, 60),
               TrainingSession.end_on >= _days_after(training_session.start_on, -60))
        .options(sa.orm.selectinload(TrainingSession.slots), sa.orm.selectinload(TrainingSession.trainers))
    ).all()
    venue = training_session.venue_fr.strip().casefold()
    for other in others:
        if venue and other.venue_fr.strip().casefold() == venue:
            for slot in training_session.slots:
                if any(o.starts_at < slot.ends_at and slot.starts_at < o.ends_at for o in other.slots):
                    warnings.append(str(_l("%(venue)s is also booked for session %(code)s on %(day)s.",
                                           venue=training_session.venue_fr, code=other.code,
                                           day=format_day(slot.starts_at, "medium"))))
                    break

    def busy_days(session, reviews):
        """expert id -> the days they teach or have a review due, for one session."""
        days = {}
        teaching = {slot.starts_at.astimezone(centre_zone()).date() for slot in session.slots}
        for trainer in session.trainers:
            days.setdefault(trainer.expert_id, set()).update(teaching)
        for review in reviews.get(session.id, []):
            if review.due_on and not review.has_conflict:
                days.setdefault(review.expert_id, set()).add(review.due_on)
        return days

    sessions = [training_session, *others]
    reviews = {}
    for review in db.session.scalars(sa.select(Review).where(Review.session_id.in_([x.id for x in sessions]))):
        reviews.setdefault(review.session_id, []).append(review)
    mine = busy_days(training_session, reviews)
    experts = {e.id: e for e in db.session.scalars(sa.select(Expert).where(Expert.id.in_(mine)))}
    for other in others:
        theirs = busy_days(other, reviews)
        for expert_id, days in mine.items():
            shared = sorted(days & theirs.get(expert_id, set()))
            if shared:
                warnings.append(str(_l("%(name)s is also busy with session %(code)s on %(day)s.",
                                       name=experts[expert_id].name, code=other.code,
                                       day=format_day(shared[0], "medium"))))
    return warnings


def calendar_feed(sessions: list[TrainingSession], *, slots: bool, language: str, url_for_session) -> bytes:
    """An iCalendar (.ics) feed: one all-day event per session, or one event per slot."""
    calendar = Calendar()
    calendar.add("prodid", "-//Centre//Training sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", current_app.config["CENTRE_NAMES"].get(language, ""))
    stamp = datetime.now(centre_zone())
    for training_session in sessions:
        title = localized(training_session, "title", language)
        location = localized(training_session, "venue", language)
        url = url_for_session(training_session)
        if slots:
            for slot in training_session.slots:
                event = Event()
                event.add("uid", f"slot-{slot.id}-{training_session.code}@centre")
                event.add("dtstart", slot.starts_at)
                event.add("dtend", slot.ends_at)
                event.add("summary", f"{training_session.code} · {title}")
                event.add("location", location)
                event.add("url", url)
                event.add("dtstamp", stamp)
                calendar.add_component(event)
        else:
            event = Event()
            event.add("uid", f"session-{training_session.code}@centre")
            event.add("dtstart", training_session.start_on)
            event.add("dtend", training_session.end_on + timedelta(days=1))  # all-day: end is exclusive
            event.add("summary", f"{training_session.code} · {title}")
            event.add("location", location)
            event.add("description", localized(training_session, "theme", language))
            event.add("url", url)
            event.add("dtstamp", stamp)
            calendar.add_component(event)
    return calendar.to_ical()
