from datetime import timedelta

import pytest
import sqlalchemy as sa

from centre import audit
from centre.errors import DomainError
from centre.experts import services
from centre.experts.services import (
    InvitationError,
    accept_invitation,
    invitation_token,
    invite_expert,
    list_experts,
    read_invitation,
    update_expert,
)
from centre.extensions import db
from centre.models import Role, User
from centre.models.types import utcnow

FIELDS = {"given_name": " Claire ", "family_name": "Dumont", "full_name_ar": "كلير دومون",
          "email": " Claire.Dumont@Example.org ", "nationality": "FR", "speciality": "Accès aux droits",
          "institution_id": 0}


def test_expert_is_created_with_a_lower_cased_email_and_audited(ctx):
    expert = services.create_expert(**FIELDS)
    assert (expert.given_name, expert.email, expert.institution_id) == ("Claire", "claire.dumont@example.org", None)
    assert not expert.is_national and expert.account_state == "none"
    assert audit.history(expert)[0].action == "create"


@pytest.mark.parametrize("change, message", [
    ({"family_name": " "}, "Give the given name and the family name in Latin script."),
    ({"nationality": "ZZ"}, "Choose the nationality from the list."),
    ({"institution_id": 999}, "Choose the institution from the list."),
])
def test_expert_record_is_checked(ctx, change, message):
    with pytest.raises(DomainError) as refused:
        services.create_expert(**{**FIELDS, **change})
    assert str(refused.value) == message


def test_two_experts_cannot_share_an_email(ctx, create_expert):
    create_expert(email="claire.dumont@example.org")
    with pytest.raises(DomainError, match="already has the e-mail address claire.dumont@example.org"):
        services.create_expert(**FIELDS)  # the service, not the factory


def test_edit_records_what_changed(ctx, create_expert, create_institution):
    expert = create_expert(email="x@example.org")
    institution = create_institution()
    update_expert(expert, **{**FIELDS, "email": "x@example.org", "institution_id": institution.id})
    assert expert.institution == institution and expert.nationality == "FR"
    assert audit.history(expert)[-1].details["changed"] == (
        "given_name,family_name,full_name_ar,nationality,speciality,institution_id")


def test_directory_filters_national_foreign_speciality_and_institution(ctx, create_expert, create_institution):
    partner = create_institution()
    national = create_expert(national=True, speciality="Médiation")
    foreign = create_expert(national=False, speciality="Enquête", institution=partner)
    assert list_experts(origin="national") == [national]
    assert list_experts(origin="foreign") == [foreign]
    assert list_experts(speciality="Enquête") == [foreign]
    assert list_experts(institution_id=partner.id) == [foreign]
    assert set(list_experts()) == {national, foreign}
    assert services.specialities() == ["Enquête", "Médiation"]


# Invitations


def test_invitation_creates_the_account_without_password_and_links_it(ctx, create_expert):
    expert = create_expert(email="claire@example.org")
    user = invite_expert(expert, language="ar")
    assert (user.email, user.role, user.password_hash, user.locale) == ("claire@example.org", Role.EXPERT, None, "ar")
    assert expert.user == user and expert.account_state == "invited"
    assert audit.history(expert)[-1].action == "invite"


def test_inviting_again_resends_to_the_same_account(ctx, create_expert):
    expert = create_expert(email="claire@example.org")
    first = invite_expert(expert)
    again = invite_expert(expert, language="en")
    assert again.id == first.id and again.locale == "en"
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.EXPERT)) == 1
    assert [e.action for e in audit.history(expert)][-2:] == ["invite", "invite_again"]


def test_invitation_needs_an_email_and_a_free_login(ctx, create_expert, create_user):
    with pytest.raises(DomainError, match="e-mail address before inviting"):
        invite_expert(create_expert())
    create_user(Role.TRAINEE, email="taken@example.org")
    with pytest.raises(DomainError, match="An account already exists for taken@example.org."):
        invite_expert(create_expert(email="taken@example.org"))
    with pytest.raises(DomainError, match="language"):
        invite_expert(create_expert(email="ok@example.org"), language="de")


def test_no_invitation_once_the_account_is_open(ctx, create_expert):
    expert = create_expert(email="claire@example.org")
    accept_invitation(invitation_token(invite_expert(expert)), "a long password")
    with pytest.raises(DomainError, match="already has an account"):
        invite_expert(expert)


def test_link_sets_the_password_once(ctx, create_expert):
    expert = create_expert(email="claire@example.org")
    token = invitation_token(invite_expert(expert))
    assert read_invitation(token) == expert
    accept_invitation(token, "a long password")
    assert expert.user.check_password("a long password") and expert.account_state == "active"
    assert audit.history(expert)[-1].action == "account_opened"
    with pytest.raises(InvitationError) as reused:
        accept_invitation(token, "another password")
    assert reused.value.status == 410 and "already been used" in str(reused.value)
    assert expert.user.check_password("a long password")


def test_link_expires_after_seven_days(ctx, create_expert):
    token = invitation_token(invite_expert(create_expert(email="claire@example.org")))
    read_invitation(token, now=utcnow() + timedelta(days=6, hours=23))
    with pytest.raises(InvitationError) as expired:
        read_invitation(token, now=utcnow() + timedelta(days=7, minutes=1))
    assert expired.value.status == 410 and "expired" in str(expired.value)
    with pytest.raises(InvitationError):
        read_invitation(token, max_age=timedelta(seconds=-1))


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
    lambda token: "not-a-token",
    lambda token: "",
])
def test_wrong_link_is_refused(ctx, create_expert, tamper):
    token = invitation_token(invite_expert(create_expert(email="claire@example.org")))
    with pytest.raises(InvitationError) as wrong:
        read_invitation(tamper(token))
    assert wrong.value.status == 404 and "not valid" in str(wrong.value)


def test_link_signed_with_another_key_or_purpose_is_refused(app, ctx, create_expert):
    from itsdangerous import URLSafeTimedSerializer

    from centre.auth.services import INVITATION_SALT as ACCOUNT_INVITATION_SALT, invitation_state

    user = invite_expert(create_expert(email="claire@example.org"))
    payload = {"user": user.id, "state": invitation_state(user)}
    for key, salt in (("another key", services.INVITATION_SALT), (app.config["SECRET_KEY"], "other purpose"),
                      (app.config["SECRET_KEY"], ACCOUNT_INVITATION_SALT)):  # an account's link is not an expert's
        with pytest.raises(InvitationError):
            read_invitation(URLSafeTimedSerializer(key, salt=salt).dumps(payload))


def test_a_newer_invitation_to_a_changed_address_retires_the_old_link(ctx, create_expert):
    expert = create_expert(email="old@example.org")
    old = invitation_token(invite_expert(expert))
    update_expert(expert, given_name=expert.given_name, family_name=expert.family_name,
                  nationality=expert.nationality, email="new@example.org")
    new = invitation_token(invite_expert(expert))
    assert expert.user.email == "new@example.org"
    with pytest.raises(InvitationError):
        read_invitation(old)
    assert read_invitation(new) == expert


def test_short_password_is_refused_and_the_link_still_works(ctx, create_expert):
    expert = create_expert(email="claire@example.org")
    token = invitation_token(invite_expert(expert))
    with pytest.raises(DomainError, match="at least 8 characters"):
        accept_invitation(token, "short")
    assert read_invitation(token) == expert
