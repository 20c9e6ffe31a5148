"""A session's questionnaires: creating them, sending them (an invitation by mail to each recipient),
inviting the trainees accepted late, reminding and closing.

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

This module, and those it imports, must not import the sessions' services (they call
`on_session_completed`) nor the assistance requests' (they call `on_assistance_delivered`).
"""
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from centre import audit, mail
from centre.clock import local_date, today
from centre.errors import DomainError
from centre.evaluation.answering import shuffle_anonymous_responses, token
from centre.evaluation.recipients import (assistance_request_of, partner_recipient, recipient_name, recipients,
                                         trainee_recipient)
from centre.evaluation.templates import latest_template, load_default_templates
from centre.extensions import db
from centre.i18n import localized
from centre.models import (
    AssistanceRequest,
    Invitation,
    Purpose,
    Questionnaire,
    QuestionnaireStatus,
    QuestionnaireTemplate,
    SessionStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.urls import absolute_url

#: days after the session's last day the follow-up questionnaire goes
FOLLOW_UP_DAYS = 90
#: the questionnaires that wait for the session's end
AFTER_THE_SESSION = (Purpose.END_OF_SESSION, Purpose.FOLLOW_UP, Purpose.TRAINERS_REPORT)
#: the questionnaires that go only once the session is completed (an assistance: delivered)
ONCE_COMPLETED = (*AFTER_THE_SESSION, Purpose.ASSISTANCE)


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
    if template.purpose == Purpose.ASSISTANCE and assistance_request_of(training_session) is None:
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
    return _invite_late(questionnaire, trainee_recipient(trainee), actor)


def invite_focal_point_late(user: User, institution_id: int, actor: User | None) -> list[Invitation]:
    """A focal point whose account opens while their institution's evaluation of an assistance is
    open (named after it was sent: partners' `accept_invitation` calls this) gets it too, in their
    language, with the same closing date; not when their address has an invitation to it already
    (as a contact, say). The reminders already due are counted as sent."""
    questionnaires = db.session.scalars(
        sa.select(Questionnaire).join(AssistanceRequest, AssistanceRequest.session_id == Questionnaire.session_id)
        .where(AssistanceRequest.institution_id == institution_id, Questionnaire.purpose == Purpose.ASSISTANCE,
               Questionnaire.status == QuestionnaireStatus.OPEN).order_by(Questionnaire.id)).all()
    invited = []
    for questionnaire in questionnaires:
        taken = sa.select(Invitation.id).where(Invitation.questionnaire_id == questionnaire.id,
                                               sa.func.lower(Invitation.email) == user.email.lower())
        if db.session.scalar(taken.limit(1)) is None:
            invited.append(_invite_late(questionnaire, partner_recipient(user, institution_id), actor))
    return invited


def _invite_late(questionnaire: Questionnaire, recipient, actor: User | None) -> Invitation:
    invitation = Invitation(
        questionnaire=questionnaire, nonce=secrets.token_hex(16), kind=recipient.kind, email=recipient.email,
        language=recipient.language, trainee=recipient.trainee, institution_id=recipient.institution_id,
        reminders_sent=_reminders_due(questionnaire, today()))
    db.session.add(invitation)
    db.session.flush()
    _mail(invitation, "questionnaire_invitation", recipient.name)
    audit.record(questionnaire, "invite", actor=actor, invitations=1)
    return invitation


def _mail(invitation: Invitation, template: str, name: str):
    questionnaire = invitation.questionnaire
    language = invitation.language
    with force_locale(language):
        title = localized(questionnaire.training_session, "title", language)
        name_of_questionnaire = localized(questionnaire.template, "title", language)
    request = assistance_request_of(questionnaire.training_session) \
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
        _mail(invitation, "questionnaire_reminder", recipient_name(invitation))
    if waiting:
        audit.record(questionnaire, "remind", actor=None, reminder=up_to, recipients=len(waiting))
    return len(waiting)


def close_questionnaire(questionnaire: Questionnaire, actor: User | None) -> Questionnaire:
    if questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(_l("Only an open questionnaire can be closed."))
    questionnaire.status = QuestionnaireStatus.CLOSED
    if questionnaire.is_anonymous:
        shuffle_anonymous_responses(questionnaire)
    # Partial answers of named recipients who never sent them stay out of the results.
    audit.record(questionnaire, "close", from_state=QuestionnaireStatus.OPEN, to_state=QuestionnaireStatus.CLOSED,
                 actor=actor)
    return questionnaire
