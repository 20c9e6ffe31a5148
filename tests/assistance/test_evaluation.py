"""The partner's evaluation of a delivered assistance, through the evaluation questionnaires:
who gets it, in which language, what it asks, its refusals, reminders, closing and figures."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from centre.assistance import services
from centre.clock import today
from centre.errors import DomainError
from centre.evaluation import answering, figures, questionnaires, recipients, templates
from centre.extensions import db
from centre.models import (
    AssistanceStatus,
    AuditEntry,
    FocalPoint,
    Invitation,
    OutboxMail,
    Purpose,
    QuestionKind,
    QuestionnaireStatus,
    Role,
    SessionStatus,
)
from centre.partners import services as partners
from centre.partners.services import add_contact
from centre.reports.services import Period, assistance_figures

S = AssistanceStatus


def _delivered(institution, submitter, coordinator, experts, kind="expert_mission"):
    """A request of the institution carried to delivery, with these experts (or tutors)."""
    start = today() + timedelta(days=30)
    request = services.submit_request(
        institution, submitter, kind=kind, subject="Traitement des plaintes en ligne",
        objectives="Mettre en place une plateforme.", preferred_from=start, preferred_to=start + timedelta(days=6),
        languages=["fr", "ar"])
    services.change_status(request, S.ACCEPTED, coordinator)
    services.plan_request(request, coordinator, code=f"AT-{request.id}", start_on=start,
                          end_on=start + timedelta(days=4), venue="Dakar", host_departments="Plaintes",
                          experts=[(expert, 3) for expert in experts])
    services.change_status(request, S.DELIVERED, coordinator)
    return request


def _form(questionnaire, **overrides):
    """A complete set of answers: the top of each scale, the first choice, a text."""
    values = {}
    for item in answering.items(questionnaire, "fr"):
        question = item.question
        values[item.field] = (str(question.scale_max) if question.kind == QuestionKind.RATING
                              else "0" if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
                              else "Former deux agents de plus.")
    return MultiDict({**values, **overrides})


@pytest.fixture
def partner(ctx, create_institution, create_user, create_expert):
    """An institution with two focal points (the first reads Arabic) and a disabled one, a
    coordinator, and two experts."""
    institution = create_institution()
    focal, other, gone = (create_user(Role.FOCAL_POINT) for _ in range(3))
    focal.locale, other.locale, gone.is_active = "ar", "fr", False
    db.session.add_all(FocalPoint(user=user, institution=institution) for user in (focal, other, gone))
    coordinator = create_user(Role.COORDINATOR)
    experts = [create_expert(family_name="Alaoui"), create_expert(family_name="Benali")]
    db.session.flush()
    return institution, focal, other, coordinator, experts


def test_delivery_sends_the_partner_its_evaluation_in_each_focal_points_language(partner):
    institution, focal, other, coordinator, experts = partner
    request = _delivered(institution, focal, coordinator, experts)
    questionnaire = figures.assistance_evaluation(request.training_session).questionnaire
    assert (questionnaire.purpose, questionnaire.status, questionnaire.is_anonymous) == \
        (Purpose.ASSISTANCE, QuestionnaireStatus.OPEN, False)
    assert questionnaire.template.code == "assistance"  # the shipped template, loaded on the way
    # the active focal points, in their languages; not the disabled one, nor the coordinator
    assert [(i.email, i.language, i.kind.value) for i in questionnaire.invitations] == \
        [(focal.email, "ar", "contact"), (other.email, "fr", "contact")]
    mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.template == "questionnaire_invitation")
                               .order_by(OutboxMail.id)).all()
    assert [(m.recipient, m.language) for m in mails] == [(focal.email, "ar"), (other.email, "fr")]
    assert "المساعدة" in mails[0].subject and request.reference in mails[0].body
    assert mails[1].subject.startswith("Votre avis sur l") and "assistance technique" in mails[1].body
    assert answering.token(questionnaire.invitations[0]) in mails[0].body
    # the quality of each expert is asked of each, by name
    trainer_items = [i.target_label for i in answering.items(questionnaire, "fr")
                     if i.target_key.startswith("trainer:")]
    assert trainer_items == [experts[0].name, experts[1].name]
    # audited on the questionnaire and in the request's history
    actions = db.session.execute(sa.select(AuditEntry.entity, AuditEntry.action).where(
        AuditEntry.action.in_(("create", "send", "evaluation"))).order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions if a[0] != "training_session"] == \
        [("questionnaire", "create"), ("questionnaire", "send"), ("assistance_request", "evaluation")]
    # closing the request with its report sends nothing more
    services.close_request(request, coordinator, "Plateforme installée.")
    assert len(questionnaire.invitations) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail).where(
        OutboxMail.template == "questionnaire_invitation")) == 2


def test_the_partner_answers_once_is_reminded_and_the_questionnaire_closes(partner):
    institution, focal, other, coordinator, experts = partner
    request = _delivered(institution, focal, coordinator, experts, kind="immersion")
    questionnaire = figures.assistance_evaluation(request.training_session).questionnaire
    mine, theirs = questionnaire.invitations
    with pytest.raises(DomainError, match="required"):
        answering.parse_answers(questionnaire, _form(questionnaire, **{
            next(i.field for i in answering.items(questionnaire, "fr") if i.question.kind == QuestionKind.TEXT): ""}),
            "fr", complete=True)
    answering.answer(mine, answering.parse_answers(questionnaire, _form(questionnaire), "fr", complete=True),
                      submit=True)
    with pytest.raises(answering.LinkRefused) as twice:
        answering.invitation_of(answering.token(mine))
    assert twice.value.status == 409
    state = figures.assistance_evaluation(request.training_session, focal)
    assert (state.invited, state.answered, state.satisfaction, state.mine) == (2, 1, (100, 1), mine)
    assert figures.assistance_evaluation(request.training_session, coordinator).mine is None
    # the one who has not answered is reminded by the daily schedule, in French, then it closes
    questionnaires.run_daily_on(today() + timedelta(days=questionnaire.remind_after_days))
    reminders = db.session.execute(sa.select(OutboxMail.recipient, OutboxMail.language, OutboxMail.subject)
                                   .where(OutboxMail.template == "questionnaire_reminder")).all()
    assert [(r[0], r[1]) for r in reminders] == [(other.email, "fr")] and "assistance" in reminders[0][2]
    questionnaires.run_daily_on(questionnaire.closes_on)
    assert questionnaire.status == QuestionnaireStatus.CLOSED
    with pytest.raises(answering.LinkRefused) as closed:
        answering.invitation_of(answering.token(theirs))
    assert closed.value.status == 410
    # the results name who answered, and the reports give the partners' evaluation of the year
    results = figures.results(questionnaire, "fr")
    assert (results.invited, results.answered, [i.email for i in results.waiting]) == (2, 1, [other.email])
    held = request.training_session.start_on
    assert assistance_figures(Period(held, held)).evaluation == (100, 1)
    assert assistance_figures(Period(held + timedelta(days=1), held + timedelta(days=9))).evaluation is None


def test_without_a_focal_point_the_partners_contacts_evaluate_and_other_sessions_refuse_the_purpose(
        partner, create_institution, create_session):
    _institution, _focal, _other, coordinator, experts = partner
    lone = create_institution(name_fr="Protecteur du citoyen", country="CI")
    add_contact(lone, None, full_name="Aïcha Koné", email="formation@protecteur.example.ci", language="ar")
    add_contact(lone, None, full_name="Standard", email="", phone="+225 27 20 00 00 00")
    request = _delivered(lone, coordinator, coordinator, experts[:1])  # submitted by the centre for it
    questionnaire = figures.assistance_evaluation(request.training_session).questionnaire
    assert [(i.email, i.language) for i in questionnaire.invitations] == [("formation@protecteur.example.ci", "ar")]
    assert recipients.recipient_name(questionnaire.invitations[0]) == "Aïcha Koné"
    plain = create_session(SessionStatus.COMPLETED)
    with pytest.raises(DomainError, match="assistance request"):
        questionnaires.create_questionnaire(plain, templates.latest_template(Purpose.ASSISTANCE), coordinator)
    with pytest.raises(DomainError, match="already has a questionnaire"):
        questionnaires.create_questionnaire(request.training_session, templates.latest_template(Purpose.ASSISTANCE),
                                        coordinator)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 1


def test_a_focal_point_whose_account_opens_while_the_evaluation_is_open_gets_it_once(partner):
    institution, focal, other, coordinator, experts = partner
    request = _delivered(institution, focal, coordinator, experts)
    questionnaire = figures.assistance_evaluation(request.training_session).questionnaire
    questionnaire.sent_on -= timedelta(days=questionnaire.remind_after_days)  # a reminder was due already
    newcomer = partners.invite_focal_point(institution, coordinator, email="nouvelle@mediateur.example.sn",
                                           full_name="Awa Sarr", language="fr")
    assert len(questionnaire.invitations) == 2  # not before the account opens
    partners.accept_invitation(partners.invitation_token(newcomer.user), "un mot de passe sûr")
    invitation = questionnaire.invitations[-1]
    assert (invitation.email, invitation.language) == ("nouvelle@mediateur.example.sn", "fr")
    mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.recipient == "nouvelle@mediateur.example.sn",
                                                          OutboxMail.template == "questionnaire_invitation")).all()
    assert len(mail) == 1 and answering.token(invitation) in mail[0].body
    assert invitation.reminders_sent == 1  # counted as sent: the next morning's run does not remind her at once
    # Another opening invites no one twice.
    assert questionnaires.invite_focal_point_late(newcomer.user, institution.id, coordinator) == []
    # Nor one invited when the assistance was delivered.
    assert questionnaires.invite_focal_point_late(other, institution.id, coordinator) == []
