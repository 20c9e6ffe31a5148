"""Attendance marks, the attendance rate and eligibility for a certificate."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import (
    AttendanceMark,
    MarkStatus,
    Registration,
    RegistrationStatus,
    SessionStatus,
    TrainingSession,
    User,
)
from centre.models.types import utcnow

MARKING_STATUSES = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)


@dataclass(frozen=True)
class AttendanceFigures:
    slots: int  #: slots of the session
    present: int  #: present or late
    excused: int
    counted: int  #: the denominator: slots, less excused ones if the session leaves them out

    @property
    def rate(self) -> float:
        """Percentage of counted slots attended (present or late)."""
        return 100.0 * self.present / self.counted if self.counted else 0.0


def save_marks(training_session: TrainingSession, marks: dict[tuple[int, int], MarkStatus],
               actor: User) -> int:
    """Record marks {(registration_id, slot_id): status}; returns how many changed."""
    if training_session.status not in MARKING_STATUSES:
        raise DomainError(_l("Attendance is taken once the session has started."))
    accepted = set(db.session.scalars(
        sa.select(Registration.id).where(Registration.session_id == training_session.id,
                                         Registration.status == RegistrationStatus.ACCEPTED)
    ))
    slot_ids = {slot.id for slot in training_session.slots}
    for registration_id, slot_id in marks:
        if registration_id not in accepted or slot_id not in slot_ids:
            raise DomainError(_l("A mark names a trainee or slot that is not part of this session."))
    existing = {
        (m.registration_id, m.slot_id): m
        for m in db.session.scalars(
            sa.select(AttendanceMark).where(AttendanceMark.slot_id.in_(slot_ids))
        )
    }
    changed = 0
    for key, status in marks.items():
        mark = existing.get(key)
        if mark is not None and mark.status == status:
            continue
        if mark is None:
            mark = AttendanceMark(registration_id=key[0], slot_id=key[1], status=status)
            db.session.add(mark)
        previous = None if mark.id is None else mark.status
        mark.status = status
        mark.recorded_by = actor
        mark.recorded_at = utcnow()
        audit.record(mark, "mark", from_state=previous, to_state=status, actor=actor)
        changed += 1
    db.session.flush()
    return changed


def marks_of(training_session: TrainingSession) -> dict[tuple[int, int], AttendanceMark]:
    slot_ids = [slot.id for slot in training_session.slots]
    return {
        (m.registration_id, m.slot_id): m
        for m in db.session.scalars(sa.select(AttendanceMark).where(AttendanceMark.slot_id.in_(slot_ids)))
    }


def session_figures(training_session: TrainingSession,
                    registration_ids: list[int] | None = None) -> dict[int, AttendanceFigures]:
    """Attendance figures of each registration of the session, in one query."""
    slot_ids = [slot.id for slot in training_session.slots]
    query = (
        sa.select(AttendanceMark.registration_id, AttendanceMark.status, sa.func.count())
        .where(AttendanceMark.slot_id.in_(slot_ids))
        .group_by(AttendanceMark.registration_id, AttendanceMark.status)
    )
    if registration_ids is not None:
        query = query.where(AttendanceMark.registration_id.in_(registration_ids))
    counts: dict[int, dict[MarkStatus, int]] = {}
    for registration_id, status, count in db.session.execute(query):
        counts.setdefault(registration_id, {})[status] = count
    ids = registration_ids if registration_ids is not None else list(counts)
    return {rid: _figures(training_session, len(slot_ids), counts.get(rid, {})) for rid in ids}


def _figures(training_session: TrainingSession, slots: int, counts: dict) -> AttendanceFigures:
    present = counts.get(MarkStatus.PRESENT, 0) + counts.get(MarkStatus.LATE, 0)
    excused = counts.get(MarkStatus.EXCUSED, 0)
    counted = slots - (excused if training_session.excused_left_out else 0)
    return AttendanceFigures(slots=slots, present=present, excused=excused, counted=counted)


def figures(registration: Registration) -> AttendanceFigures:
    return session_figures(registration.training_session, [registration.id])[registration.id]


def eligibility(registration: Registration, result: AttendanceFigures | None = None) -> tuple[bool, str]:
    """Whether the registration may receive a certificate, and if not, why."""
    training_session = registration.training_session
    if training_session.status != SessionStatus.COMPLETED:
        return False, str(_l("The session is not completed."))
    if registration.status != RegistrationStatus.ACCEPTED:
        return False, str(_l("The registration is not accepted."))
    result = result or figures(registration)
    if result.slots == 0:
        return False, str(_l("The session has no slots."))
    # Integer comparison, so a threshold met exactly is never lost to rounding.
    if result.present * 100 < training_session.attendance_threshold * result.counted:
        return False, str(_l("Attendance %(rate).0f%% is below the threshold of %(threshold)s%%.",
                             rate=result.rate, threshold=training_session.attendance_threshold))
    return True, ""
