"""Planning a session: creation, its slots, and the status workflow with its guards."""
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import SessionStatus as S
from centre.models import Slot, SlotPart, TrainingSession, User

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


def create_session(actor: User | None = None, *, generate=True, **fields) -> TrainingSession:
    """A new draft session; its slots are generated from the date range."""
    if db.session.scalar(db.select(TrainingSession.id).where(TrainingSession.code == fields["code"])):
        raise DomainError(_l("A session with the code %(code)s already exists."), code=fields["code"])
    if fields["end_on"] < fields["start_on"]:
        raise DomainError(_l("The session cannot end before it starts."))
    training_session = TrainingSession(status=S.DRAFT, **fields)
    db.session.add(training_session)
    if generate:
        training_session.slots = build_slots(training_session.start_on, training_session.end_on)
    audit.record(training_session, "create", to_state=S.DRAFT, actor=actor, code=training_session.code)
    return training_session


def build_slots(start_on: date, end_on: date, holidays: frozenset[date] = frozenset()) -> list[Slot]:
    """A morning and an afternoon slot for each working day (Monday to Friday) of the range."""
    zone = centre_zone()
    slots = []
    day = start_on
    while day <= end_on:
        if day.weekday() < 5 and day not in holidays:
            for part, (start, end) in SLOT_HOURS.items():
                slots.append(
                    Slot(
                        part=part,
                        starts_at=datetime.combine(day, start, zone),
                        ends_at=datetime.combine(day, end, zone),
                    )
                )
        day += timedelta(days=1)
    return slots


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
        from centre.reviews.services import review_gate_problems

        problems += review_gate_problems(training_session, override_reason=override_reason)
    elif target == S.OPEN:
        if not training_session.title_ar:
            problems.append(str(_l("Give the title in Arabic before opening registration.")))
        if not training_session.slots:
            problems.append(str(_l("The session has no slots.")))
    return problems


def allowed_transitions(training_session: TrainingSession) -> list[tuple[S, list[str]]]:
    """Each status the session may go to next, with what is missing (empty when ready)."""
    return [(target, transition_problems(training_session, target))
            for target in TRANSITIONS[training_session.status]]


def change_status(training_session: TrainingSession, target: S, actor: User | None = None, *,
                  reason: str = "", override_reason: str = "") -> TrainingSession:
    """Move the session along its workflow, or raise DomainError saying what is missing."""
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
    db.session.flush()
    return training_session


def lock_session(session_id: int) -> TrainingSession:
    """The session row, locked until commit (PostgreSQL; SQLite holds its write lock already)."""
    return db.session.execute(
        db.select(TrainingSession).where(TrainingSession.id == session_id).with_for_update()
    ).scalar_one()


def list_sessions() -> list[TrainingSession]:
    return db.session.scalars(db.select(TrainingSession).order_by(TrainingSession.start_on.desc())).all()
