"""Correcting a trainee's names, passport or institution: by the coordinator, and by the trainee
while no certificate has been issued to them; audited with the old and new values."""
import pytest
import sqlalchemy as sa

from centre.certificates.services import issue_certificate
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, DocumentLanguage, MarkStatus, Role, SessionStatus
from centre.registrations.services import correct_trainee
from centre.sessions.services import change_status
from tests.conftest import PASSWORD, post


def test_coordinator_corrects_names_passport_and_institution_with_old_and_new_values(
        ctx, create_user, create_trainee, create_institution):
    coordinator = create_user(Role.COORDINATOR)
    trainee = create_trainee(given_name="Aminta", full_name_ar="أمينتا", passport_number="A12")
    partner = create_institution(name_fr="Médiateur du Faso")
    correct_trainee(trainee, coordinator, given_name=" Aminata ", family_name=trainee.family_name,
                    full_name_ar="أميناتا", passport_number="a 1234", institution_id=partner.id,
                    institution_other="")
    assert (trainee.given_name, trainee.full_name_ar, trainee.passport_number, trainee.institution) == (
        "Aminata", "أميناتا", "A1234", partner)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "correct")).one()
    assert entry.actor_id == coordinator.id and entry.entity == "trainee"
    assert entry.details["before_given_name"] == "Aminta" and entry.details["after_given_name"] == "Aminata"
    assert entry.details["before_passport_number"] == "A12" and entry.details["after_passport_number"] == "A1234"
    assert entry.details["after_institution"] == "Médiateur du Faso"
    with pytest.raises(DomainError, match="Nothing to correct"):
        correct_trainee(trainee, coordinator, given_name="Aminata")
    with pytest.raises(DomainError, match="family name"):
        correct_trainee(trainee, coordinator, family_name="  ")


def test_trainee_corrects_their_own_record_until_a_certificate_is_issued(
        app, client, create_user, create_trainee, create_session, create_registration, mark_all):
    with app.app_context():
        user = create_user(Role.TRAINEE)
        trainee = create_trainee(user=user, email=user.email, given_name="Mousa")
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session, trainee=trainee)
        mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        change_status(training_session, SessionStatus.COMPLETED)
        db.session.commit()
        email, trainee_id, institution_id = user.email, trainee.id, trainee.institution_id
    post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    client.set_cookie("centre_lang", "en")
    form = {"given_name": "Moussa", "family_name": "Abdou", "full_name_ar": "موسى عبدو",
            "passport_number": "NE 77", "institution_id": str(institution_id), "institution_other": ""}
    response = post(client, "/registrations/mine/correct", form, form_url="/registrations/mine/correct")
    assert response.status_code == 302
    with app.app_context():
        from centre.models import Trainee

        trainee = db.session.get(Trainee, trainee_id)
        assert (trainee.name, trainee.user.full_name, trainee.passport_number) == (
            "Moussa Abdou", "Moussa Abdou", "NE77")
        issue_certificate(trainee_registration(trainee_id), DocumentLanguage.FR, None)
        db.session.commit()
    page = client.get("/registrations/mine/correct").get_data(as_text=True)
    assert "ask the centre to correct your details" in page and 'name="given_name"' not in page
    refused = post(client, "/registrations/mine/correct", {**form, "given_name": "Musa"},
                   form_url="/registrations/mine")
    assert refused.status_code == 400 and "ask the centre" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Trainee, trainee_id).given_name == "Moussa"


def trainee_registration(trainee_id):
    from centre.models import Registration

    return db.session.scalar(sa.select(Registration).where(Registration.trainee_id == trainee_id))


def test_coordinator_page_says_issued_certificates_go_through_replacement(
        app, client, login_as, create_session, create_registration, mark_all):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    with app.app_context():
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        change_status(training_session, SessionStatus.COMPLETED)
        certificate = issue_certificate(registration, DocumentLanguage.FR, None)
        db.session.commit()
        registration_id, number, family = registration.id, certificate.number, registration.trainee.family_name
    url = f"/registrations/{registration_id}/correct"
    page = client.get(url).get_data(as_text=True)
    assert "An issued certificate never changes" in page and number in page
    form = {"given_name": "Aminata", "family_name": family, "full_name_ar": "أميناتا ديالو الصحيحة",
            "passport_number": "", "institution_id": "0", "institution_other": ""}
    assert post(client, url, form, form_url=url).status_code == 400  # "other" needs a name
    response = post(client, url, {**form, "institution_other": "Médiateur de Guinée"}, form_url=url)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "replace each of them" in shown
    assert "Trainee&#39;s details corrected" in shown and "أميناتا ديالو الصحيحة" in shown
    with app.app_context():  # the existing replacement prints the corrected record; the old one stays as issued
        from centre.certificates.services import replace_certificate
        from centre.models import Certificate

        old = db.session.scalar(sa.select(Certificate).where(Certificate.number == number))
        new = replace_certificate(old, "Nom en arabe corrigé", None)
        db.session.commit()
        assert db.session.get(Certificate, new.id).printed["full_name_ar"] == "أميناتا ديالو الصحيحة"
        assert db.session.get(Certificate, old.id).printed["full_name_ar"] == "أميناتا ديالو"
