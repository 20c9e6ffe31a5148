"""A trainee's erasure at the retention limit, as their certificates and the audit log show it."""
import io
import zipfile

import pytest
import sqlalchemy as sa

from centre.auth.services import authenticate
from centre.certificates.bulk import plan_bulk
from centre.certificates.delivery import email_certificate
from centre.certificates.services import issue_certificate
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, Certificate, DocumentLanguage, FailedLogin, OutboxMail, Role
from centre.models.types import utcnow
from centre.registrations.personal_data import anonymise
from centre.registrations.services import accepted_registrations
from tests.certificates.test_issue import completed  # noqa: F401 — the fixture


def test_anonymise_erases_the_address_from_every_audit_entry_and_failed_sign_in(ctx, completed, create_user):  # noqa: F811
    registration, = accepted_registrations(completed(eligible=1))
    trainee = registration.trainee
    trainee.user = create_user(Role.TRAINEE, email=trainee.email)
    address = trainee.email
    certificate = issue_certificate(registration, DocumentLanguage.FR, None)
    email_certificate(certificate, None)  # audited on the certificate: to=<address>
    assert authenticate(address.upper(), "wrong password", ip="192.0.2.9", now=utcnow()) is None
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(FailedLogin.id)).where(FailedLogin.email == address)) == 1
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.recipient == address)) == 1

    anonymise(trainee)
    db.session.commit()
    holding = [(e.entity, e.action, e.details) for e in db.session.scalars(sa.select(AuditEntry))
               if address in str(e.details).lower()]
    assert holding == []
    assert db.session.scalar(sa.select(sa.func.count(FailedLogin.id)).where(FailedLogin.email == address)) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0  # its body named the trainee
    actions = {(e.entity, e.action) for e in db.session.scalars(sa.select(AuditEntry))}
    assert {("certificate", "email"), ("trainee", "anonymise")} <= actions  # the entries stay


def test_an_erased_certificate_verifies_as_erased_and_is_never_served_empty(app, client, login_as, runner,
                                                                            completed, tmp_path):  # noqa: F811
    with app.app_context():
        training_session = completed(eligible=2)
        gone, kept = accepted_registrations(training_session)
        erased = issue_certificate(gone, DocumentLanguage.FR, None)
        issue_certificate(kept, DocumentLanguage.FR, None)
        db.session.commit()
        erased_id, code, number, sha = erased.id, erased.verification_code, erased.number, erased.sha256
        session_id, session_code, name = training_session.id, training_session.code, gone.trainee.family_name
        anonymise(gone.trainee)
        db.session.commit()
        certificate = db.session.get(Certificate, erased_id)
        assert certificate.state == "erased" and certificate.sha256 == sha  # the hash still matches a copy
        with pytest.raises(DomainError):
            email_certificate(certificate, None)  # no empty PDF by mail
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "certificate",
                                                              AuditEntry.action == "erase"))
        assert (entry.entity_id, entry.from_state, entry.to_state) == (erased_id, "valid", "erased")

    client.set_cookie("centre_lang", "en")
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "verdict-erased" in page and "This certificate is valid" not in page
    assert number in page and "personal data was erased" in page and name not in page

    login_as(Role.COORDINATOR)
    assert client.get(f"/certificates/{erased_id}.pdf").status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/certificates/session/{session_id}/certificates.zip").data))
    assert len(archive.namelist()) == 1 and not any(number in n for n in archive.namelist())
    result = runner.invoke(args=["certificates", "export", session_code, str(tmp_path / "out")])
    assert "1 certificates written" in result.output
    assert all(path.stat().st_size > 0 for path in (tmp_path / "out").iterdir())


def test_no_certificate_is_issued_for_an_anonymised_trainee(ctx, completed):  # noqa: F811
    """Anonymised, the trainee has no name left to print: a new certificate (another language,
    a correction) is refused with the reason, and the bulk issue lists them as refused."""
    registration, = accepted_registrations(completed(eligible=1))
    anonymise(registration.trainee)
    db.session.flush()
    with pytest.raises(DomainError, match="erased at the retention limit"):
        issue_certificate(registration, DocumentLanguage.AR, None)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    plan = plan_bulk(registration.training_session, None)
    assert plan.todo == [] and [r.id for r, _ in plan.refused] == [registration.id]
