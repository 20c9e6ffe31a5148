"""Questionnaires where the other areas meet them: the trainee's space, late acceptances, the
partners' contacts."""
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from centre.evaluation import answering, questionnaires, recipients, templates
from centre.extensions import db
from centre.partners.services import add_contact
from centre.registrations import services as registrations
from centre.models import (
    Invitation,
    OutboxMail,
    Purpose,
    QuestionKind,
    RegistrationStatus,
    Role,
    SessionStatus,
    User,
)
from tests.conftest import PASSWORD, post


def _by_purpose(training_session):
    return {q.purpose: q for q in questionnaires.session_questionnaires(training_session)}


def _complete(questionnaire):
    data = MultiDict()
    for item in answering.items(questionnaire, "en"):
        q = item.question
        data[item.field] = {QuestionKind.RATING: str(q.scale_max), QuestionKind.TEXT: "Bien"}.get(q.kind, "0")
    return answering.parse_answers(questionnaire, data, "en", complete=True)


def test_the_space_lists_only_unused_invitations_to_open_questionnaires(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    invitations = {i.trainee_id: i for i in end.invitations}
    first, second = sorted(invitations)[:2]
    assert questionnaires.waiting_for([first])[completed_session.id] == [invitations[first]]
    # once answered (anonymously), the invitation is simply gone from the list
    answering.answer(invitations[first], _complete(end), submit=True)
    assert questionnaires.waiting_for([first]) == {}
    assert questionnaires.waiting_for([second])[completed_session.id] == [invitations[second]]
    questionnaires.close_questionnaire(end, None)
    assert questionnaires.waiting_for([second]) == {}


def test_my_space_shows_the_positioning_questionnaire_with_its_link_and_closing_date(
        app, client, create_session, create_registration, create_trainee, create_user):
    with app.app_context():
        user = create_user(Role.TRAINEE)
        trainee = create_trainee(user=user, email=user.email)
        training_session = create_session(SessionStatus.OPEN)
        create_registration(training_session, trainee)
        templates.load_default_templates()
        questionnaire = questionnaires.create_questionnaire(
            training_session, templates.latest_template(Purpose.POSITIONING), None)
        invitation = db.session.scalars(sa.select(Invitation).where(Invitation.trainee_id == trainee.id)).one()
        link, closes_on, email = answering.token(invitation), questionnaire.closes_on, user.email
        db.session.commit()
    post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    client.set_cookie("centre_lang", "en")
    html = client.get("/registrations/mine").get_data(as_text=True)
    assert "Questionnaires to answer" in html and f"/evaluation/q/{link}" in html
    assert closes_on.strftime("%Y") in html and "closes on" in html
    assert client.get(f"/evaluation/q/{link}").status_code == 200


def test_a_trainee_accepted_after_the_positioning_questionnaire_is_invited_once_in_their_language(
        ctx, create_session, create_registration, create_trainee, create_user):
    training_session = create_session(SessionStatus.OPEN)
    first = create_registration(training_session, create_trainee())
    templates.load_default_templates()
    positioning = questionnaires.create_questionnaire(training_session, templates.latest_template(Purpose.POSITIONING),
                                                      None)
    coordinator = create_user(Role.COORDINATOR)
    late = create_trainee()
    late.user = User(email=late.email, role=Role.TRAINEE, locale="ar")
    pending = create_registration(training_session, late, status=RegistrationStatus.PENDING)
    waiting = create_registration(training_session, create_trainee(), status=RegistrationStatus.WAITLISTED,
                                  waitlist_position=1)
    assert len(positioning.invitations) == 1
    # accepted one by one (a list of several goes through decide() and the same notify_decision())
    registrations.decide(pending, RegistrationStatus.ACCEPTED, coordinator)
    registrations.notify_decision(pending)
    registrations.notify_decision(pending)  # told twice, invited once
    # promoted from the waiting list when an accepted trainee cancels
    promoted = registrations.cancel(first, coordinator)
    assert promoted is waiting
    registrations.notify_decision(promoted)
    db.session.refresh(positioning)
    invited = {i.trainee_id: i for i in positioning.invitations}
    assert set(invited) == {first.trainee_id, late.id, waiting.trainee_id}
    assert invited[late.id].language == "ar"
    mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.template == "questionnaire_invitation",
                                                           OutboxMail.recipient == late.email)).all()
    assert len(mails) == 1 and mails[0].language == "ar" and answering.token(invited[late.id]) in mails[0].body
    # nothing once it is closed
    questionnaires.close_questionnaire(positioning, None)
    other = create_registration(training_session, create_trainee())
    registrations.notify_decision(other)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                             .where(Invitation.trainee_id == other.trainee_id)) == 0


def test_the_follow_up_goes_to_the_partners_contacts_with_an_address_each_once(
        completed_session, create_institution, create_user):
    follow_up = _by_purpose(completed_session)[Purpose.FOLLOW_UP]
    trainees = recipients.attended_trainees(completed_session)
    institution = trainees[0].institution  # the fixture's: a contact contact@ombudsman.example.sn
    add_contact(institution, None, full_name="Moussa Ndiaye", position="Secrétaire général", phone="+221 33 000 00 00")
    add_contact(institution, None, full_name="Awa Fall", position="Point focal", email="awa.fall@ombudsman.example.sn")
    add_contact(institution, None, full_name="Awa Fall", position="Cabinet", email="AWA.FALL@ombudsman.example.sn")
    create_user(Role.FOCAL_POINT, email="awa.fall@ombudsman.example.sn").locale = "ar"
    add_contact(create_institution(), None, full_name="Autre", email="other@partner.example.org")  # no trainee there
    questionnaires.run_daily_on(follow_up.send_on)
    contacts = {i.email.lower(): i for i in follow_up.invitations if i.kind.value == "contact"}
    assert sorted(contacts) == ["awa.fall@ombudsman.example.sn", "contact@ombudsman.example.sn"]
    assert contacts["awa.fall@ombudsman.example.sn"].language == "ar"
    assert contacts["contact@ombudsman.example.sn"].language == "fr"
    assert recipients.recipient_name(contacts["contact@ombudsman.example.sn"]) == "Fatou Sow"
