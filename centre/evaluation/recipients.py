"""Who a questionnaire goes to, in which language and under which name (see questionnaires.py
for when each purpose is sent and to whom)."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from centre.extensions import db
from centre.i18n import localized
from centre.models import (
    AssistanceRequest,
    AttendanceMark,
    FocalPoint,
    InstitutionContact,
    Invitation,
    MarkStatus,
    Purpose,
    Questionnaire,
    RecipientKind,
    Registration,
    RegistrationStatus,
    Trainee,
    TrainingSession,
    User,
)


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    email: str
    language: str
    name: str
    trainee: Trainee | None = None
    expert_id: int | None = None
    institution_id: int | None = None


def _language(user: User | None) -> str:
    locale = user.locale if user else None
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def trainee_recipient(trainee: Trainee) -> Recipient:
    language = _language(trainee.user)
    name = trainee.full_name_ar if language == "ar" and trainee.full_name_ar else trainee.name
    return Recipient(RecipientKind.TRAINEE, trainee.email, language, name, trainee=trainee,
                     institution_id=trainee.institution_id)


def attended_trainees(training_session: TrainingSession) -> list[Trainee]:
    """The accepted trainees marked present or late on at least one slot (anonymised ones left out)."""
    attended = (sa.select(AttendanceMark.registration_id)
                .where(AttendanceMark.status.in_((MarkStatus.PRESENT, MarkStatus.LATE))))
    query = (sa.select(Trainee).join(Registration, Registration.trainee_id == Trainee.id)
             .where(Registration.session_id == training_session.id,
                    Registration.status == RegistrationStatus.ACCEPTED, Registration.id.in_(attended),
                    Trainee.anonymised_at.is_(None))
             .options(orm.joinedload(Trainee.user), orm.joinedload(Trainee.institution)).order_by(Trainee.id))
    return list(db.session.scalars(query).unique())


def accepted_trainees(training_session: TrainingSession) -> list[Trainee]:
    query = (sa.select(Trainee).join(Registration, Registration.trainee_id == Trainee.id)
             .where(Registration.session_id == training_session.id,
                    Registration.status == RegistrationStatus.ACCEPTED, Trainee.anonymised_at.is_(None))
             .options(orm.joinedload(Trainee.user)).order_by(Trainee.id))
    return list(db.session.scalars(query).unique())


def follow_up_contacts(trainees: list[Trainee]) -> list[Recipient]:
    """The follow-up's recipients at the sending institutions: every contact recorded on the
    partner's page (centre/partners) of an institution of these trainees who has an e-mail address,
    in the language of the account with that address if there is one (a focal point's), else the
    contact's own language (recorded with the contact); `recipients` then keeps each address once."""
    institution_ids = sorted({t.institution_id for t in trainees if t.institution_id})
    if not institution_ids:
        return []
    contacts = db.session.scalars(sa.select(InstitutionContact).where(
        InstitutionContact.institution_id.in_(institution_ids), InstitutionContact.email != "")
        .order_by(InstitutionContact.institution_id, InstitutionContact.id)).all()
    emails = [c.email.lower() for c in contacts]
    accounts = db.session.scalars(sa.select(User).where(sa.func.lower(User.email).in_(emails))) if emails else []
    users = {u.email.lower(): u for u in accounts}
    return [Recipient(RecipientKind.CONTACT, c.email, _contact_language(c, users.get(c.email.lower())), c.full_name,
                      institution_id=c.institution_id) for c in contacts]


def _contact_language(contact: InstitutionContact, user: User | None) -> str:
    """The account's language when the contact has one, else the contact's own."""
    if user is not None:
        return _language(user)
    languages = current_app.config["LANGUAGES"]
    return contact.language if contact.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def assistance_recipients(request: AssistanceRequest) -> list[Recipient]:
    """Who evaluates an assistance for the partner: the institution's focal points (active
    accounts) and the partner's person who submitted the request, each in their account's
    language; when the partner has no such account, the contacts recorded on its page."""
    focal = sa.select(FocalPoint.user_id).where(FocalPoint.institution_id == request.institution_id)
    users = list(db.session.scalars(sa.select(User).where(User.is_active.is_(True), User.id.in_(focal))
                                    .order_by(User.id)))
    submitter = request.submitted_by
    if submitter is not None and submitter.is_active and not submitter.is_staff and submitter not in users:
        users.append(submitter)
    if not users:
        contacts = db.session.scalars(sa.select(InstitutionContact).where(
            InstitutionContact.institution_id == request.institution_id, InstitutionContact.email != "")
            .order_by(InstitutionContact.id)).all()
        return [Recipient(RecipientKind.CONTACT, c.email, _contact_language(c, None), c.full_name,
                          institution_id=c.institution_id) for c in contacts]
    return [partner_recipient(u, request.institution_id) for u in users]


def partner_recipient(user: User, institution_id: int) -> Recipient:
    """A partner's person with an account (a focal point, the request's submitter), in its language."""
    return Recipient(RecipientKind.CONTACT, user.email, _language(user), user.full_name or user.email,
                     institution_id=institution_id)


def recipients(questionnaire: Questionnaire) -> list[Recipient]:
    """Who the questionnaire goes to, each address once."""
    training_session = questionnaire.training_session
    found: list[Recipient] = []
    if questionnaire.purpose == Purpose.POSITIONING:
        found = [trainee_recipient(t) for t in accepted_trainees(training_session)]
    elif questionnaire.purpose == Purpose.END_OF_SESSION:
        found = [trainee_recipient(t) for t in attended_trainees(training_session)]
    elif questionnaire.purpose == Purpose.FOLLOW_UP:
        trainees = attended_trainees(training_session)
        found = [trainee_recipient(t) for t in trainees] + follow_up_contacts(trainees)
    elif questionnaire.purpose == Purpose.TRAINERS_REPORT:
        for trainer in training_session.trainers:
            expert = trainer.expert
            if expert.email:
                found.append(Recipient(RecipientKind.TRAINER, expert.email, _language(expert.user), expert.name,
                                       expert_id=expert.id, institution_id=expert.institution_id))
    elif questionnaire.purpose == Purpose.ASSISTANCE:
        request = assistance_request_of(training_session)
        found = assistance_recipients(request) if request is not None else []
    seen, unique = set(), []
    for recipient in found:
        if recipient.email.lower() not in seen:
            seen.add(recipient.email.lower())
            unique.append(recipient)
    return unique



def recipient_name(invitation: Invitation) -> str:
    if invitation.trainee is not None:
        return trainee_recipient(invitation.trainee).name
    if invitation.expert is not None:
        return invitation.expert.name
    if invitation.institution is not None:
        contact = db.session.scalar(sa.select(InstitutionContact.full_name).where(
            InstitutionContact.institution_id == invitation.institution_id,
            sa.func.lower(InstitutionContact.email) == invitation.email.lower()).limit(1))
        if contact is None and invitation.questionnaire.purpose == Purpose.ASSISTANCE:  # a focal point
            contact = db.session.scalar(sa.select(User.full_name).where(
                sa.func.lower(User.email) == invitation.email.lower()).limit(1))
        return contact or localized(invitation.institution, "name", invitation.language)
    return invitation.email


def assistance_request_of(training_session: TrainingSession) -> AssistanceRequest | None:
    """The assistance request the session was planned for, if any."""
    return db.session.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.session_id == training_session.id))

