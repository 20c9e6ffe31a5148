"""Partner institutions on board: focal points, who nominate candidates, follow their
institution's registrations and certificates and keep its contacts up to date.

A focal point is an account with the role `focal_point`, tied to one institution (FocalPoint).
Coordinators and admins invite them by e-mail in the person's language; the link carries a signed
token, the same as any account's invitation (centre.auth.services: the account's id and a digest of
its e-mail, password hash and session token): it expires after INVITATION_MAX_AGE and works once.
Everything a focal point reads or changes is about their own institution: the loaders in
centre.permissions answer 404 for another's.
"""
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from centre import audit, mail
from centre.attendance.services import session_figures
from centre.auth.services import INVITATION_MAX_AGE, InvitationError, invitation_token, invited_user
from centre.auth.services import INVITATION_SALT as AUTH_INVITATION_SALT
from centre.certificates import delivery
from centre.certificates.services import certificates_by_registration
from centre.errors import DomainError
from centre.evaluation.questionnaires import invite_focal_point_late
from centre.extensions import db
from centre.i18n import is_country, localized
from centre.models import (
    Certificate,
    FocalPoint,
    Gender,
    Institution,
    InstitutionContact,
    Registration,
    Role,
    SessionStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.registrations import services as registrations
from centre.urls import absolute_url


ACCOUNT_LABELS = {"invited": _l("Invited"), "active": _l("Active account")}


def _email(value: str) -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError(_l("“%(value)s” is not an e-mail address."), value=value) from None


# Focal points and their invitation


def focal_points_of(institution: Institution) -> list[FocalPoint]:
    return db.session.scalars(
        sa.select(FocalPoint).where(FocalPoint.institution_id == institution.id).order_by(FocalPoint.id)).all()


def focal_point_of(user: User) -> FocalPoint | None:
    return db.session.scalar(sa.select(FocalPoint).where(FocalPoint.user_id == user.id))


def _send_invitation(focal_point: FocalPoint, language: str) -> None:
    user = focal_point.user
    with force_locale(language):
        institution = localized(focal_point.institution, "name", language)
    mail.send(user.email, "focal_point_invitation", language, name=user.full_name, email=user.email,
              institution=institution, days=INVITATION_MAX_AGE.days,
              link=absolute_url("partners.accept_invitation", token=invitation_token(user)))


def invite_focal_point(institution: Institution, actor: User | None, *, email: str, full_name: str,
                       language: str = "fr") -> FocalPoint:
    """Create a focal point's account for the institution, without a password, and e-mail the
    link to choose it in `language`."""
    email = _email(email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise DomainError(_l("Give the focal point's name."))
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose the language of the invitation from the list."))
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise DomainError(_l("An account already exists for %(email)s."), email=email)
    user = User(email=email, full_name=full_name, role=Role.FOCAL_POINT, locale=language)
    focal_point = FocalPoint(user=user, institution=institution)
    db.session.add_all([user, focal_point])
    db.session.flush()
    audit.record(institution, "focal_point_invite", actor=actor, email=email, name=full_name, language=language)
    _send_invitation(focal_point, language)
    return focal_point


def invite_again(focal_point: FocalPoint, actor: User | None) -> FocalPoint:
    """A new link for a focal point who has not opened their account; the older link stops working."""
    if focal_point.user.password_hash:
        raise DomainError(_l("%(name)s already has an account."), name=focal_point.user.full_name)
    focal_point.user.end_sessions()
    focal_point.invited_at = utcnow()
    language = focal_point.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    audit.record(focal_point.institution, "focal_point_invite_again", actor=actor, email=focal_point.user.email)
    _send_invitation(focal_point, language)
    return focal_point


def read_invitation(token: str, *, now: datetime | None = None, lock: bool = False) -> FocalPoint:
    """The focal point an invitation link is for, or InvitationError saying why it cannot be used."""
    user = invited_user(token, AUTH_INVITATION_SALT, Role.FOCAL_POINT, now=now or utcnow(), lock=lock)
    focal_point = focal_point_of(user)
    if focal_point is None:
        raise InvitationError(_l("This invitation link is not valid. Check that it was copied whole, "
                                 "or ask the centre for a new one."), 404)
    return focal_point


def accept_invitation(token: str, password: str, *, now: datetime | None = None) -> FocalPoint:
    """Choose the account's password through the link; the link is used up."""
    focal_point = read_invitation(token, now=now, lock=True)
    if len(password) < 8:
        raise DomainError(_l("The password needs at least 8 characters."))
    user = focal_point.user
    user.set_password(password)
    user.last_login_at = utcnow()
    audit.record(focal_point.institution, "focal_point_opened", actor=user, email=user.email)
    db.session.flush()
    invite_focal_point_late(user, focal_point.institution_id, user)  # an evaluation sent before they came
    return focal_point


# Nominations: a candidate of the focal point's institution, through the same rules as any registration


def open_sessions() -> list[TrainingSession]:
    return db.session.scalars(sa.select(TrainingSession).where(TrainingSession.status == SessionStatus.OPEN)
                              .order_by(TrainingSession.start_on, TrainingSession.code)).all()


def nominate(focal_point: FocalPoint, training_session: TrainingSession, fields: dict) -> Registration:
    """Register a candidate of the focal point's institution for an open session.

    The candidate's record is created (the partner vouches for the address, as for an import) or
    found by e-mail address; a person recorded with another institution is refused. The session's
    rules are those of `registrations.register` (open, deadline, one live registration per
    person, waiting list when full); a nomination is refused at once when the institution's quota
    of accepted places is reached."""
    institution = focal_point.institution
    email = _email(fields.get("email", ""))
    given, family = (fields.get("given_name") or "").strip(), (fields.get("family_name") or "").strip()
    if not given or not family:
        raise DomainError(_l("Give the given name and the family name in Latin script."))
    if not is_country(fields.get("nationality")):
        raise DomainError(_l("Choose the nationality from the list."))
    try:
        gender = Gender(fields.get("gender"))
    except ValueError:
        raise DomainError(_l("Choose the gender from the list.")) from None
    refusal = registrations.accepted_places(training_session).refusal(institution.id)
    if refusal == registrations.QUOTA_REACHED:
        raise DomainError(refusal)
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.email == email))
    if trainee is not None and trainee.institution_id != institution.id:
        raise DomainError(_l("%(email)s is recorded with another institution: ask the centre."), email=email)
    if trainee is None:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise DomainError(_l("%(email)s is the address of a centre account, not of a candidate."), email=email)
        trainee = Trainee(given_name=given, family_name=family, full_name_ar=(fields.get("full_name_ar") or "").strip(),
                          gender=gender, nationality=fields["nationality"], institution=institution,
                          position=(fields.get("position") or "").strip(), email=email,
                          phone=(fields.get("phone") or "").strip(),
                          passport_number=registrations.normalize_passport(fields.get("passport_number")),
                          email_confirmed_at=utcnow())
        db.session.add(trainee)
        db.session.flush()
        audit.record(trainee, "nominated", actor=focal_point.user, institution=institution.id)
    try:
        registration = registrations.register(training_session, trainee)
    except registrations.DuplicateRegistration:
        raise DomainError(_l("%(email)s already holds a registration for this session."), email=email) from None
    audit.record(registration, "nominate", to_state=registration.status, actor=focal_point.user,
                 institution=institution.id, session=training_session.code)
    registrations.notify_registered(registration)
    return registration


# What a focal point sees of their institution


def institution_registrations(institution: Institution, now: datetime | None = None):
    """Every registration of the institution's trainees, newest session first, each as
    (registration, attendance figures or None before the session starts, valid certificates)."""
    rows = db.session.scalars(
        sa.select(Registration).join(Registration.trainee).join(Registration.training_session)
        .where(Trainee.institution_id == institution.id)
        .options(contains_eager(Registration.trainee), contains_eager(Registration.training_session))
        .order_by(TrainingSession.start_on.desc(), Trainee.family_name, Registration.id)
    ).all()
    by_session = defaultdict(list)
    for registration in rows:
        if registration.status == registrations.R.ACCEPTED and registration.training_session.status in (
                SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED):
            by_session[registration.training_session].append(registration.id)
    figures = {}
    for training_session, ids in by_session.items():
        figures.update(session_figures(training_session, ids, now=now))
    certificates = certificates_by_registration(rows)
    return [(r, figures.get(r.id), [c for c in certificates.get(r.id, []) if c.state == "valid"]) for r in rows]


def _valid_certificates(institution: Institution):
    """The institution's trainees' certificates that are valid, with their stored PDF."""
    return (sa.select(Certificate).join(Registration).join(Trainee)
            .where(Trainee.institution_id == institution.id, Certificate.sha256 != Certificate.PENDING,
                   Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None),
                   Certificate.erased_at.is_(None)))


def valid_certificates_of(institution: Institution, with_pdf: bool = False) -> list[Certificate]:
    query = _valid_certificates(institution).order_by(Certificate.year, Certificate.sequence)
    if with_pdf:
        query = query.options(sa.orm.undefer(Certificate.pdf))
    return db.session.scalars(query).all()


def institution_certificate(institution: Institution, certificate_id: int) -> Certificate | None:
    """One valid certificate of the institution's trainees, or None (another institution's, revoked,
    replaced, pending or erased: the page answers 404 as if it did not exist)."""
    return db.session.scalar(_valid_certificates(institution).where(Certificate.id == certificate_id)
                             .options(sa.orm.undefer(Certificate.pdf)))


def record_certificate_download(certificate: Certificate, actor: User | None) -> None:
    """A focal point downloaded one of their institution's certificates (audited, like the ZIP)."""
    audit.record(certificate, "partner_download", actor=actor)


def certificates_archive(institution: Institution, actor: User | None) -> bytes:
    """A ZIP of the institution's valid certificates, as stored; the download is audited."""
    certificates = valid_certificates_of(institution, with_pdf=True)
    if not certificates:
        raise DomainError(_l("No certificate has been issued to your institution's trainees yet."))
    audit.record(institution, "certificates_archive", actor=actor, count=len(certificates))
    return delivery.certificates_archive(certificates)


# Contacts (issue 19 item 7): kept by coordinators, admins and the institution's focal points


CONTACT_FIELDS = ("full_name", "position", "email", "phone", "postal_address", "language")
CONTACT_LANGUAGES = ("fr", "ar", "en")


def _clean_contact(fields: dict, language: str = "fr") -> dict:
    """The contact's fields checked; `language` is taken when none is given."""
    fields = {name: (fields.get(name) or "").strip() for name in CONTACT_FIELDS}
    if not fields["full_name"]:
        raise DomainError(_l("Give the contact's name."))
    fields["language"] = fields["language"] or language
    if fields["language"] not in CONTACT_LANGUAGES:
        raise DomainError(_l("Choose the language of the e-mails: French, Arabic or English."))
    if fields["email"]:
        fields["email"] = _email(fields["email"])
    if not (fields["email"] or fields["phone"] or fields["postal_address"]):
        raise DomainError(_l("Give at least an e-mail address, a phone number or a postal address."))
    return fields


def add_contact(institution: Institution, actor: User | None, **fields) -> InstitutionContact:
    contact = InstitutionContact(**_clean_contact(fields), updated_at=utcnow())
    institution.contacts.append(contact)
    db.session.flush()
    audit.record(institution, "contact_add", actor=actor, contact_id=contact.id, name=contact.full_name)
    return contact


def update_contact(contact: InstitutionContact, actor: User | None, **fields) -> InstitutionContact:
    fields = _clean_contact(fields, language=contact.language)
    changed = [name for name, value in fields.items() if getattr(contact, name) != value]
    for name in changed:
        setattr(contact, name, fields[name])
    if changed:
        contact.updated_at = utcnow()
        audit.record(contact.institution, "contact_edit", actor=actor, contact_id=contact.id,
                     name=contact.full_name, changed=",".join(changed))
    db.session.flush()
    return contact


def remove_contact(contact: InstitutionContact, actor: User | None) -> None:
    institution = contact.institution
    audit.record(institution, "contact_remove", actor=actor, contact_id=contact.id, name=contact.full_name)
    institution.contacts.remove(contact)
    db.session.flush()
