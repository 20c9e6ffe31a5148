"""Focal points' pages: the wiring, the messages and the refusals."""
import io
import re

import sqlalchemy as sa

from centre.extensions import db
from centre.models import Agreement, FocalPoint, InstitutionContact, OutboxMail, Registration, SessionStatus
from tests.conftest import post

LINK = re.compile(r"https?://\S+(/partner/invitation/\S+)")


def test_coordinator_invites_a_focal_point_who_opens_the_account_and_nominates(
        app, client, login_as, create_institution, create_session):
    with app.app_context():
        institution_id = create_institution().id
        session_id = create_session(SessionStatus.OPEN).id
        db.session.commit()
    login_as("coordinator")
    page = f"/partners/{institution_id}"
    refused = post(client, f"/partner/institutions/{institution_id}/focal-points",
                   {"full_name": "", "email": "not an address", "language": "fr"}, form_url=page)
    assert refused.status_code == 400
    response = post(client, f"/partner/institutions/{institution_id}/focal-points",
                    {"full_name": "Fatou Ndiaye", "email": "fatou@example.sn", "language": "fr"}, form_url=page)
    assert response.status_code == 302
    assert "fatou@example.sn" in client.get(page).get_data(as_text=True)
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMail.body).where(OutboxMail.recipient == "fatou@example.sn"))
    link = LINK.search(body)[1]
    visitor = app.test_client()
    visitor.set_cookie("centre_lang", "en")
    response = post(visitor, link, {"password": "un mot de passe", "password_again": "un mot de passe"},
                    form_url=link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/partner/")
    home = visitor.get("/partner/").get_data(as_text=True)
    assert "Ombudsman of Senegal" in home
    candidate = {"session_id": str(session_id), "given_name": "Awa", "family_name": "Sarr", "gender": "female",
                 "nationality": "SN", "position": "Juriste", "email": "awa@example.sn"}
    missing = post(visitor, "/partner/nominate", {**candidate, "given_name": ""}, form_url="/partner/nominate")
    assert missing.status_code == 400
    response = post(visitor, "/partner/nominate", candidate, form_url="/partner/nominate")
    assert response.status_code == 302
    again = post(visitor, "/partner/nominate", candidate, form_url="/partner/nominate")
    assert again.status_code == 400 and "already holds a registration" in again.get_data(as_text=True)
    assert "Sarr" in visitor.get("/partner/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_a_focal_point_keeps_their_contacts_and_cannot_touch_another_institutions(
        app, client, login_as, create_institution, create_user):
    with app.app_context():
        ours, theirs = create_institution(), create_institution(name_fr="Médiateur administratif", country="TN")
        user = create_user("focal_point")
        db.session.add(FocalPoint(user=user, institution=ours))
        other_contact = InstitutionContact(institution=theirs, full_name="Bureau d'ordre", phone="+216 71 000 000")
        db.session.add(other_contact)
        db.session.commit()
        ours_id, theirs_id, email, other_id = ours.id, theirs.id, user.email, other_contact.id
    client.set_cookie("centre_lang", "en")
    post(client, "/login", {"email": email, "password": "correct horse battery"}, form_url="/login")
    contact = {"full_name": "Secrétariat général", "position": "SG", "email": "sg@example.sn",
               "phone": "+221 33 000 00 00", "postal_address": "Dakar", "language": "en"}
    assert post(client, f"/partner/institutions/{ours_id}/contacts", {**contact, "email": "", "phone": "",
                "postal_address": ""}, form_url="/partner/").status_code == 400
    assert post(client, f"/partner/institutions/{ours_id}/contacts", contact,
                form_url="/partner/").status_code == 302
    assert post(client, f"/partner/institutions/{ours_id}/contacts", {**contact, "language": "de"},
                form_url="/partner/").status_code == 400
    page = client.get("/partner/").get_data(as_text=True)
    assert "sg@example.sn" in page and "<td data-label=\"Language of the e-mail\">English</td>" in page
    assert post(client, f"/partner/institutions/{theirs_id}/contacts", contact, form_url="/partner/").status_code == 404
    assert client.get(f"/partner/institutions/{theirs_id}/contacts/{other_id}/edit").status_code == 404
    assert post(client, f"/partner/institutions/{theirs_id}/contacts/{other_id}/remove",
                form_url="/partner/").status_code == 404
    assert client.get(f"/partners/{theirs_id}").status_code == 403
    no_zip = client.get("/partner/certificates.zip")
    assert no_zip.status_code == 302
    assert "No certificate" in client.get("/partner/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InstitutionContact, other_id) is not None
        assert db.session.scalar(sa.select(sa.func.count(InstitutionContact.id))
                                 .where(InstitutionContact.institution_id == ours_id)) == 1


def test_the_signed_agreement_is_uploaded_checked_and_downloaded(app, client, login_as, create_institution):
    with app.app_context():
        institution_id = create_institution().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = f"/partners/{institution_id}"
    fields = {"title": "Convention de coopération", "signed_on": "2024-05-02"}
    disguised = post(client, f"{page}/agreements", {**fields, "document": (io.BytesIO(b"MZ\x90\x00 not a pdf"),
                                                                          "convention.pdf")},
                     form_url=page, content_type="multipart/form-data")
    assert disguised.status_code == 400 and "not one of the accepted kinds" in disguised.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
    response = post(client, f"{page}/agreements", {**fields, "document": (io.BytesIO(pdf), "اتفاقية تعاون.pdf")},
                    form_url=page, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        agreement_id = db.session.scalar(sa.select(Agreement.id))
    assert "اتفاقية تعاون.pdf" in client.get(page).get_data(as_text=True)
    download = client.get(f"{page}/agreements/{agreement_id}/document")
    assert download.status_code == 200 and download.data == pdf and download.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]


def test_a_focal_point_downloads_each_certificate_of_their_institution_and_no_other(
        app, client, create_institution, create_user, create_session, create_trainee, create_registration, mark_all):
    from centre.certificates.services import issue_certificate
    from centre.models import AuditEntry, DocumentLanguage
    from centre.sessions.services import change_status

    with app.app_context():
        ours = create_institution()
        user = create_user("focal_point")
        db.session.add(FocalPoint(user=user, institution=ours))
        held = create_session(SessionStatus.IN_PROGRESS)
        mine, other = create_registration(held, trainee=create_trainee(institution=ours)), create_registration(held)
        mark_all(mine, present=10)
        mark_all(other, present=10)
        change_status(held, SessionStatus.COMPLETED)
        own, theirs = (issue_certificate(r, DocumentLanguage.FR, None) for r in (mine, other))
        db.session.commit()
        own_id, theirs_id, email, sha256 = own.id, theirs.id, user.email, own.sha256
    post(client, "/login", {"email": email, "password": "correct horse battery"}, form_url="/login")
    assert f"/partner/certificates/{own_id}.pdf" in client.get("/partner/").get_data(as_text=True)
    download = client.get(f"/partner/certificates/{own_id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF") and download.headers["X-Content-SHA256"] == sha256
    assert client.get(f"/partner/certificates/{theirs_id}.pdf").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "partner_download",
                                                                      AuditEntry.entity_id == own_id)) is not None
