"""Registering trainees and deciding registrations: capacity, quota, duplicates, waiting list.

An address is proved by a signed link (itsdangerous, SECRET_KEY and a salt of its own; the
token carries the trainee's id and address, nothing is stored until it is followed). Until
then the registration stays pending and is shown to coordinators flagged "address not
confirmed": they may reject it, but not accept it nor put it on the waiting list.
"""
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from centre import audit, mail
from centre.auth import passwords
from centre.auth.services import INVITATION_MAX_AGE, invitation_link
from centre.certificates.printing import signature_images
from centre.certificates.signatories import active_signatories
from centre.clock import today
from centre.database import lock_name
from centre.errors import DomainError
from centre.evaluation.questionnaires import invite_late
from centre.extensions import db
from centre.i18n import format_day, localized
from centre.models import (
    LIVE_STATUSES,
    Certificate,
    Institution,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    InvitationLetter,
    OutboxMail,
    Trainee,
    TrainingSession,
    User,
)
from centre.models import RegistrationStatus as R
from centre.models.types import utcnow
from centre.pdf import render_pdf
from centre.signing import MM, sign_pdf, signing_identity
from centre.sessions.services import lock_session
from centre.urls import absolute_url

CONFIRMATION_SALT = "trainee-email-confirmation"
#: The session key holding the trainee a visitor registered in this browser: the confirmation
#: link followed there keeps the password chosen at registration (see `confirm_email`).
REGISTERED_IN_THIS_BROWSER = "registered_trainee"
CONFIRMATION_MAX_AGE = timedelta(days=7)

#: Decisions a coordinator may take from each status.
DECISIONS = {
    R.PENDING: (R.ACCEPTED, R.WAITLISTED, R.REJECTED),
    R.WAITLISTED: (R.ACCEPTED, R.REJECTED),
}


#: Why one more trainee cannot be accepted.
FULL = _l("The session is full: every place is taken.")
QUOTA_REACHED = _l("This institution has reached its quota of places.")

T = TypeVar("T")


@dataclass
class Places:
    """A session's accepted places, counted in all and by institution: the capacity and quota rule,
    without the database, so that the services and the volume seed (which writes in bulk) share it."""

    capacity: int
    quota: int | None = None
    accepted: int = 0
    per_institution: Counter = field(default_factory=Counter)

    def refusal(self, institution_id: int | None):
        """Why a trainee of the institution cannot be accepted now (FULL, QUOTA_REACHED), or None."""
        if self.accepted >= self.capacity:
            return FULL
        if self.quota and institution_id and self.per_institution[institution_id] >= self.quota:
            return QUOTA_REACHED
        return None

    def take(self, institution_id: int | None) -> None:
        self.accepted += 1
        if institution_id:
            self.per_institution[institution_id] += 1

    def release(self, institution_id: int | None) -> None:
        self.accepted -= 1
        if institution_id:
            self.per_institution[institution_id] -= 1


def first_that_fits(waiting: Iterable[tuple[T, int | None]], places: Places) -> T | None:
    """The first of (candidate, institution id), in waiting-list order, who fits within capacity
    and quota: whom a cancellation promotes."""
    return next((candidate for candidate, institution_id in waiting if places.refusal(institution_id) is None), None)


class AccountExists(DomainError):
    """The address already has an account: the person should sign in (or ask for a sign-in link)."""


class DuplicateRegistration(DomainError):
    """The person already holds a live registration: the page points to "My registrations"."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_passport(number: str | None) -> str | None:
    """A passport number as compared and stored: its letters (upper case) and digits (any script's
    digits as 0-9), without the spaces, dashes, dots or slashes people type in it, so that
    "eg 765-4321" and "EG7654321" are one number."""
    kept = []
    for char in unicodedata.normalize("NFKC", number or ""):
        if char.isdecimal():
            kept.append(str(unicodedata.decimal(char)))
        elif char.isalpha():
            kept.append(char.upper())
    return "".join(kept) or None


def create_trainee_account(password: str, locale: str | None = None, **fields) -> Trainee:
    """A visitor's trainee record with the account they sign in with, in the language they used."""
    email = normalize_email(fields.pop("email"))
    if db.session.scalar(sa.select(User.id).where(User.email == email)) or db.session.scalar(
        sa.select(Trainee.id).where(Trainee.email == email)
    ):
        raise AccountExists(_l("An account already exists for %(email)s. Please sign in to register, or ask "
                               "for a sign-in link if you forgot your password."), email=email)
    user = User(email=email, role=Role.TRAINEE, locale=locale,
                full_name=f"{fields['given_name']} {fields['family_name']}")
    user.set_password(password)
    fields["passport_number"] = normalize_passport(fields.get("passport_number"))
    trainee = Trainee(email=email, user=user, **fields)
    db.session.add_all([user, trainee])
    db.session.flush()
    audit.record(trainee, "create", actor=user)
    return trainee


def open_trainee_account(trainee: Trainee, actor: User | None) -> User | None:
    """The account of a trainee a coordinator imported, without a password: the trainee signs in
    with a link sent by e-mail (the sign-in link page) or chooses a password through the link of
    their acceptance e-mail or "forgot your password". None when the address already belongs to
    an account of another role (staff, expert): that person signs in with it as before."""
    if trainee.user is not None:
        return trainee.user
    user = db.session.scalar(sa.select(User).where(User.email == trainee.email))
    if user is not None:
        taken = db.session.scalar(sa.select(Trainee.id).where(Trainee.user_id == user.id))
        if user.role != Role.TRAINEE or taken is not None:
            return None
    else:
        user = User(email=trainee.email, role=Role.TRAINEE, full_name=trainee.name, password_hash=None)
        db.session.add(user)
        db.session.flush()
        audit.record(user, "create", to_state=Role.TRAINEE, actor=actor, email=trainee.email)
    trainee.user = user
    db.session.flush()
    return user


def register_visitor(training_session: TrainingSession, password: str, fields: dict, *, locale: str | None = None,
                     arrival_on=None, departure_on=None, needs_visa_letter=False) -> Registration | None:
    """A visitor's registration with a new account, or None when the address already has an
    account or a trainee record: then nothing is created, and the address's owner is told by
    e-mail, so that the answer on the page is the same either way (it names no account).

    The new account cannot sign in with its password until its address is proved by the link
    of the acknowledgement (see `confirm_email`)."""
    email = normalize_email(fields["email"])
    lock_name(db.session, "account", email)  # the same address sent twice at once: one account
    user = db.session.scalar(sa.select(User).where(User.email == email))
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.email == email))
    if user is None and trainee is None:
        trainee = create_trainee_account(password, locale=locale, **fields)
        registration = register(training_session, trainee, arrival_on=arrival_on, departure_on=departure_on,
                                needs_visa_letter=needs_visa_letter)
        notify_registered(registration)
        return registration
    passwords.hash_password(password)  # the work of a new account: the time tells nothing either
    language = (user.locale if user is not None else None) or locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        title = localized(training_session, "title", language)
    mail.send(email, "registration_attempt", language, title=title,
              sign_in=absolute_url("auth.login"), sign_in_link=absolute_url("auth.sign_in_link"))
    audit.record(user if user is not None else trainee, "registration_attempt", email=email,
                 session=training_session.code)
    return None


def live_registrations(session_id: int):
    return sa.select(Registration).where(
        Registration.session_id == session_id, Registration.status.in_(LIVE_STATUSES)
    )


def accepted_count(training_session: TrainingSession) -> int:
    return db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
        Registration.session_id == training_session.id, Registration.status == R.ACCEPTED
    ))


def accepted_places(training_session: TrainingSession) -> Places:
    """The session's places as taken now, in one query."""
    per_institution = Counter(dict(db.session.execute(
        sa.select(Trainee.institution_id, sa.func.count(Registration.id)).join(Trainee)
        .where(Registration.session_id == training_session.id, Registration.status == R.ACCEPTED)
        .group_by(Trainee.institution_id)
    ).all()))
    accepted = sum(per_institution.values())
    per_institution.pop(None, None)
    return Places(training_session.capacity, training_session.institution_quota, accepted, per_institution)


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


def registration_closed(training_session: TrainingSession) -> str | None:
    """Why an open session takes no more registrations today, or None: its deadline has passed, or,
    without a deadline, its last day has (the coordinator may leave it open after that)."""
    day = today()
    if training_session.registration_deadline and day > training_session.registration_deadline:
        return str(_l("Registration closed on %(day)s, the registration deadline.",
                      day=format_day(training_session.registration_deadline)))
    if day > training_session.end_on:
        return str(_l("This session is over: it takes no more registrations."))
    return None


def register(training_session: TrainingSession, trainee: Trainee, *, arrival_on=None,
             departure_on=None, needs_visa_letter=False) -> Registration:
    """A pending registration, if the session takes registrations and the person holds none live."""
    training_session = lock_session(training_session.id)
    if training_session.status != SessionStatus.OPEN:
        raise DomainError(_l("This session does not take registrations."))
    closed = registration_closed(training_session)
    if closed:
        raise DomainError(closed)
    # The same person (account or address) is refused; the same passport number under another
    # address is not proof (anyone may type a number first, unverified): the registration is
    # taken, flagged on the queue, and the coordinator decides which one is genuine.
    duplicate = db.session.scalar(
        live_registrations(training_session.id).join(Trainee).where(
            sa.or_(Trainee.id == trainee.id, Trainee.email == trainee.email))
    )
    if duplicate:
        raise DuplicateRegistration(_l("You are already registered for this session; see “My registrations”."))
    if arrival_on and departure_on and departure_on < arrival_on:
        raise DomainError(_l("The departure date is before the arrival date."))
    # A full session still takes registrations, onto its waiting list: a cancellation promotes them.
    full = places_left(training_session) == 0
    status = R.WAITLISTED if full else R.PENDING
    registration = Registration(
        trainee=trainee, training_session=training_session, status=status,
        arrival_on=arrival_on, departure_on=departure_on, needs_visa_letter=needs_visa_letter,
        waitlist_position=_next_waitlist_position(training_session) if full else None,
    )
    db.session.add(registration)
    audit.record(registration, "register", to_state=status, actor=trainee.user,
                 session=training_session.code)
    return registration


def _check_room(training_session: TrainingSession, trainee: Trainee) -> None:
    refusal = accepted_places(training_session).refusal(trainee.institution_id)
    if refusal is not None:
        raise DomainError(refusal)


def decide(registration: Registration, decision: RegistrationStatus, actor: User, reason: str = "") -> Registration:
    """Accept, waitlist or reject; accepting never exceeds capacity nor the institution's quota."""
    training_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if training_session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        raise DomainError(_l("The session is over; its registrations can no longer change."))
    if decision not in DECISIONS.get(registration.status, ()):
        raise DomainError(_l("A registration cannot go from “%(source)s” to “%(target)s”."),
                          source=registration.status.label, target=decision.label)
    if decision != R.REJECTED and not registration.trainee.is_email_confirmed:
        raise DomainError(_l("The trainee has not confirmed their e-mail address yet."))
    if decision != R.REJECTED:
        twin = _passport_twin(registration, (R.ACCEPTED, R.WAITLISTED))
        if twin is not None:
            raise DomainError(_l("%(name)s, with the same passport number, is already accepted or on the waiting "
                                 "list: reject one of the two registrations first."), name=twin.trainee.name)
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


def _passport_twin(registration: Registration, statuses) -> Registration | None:
    """Another registration of the session in one of `statuses` whose trainee has the same passport number."""
    number = registration.trainee.passport_number
    if not number:
        return None
    return db.session.scalar(
        sa.select(Registration).join(Trainee).where(
            Registration.session_id == registration.session_id, Registration.id != registration.id,
            Registration.status.in_(statuses), Trainee.passport_number == number)
    )


def passport_twins(registrations: list[Registration]) -> dict[int, list[str]]:
    """For each live registration, the names of the others of the list with the same passport number."""
    by_number: dict[str, list[Registration]] = {}
    for registration in registrations:
        if registration.is_live and registration.trainee.passport_number:
            by_number.setdefault(registration.trainee.passport_number, []).append(registration)
    return {r.id: [other.trainee.name for other in group if other is not r]
            for group in by_number.values() if len(group) > 1 for r in group}


def decide_many(training_session: TrainingSession, registration_ids: list[int], decision: RegistrationStatus,
                actor: User, reason: str = "") -> tuple[list[Registration], list[tuple[Registration, str]]]:
    """The same decision for several registrations of one session, in one locked transaction,
    each through decide(): returns those decided and those refused with the reason why."""
    training_session = lock_session(training_session.id)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.session_id == training_session.id, Registration.id.in_(registration_ids))
        .order_by(Registration.waitlist_position.is_(None), Registration.waitlist_position,
                  Registration.submitted_at, Registration.id)
    ).all()
    if not registrations:
        raise DomainError(_l("Tick at least one registration."))
    decided, refused = [], []
    for registration in registrations:
        try:
            decided.append(decide(registration, decision, actor, reason=reason))
        except DomainError as error:
            refused.append((registration, str(error)))
    return decided, refused


def _next_waitlist_position(training_session: TrainingSession) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Registration.waitlist_position)).where(
            Registration.session_id == training_session.id, Registration.status == R.WAITLISTED
        )
    )
    return (last or 0) + 1


#: Sessions under way or over: a trainee can no longer cancel their registration to them.
STARTED_OR_OVER = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED, SessionStatus.CANCELLED)


def may_cancel_own(registration: Registration) -> bool:
    """Whether the trainee may still cancel the registration: live, and the session not under way or over."""
    return registration.is_live and registration.training_session.status not in STARTED_OR_OVER


def cancel(registration: Registration, actor: User) -> Registration | None:
    """Cancel a live registration; the record stays. Returns whoever was promoted from the waiting list.
    A trainee cancels only before the session is under way; the centre until it is over."""
    training_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if not registration.is_live:
        raise DomainError(_l("This registration is no longer live."))
    if training_session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        raise DomainError(_l("The session is over; its registrations can no longer change."))
    if training_session.status in STARTED_OR_OVER and not actor.is_staff:
        raise DomainError(_l("The session is under way: your registration can no longer be cancelled. "
                             "If you cannot attend, tell the centre."))
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
    # Someone who joined a full session's list without proving their address yet is passed over.
    candidate = first_that_fits(((c, c.trainee.institution_id) for c in waiting if c.trainee.is_email_confirmed),
                                accepted_places(training_session))
    if candidate is None:
        return None
    candidate.status = R.ACCEPTED
    candidate.decided_at = utcnow()
    candidate.decided_by = actor
    candidate.waitlist_position = None
    audit.record(candidate, "promote", from_state=R.WAITLISTED, to_state=R.ACCEPTED, actor=actor)
    db.session.flush()
    return candidate


def registrations_of(training_session: TrainingSession, *, status: RegistrationStatus | None = None,
                     institution_id: int | None = None, country: str | None = None) -> list[Registration]:
    """The session's registrations, filtered; `country` is the trainee's nationality."""
    query = (
        sa.select(Registration)
        .join(Trainee)
        .where(Registration.session_id == training_session.id)
        .options(sa.orm.contains_eager(Registration.trainee).joinedload(Trainee.institution))
        .order_by(Registration.submitted_at, Registration.id)
    )
    if status is not None:
        query = query.where(Registration.status == status)
    if institution_id is not None:
        query = query.where(Trainee.institution_id == institution_id)
    if country:
        query = query.where(Trainee.nationality == country)
    return db.session.scalars(query).all()


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


# Correcting a trainee's details


#: What a correction may change: the names in both scripts, the passport, the institution.
CORRECTABLE = ("given_name", "family_name", "full_name_ar", "passport_number", "institution_id", "institution_other")


def certificates_of_trainee(trainee: Trainee) -> list[Certificate]:
    """The trainee's certificates, of every registration, in the order they were issued."""
    return db.session.scalars(
        sa.select(Certificate).join(Registration).where(Registration.trainee_id == trainee.id)
        .order_by(Certificate.issued_at, Certificate.id)
    ).all()


def _institution_name(institution_id: int | None, other: str) -> str:
    institution = db.session.get(Institution, institution_id) if institution_id else None
    return institution.name_fr if institution is not None else other  # one language in the log, whoever reads it


def correct_trainee(trainee: Trainee, actor: User | None, *, by_trainee: bool = False, **fields) -> Trainee:
    """Fix a misspelled name (either script), the passport number or the institution; the audit
    entry keeps the old and the new values. The trainee corrects their own record only while it
    has no certificate. A certificate already issued prints what it printed for good: the
    coordinator corrects the record, then replaces the certificate (printed from the record)."""
    if trainee.anonymised_at is not None:
        raise DomainError(_l("This trainee's personal data was erased."))
    if by_trainee and certificates_of_trainee(trainee):
        raise DomainError(_l("A certificate has been issued to you: ask the centre to correct your details; "
                             "they will replace the certificate."))
    unknown = set(fields) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    values = {name: (fields.get(name) or "").strip() if name != "institution_id" else fields.get(name)
              for name in CORRECTABLE if name in fields}
    if not values.get("given_name", trainee.given_name) or not values.get("family_name", trainee.family_name):
        raise DomainError(_l("Give the given name and the family name in Latin script."))
    if "passport_number" in values:
        values["passport_number"] = normalize_passport(values["passport_number"])
    if "institution_id" in values:
        values["institution_id"] = values["institution_id"] or None
        if values["institution_id"] and db.session.get(Institution, values["institution_id"]) is None:
            raise DomainError(_l("Choose the institution from the list."))
        if values["institution_id"]:
            values["institution_other"] = ""
    changed = [name for name, value in values.items() if getattr(trainee, name) != value]
    if not changed:
        raise DomainError(_l("Nothing to correct: the details are the same as before."))
    details = {}
    for name in changed:
        if name in ("institution_id", "institution_other"):
            continue
        details[f"before_{name}"], details[f"after_{name}"] = getattr(trainee, name) or "", values[name] or ""
    if {"institution_id", "institution_other"} & set(changed):
        details["before_institution"] = _institution_name(trainee.institution_id, trainee.institution_other)
        details["after_institution"] = _institution_name(values.get("institution_id", trainee.institution_id),
                                                         values.get("institution_other", trainee.institution_other))
    for name in changed:
        setattr(trainee, name, values[name])
    if "institution_id" in changed:  # the relationship follows the column only once reloaded
        trainee.institution = db.session.get(Institution, values["institution_id"]) if values["institution_id"] else None
    if trainee.user is not None:
        trainee.user.full_name = trainee.name
    audit.record(trainee, "correct", actor=actor, **details)
    db.session.flush()
    return trainee


# Confirming the address


def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRMATION_SALT)


def confirmation_token(trainee: Trainee) -> str:
    return _confirmation_serializer().dumps({"trainee": trainee.id, "email": trainee.email})


def trainee_from_confirmation(token: str, *, now: datetime | None = None) -> Trainee:
    """The trainee a confirmation link is for, or DomainError saying why it cannot be used."""
    try:
        payload, signed_at = _confirmation_serializer().loads(token, return_timestamp=True)
    except BadSignature:
        raise DomainError(_l("This confirmation link is not valid. Check that it was copied whole.")) from None
    if (now or utcnow()) - signed_at > CONFIRMATION_MAX_AGE:
        raise DomainError(_l("This confirmation link has expired. Sign in to have a new one sent."))
    trainee = isinstance(payload, dict) and db.session.get(Trainee, payload.get("trainee"))
    if not trainee or trainee.email != payload.get("email"):
        raise DomainError(_l("This confirmation link is not valid. Check that it was copied whole."))
    return trainee


def confirm_email(token: str, *, keep_password: bool = False, new_password: str | None = None,
                  now: datetime | None = None) -> Trainee:
    """Mark the address proved; following the link again changes nothing.

    Whoever registered may not be the address's owner (anyone can type someone else's address),
    so proving the address replaces the password chosen before: by `new_password`, chosen by the
    one who followed the link, or by none (sign in by link, or choose one through "forgot your
    password"), and every earlier sign-in of the account ends. keep_password: the link was followed
    in the very browser that registered (the route knows), so the password is the prover's own."""
    trainee = trainee_from_confirmation(token, now=now)
    if trainee.email_confirmed_at is not None:
        return trainee
    if new_password is not None and len(new_password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    trainee.email_confirmed_at = utcnow()
    user = trainee.user
    if user is not None and not keep_password:
        if new_password is not None:
            user.set_password(new_password)
        else:
            user.password_hash = None
        user.end_sessions()
    audit.record(trainee, "confirm_email", actor=user, email=trainee.email,
                 password="kept" if keep_password else ("replaced" if new_password else "cleared"))
    db.session.flush()
    return trainee


# E-mail to trainees, through the outbox in the transaction of the change (sent after its commit)


def trainee_language(trainee: Trainee) -> str:
    locale = trainee.user.locale if trainee.user else None
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def notify(registration: Registration, template: str, **context) -> OutboxMail | None:
    """Put a mail to the trainee about their registration in the outbox, in their language;
    None for an anonymised trainee (no address left)."""
    trainee = registration.trainee
    if trainee.anonymised_at is not None:
        return None
    language = trainee_language(trainee)

    with force_locale(language):
        title = localized(registration.training_session, "title", language)
    return mail.send(trainee.email, template, language, name=trainee.name_in(language), title=title,
                     registration=registration, s=registration.training_session,
                     mine=absolute_url("registrations.mine"), **context)


def notify_registered(registration: Registration) -> OutboxMail | None:
    """The acknowledgement; with the confirmation link while the address is not proved."""
    link = None
    if not registration.trainee.is_email_confirmed:
        link = absolute_url("registrations.confirm_email", token=confirmation_token(registration.trainee))
    return notify(registration, "registration_received", link=link, days=CONFIRMATION_MAX_AGE.days)


def notify_decision(registration: Registration) -> OutboxMail | None:
    """The decision; an acceptance says how to sign in, with a personal link to choose a password
    when the account has none (an imported trainee's, or one whose address was proved by a link).
    Every acceptance comes here (one, several at once, a promotion from the waiting list), so it
    also invites a trainee accepted after the positioning questionnaire was sent (its own mail)."""
    user = registration.trainee.user
    context = {}
    if registration.status == R.ACCEPTED:
        invite_late(registration.trainee, registration.training_session, registration.decided_by)
    if registration.status == R.ACCEPTED and user is not None and user.is_active:
        context = {"sign_in": absolute_url("auth.login"), "sign_in_link": absolute_url("auth.sign_in_link"),
                   "has_password": bool(user.password_hash)}
        if not user.password_hash:
            context.update(password_link=invitation_link(user), days=INVITATION_MAX_AGE.days)
    return notify(registration, "registration_decided", **context)


def notify_cancelled(registration: Registration, actor: User | None) -> OutboxMail | None:
    """The confirmation of a cancellation, saying whether the trainee asked for it or the centre did."""
    by_trainee = actor is not None and registration.trainee.user_id == actor.id
    return notify(registration, "registration_cancelled", by_trainee=by_trainee)


# Invitation letters for a visa


#: The languages a visa invitation letter is written in (consulates read several).
LETTER_LANGUAGES = ("fr", "ar", "en")
#: The letter's signature stamp (50 × 16 mm), in PDF points: the empty room at the bottom right of
#: its page, under the coordinator's line (print.css .letter-close: 56 × 18 mm inside an A4 page's
#: 14 mm margins; 1 mm inside it here). A test checks that the letter leaves it blank.
LETTER_SEAL_BOX = ((210 - 14 - 51) * MM, (14 + 1) * MM, (210 - 14 - 1) * MM, (14 + 17) * MM)


def letters_by_registration(registrations: list[Registration]) -> dict[int, InvitationLetter]:
    """The stored letters of several registrations, in one query (without their bytes)."""
    letters = db.session.scalars(
        sa.select(InvitationLetter)
        .where(InvitationLetter.registration_id.in_([r.id for r in registrations]))
        .options(sa.orm.defer(InvitationLetter.pdf))
    ).all()
    return {letter.registration_id: letter for letter in letters}


def get_invitation_letter(registration: Registration) -> InvitationLetter | None:
    return db.session.scalar(sa.select(InvitationLetter).where(InvitationLetter.registration_id == registration.id))


def render_letter(registration: Registration, language: str = "fr") -> bytes:
    """The letter's PDF in `language` (fr, ar or en) whatever the viewer's, unsigned, signed on paper
    by the first active signatory of the certificates (name, title, signature image), if any."""
    config = current_app.config
    signatory = next(iter(active_signatories()), None)
    signature = signature_images([signatory.id]).get(signatory.id) if signatory else None
    with force_locale(language):
        return render_pdf("pdf/invitation_letter.html", r=registration, t=registration.trainee,
                          s=registration.training_session, language=language,
                          institution_name=config["INSTITUTION_NAMES"][language],
                          centre_name=config["CENTRE_NAMES"][language],
                          place=config["CERTIFICATE_PLACES"][language],
                          signatory=signatory, signature=signature, today=today())


def invitation_letter(registration: Registration, actor: User | None = None, *,
                      regenerate: bool = False, language: str | None = None) -> InvitationLetter:
    """The stored letter, generated (and signed) the first time it is asked for, in the trainee's
    language; a regeneration replaces it, in `language` if given (else the letter's own)."""
    if registration.status != R.ACCEPTED or not registration.needs_visa_letter:
        raise DomainError(_l("An invitation letter is for accepted trainees who asked for one."))
    trainee = registration.trainee
    if not trainee.passport_number:
        raise DomainError(_l("An invitation letter needs the trainee's passport number."))
    if language is not None and language not in LETTER_LANGUAGES:
        raise DomainError(_l("An invitation letter is written in French, Arabic or English."))
    letter = get_invitation_letter(registration)
    if letter is not None and not regenerate:
        return letter
    language = language or (letter.language if letter is not None else trainee_language(trainee))

    signing_identity()  # refuse at once, with the reason, if the signing key does not work
    pdf = sign_pdf(render_letter(registration, language), LETTER_SEAL_BOX, languages=(language,))
    action = "generate_letter" if letter is None else "regenerate_letter"
    if letter is None:
        letter = InvitationLetter(registration=registration)
        db.session.add(letter)
    letter.pdf, letter.sha256, letter.language = pdf, hashlib.sha256(pdf).hexdigest(), language
    letter.generated_at, letter.generated_by = utcnow(), actor
    db.session.flush()
    audit.record(registration, action, actor=actor, sha256=letter.sha256, language=language)
    return letter
