"""The audit log as a page for staff, and the registration's and certificate's own histories."""
from datetime import timedelta

import sqlalchemy as sa

from centre import audit
from centre.admin.services import audit_query
from centre.certificates.services import issue_certificate, revoke_certificate
from centre.extensions import db
from centre.models import AuditEntry, DocumentLanguage, MarkStatus, RegistrationStatus, Role, SessionStatus
from centre.models.types import utcnow
from centre.pagination import paginate
from centre.registrations.services import decide
from centre.sessions.services import change_status


def test_audit_query_filters_by_who_action_record_and_period(ctx, create_user, create_registration):
    nadia = create_user(Role.COORDINATOR, full_name="Nadia Alaoui")
    omar = create_user(Role.COORDINATOR, full_name="Omar Benali")
    first = create_registration(status=RegistrationStatus.PENDING)
    second = create_registration(status=RegistrationStatus.PENDING)
    decide(first, RegistrationStatus.ACCEPTED, nadia)
    decide(second, RegistrationStatus.REJECTED, omar, reason="Hors profil")
    old = audit.record(second, "cancel", actor=omar)
    old.at = utcnow() - timedelta(days=40)
    db.session.flush()

    def found(**filters):
        return [(e.entity, e.entity_id, e.action) for e in db.session.scalars(audit_query(**filters))]

    assert found(who="nadia") == [("registration", first.id, "decide")]
    assert found(who="OMAR", action="decide") == [("registration", second.id, "decide")]
    assert found(entity="registration", entity_id=second.id) == [("registration", second.id, "decide"),
                                                                  ("registration", second.id, "cancel")]
    assert found(entity="registration", since=utcnow() - timedelta(days=1), who="omar") == [
        ("registration", second.id, "decide")]
    assert found(until=utcnow() - timedelta(days=30)) == [("registration", second.id, "cancel")]
    assert ("training_session", first.session_id, "create") in found(who="-")  # the factory acts as no one
    assert found(who="100%_") == []  # wildcards are taken literally
    page = paginate(audit_query(), 2, per_page=2)
    assert page.number == 2 and len(page.items) == 2 and page.total == len(found())


def test_audit_page_describes_entries_in_arabic_and_links_their_records(app, client, login_as, create_registration):
    login_as("coordinator")
    with app.app_context():
        registration = create_registration(status=RegistrationStatus.PENDING)
        decide(registration, RegistrationStatus.WAITLISTED, None, reason="Complet")
        db.session.commit()
        registration_id, session_id = registration.id, registration.session_id
    client.set_cookie("centre_lang", "ar")
    page = client.get(f"/admin/audit/?record=registration&record_id={registration_id}").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert "قرار بشأن التسجيل" in page and "في الانتظار" in page and "لائحة الانتظار" in page
    assert f'href="/registrations/{registration_id}"' in page and "Complet" in page
    client.set_cookie("centre_lang", "en")
    everything = client.get("/admin/audit/").get_data(as_text=True)
    assert f'href="/sessions/{session_id}"' in everything and "Session created" in everything
    assert client.get("/admin/audit/?from=2026-05-01&to=2026-04-01").status_code == 400
    assert client.get("/admin/audit/?record_id=-4").status_code == 400
    assert client.get("/admin/audit/?action=drop").status_code == 400


def test_registration_and_certificate_pages_show_their_history(app, client, login_as, create_session,
                                                               create_registration, mark_all):
    user_id = login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    with app.app_context():
        from centre.models import User

        coordinator = db.session.get(User, user_id)
        training_session = create_session(SessionStatus.IN_PROGRESS)
        registration = create_registration(training_session)
        mark_all(registration, present=10, rest=MarkStatus.PRESENT)
        change_status(training_session, SessionStatus.COMPLETED)
        certificate = issue_certificate(registration, DocumentLanguage.FR, coordinator)
        revoke_certificate(certificate, "Erreur de session", coordinator)
        db.session.commit()
        registration_id, certificate_id, number = registration.id, certificate.id, certificate.number
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.entity == "certificate")) == 2
    certificate_page = client.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "Certificate issued" in certificate_page and "Certificate revoked" in certificate_page
    assert "Valid → Revoked" in certificate_page and "Erreur de session" in certificate_page
    registration_page = client.get(f"/registrations/{registration_id}").get_data(as_text=True)
    assert number in registration_page and f'href="/certificates/{certificate_id}"' in registration_page
    assert "History" in registration_page
