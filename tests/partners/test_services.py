"""Focal points and contacts: the rules, at the service level."""
import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from centre.certificates.services import issue_certificate
from centre.clock import today
from centre.errors import DomainError
from centre.extensions import db
from centre.models import (
    AuditEntry,
    DocumentLanguage,
    MarkStatus,
    OutboxMail,
    RegistrationStatus,
    Role,
    SessionStatus,
)
from centre.models.types import utcnow
from centre.partners import services
from centre.sessions.services import change_status

CANDIDATE = {"given_name": "Awa", "family_name": "Sarr", "full_name_ar": "عوا سار", "gender": "female",
             "nationality": "SN", "position": "Juriste", "email": "awa.sarr@example.sn"}


@pytest.fixture
def focal(ctx, create_institution):
    """An opened focal point of a partner."""
    focal_point = services.invite_focal_point(create_institution(), None, email="Point.Focal@Example.SN",
                                              full_name="Fatou Ndiaye", language="ar")
    services.accept_invitation(services.invitation_token(focal_point.user), "un mot de passe")
    return focal_point


def test_invitation_mails_the_link_in_the_persons_language_and_works_once(ctx, create_institution, create_user):
    institution = create_institution()
    focal_point = services.invite_focal_point(institution, create_user(), email="Point.Focal@Example.SN",
                                              full_name="Fatou Ndiaye", language="ar")
    user = focal_point.user
    assert (user.role, user.email, user.password_hash, user.locale) == (Role.FOCAL_POINT, "point.focal@example.sn",
                                                                       None, "ar")
    mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.recipient == user.email))
    assert mail.language == "ar" and "/partner/invitation/" in mail.body and "وسيط الجمهورية السنغالية" in mail.body
    token = services.invitation_token(user)
    services.accept_invitation(token, "un mot de passe")
    assert user.check_password("un mot de passe")
    with pytest.raises(services.InvitationError) as used:
        services.read_invitation(token)
    assert used.value.status == 410
    with pytest.raises(DomainError, match="already exists"):
        services.invite_focal_point(institution, None, email="point.focal@example.sn", full_name="X")
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity == "institution")).all()
    assert actions == ["focal_point_invite", "focal_point_opened"]


def test_an_expired_or_replaced_invitation_is_refused(ctx, create_institution):
    focal_point = services.invite_focal_point(create_institution(), None, email="fp@example.sn", full_name="F")
    token = services.invitation_token(focal_point.user)
    with pytest.raises(services.InvitationError, match="expired"):
        services.read_invitation(token, now=utcnow() + timedelta(days=8))
    services.invite_again(focal_point, None)
    with pytest.raises(services.InvitationError, match="newer one"):
        services.read_invitation(token)
    assert services.read_invitation(services.invitation_token(focal_point.user)) is focal_point


def test_a_nomination_is_a_registration_of_the_focal_points_institution(focal, create_session):
    training_session = create_session(SessionStatus.OPEN)
    registration = services.nominate(focal, training_session, CANDIDATE)
    trainee = registration.trainee
    assert registration.status == RegistrationStatus.PENDING
    assert trainee.institution_id == focal.institution_id and trainee.is_email_confirmed
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "nominate"))
    assert entry.actor_id == focal.user_id and entry.entity_id == registration.id
    assert db.session.scalar(sa.select(OutboxMail).where(OutboxMail.recipient == "awa.sarr@example.sn"))
    with pytest.raises(DomainError, match="already holds a registration"):
        services.nominate(focal, training_session, CANDIDATE)


def test_nominations_keep_the_rules_of_any_registration(focal, create_session, create_trainee, create_registration):
    draft = create_session(SessionStatus.DRAFT)
    with pytest.raises(DomainError, match="does not take registrations"):
        services.nominate(focal, draft, CANDIDATE)
    quota = create_session(SessionStatus.OPEN, institution_quota=1)
    create_registration(quota, trainee=create_trainee(institution=focal.institution))
    with pytest.raises(DomainError, match="quota"):
        services.nominate(focal, quota, CANDIDATE)
    create_trainee(email="someone@example.tn")  # of another institution
    with pytest.raises(DomainError, match="another institution"):
        services.nominate(focal, create_session(SessionStatus.OPEN), {**CANDIDATE, "email": "someone@example.tn"})
    with pytest.raises(DomainError, match="not an e-mail"):
        services.nominate(focal, create_session(SessionStatus.OPEN), {**CANDIDATE, "email": "nobody"})


def test_the_institution_sees_its_registrations_rates_and_certificates_and_no_others(
        focal, create_session, create_trainee, create_registration, mark_all):
    held = create_session(SessionStatus.IN_PROGRESS)
    ours = create_registration(held, trainee=create_trainee(institution=focal.institution))
    theirs = create_registration(held)  # another institution's trainee
    mark_all(ours, present=8, rest=MarkStatus.ABSENT)
    mark_all(theirs, present=10)
    change_status(held, SessionStatus.COMPLETED)
    issue_certificate(ours, DocumentLanguage.FR, None)
    issue_certificate(theirs, DocumentLanguage.FR, None)
    # Ahead of today: a session whose dates are past takes no registration.
    later = create_session(SessionStatus.OPEN, start_on=today() + timedelta(days=60),
                           end_on=today() + timedelta(days=64))
    pending = services.nominate(focal, later, CANDIDATE)
    rows = services.institution_registrations(focal.institution)
    assert [r.id for r, _figures, _certificates in rows] == [pending.id, ours.id]
    _r, figures, certificates = rows[1]
    assert figures.percent == 80 and [c.registration_id for c in certificates] == [ours.id]
    assert rows[0][1] is None and rows[0][2] == []
    archive = zipfile.ZipFile(io.BytesIO(services.certificates_archive(focal.institution, focal.user)))
    assert archive.namelist() == [certificates[0].filename]
    assert archive.read(certificates[0].filename).startswith(b"%PDF")


def test_no_certificate_yet_is_said_in_words(focal):
    with pytest.raises(DomainError, match="No certificate"):
        services.certificates_archive(focal.institution, focal.user)


def test_contacts_are_checked_kept_and_audited(ctx, create_institution):
    institution = create_institution()
    with pytest.raises(DomainError, match="name"):
        services.add_contact(institution, None, full_name=" ", email="a@example.org")
    with pytest.raises(DomainError, match="at least"):
        services.add_contact(institution, None, full_name="Secrétariat général")
    contact = services.add_contact(institution, None, full_name="Secrétariat général", position="Secrétaire général",
                                   email="SG@Mediateur.SN", phone="+221 33 889 00 00",
                                   postal_address="Building administratif\nDakar")
    assert contact.email == "sg@mediateur.sn" and institution.contacts == [contact]
    assert contact.language == "fr"  # mails to a contact are in French unless told otherwise
    with pytest.raises(DomainError, match="language"):
        services.add_contact(institution, None, full_name="Bureau d'ordre", email="bo@mediateur.sn", language="de")
    services.update_contact(contact, None, full_name="Secrétariat général", phone="+221 33 000 00 00",
                            email="sg@mediateur.sn", language="ar")
    assert contact.phone == "+221 33 000 00 00" and contact.position == "" and contact.language == "ar"
    services.update_contact(contact, None, full_name="Secrétariat général", phone="+221 33 000 00 00",
                            email="sg@mediateur.sn")
    assert contact.language == "ar"  # kept when not given (and nothing changed, nothing audited)
    services.remove_contact(contact, None)
    assert institution.contacts == []
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity == "institution")).all()
    assert actions == ["contact_add", "contact_edit", "contact_remove"]
