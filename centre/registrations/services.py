"""Registering trainees and deciding registrations: capacity, quota, duplicates, waiting list."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import (
    LIVE_STATUSES,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.models import RegistrationStatus as R
from centre.models.types import utcnow
from centre.sessions.services import lock_session

#: Decisions a coordinator may take from each status.
DECISIONS = {
    R.PENDING: (R.ACCEPTED, R.WAITLISTED, R.REJECTED),
    R.WAITLISTED: (R.ACCEPTED, R.REJECTED),
}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_passport(number: str | None) -> str | None:
    number = "".join((number or "").split()).upper()
    return number or None


def create_trainee_account(password: str, locale: str | None = None, **fields) -> Trainee:
    """A visitor's trainee record with the account they sign in with, in the language they used."""
    email = normalize_email(fields.pop("email"))
    if db.session.scalar(sa.select(User.id).where(User.email == email)) or db.session.scalar(
        sa.select(Trainee.id).where(Trainee.email == email)
    ):
        raise DomainError(_l("An account already exists for %(email)s. Please sign in to register."), email=email)
    user = User(email=email, role=Role.TRAINEE, locale=locale,
                full_name=f"{fields['given_name']} {fields['family_name']}")
    user.set_password(password)
    fields["passport_number"] = normalize_passport(fields.get("passport_number"))
    trainee = Trainee(email=email, user=user, **fields)
    db.session.add_all([user, trainee])
    db.session.flush()
    audit.record(trainee, "create", actor=user)
    return trainee


def live_registrations(session_id: int):
    return sa.select(Registration).where(
        Registration.session_id == session_id, Registration.status.in_(LIVE_STATUSES)
    )


def accepted_count(training_session: TrainingSession, institution_id: int | None = None) -> int:
    query = sa.select(sa.func.count(Registration.id)).where(
        Registration.session_id == training_session.id, Registration.status == R.ACCEPTED
    )
    if institution_id is not None:
        query = query.join(Trainee).where(Trainee.institution_id == institution_id)
    return db.session.scalar(query)


def places_left(training_session: TrainingSession) -> int:
    return max(training_session.capacity - accepted_count(training_session), 0)


def places_left_in(sessions: list[TrainingSession]) -> dict[int, int]:
    """Places left in each of several sessions, in one query."""
    accepted = dict(db.session.execute(
        sa.select(Registration.session_id, sa.func.count(Registration.id))
        .where(Registration.session_id.in_([s.id for s in sessions]), Registration.status == R.ACCEPTED)
        .group_by(Registration.session_id)
    ).all())
    return {s.id: max(s.capacity - accepted.get(s.id, 0), 0) for s in sessions}


def register(training_session: TrainingSession, trainee: Trainee, *, arrival_on=None,
             departure_on=None, needs_visa_letter=False) -> Registration:
    """A pending registration, if the session takes registrations and the person holds none live."""
    training_session = lock_session(training_session.id)
    if training_session.status != SessionStatus.OPEN:
        raise DomainError(_l("This session does not take registrations."))
    today = datetime.now(centre_zone()).date()
    if training_session.registration_deadline and today > training_session.registration_deadline:
        raise DomainError(_l("The registration deadline has passed."))
    if places_left(training_session) == 0:
        raise DomainError(_l("This session is full."))
    duplicate = db.session.scalar(
        live_registrations(training_session.id).join(Trainee).where(
            sa.or_(
                Trainee.id == trainee.id,
                Trainee.email == trainee.email,
                sa.and_(Trainee.passport_number.is_not(None),
                        Trainee.passport_number == trainee.passport_number),
            )
        )
    )
    if duplicate:
        raise DomainError(_l("You are already registered for this session; see “My registrations”."))
    if arrival_on and departure_on and departure_on < arrival_on:
        raise DomainError(_l("The departure date is before the arrival date."))
    registration = Registration(
        trainee=trainee, training_session=training_session, status=R.PENDING,
        arrival_on=arrival_on, departure_on=departure_on, needs_visa_letter=needs_visa_letter,
    )
    db.session.add(registration)
    audit.record(registration, "register", to_state=R.PENDING, actor=trainee.user,
                 session=training_session.code)
    return registration


def _check_room(training_session: TrainingSession, trainee: Trainee) -> None:
    if accepted_count(training_session) >= training_session.capacity:
        raise DomainError(_l("The session is full: every place is taken."))
    quota = training_session.institution_quota
    if quota and trainee.institution_id and accepted_count(training_session, trainee.institution_id) >= quota:
        raise DomainError(_l("This institution has reached its quota of places."))


def decide(registration: Registration, decision: RegistrationStatus, actor: User, reason: str = "") -> Registration:
    """Accept, waitlist or reject; accepting never exceeds capacity nor the institution's quota."""
    training_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if decision not in DECISIONS.get(registration.status, ()):
        raise DomainError(_l("A registration cannot go from “%(source)s” to “%(target)s”."),
                          source=registration.status.label, target=decision.label)
    if decision == R.ACCEPTED:
        _check_room(training_session, registration.trainee)
    source = registration.status
    registration.status = decision
    registration.decided_at = utcnow()
    registration.decided_by = actor
    registration.decision_reason = reason
    registration.waitlist_position = _next_waitlist_position(training_session) if decision == R.WAITLISTED else None
    audit.record(registration, "decide", from_state=source, to_state=decision, actor=actor, reason=reason or None)
    db.session.flush()
    return registration


def _next_waitlist_position(training_session: TrainingSession) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Registration.waitlist_position)).where(
            Registration.session_id == training_session.id, Registration.status == R.WAITLISTED
        )
    )
    return (last or 0) + 1


def cancel(registration: Registration, actor: User) -> Registration | None:
    """Cancel a live registration; the record stays. Returns whoever was promoted from the waiting list."""
    training_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if not registration.is_live:
        raise DomainError(_l("This registration is no longer live."))
    if training_session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        raise DomainError(_l("The session is over; its registrations can no longer change."))
    source = registration.status
    registration.status = R.CANCELLED
    registration.cancelled_at = utcnow()
    registration.waitlist_position = None
    audit.record(registration, "cancel", from_state=source, to_state=R.CANCELLED, actor=actor)
    db.session.flush()
    if source == R.ACCEPTED:
        return promote_from_waitlist(training_session, actor)
    return None


def promote_from_waitlist(training_session: TrainingSession, actor: User | None) -> Registration | None:
    """Accept the first on the waiting list who fits within capacity and quota."""
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == training_session.id, Registration.status == R.WAITLISTED)
        .order_by(Registration.waitlist_position, Registration.id)
    ).all()
    for candidate in waiting:
        try:
            _check_room(training_session, candidate.trainee)
        except DomainError:
            continue
        candidate.status = R.ACCEPTED
        candidate.decided_at = utcnow()
        candidate.decided_by = actor
        candidate.waitlist_position = None
        audit.record(candidate, "promote", from_state=R.WAITLISTED, to_state=R.ACCEPTED, actor=actor)
        db.session.flush()
        return candidate
    return None


def registrations_of(training_session: TrainingSession) -> list[Registration]:
    return db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == training_session.id)
        .options(sa.orm.joinedload(Registration.trainee).joinedload(Trainee.institution))
        .order_by(Registration.submitted_at, Registration.id)
    ).all()


def accepted_registrations(training_session: TrainingSession) -> list[Registration]:
    return db.session.scalars(
        sa.select(Registration)
        .join(Trainee)
        .where(Registration.session_id == training_session.id, Registration.status == R.ACCEPTED)
        .options(sa.orm.contains_eager(Registration.trainee))
        .order_by(Trainee.family_name, Trainee.given_name)
    ).all()


def registrations_of_trainee(user: User) -> list[Registration]:
    return db.session.scalars(
        sa.select(Registration)
        .join(Trainee)
        .where(Trainee.user_id == user.id)
        .options(sa.orm.joinedload(Registration.training_session))
        .order_by(Registration.submitted_at.desc())
    ).all()
