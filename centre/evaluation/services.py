"""Evaluation questionnaires: templates, a session's questionnaires, invitations, answers and results.

When and to whom (issue 16):
- positioning: sent by a coordinator before the session, to its accepted trainees, and to each
  trainee accepted after that while it is open (`invite_late`);
- end of session and trainers' report: sent when the session completes (`on_session_completed`,
  called by the session's workflow), to the trainees who attended (a slot present or late) and to
  the trainers;
- follow-up: sent FOLLOW_UP_DAYS after the session's last day by the daily schedule, to the
  trainees who attended and to their sending institutions' contacts with an e-mail address;
- assistance: the partner's evaluation of a technical-assistance request (centre/assistance), on
  the session planned for it; sent when the request is delivered (`on_assistance_delivered`, called
  by the request's workflow) to the partner institution's focal points and to the person of the
  partner who submitted the request (else to the institution's recorded contacts).
Each invitation is a mail in the recipient's language with a personal link (no password); the
daily schedule reminds those who have not answered after N and M days and closes the questionnaire
on its closing date.

This module must not import the sessions' services (they call `on_session_completed`).
"""
import hashlib
import hmac
import random
import secrets
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from centre import audit, mail
from centre.clock import local_date, today
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import country_name, localized
from centre.models import (
    Answer,
    AttendanceMark,
    AssistanceRequest,
    Expert,
    FocalPoint,
    Institution,
    InstitutionContact,
    Invitation,
    MarkStatus,
    Purpose,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    QuestionnaireTemplate,
    QuestionTarget,
    RecipientKind,
    Registration,
    RegistrationStatus,
    Response,
    SessionStatus,
    Trainee,
    Trainer,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.urls import absolute_url

DEFAULT_TEMPLATES = Path(__file__).with_name("default_templates.toml")
#: days after the session's last day the follow-up questionnaire goes
FOLLOW_UP_DAYS = 90
#: a free-text answer longer than this is refused
MAX_TEXT = 2000
#: an anonymous response records a country or institution only when this many recipients share it
ANONYMITY_GROUP = 3
#: the logistics items a logistics question is asked about
LOGISTICS_ITEMS = {
    "travel": _l("Travel"),
    "hotel": _l("Hotel"),
    "venue": _l("Venue"),
    "interpretation": _l("Interpretation"),
}
#: the questionnaires that wait for the session's end
AFTER_THE_SESSION = (Purpose.END_OF_SESSION, Purpose.FOLLOW_UP, Purpose.TRAINERS_REPORT)
#: the questionnaires that go only once the session is completed (an assistance: delivered)
ONCE_COMPLETED = (*AFTER_THE_SESSION, Purpose.ASSISTANCE)
LANGUAGES = ("fr", "ar", "en")


# Templates


def load_default_templates(actor: User | None = None) -> list[QuestionnaireTemplate]:
    """Load the shipped templates whose code has no version yet; returns those created."""
    data = tomllib.loads(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))
    existing = set(db.session.scalars(sa.select(QuestionnaireTemplate.code).distinct()))
    created = []
    for item in data["template"]:
        if item["code"] in existing:
            continue
        template = QuestionnaireTemplate(
            code=item["code"], version=1, purpose=Purpose(item["purpose"]), is_anonymous=item["anonymous"],
            created_by=actor, **_texts("title", item["title"]), **_texts("intro", item.get("intro", {})))
        for position, q in enumerate(item.get("question", []), start=1):
            template.questions.append(Question(
                position=position, kind=QuestionKind(q["kind"]), target=QuestionTarget(q.get("target", "general")),
                is_required=q.get("required", True), scale_max=q.get("scale", 5), choices=q.get("choices", []),
                **_texts("text", q["text"])))
        db.session.add(template)
        db.session.flush()
        audit.record(template, "template_load", actor=actor, code=template.code, version=template.version)
        created.append(template)
    return created


def _texts(name: str, values: dict) -> dict:
    return {f"{name}_{language}": values.get(language, "") for language in LANGUAGES}


def templates() -> list[QuestionnaireTemplate]:
    """Every version of every template, by code then newest version first."""
    return list(db.session.scalars(sa.select(QuestionnaireTemplate).order_by(
        QuestionnaireTemplate.code, QuestionnaireTemplate.version.desc())))


def latest_template(purpose: Purpose) -> QuestionnaireTemplate | None:
    """The newest version of the purpose's template (the shipped code first, else any)."""
    query = sa.select(QuestionnaireTemplate).where(QuestionnaireTemplate.purpose == purpose)
    return db.session.scalar(query.order_by((QuestionnaireTemplate.code == purpose.value).desc(),
                                            QuestionnaireTemplate.version.desc(),
                                            QuestionnaireTemplate.id.desc()).limit(1))


def is_locked(template: QuestionnaireTemplate) -> bool:
    """Answers exist to a questionnaire built on this version: it can no longer change."""
    query = (sa.select(Response.id).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
             .where(Questionnaire.template_id == template.id).limit(1))
    return db.session.scalar(query) is not None


def _check_unlocked(template: QuestionnaireTemplate) -> None:
    if is_locked(template):
        raise DomainError(_l("This version has answers and can no longer change: make a new version."))


def _check_texts(values: dict, name: str) -> None:
    if not all((values.get(f"{name}_{language}") or "").strip() for language in LANGUAGES):
        raise DomainError(_l("Give the text in French, Arabic and English."))


def create_template(actor: User | None, *, code: str, purpose: Purpose, is_anonymous: bool, **texts) -> QuestionnaireTemplate:
    code = code.strip().lower()
    if not code:
        raise DomainError(_l("Give the template a code."))
    _check_texts(texts, "title")
    version = (db.session.scalar(sa.select(sa.func.max(QuestionnaireTemplate.version))
                                 .where(QuestionnaireTemplate.code == code)) or 0) + 1
    template = QuestionnaireTemplate(code=code, version=version, purpose=purpose, is_anonymous=is_anonymous,
                                     created_by=actor, **texts)
    db.session.add(template)
    audit.record(template, "template_create", actor=actor, code=code, version=version)
    return template


def add_question(template: QuestionnaireTemplate, actor: User | None, *, kind: QuestionKind,
                 target: QuestionTarget, is_required: bool, scale_max: int = 5, choices: list | None = None,
                 **texts) -> Question:
    """Add a question at the end of a version without answers."""
    _check_unlocked(template)
    _check_texts(texts, "text")
    choices = choices or []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(choices) < 2:
            raise DomainError(_l("A choice question needs at least two choices."))
        if not all(all(str(choice.get(language, "")).strip() for language in LANGUAGES) for choice in choices):
            raise DomainError(_l("Give every choice in French, Arabic and English."))
    else:
        choices = []
    if kind == QuestionKind.RATING and not 2 <= scale_max <= 10:
        raise DomainError(_l("A rating scale runs from 1 to between 2 and 10."))
    position = max((q.position for q in template.questions), default=0) + 1
    question = Question(kind=kind, target=target, is_required=is_required, scale_max=scale_max,
                        choices=choices, position=position, **texts)
    template.questions.append(question)
    audit.record(template, "question_add", actor=actor, kind=kind, position=position)
    return question


def remove_question(question: Question, actor: User | None) -> None:
    template = question.template
    _check_unlocked(template)
    audit.record(template, "question_remove", actor=actor, position=question.position)
    template.questions.remove(question)
    db.session.flush()


def new_version(template: QuestionnaireTemplate, actor: User | None) -> QuestionnaireTemplate:
    """A copy of the template as the next version of its code, open to changes."""
    version = db.session.scalar(sa.select(sa.func.max(QuestionnaireTemplate.version))
                                .where(QuestionnaireTemplate.code == template.code)) + 1
    copy = QuestionnaireTemplate(
        code=template.code, version=version, purpose=template.purpose, is_anonymous=template.is_anonymous,
        created_by=actor, **{f"{name}_{language}": getattr(template, f"{name}_{language}")
                             for name in ("title", "intro") for language in LANGUAGES})
    for q in template.questions:
        copy.questions.append(Question(position=q.position, kind=q.kind, target=q.target, is_required=q.is_required,
                                       scale_max=q.scale_max, choices=list(q.choices),
                                       **{f"text_{language}": getattr(q, f"text_{language}") for language in LANGUAGES}))
    db.session.add(copy)
    audit.record(copy, "template_version", actor=actor, code=copy.code, version=version, source=template.version)
    return copy


# A session's questionnaires


def session_questionnaires(training_session: TrainingSession) -> list[Questionnaire]:
    return list(db.session.scalars(sa.select(Questionnaire).where(Questionnaire.session_id == training_session.id)
                                   .options(orm.joinedload(Questionnaire.template))
                                   .order_by(Questionnaire.created_at, Questionnaire.id)))


def create_questionnaire(training_session: TrainingSession, template: QuestionnaireTemplate, actor: User | None, *,
                         is_anonymous: bool | None = None, open_days: int = 21, remind_after_days: int = 7,
                         remind_again_after_days: int = 14, send_on: date | None = None) -> Questionnaire:
    """A questionnaire of the session from a template version: one per purpose and session.
    Positioning is sent at once; the others when the session completes (follow-up: FOLLOW_UP_DAYS
    after its last day, unless `send_on` says otherwise)."""
    if training_session.status == SessionStatus.CANCELLED:
        raise DomainError(_l("A cancelled session is not evaluated."))
    if not template.questions:
        raise DomainError(_l("This template has no question yet."))
    if not 0 <= remind_after_days <= remind_again_after_days < open_days:
        raise DomainError(_l("Reminders come in order and before the closing date."))
    taken = sa.select(Questionnaire.id).where(Questionnaire.session_id == training_session.id,
                                              Questionnaire.purpose == template.purpose)
    if db.session.scalar(taken.limit(1)) is not None:
        raise DomainError(_l("This session already has a questionnaire of this kind."))
    if template.purpose == Purpose.POSITIONING and training_session.status == SessionStatus.COMPLETED:
        raise DomainError(_l("A positioning questionnaire is sent before the session, not after it."))
    if template.purpose == Purpose.ASSISTANCE and _assistance_request(training_session) is None:
        raise DomainError(_l("A partner's evaluation of an assistance is for a session planned from an "
                             "assistance request."))
    if template.purpose == Purpose.FOLLOW_UP and send_on is None:
        send_on = training_session.end_on + timedelta(days=FOLLOW_UP_DAYS)
    questionnaire = Questionnaire(
        training_session=training_session, template=template, purpose=template.purpose,
        is_anonymous=template.is_anonymous if is_anonymous is None else is_anonymous, send_on=send_on,
        open_days=open_days, remind_after_days=remind_after_days, remind_again_after_days=remind_again_after_days)
    db.session.add(questionnaire)
    audit.record(questionnaire, "create", actor=actor, session=training_session.code, purpose=template.purpose,
                 template=f"{template.code} v{template.version}", anonymous=questionnaire.is_anonymous)
    if template.purpose == Purpose.POSITIONING or (
            training_session.status == SessionStatus.COMPLETED and _is_due(questionnaire, today())):
        send_questionnaire(questionnaire, actor)
    return questionnaire


def _is_due(questionnaire: Questionnaire, day: date) -> bool:
    return questionnaire.send_on is None or questionnaire.send_on <= day


def on_session_completed(training_session: TrainingSession, actor: User | None) -> list[Questionnaire]:
    """The session's workflow calls this when it completes: the end-of-session questionnaire and
    the trainers' report go now, the follow-up is planned; those the coordinator made already are
    used as they are. Templates are loaded from the shipped file if none exists yet."""
    existing = {q.purpose: q for q in session_questionnaires(training_session)}
    if not db.session.scalar(sa.select(QuestionnaireTemplate.id).limit(1)):
        load_default_templates(actor)
    handled = []
    for purpose in AFTER_THE_SESSION:
        questionnaire = existing.get(purpose)
        if questionnaire is None:
            template = latest_template(purpose)
            if template is None or not template.questions:
                continue
            handled.append(create_questionnaire(training_session, template, actor))
        elif questionnaire.status == QuestionnaireStatus.PLANNED and _is_due(questionnaire, today()):
            send_questionnaire(questionnaire, actor)
            handled.append(questionnaire)
    return handled


def _assistance_request(training_session: TrainingSession) -> AssistanceRequest | None:
    return db.session.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.session_id == training_session.id))


def on_assistance_delivered(request: AssistanceRequest, actor: User | None) -> Questionnaire | None:
    """The assistance request's workflow calls this when the request is delivered (its session is
    completed then): the partner's evaluation goes now, from the newest template of its purpose
    (the shipped one is loaded if there is none), or the one a coordinator made already if it is
    still planned. None when the request has no session or no template has questions."""
    training_session = request.training_session
    if training_session is None:
        return None
    existing = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.session_id == training_session.id,
                                                                Questionnaire.purpose == Purpose.ASSISTANCE))
    if existing is not None:
        if existing.status == QuestionnaireStatus.PLANNED and _is_due(existing, today()):
            send_questionnaire(existing, actor)
        return existing
    if latest_template(Purpose.ASSISTANCE) is None:
        load_default_templates(actor)  # only the codes not loaded yet
    template = latest_template(Purpose.ASSISTANCE)
    if template is None or not template.questions:
        return None
    return create_questionnaire(training_session, template, actor)


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


def _trainee_recipient(trainee: Trainee) -> Recipient:
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
    return [Recipient(RecipientKind.CONTACT, u.email, _language(u), u.full_name or u.email,
                      institution_id=request.institution_id) for u in users]


def recipients(questionnaire: Questionnaire) -> list[Recipient]:
    """Who the questionnaire goes to, each address once."""
    training_session = questionnaire.training_session
    found: list[Recipient] = []
    if questionnaire.purpose == Purpose.POSITIONING:
        found = [_trainee_recipient(t) for t in accepted_trainees(training_session)]
    elif questionnaire.purpose == Purpose.END_OF_SESSION:
        found = [_trainee_recipient(t) for t in attended_trainees(training_session)]
    elif questionnaire.purpose == Purpose.FOLLOW_UP:
        trainees = attended_trainees(training_session)
        found = [_trainee_recipient(t) for t in trainees] + follow_up_contacts(trainees)
    elif questionnaire.purpose == Purpose.TRAINERS_REPORT:
        for trainer in training_session.trainers:
            expert = trainer.expert
            if expert.email:
                found.append(Recipient(RecipientKind.TRAINER, expert.email, _language(expert.user), expert.name,
                                       expert_id=expert.id, institution_id=expert.institution_id))
    elif questionnaire.purpose == Purpose.ASSISTANCE:
        request = _assistance_request(training_session)
        found = assistance_recipients(request) if request is not None else []
    seen, unique = set(), []
    for recipient in found:
        if recipient.email.lower() not in seen:
            seen.add(recipient.email.lower())
            unique.append(recipient)
    return unique


def send_questionnaire(questionnaire: Questionnaire, actor: User | None, day: date | None = None) -> int:
    """Open the questionnaire and mail each recipient their personal link; returns how many."""
    if questionnaire.status != QuestionnaireStatus.PLANNED:
        raise DomainError(_l("This questionnaire was sent already."))
    training_session = questionnaire.training_session
    if questionnaire.purpose in ONCE_COMPLETED and training_session.status != SessionStatus.COMPLETED:
        raise DomainError(_l("This questionnaire goes once the session is completed."))
    day = day or today()
    questionnaire.status = QuestionnaireStatus.OPEN
    questionnaire.sent_on = day
    questionnaire.closes_on = day + timedelta(days=questionnaire.open_days)
    sent = 0
    for recipient in recipients(questionnaire):
        invitation = Invitation(
            questionnaire=questionnaire, nonce=secrets.token_hex(16), kind=recipient.kind, email=recipient.email,
            language=recipient.language, trainee=recipient.trainee, expert_id=recipient.expert_id,
            institution_id=recipient.institution_id)
        db.session.add(invitation)
        db.session.flush()
        _mail(invitation, "questionnaire_invitation", recipient.name)
        sent += 1
    audit.record(questionnaire, "send", from_state=QuestionnaireStatus.PLANNED, to_state=QuestionnaireStatus.OPEN,
                 actor=actor, invitations=sent, closes_on=questionnaire.closes_on.isoformat())
    return sent


def invite_late(trainee: Trainee, training_session: TrainingSession, actor: User | None) -> Invitation | None:
    """A trainee accepted after the session's positioning questionnaire was sent (one acceptance,
    several, or a promotion from the waiting list: registrations' `notify_decision` calls this) gets
    it too, in their language, with the same closing date; once: not when they have an invitation
    to it already (by trainee or address), nor once it is closed. The reminders already due are
    counted as sent, so that the invitation is not followed by a reminder the next morning."""
    if trainee.anonymised_at is not None or not trainee.email:
        return None
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.POSITIONING,
        Questionnaire.status == QuestionnaireStatus.OPEN))
    if questionnaire is None:
        return None
    taken = sa.select(Invitation.id).where(
        Invitation.questionnaire_id == questionnaire.id,
        sa.or_(Invitation.trainee_id == trainee.id, sa.func.lower(Invitation.email) == trainee.email.lower()))
    if db.session.scalar(taken.limit(1)) is not None:
        return None
    recipient = _trainee_recipient(trainee)
    invitation = Invitation(
        questionnaire=questionnaire, nonce=secrets.token_hex(16), kind=recipient.kind, email=recipient.email,
        language=recipient.language, trainee=trainee, institution_id=recipient.institution_id,
        reminders_sent=_reminders_due(questionnaire, today()))
    db.session.add(invitation)
    db.session.flush()
    _mail(invitation, "questionnaire_invitation", recipient.name)
    audit.record(questionnaire, "invite", actor=actor, invitations=1)
    return invitation


def _recipient_name(invitation: Invitation) -> str:
    if invitation.trainee is not None:
        return _trainee_recipient(invitation.trainee).name
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


def _mail(invitation: Invitation, template: str, name: str):
    questionnaire = invitation.questionnaire
    language = invitation.language
    with force_locale(language):
        title = localized(questionnaire.training_session, "title", language)
        name_of_questionnaire = localized(questionnaire.template, "title", language)
    request = _assistance_request(questionnaire.training_session) \
        if questionnaire.purpose == Purpose.ASSISTANCE else None
    return mail.send(invitation.email, template, language, name=name, title=title,
                     questionnaire_title=name_of_questionnaire, anonymous=questionnaire.is_anonymous,
                     assistance=request.reference if request is not None else None,
                     closes_on=questionnaire.closes_on, link=absolute_url("evaluation.answer", link=token(invitation)))


def waiting_for(trainee_ids: list[int]) -> dict[int, list[Invitation]]:
    """The questionnaires waiting for these trainees (the trainee's space), by session: their
    invitations not yet used to an open questionnaire, named or anonymous. An invitation says only
    that it was used, and a used one is left out: nothing here tells what anyone answered."""
    if not trainee_ids:
        return {}
    query = (sa.select(Invitation).join(Questionnaire, Questionnaire.id == Invitation.questionnaire_id)
             .where(Invitation.trainee_id.in_(trainee_ids), Invitation.is_used.is_(False),
                    Questionnaire.status == QuestionnaireStatus.OPEN)
             .options(orm.contains_eager(Invitation.questionnaire).joinedload(Questionnaire.template))
             .order_by(Questionnaire.closes_on, Invitation.id))
    found: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in db.session.scalars(query).unique():
        found[invitation.questionnaire.session_id].append(invitation)
    return dict(found)


# Personal links: "<invitation id>.<HMAC of id and nonce>", so that a reminder carries the same link
# without the link being stored anywhere but in the mails.


def token(invitation: Invitation) -> str:
    return f"{invitation.id}.{_signature(invitation.id, invitation.nonce)}"


def _signature(invitation_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"questionnaire:{invitation_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


class LinkRefused(DomainError):
    """A personal link that leads nowhere: `status` is the HTTP answer (404 forged, 409 used, 410
    closed); `language`, the recipient's when the link is genuine."""

    def __init__(self, message, status: int, language: str | None = None):
        super().__init__(message)
        self.status = status
        self.language = language


def invitation_of(link: str) -> Invitation:
    """The invitation a personal link names, open and not yet answered, or LinkRefused."""
    number, _, signature = link.partition(".")
    invitation = None
    if number.isascii() and number.isdigit() and len(number) < 12 and len(signature) == 32:
        invitation = db.session.get(Invitation, int(number))
    if invitation is None or not hmac.compare_digest(signature, _signature(invitation.id, invitation.nonce)):
        raise LinkRefused(_l("This link is not valid. Use the link of the latest e-mail you received."), 404)
    if invitation.is_used:
        raise LinkRefused(_l("This questionnaire has already been answered with this link. Thank you."), 409,
                          invitation.language)
    if invitation.questionnaire.status != QuestionnaireStatus.OPEN:
        raise LinkRefused(_l("This questionnaire is closed: answers are no longer taken."), 410, invitation.language)
    return invitation


# The questions as asked, repeated per target


@dataclass(frozen=True)
class Item:
    """One question as asked: for one target (a trainer, a logistics item) or none."""

    question: Question
    target_key: str
    target_label: str

    @property
    def field(self) -> str:
        return f"q{self.question.id}" + (f"-{self.target_key.replace(':', '-')}" if self.target_key else "")


def items(questionnaire: Questionnaire, language: str) -> list[Item]:
    trainers = sorted(questionnaire.training_session.trainers, key=lambda t: (t.expert.family_name, t.expert_id))
    found = []
    for question in questionnaire.template.questions:
        if question.target == QuestionTarget.TRAINER:
            found += [Item(question, f"trainer:{t.expert_id}",
                           t.expert.full_name_ar if language == "ar" and t.expert.full_name_ar else t.expert.name)
                      for t in trainers]
        elif question.target == QuestionTarget.LOGISTICS:
            found += [Item(question, f"logistics:{key}", str(label)) for key, label in LOGISTICS_ITEMS.items()]
        else:
            found.append(Item(question, "", ""))
    return found


def parse_answers(questionnaire: Questionnaire, form, language: str, *, complete: bool) -> dict[tuple[int, str], dict]:
    """The answers in a submitted form, checked strictly: a rating outside its scale, a choice that
    does not exist or a text over MAX_TEXT is refused as a whole; with `complete`, a required
    question left empty too."""
    values = {}
    for item in items(questionnaire, language):
        question = item.question
        if question.kind == QuestionKind.MULTIPLE:
            raw = [v for v in form.getlist(item.field) if v != ""]
        else:
            raw = (form.get(item.field) or "").strip()
        if not raw:
            if complete and question.is_required:
                raise DomainError(_l("Answer every required question (marked *)."))
            continue
        if question.kind == QuestionKind.RATING:
            if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= question.scale_max):
                raise DomainError(_l("A rating must be between 1 and %(max)s.", max=question.scale_max))
            values[(question.id, item.target_key)] = {"rating": int(raw)}
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            picked = raw if isinstance(raw, list) else [raw]
            if not all(v.isascii() and v.isdigit() and int(v) < len(question.choices) for v in picked) \
                    or len(set(picked)) != len(picked) or len(picked) > len(question.choices):
                raise DomainError(_l("Choose among the choices offered."))
            values[(question.id, item.target_key)] = {"choices": sorted(int(v) for v in picked)}
        else:
            if len(raw) > MAX_TEXT:
                raise DomainError(_l("An answer may hold at most %(max)s characters.", max=MAX_TEXT))
            values[(question.id, item.target_key)] = {"text": raw}
    return values


def saved_answers(invitation: Invitation) -> dict[str, object]:
    """A named invitation's answers saved so far, by form field (to resume)."""
    response = db.session.scalar(sa.select(Response).where(Response.invitation_id == invitation.id))
    if response is None:
        return {}
    saved = {}
    for answer in response.answers:
        field_name = f"q{answer.question_id}" + (f"-{answer.target_key.replace(':', '-')}" if answer.target_key else "")
        saved[field_name] = answer.rating if answer.rating is not None else (
            answer.choices if answer.choices is not None else answer.text)
    return saved


def _where_from(invitation: Invitation, questionnaire: Questionnaire) -> tuple[str | None, int | None]:
    """The country and institution a response records (see ANONYMITY_GROUP)."""
    trainee = invitation.trainee
    country = trainee.nationality if trainee else None
    institution_id = invitation.institution_id
    if questionnaire.is_anonymous:
        rows = db.session.execute(
            sa.select(Trainee.nationality, Invitation.institution_id)
            .outerjoin(Trainee, Trainee.id == Invitation.trainee_id)
            .where(Invitation.questionnaire_id == questionnaire.id)).all()
        countries = Counter(row[0] for row in rows)
        institutions = Counter(row[1] for row in rows)
        country = country if country and countries[country] >= ANONYMITY_GROUP else None
        institution_id = institution_id if institution_id and institutions[institution_id] >= ANONYMITY_GROUP else None
    return country, institution_id


def answer(invitation: Invitation, values: dict[tuple[int, str], dict], *, submit: bool) -> Response | None:
    """Store a recipient's answers. Named: saved as they stand (`submit=False`, to resume later) or
    submitted. Anonymous: only submitted, whole, in a response that names nobody; then the
    questionnaire's responses are written anew in a random order (see `_shuffle`)."""
    questionnaire = invitation.questionnaire
    if invitation.is_used or questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(_l("This questionnaire is closed: answers are no longer taken."))
    country, institution_id = _where_from(invitation, questionnaire)
    if questionnaire.is_anonymous:
        if not submit:
            raise DomainError(_l("An anonymous questionnaire is saved only when sent, in one go."))
        response = Response(id=secrets.token_hex(16), questionnaire=questionnaire, is_submitted=True,
                            country=country, institution_id=institution_id)
        db.session.add(response)
        response.answers = [Answer(question_id=qid, target_key=target, **value)
                            for (qid, target), value in values.items()]
        invitation.is_used = True
        questionnaire.responses_count += 1
        db.session.flush()
        _shuffle(questionnaire)
        # An event, not its content, and no invitation: only that one anonymous answer came.
        audit.record(questionnaire, "anonymous_answer", actor=None)
        return None
    response = db.session.scalar(sa.select(Response).where(Response.invitation_id == invitation.id))
    if response is None:
        response = Response(id=secrets.token_hex(16), questionnaire=questionnaire, invitation=invitation)
        db.session.add(response)
    response.answers = [Answer(question_id=qid, target_key=target, **value) for (qid, target), value in values.items()]
    response.country, response.institution_id = country, institution_id
    if submit:
        response.is_submitted = True
        response.submitted_at = utcnow()
        invitation.is_used = True
        questionnaire.responses_count += 1
    db.session.flush()
    audit.record(invitation, "answer_submit" if submit else "answer_save", actor=None, questionnaire=questionnaire.id)
    return response


def _shuffle(questionnaire: Questionnaire) -> None:
    """Write the anonymous questionnaire's responses again, with new random ids, in a random order,
    in this transaction: on PostgreSQL every row then carries this transaction's id (xmin) and none
    keeps the one of the transaction that marked its invitation used."""
    responses = db.session.execute(
        sa.select(Response.id, Response.country, Response.institution_id)
        .where(Response.questionnaire_id == questionnaire.id, Response.invitation_id.is_(None))).all()
    if not responses:
        return
    ids = {r.id for r in responses}
    for obj in list(db.session.identity_map.values()):  # their rows are about to be replaced
        if ((isinstance(obj, Answer) and obj.response_id in ids) or (isinstance(obj, Response) and obj.id in ids)) \
                and obj in db.session:  # expunging a response takes its answers with it
            db.session.expunge(obj)
    answers = defaultdict(list)
    for row in db.session.execute(sa.select(Answer.response_id, Answer.question_id, Answer.target_key, Answer.rating,
                                            Answer.choices, Answer.text)
                                  .where(Answer.response_id.in_([r.id for r in responses]))):
        answers[row.response_id].append(row)
    db.session.execute(sa.delete(Answer).where(Answer.response_id.in_([r.id for r in responses]))
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(Response).where(Response.id.in_([r.id for r in responses]))
                       .execution_options(synchronize_session=False))
    order = list(responses)
    random.SystemRandom().shuffle(order)
    new_responses, new_answers = [], []
    for row in order:
        new_id = secrets.token_hex(16)
        new_responses.append({"id": new_id, "questionnaire_id": questionnaire.id, "invitation_id": None,
                              "is_submitted": True, "submitted_at": None, "country": row.country,
                              "institution_id": row.institution_id})
        new_answers += [{"response_id": new_id, "question_id": a.question_id, "target_key": a.target_key,
                         "rating": a.rating, "choices": a.choices, "text": a.text} for a in answers[row.id]]
    db.session.execute(sa.insert(Response), new_responses)
    if new_answers:
        db.session.execute(sa.insert(Answer), new_answers)


# Reminders and closing, run by the daily schedule


def run_daily(now: datetime) -> int:
    """The daily schedule's work (centre/jobs/schedules.py) for the day `now` falls on in the centre."""
    return run_daily_on(local_date(now))


def run_daily_on(day: date) -> int:
    """Send the questionnaires that are due, remind after N and M days those who have not answered,
    close those past their closing date; returns how many questionnaires and reminders it handled."""
    handled = 0
    planned = db.session.scalars(
        sa.select(Questionnaire).join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
        .where(Questionnaire.status == QuestionnaireStatus.PLANNED, Questionnaire.send_on <= day,
               TrainingSession.status == SessionStatus.COMPLETED)).all()
    for questionnaire in planned:
        send_questionnaire(questionnaire, None, day)
        handled += 1
    open_ones = db.session.scalars(sa.select(Questionnaire).where(Questionnaire.status == QuestionnaireStatus.OPEN)).all()
    for questionnaire in open_ones:
        if questionnaire.closes_on <= day:
            close_questionnaire(questionnaire, None)
            handled += 1
            continue
        due = _reminders_due(questionnaire, day)
        if due:
            handled += remind(questionnaire, due)
    return handled


def _reminders_due(questionnaire: Questionnaire, day: date) -> int:
    """How many reminders an open questionnaire's recipients should have had by `day` (0, 1 or 2)."""
    age = (day - questionnaire.sent_on).days
    return 2 if age >= questionnaire.remind_again_after_days else 1 if age >= questionnaire.remind_after_days else 0


def remind(questionnaire: Questionnaire, up_to: int) -> int:
    """Remind the recipients who have not answered and have had fewer than `up_to` reminders."""
    waiting = db.session.scalars(sa.select(Invitation).where(
        Invitation.questionnaire_id == questionnaire.id, Invitation.is_used.is_(False),
        Invitation.reminders_sent < up_to).order_by(Invitation.id)).all()
    for invitation in waiting:
        invitation.reminders_sent = up_to
        _mail(invitation, "questionnaire_reminder", _recipient_name(invitation))
    if waiting:
        audit.record(questionnaire, "remind", actor=None, reminder=up_to, recipients=len(waiting))
    return len(waiting)


def close_questionnaire(questionnaire: Questionnaire, actor: User | None) -> Questionnaire:
    if questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(_l("Only an open questionnaire can be closed."))
    questionnaire.status = QuestionnaireStatus.CLOSED
    if questionnaire.is_anonymous:
        _shuffle(questionnaire)
    # Partial answers of named recipients who never sent them stay out of the results.
    audit.record(questionnaire, "close", from_state=QuestionnaireStatus.OPEN, to_state=QuestionnaireStatus.CLOSED,
                 actor=actor)
    return questionnaire


# Results


@dataclass
class ItemResult:
    item: Item
    answered: int = 0
    counts: list[int] = field(default_factory=list)  #: per scale point (rating) or per choice
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    questionnaire: Questionnaire
    invited: int
    answered: int
    waiting: list[Invitation]  #: named only: who has not answered
    items: list[ItemResult]

    @property
    def rate(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


def results(questionnaire: Questionnaire, language: str) -> Results:
    """Response rate, who has not answered (named only) and each question's results, from the
    submitted responses."""
    invitations = db.session.scalars(sa.select(Invitation).where(Invitation.questionnaire_id == questionnaire.id)
                                     .options(orm.joinedload(Invitation.trainee), orm.joinedload(Invitation.expert),
                                              orm.joinedload(Invitation.institution))
                                     .order_by(Invitation.id)).all()
    submitted = sa.select(Response.id).where(Response.questionnaire_id == questionnaire.id,
                                             Response.is_submitted.is_(True))
    answers = defaultdict(list)
    for a in db.session.execute(sa.select(Answer.question_id, Answer.target_key, Answer.rating, Answer.choices,
                                          Answer.text).where(Answer.response_id.in_(submitted))):
        answers[(a.question_id, a.target_key)].append(a)
    found = []
    for item in items(questionnaire, language):
        question = item.question
        rows = answers.get((question.id, item.target_key), [])
        result = ItemResult(item, answered=len(rows))
        if question.kind == QuestionKind.RATING:
            result.counts = [sum(1 for r in rows if r.rating == point) for point in range(1, question.scale_max + 1)]
            result.mean = sum(r.rating for r in rows) / len(rows) if rows else None
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            result.counts = [sum(1 for r in rows if index in (r.choices or [])) for index in range(len(question.choices))]
        else:
            result.texts = sorted(r.text for r in rows if r.text)
        found.append(result)
    waiting = [] if questionnaire.is_anonymous else [i for i in invitations if not i.is_used]
    return Results(questionnaire, len(invitations), questionnaire.responses_count, waiting, found)


def recipient_name(invitation: Invitation) -> str:
    return _recipient_name(invitation)


def choice_label(question: Question, index: int, language: str) -> str:
    choice = question.choices[index]
    return choice.get(language) or choice.get("fr", "")


def satisfaction_percent(rating: int, scale_max: int) -> float:
    """A rating as a share of its scale: 1 is 0 %, the top 100 %."""
    return 100 * (rating - 1) / (scale_max - 1)


def headline_satisfaction(training_session: TrainingSession) -> tuple[int, int] | None:
    """(satisfaction in %, answers) of the session's end-of-session questionnaire, or None below
    the minimum number of answers the catalogue may show (EVALUATION_MIN_ANSWERS)."""
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.END_OF_SESSION))
    if questionnaire is None or questionnaire.responses_count < current_app.config["EVALUATION_MIN_ANSWERS"]:
        return None
    percent = sa.func.avg(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    value = db.session.scalar(
        sa.select(percent).select_from(Answer).join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id == questionnaire.id, Response.is_submitted.is_(True),
               Answer.rating.is_not(None)))
    return (round(value), questionnaire.responses_count) if value is not None else None


def previous_satisfaction(training_session: TrainingSession) -> tuple[TrainingSession, int, int] | None:
    """For the catalogue: (the latest completed session of the same title, its satisfaction in %,
    its answers), when its end-of-session questionnaire has at least EVALUATION_MIN_ANSWERS."""
    previous = db.session.scalar(
        sa.select(TrainingSession).join(Questionnaire, Questionnaire.session_id == TrainingSession.id)
        .where(TrainingSession.title_fr == training_session.title_fr, TrainingSession.id != training_session.id,
               TrainingSession.status == SessionStatus.COMPLETED, Questionnaire.purpose == Purpose.END_OF_SESSION,
               Questionnaire.responses_count >= current_app.config["EVALUATION_MIN_ANSWERS"])
        .order_by(TrainingSession.start_on.desc()).limit(1))
    headline = headline_satisfaction(previous) if previous is not None else None
    return (previous, *headline) if headline else None


def _satisfaction_of(questionnaires) -> tuple[int, int] | None:
    """(mean of the rating answers as a share of their scale in %, submitted responses) of the
    questionnaires the subquery selects, or None without an answer; one query."""
    percent = sa.func.avg(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    value, responses = db.session.execute(
        sa.select(percent, sa.func.count(sa.distinct(Response.id))).select_from(Answer)
        .join(Question, Question.id == Answer.question_id).join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id.in_(questionnaires), Response.is_submitted.is_(True),
               Answer.rating.is_not(None))).one()
    return (round(value), responses) if value is not None else None


@dataclass(frozen=True)
class AssistanceEvaluation:
    """The partner's evaluation of an assistance, as the request's page shows it."""

    questionnaire: Questionnaire
    invited: int
    answered: int
    satisfaction: tuple[int, int] | None  #: (%, responses), see `_satisfaction_of`
    mine: Invitation | None  #: the viewer's own invitation, if they have one


def assistance_evaluation(training_session: TrainingSession | None, user: User | None = None) \
        -> AssistanceEvaluation | None:
    """The state of the partner's evaluation of the assistance delivered as this session."""
    if training_session is None:
        return None
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.ASSISTANCE))
    if questionnaire is None:
        return None
    invited = db.session.scalar(sa.select(sa.func.count(Invitation.id))
                                .where(Invitation.questionnaire_id == questionnaire.id))
    mine = None
    if user is not None and user.email:
        mine = db.session.scalar(sa.select(Invitation).where(
            Invitation.questionnaire_id == questionnaire.id,
            sa.func.lower(Invitation.email) == user.email.lower()))
    satisfaction = _satisfaction_of([questionnaire.id])
    return AssistanceEvaluation(questionnaire, invited, questionnaire.responses_count, satisfaction, mine)


def assistance_satisfaction(start: date, end: date) -> tuple[int, int] | None:
    """The partners' evaluations of the assistance whose session (the mission or the immersion)
    started between `start` and `end`, as the reports count the missions held and the sessions'
    satisfaction: (mean rating in % of its scale, responses), or None."""
    questionnaires = (sa.select(Questionnaire.id)
                      .join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
                      .where(Questionnaire.purpose == Purpose.ASSISTANCE,
                             TrainingSession.start_on.between(start, end)))
    return _satisfaction_of(questionnaires)


def positioning_results(training_session: TrainingSession, language: str) -> Results | None:
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.POSITIONING))
    return results(questionnaire, language) if questionnaire is not None else None


def trainer_may_see(training_session: TrainingSession, user: User) -> bool:
    """An expert sees a session's positioning results when they teach it."""
    return db.session.scalar(sa.select(Trainer.expert_id).join(Expert, Expert.id == Trainer.expert_id).where(
        Trainer.session_id == training_session.id, Expert.user_id == user.id).limit(1)) is not None


def sessions_with_positioning(expert: Expert) -> list[TrainingSession]:
    """The sessions the expert teaches that have a positioning questionnaire."""
    return list(db.session.scalars(
        sa.select(TrainingSession).join(Trainer, Trainer.session_id == TrainingSession.id)
        .join(Questionnaire, Questionnaire.session_id == TrainingSession.id)
        .where(Trainer.expert_id == expert.id, Questionnaire.purpose == Purpose.POSITIONING)
        .order_by(TrainingSession.start_on.desc())))


# Satisfaction across sessions (the dashboard and the activity report)


@dataclass(frozen=True)
class SatisfactionRow:
    label: str
    percent: int  #: mean of the rating answers, each as a share of its scale
    responses: int


DIMENSIONS = ("theme", "trainer", "institution", "country", "year")


def satisfaction(start: date, end: date, language: str) -> dict[str, list[SatisfactionRow]]:
    """The end-of-session questionnaires' ratings of the sessions starting within the period, by
    session theme (its title), trainer (the questions asked of each trainer), partner institution
    and country (as far as the responses record them: see ANONYMITY_GROUP) and year; one grouped
    query per dimension."""
    percent = sa.func.avg(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    responses = sa.func.count(sa.distinct(Answer.response_id))
    # The period's responses first (a few thousand a year), then their answers by the answers'
    # primary key: joining from the answers would read every answer of every year.
    in_period = (sa.select(Response.id).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
                 .join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
                 .where(Questionnaire.purpose == Purpose.END_OF_SESSION, Response.is_submitted.is_(True),
                        TrainingSession.start_on.between(start, end)))
    base = (sa.select(percent, responses).select_from(Answer)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
            .join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
            .where(Answer.response_id.in_(in_period), Answer.rating.is_not(None)))
    title = getattr(TrainingSession, f"title_{language}" if language in LANGUAGES else "title_fr")
    year = sa.extract("year", TrainingSession.start_on)

    def rows(key, query):
        return [(row[2], round(row[0]), row[1]) for row in db.session.execute(query.add_columns(key).group_by(key))]

    found = {
        "theme": rows(sa.func.coalesce(sa.func.nullif(title, ""), TrainingSession.title_fr), base),
        "trainer": rows(Answer.target_key, base.where(Answer.target_key.like("trainer:%"))),
        "institution": rows(Response.institution_id, base.where(Response.institution_id.is_not(None))),
        "country": rows(Response.country, base.where(Response.country.is_not(None))),
        "year": rows(year, base),
    }
    experts = {e.id: e for e in db.session.scalars(sa.select(Expert).where(Expert.id.in_(
        [int(key.partition(":")[2]) for key, _p, _n in found["trainer"]])))}
    institutions = {i.id: i for i in db.session.scalars(sa.select(Institution).where(Institution.id.in_(
        [key for key, _p, _n in found["institution"]])))}
    label = {
        "theme": str,
        "trainer": lambda key: experts[int(key.partition(":")[2])].name,
        "institution": lambda key: localized(institutions[key], "name", language),
        "country": lambda key: country_name(key, language),
        "year": lambda key: str(int(key)),
    }
    result = {}
    for dimension in DIMENSIONS:
        items = [SatisfactionRow(label[dimension](key), value, count) for key, value, count in found[dimension]]
        result[dimension] = sorted(items, key=lambda row: row.label) if dimension == "year" else \
            sorted(items, key=lambda row: (-row.responses, row.label))
    return result
