"""Imported trainees can sign in: the import opens their account, the acceptance mail says how."""
import re

import sqlalchemy as sa

from centre.auth.services import accept_invitation, authenticate, send_sign_in_link
from centre.extensions import db
from centre.models import RegistrationStatus, Role, SessionStatus, Trainee
from centre.models.types import utcnow
from centre.registrations import imports
from centre.registrations.services import decide, notify_decision

HEADER = "given_name,family_name,arabic_name,gender,nationality,email,institution,position,passport_number\n"


def test_import_opens_accounts_and_the_acceptance_mail_gives_a_password_link(ctx, create_session, create_user):
    coordinator = create_user(Role.COORDINATOR)
    create_user(Role.EXPERT, email="expert.too@example.sn")
    training_session = create_session(SessionStatus.OPEN)
    table = imports.read_table("list.csv", (HEADER + "Awa,Ndiaye,,female,SN,awa@example.sn,,Juriste,\n"
                                            + "Ali,Sow,,male,SN,expert.too@example.sn,,Juriste,\n").encode())
    report = imports.import_trainees(training_session, table, coordinator)
    assert report.written and report.accounts == 1
    awa = db.session.scalar(sa.select(Trainee).where(Trainee.email == "awa@example.sn"))
    assert (awa.user.role, awa.user.password_hash, awa.user.full_name) == (Role.TRAINEE, None, "Awa Ndiaye")
    assert db.session.scalar(sa.select(Trainee).where(Trainee.email == "expert.too@example.sn")).user is None
    assert send_sign_in_link("awa@example.sn", "fr")  # the sign-in link page now reaches her
    registration = next(r for r in training_session_registrations(training_session) if r.trainee == awa)
    decide(registration, RegistrationStatus.ACCEPTED, coordinator)
    mail = notify_decision(registration)
    link = re.search(r"https?://\S+/account/invitation/\S+", mail.body)[0]
    assert "/login/link" in mail.body
    accept_invitation(link.rsplit("/", 1)[1], "dakar-2026-awa")
    assert authenticate("awa@example.sn", "dakar-2026-awa", ip="", now=utcnow()) == awa.user
    # Once she has a password, the next acceptance mail just says where to sign in.
    assert "/account/invitation/" not in notify_decision(registration).body


def training_session_registrations(training_session):
    from centre.models import Registration

    return db.session.scalars(sa.select(Registration).where(Registration.session_id == training_session.id)).all()
