"""A trainee's erasure at the retention limit, as their certificates and the audit log show it."""
import sqlalchemy as sa

from centre.auth.services import authenticate
from centre.certificates.delivery import email_certificate
from centre.certificates.services import issue_certificate
from centre.extensions import db
from centre.models import AuditEntry, DocumentLanguage, FailedLogin, Role
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

    anonymise(trainee)
    db.session.commit()
    holding = [(e.entity, e.action, e.details) for e in db.session.scalars(sa.select(AuditEntry))
               if address in str(e.details).lower()]
    assert holding == []
    assert db.session.scalar(sa.select(sa.func.count(FailedLogin.id)).where(FailedLogin.email == address)) == 0
    actions = {(e.entity, e.action) for e in db.session.scalars(sa.select(AuditEntry))}
    assert {("certificate", "email"), ("trainee", "anonymise")} <= actions  # the entries stay
