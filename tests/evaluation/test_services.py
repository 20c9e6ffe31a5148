"""Evaluation questionnaires: the rules, on the services."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from centre.errors import DomainError
from centre.evaluation import answering, figures, questionnaires, templates
from centre.extensions import db
from centre.models import (
    Answer,
    AuditEntry,
    InstitutionContact,
    Invitation,
    OutboxMail,
    Purpose,
    QuestionKind,
    QuestionnaireStatus,
    QuestionTarget,
    Response,
)


def _by_purpose(training_session):
    return {q.purpose: q for q in questionnaires.session_questionnaires(training_session)}


def test_completion_sends_end_of_session_and_trainers_report_and_plans_follow_up(completed_session):
    by_purpose = _by_purpose(completed_session)
    end = by_purpose[Purpose.END_OF_SESSION]
    assert end.status == QuestionnaireStatus.OPEN and end.is_anonymous
    # the three who attended, not the absent one
    assert sorted(i.kind for i in end.invitations) == ["trainee"] * 3
    assert by_purpose[Purpose.TRAINERS_REPORT].invitations[0].email == "trainer@example.org"
    follow_up = by_purpose[Purpose.FOLLOW_UP]
    assert follow_up.status == QuestionnaireStatus.PLANNED
    assert follow_up.send_on == completed_session.end_on + timedelta(days=90)
    mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.template == "questionnaire_invitation")).all()
    arabic = [m for m in mails if m.language == "ar"]
    assert len(arabic) == 1 and "الدورة" in arabic[0].body
    assert answering.token(end.invitations[1]) in arabic[0].body


def test_follow_up_goes_to_trainees_and_institution_contact_after_its_delay(completed_session):
    follow_up = _by_purpose(completed_session)[Purpose.FOLLOW_UP]
    questionnaires.run_daily_on(follow_up.send_on - timedelta(days=1))
    assert follow_up.status == QuestionnaireStatus.PLANNED
    questionnaires.run_daily_on(follow_up.send_on)
    assert follow_up.status == QuestionnaireStatus.OPEN
    kinds = sorted(i.kind.value for i in follow_up.invitations)
    assert kinds == ["contact", "trainee", "trainee", "trainee"]


def test_follow_up_invites_and_reminds_a_contact_in_the_contacts_language(completed_session):
    follow_up = _by_purpose(completed_session)[Purpose.FOLLOW_UP]
    contact = db.session.scalars(sa.select(InstitutionContact)).one()  # no account has its address
    contact.language = "ar"
    questionnaires.run_daily_on(follow_up.send_on)

    def contact_mails(template):
        return db.session.scalars(sa.select(OutboxMail).where(
            OutboxMail.recipient == contact.email, OutboxMail.template == template)).all()

    [invitation] = contact_mails("questionnaire_invitation")
    assert invitation.language == "ar" and any("\u0600" <= ch <= "\u06ff" for ch in invitation.subject)
    questionnaires.run_daily_on(follow_up.sent_on + timedelta(days=follow_up.remind_after_days))
    [reminder] = contact_mails("questionnaire_reminder")
    assert reminder.language == "ar" and any("\u0600" <= ch <= "\u06ff" for ch in reminder.subject)


def _form(questionnaire, **overrides):
    """A complete answer: the top of every scale, the first choice, a short text."""
    data = MultiDict()
    for item in answering.items(questionnaire, "en"):
        q = item.question
        data[item.field] = {QuestionKind.RATING: str(q.scale_max), QuestionKind.TEXT: "Bien"}.get(q.kind, "0")
    for key, value in overrides.items():
        data[key] = value
    return data


def test_anonymous_answer_ties_no_row_to_the_trainee(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    invitation = end.invitations[0]
    values = answering.parse_answers(end, _form(end), "en", complete=True)
    assert answering.answer(invitation, values, submit=True) is None
    response = db.session.scalar(sa.select(Response).where(Response.questionnaire_id == end.id))
    assert response.invitation_id is None and response.submitted_at is None
    assert invitation.is_used and end.responses_count == 1
    # the only audit entry is an event on the questionnaire, naming nobody
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "anonymous_answer")).one()
    assert entry.entity == "questionnaire" and entry.actor_id is None and entry.details == {}
    # a second answer rewrites both responses with new ids
    first_id = response.id
    answering.answer(end.invitations[1], answering.parse_answers(end, _form(end), "en", complete=True), submit=True)
    ids = set(db.session.scalars(sa.select(Response.id).where(Response.questionnaire_id == end.id)))
    assert len(ids) == 2 and first_id not in ids
    with pytest.raises(answering.LinkRefused) as refused:
        answering.invitation_of(answering.token(invitation))
    assert refused.value.status == 409


def test_strict_validation_refuses_and_stores_nothing(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    rating = next(item for item in answering.items(end, "en") if item.question.kind == QuestionKind.RATING)
    choice = next(item for item in answering.items(end, "en") if item.question.kind == QuestionKind.SINGLE)
    text = next(item for item in answering.items(end, "en") if item.question.kind == QuestionKind.TEXT)
    for field, value in ((rating.field, "6"), (rating.field, "0"), (rating.field, "٣"), (choice.field, "3"),
                         (text.field, "x" * (answering.MAX_TEXT + 1))):
        with pytest.raises(DomainError):
            answering.parse_answers(end, _form(end, **{field: value}), "en", complete=True)
    with pytest.raises(DomainError, match="required"):
        answering.parse_answers(end, _form(end, **{rating.field: ""}), "en", complete=True)
    with pytest.raises(DomainError, match="anonymous"):
        answering.answer(end.invitations[0], {}, submit=False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_forged_link_and_closed_questionnaire_are_refused(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    link = answering.token(end.invitations[0])
    assert answering.invitation_of(link) is end.invitations[0]
    for forged in (link[:-1] + ("0" if link[-1] != "0" else "1"), "1.abc", "x", f"{end.invitations[1].id}{link[1:]}"):
        with pytest.raises(answering.LinkRefused) as refused:
            answering.invitation_of(forged)
        assert refused.value.status == 404
    questionnaires.close_questionnaire(end, None)
    with pytest.raises(answering.LinkRefused) as refused:
        answering.invitation_of(link)
    assert refused.value.status == 410


def test_named_answers_resume_and_results_list_who_has_not_answered(completed_session):
    report = _by_purpose(completed_session)[Purpose.TRAINERS_REPORT]
    invitation = report.invitations[0]
    rating = answering.items(report, "en")[0]
    answering.answer(invitation, answering.parse_answers(report, MultiDict({rating.field: "4"}), "en", complete=False),
                    submit=False)
    assert answering.saved_answers(invitation) == {rating.field: 4}
    assert not invitation.is_used
    assert [i.email for i in figures.results(report, "en").waiting] == ["trainer@example.org"]
    answering.answer(invitation, answering.parse_answers(report, _form(report), "en", complete=True), submit=True)
    result = figures.results(report, "en")
    assert result.waiting == [] and result.rate == 100
    assert result.items[0].counts == [0, 0, 0, 0, 1] and result.items[0].mean == 5


def test_reminders_after_n_and_m_days_then_closing(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    answering.answer(end.invitations[0], answering.parse_answers(end, _form(end), "en", complete=True), submit=True)

    def reminders():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail).where(
            OutboxMail.template == "questionnaire_reminder", OutboxMail.recipient != "trainer@example.org"))

    questionnaires.run_daily_on(end.sent_on + timedelta(days=end.remind_after_days - 1))
    assert reminders() == 0
    questionnaires.run_daily_on(end.sent_on + timedelta(days=end.remind_after_days))
    assert reminders() == 2  # the two who have not answered
    questionnaires.run_daily_on(end.sent_on + timedelta(days=end.remind_after_days + 1))
    assert reminders() == 2  # once per step
    questionnaires.run_daily_on(end.sent_on + timedelta(days=end.remind_again_after_days))
    assert reminders() == 4
    questionnaires.run_daily_on(end.closes_on)
    assert end.status == QuestionnaireStatus.CLOSED


def test_template_with_answers_is_frozen_and_a_new_version_is_not(completed_session):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    template = end.template
    fields = dict(kind=QuestionKind.TEXT, target=QuestionTarget.GENERAL, is_required=False,
                  text_fr="Autre", text_ar="أخرى", text_en="Other")
    templates.add_question(template, None, **fields)  # no answer yet
    answering.answer(end.invitations[0], answering.parse_answers(end, _form(end), "en", complete=True), submit=True)
    with pytest.raises(DomainError, match="new version"):
        templates.add_question(template, None, **fields)
    copy = templates.new_version(template, None)
    templates.add_question(copy, None, **fields)
    assert copy.version == template.version + 1 and len(copy.questions) == len(template.questions) + 1


def test_choice_question_needs_every_language(ctx):
    template = templates.create_template(None, code="custom", purpose=Purpose.END_OF_SESSION, is_anonymous=True,
                                        title_fr="T", title_ar="ت", title_en="T")
    with pytest.raises(DomainError, match="every choice"):
        templates.add_question(template, None, kind=QuestionKind.SINGLE, target=QuestionTarget.GENERAL,
                              is_required=True, text_fr="Q", text_ar="س", text_en="Q",
                              choices=[{"fr": "Oui", "ar": "نعم", "en": "Yes"}, {"fr": "Non", "en": "No"}])


def test_catalogue_satisfaction_only_above_the_minimum(completed_session, app):
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    app.config["EVALUATION_MIN_ANSWERS"] = 3
    for invitation in end.invitations[:2]:
        answering.answer(invitation, answering.parse_answers(end, _form(end), "en", complete=True), submit=True)
    assert figures.headline_satisfaction(completed_session) is None
    answering.answer(end.invitations[2], answering.parse_answers(end, _form(end), "en", complete=True), submit=True)
    assert figures.headline_satisfaction(completed_session) == (100, 3)



def test_satisfaction_across_sessions_by_theme_trainer_institution_country_and_year(completed_session):
    """The dashboard's and activity report's satisfaction: each dimension's mean of the rating
    answers (as shares of their scale) and its responses, a response counted once."""
    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    ratings = [item for item in answering.items(end, "en") if item.question.kind == QuestionKind.RATING]
    rated_trainer = [item for item in ratings if item.target_key.startswith("trainer:")]
    assert rated_trainer and len(rated_trainer) < len(ratings)
    # One trainee gives the top of every scale; another the bottom of every scale but the trainer's.
    answering.answer(end.invitations[0], answering.parse_answers(end, _form(end), "en", complete=True), submit=True)
    bottom = {item.field: "1" for item in ratings if item not in rated_trainer}
    answering.answer(end.invitations[1], answering.parse_answers(end, _form(end, **bottom), "en", complete=True),
                     submit=True)
    start_on = completed_session.start_on
    found = figures.satisfaction(start_on, start_on, "en")
    everything = round(100 * (len(ratings) + len(rated_trainer)) / (2 * len(ratings)))
    assert 50 < everything < 100
    trainee = end.invitations[0].trainee
    trainer = completed_session.trainers[0].expert
    assert found == {
        "theme": [figures.SatisfactionRow(completed_session.title_en, everything, 2, completed_session.title_en)],
        "trainer": [figures.SatisfactionRow(trainer.name, 100, 2, trainer.id)],
        "institution": [figures.SatisfactionRow(trainee.institution.name_en, everything, 2, trainee.institution_id)],
        "country": [figures.SatisfactionRow("Senegal", everything, 2, "SN")],
        "year": [figures.SatisfactionRow(str(start_on.year), everything, 2, start_on.year)],
    }
    # The period is the sessions' first days: a period after it finds nothing.
    assert figures.satisfaction(start_on + timedelta(days=1), start_on + timedelta(days=400), "en") == {
        dimension: [] for dimension in figures.DIMENSIONS}

def test_anonymising_a_trainee_erases_the_address_their_invitations_kept(completed_session):
    from centre.registrations.personal_data import anonymise

    end = _by_purpose(completed_session)[Purpose.END_OF_SESSION]
    invitation = end.invitations[0]
    address = invitation.email
    anonymise(invitation.trainee)
    assert invitation.email == f"anonymised-{invitation.trainee_id}@invalid"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(Invitation.email == address)) == 0
