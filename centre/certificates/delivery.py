"""Delivering issued certificates as stored: a session's archive or folder, and e-mail."""
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.certificates.verification import verification_url
from centre.errors import DomainError
from centre.extensions import db
from centre.i18n import localized
from centre.mail import send
from centre.models import Certificate, DocumentLanguage, OutboxMail, Registration, TrainingSession, User


def valid_certificates_of_session(training_session: TrainingSession, with_pdf: bool = False) -> list[Certificate]:
    query = (sa.select(Certificate).join(Registration)
             .where(Registration.session_id == training_session.id, Certificate.sha256 != Certificate.PENDING,
                    Certificate.revoked_at.is_(None), Certificate.replaced_by_id.is_(None),
                    Certificate.erased_at.is_(None))
             .order_by(Certificate.year, Certificate.sequence))
    if with_pdf:
        query = query.options(sa.orm.undefer(Certificate.pdf))
    return db.session.scalars(query).all()


def certificates_archive(certificates) -> bytes:
    """A ZIP of these certificates' PDFs, as stored, each under its file name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in certificates:
            archive.writestr(certificate.filename, certificate.pdf)
    return buffer.getvalue()


def session_archive(training_session: TrainingSession) -> bytes:
    """A ZIP of the session's valid certificates, as stored."""
    return certificates_archive(valid_certificates_of_session(training_session, with_pdf=True))


def export_session(training_session: TrainingSession, folder) -> list:
    """Write the session's valid certificates, as stored, into a folder; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for certificate in valid_certificates_of_session(training_session, with_pdf=True):
        path = folder / certificate.filename
        path.write_bytes(certificate.pdf)
        paths.append(path)
    return paths


def mail_language(certificate: Certificate) -> str:
    """The trainee's language: their account's, else the certificate's (French when bilingual)."""
    trainee = certificate.registration.trainee
    if trainee.user is not None and trainee.user.locale:
        return trainee.user.locale
    return "ar" if certificate.language == DocumentLanguage.AR else "fr"


def email_certificate(certificate: Certificate, actor: User | None) -> OutboxMail:
    """Put the stored PDF in the outbox for its trainee, in the trainee's language (the mail
    refers to the certificate: its bytes are read when it is sent, not copied)."""
    if certificate.state != "valid":
        raise DomainError(_l("Only a valid certificate is sent."))
    trainee = certificate.registration.trainee
    mail = send(trainee.email, "certificate", mail_language(certificate),
                trainee=trainee, name=trainee.name_in(mail_language(certificate)), certificate=certificate,
                session_title=localized(certificate.registration.training_session, "title",
                                        mail_language(certificate)),
                verify_url=verification_url(certificate.verification_code),
                attach_certificate=certificate)
    audit.record(certificate, "email", actor=actor, to=trainee.email)
    return mail


@dataclass
class MailReport:
    """What e-mailing several certificates did: those put in the outbox, and those refused with the reason."""

    sent: list[Certificate] = field(default_factory=list)
    failed: list[tuple[Certificate, str]] = field(default_factory=list)


def email_each(certificates: list[Certificate], actor: User | None) -> MailReport:
    """Put each certificate's mail in the outbox, going on past a refusal; the caller commits."""
    report = MailReport()
    for certificate in certificates:
        try:
            email_certificate(certificate, actor)
        except DomainError as error:  # nothing was written for this one
            report.failed.append((certificate, str(error)))
        else:
            report.sent.append(certificate)
    return report
