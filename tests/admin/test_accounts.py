"""Accounts from the web: invitation in the person's language, disabling ends sign-ins, roles,
and the centre never left without an active administrator."""
import re

import pytest
import sqlalchemy as sa

from centre.admin import services
from centre.auth.services import accept_invitation, authenticate, user_from_invitation
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, OutboxMail, Role, User
from centre.models.types import utcnow
from tests.conftest import PASSWORD, post


def _link(body: str) -> str:
    return re.search(r"https?://\S+/account/invitation/\S+", body)[0]


def _actions(user):
    return db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity == "user", AuditEntry.entity_id == user.id).order_by(AuditEntry.id)).all()


def test_new_account_is_invited_in_its_language_and_the_link_works_once(ctx, create_user):
    admin = create_user(Role.ADMIN)
    user = services.create_account(" Nadia.Alaoui@Centre.example ", "Nadia Alaoui", Role.COORDINATOR, "ar", admin)
    assert (user.email, user.password_hash, user.locale, user.role) == (
        "nadia.alaoui@centre.example", None, "ar", Role.COORDINATOR)
    mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.recipient == user.email))
    assert mail.template == "account_invitation" and mail.language == "ar"
    assert "حسابك" in mail.subject and "nadia.alaoui@centre.example" in mail.body
    token = _link(mail.body).rsplit("/", 1)[1]
    assert user_from_invitation(token) == user
    with pytest.raises(DomainError):
        services.create_account("nadia.alaoui@centre.example", "Nadia", Role.ADMIN, "fr", admin)
    with pytest.raises(DomainError, match="experts' directory"):
        services.create_account("someone@centre.example", "Someone", Role.EXPERT, "fr", admin)
    accept_invitation(token, "a long password")
    assert authenticate(user.email, "a long password", ip="203.0.113.9", now=utcnow()) == user
    with pytest.raises(DomainError, match="not valid"):
        accept_invitation(token, "another password")  # used up
    assert _actions(user) == ["create", "invite", "account_opened"]


def test_inviting_again_retires_the_link_sent_before(ctx, create_user):
    admin = create_user(Role.ADMIN)
    user = services.create_account("omar@centre.example", "Omar", Role.ADMIN, "fr", admin)
    first = _link(db.session.scalars(sa.select(OutboxMail.body)).one()).rsplit("/", 1)[1]
    services.invite_again(user, admin, "en")
    mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
    assert mails[-1].language == "en" and user.locale == "en"
    with pytest.raises(DomainError):
        user_from_invitation(first)
    assert user_from_invitation(_link(mails[-1].body).rsplit("/", 1)[1]) == user


def test_last_active_admin_cannot_disable_or_demote_themselves(ctx, create_user):
    admin = create_user(Role.ADMIN)
    create_user(Role.COORDINATOR)
    with pytest.raises(DomainError, match="last active administrator"):
        services.disable_account(admin, admin)
    with pytest.raises(DomainError, match="last active administrator"):
        services.change_role(admin, Role.COORDINATOR, admin)
    other = create_user(Role.ADMIN)
    services.disable_account(other, admin)  # a disabled admin does not count
    with pytest.raises(DomainError, match="last active administrator"):
        services.change_role(admin, Role.COORDINATOR, admin)
    services.enable_account(other, admin)
    services.change_role(admin, Role.COORDINATOR, other)  # another admin is left: allowed
    assert admin.role == Role.COORDINATOR
    with pytest.raises(DomainError, match="last active administrator"):
        services.disable_account(other, other)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role")).one()
    assert (entry.from_state, entry.to_state, entry.actor_id) == ("admin", "coordinator", other.id)


def test_experts_and_trainees_keep_their_role(ctx, create_user):
    admin = create_user(Role.ADMIN)
    expert = create_user(Role.EXPERT)
    with pytest.raises(DomainError, match="keeps its role"):
        services.change_role(expert, Role.ADMIN, admin)
    services.disable_account(expert, admin)  # but may be disabled
    assert not expert.is_active


def test_disabled_account_is_signed_out_everywhere_and_cannot_sign_in(app, client, login_as, create_user):
    coordinator_id = login_as("coordinator")
    assert client.get("/sessions/").status_code == 200
    admin = app.test_client()
    with app.app_context():
        create_user(Role.ADMIN, email="chief@centre.example")
        db.session.commit()
    assert post(admin, "/login", {"email": "chief@centre.example", "password": PASSWORD},
                form_url="/login").status_code == 302
    response = post(admin, f"/admin/users/{coordinator_id}/disable", form_url="/admin/users/")
    assert response.status_code == 302
    assert "/login" in client.get("/sessions/").headers["Location"]  # the open session ended
    with app.app_context():
        email = db.session.get(User, coordinator_id).email
    stranger = app.test_client()
    stranger.set_cookie("centre_lang", "en")
    again = post(stranger, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    assert again.status_code == 400 and "Wrong e-mail or password" in again.get_data(as_text=True)
    assert post(admin, f"/admin/users/{coordinator_id}/enable", form_url="/admin/users/").status_code == 302
    assert post(app.test_client(), "/login", {"email": email, "password": PASSWORD},
                form_url="/login").status_code == 302
    # The last admin's own refusal is said on the page, with a 409.
    with app.app_context():
        chief = db.session.scalar(sa.select(User.id).where(User.email == "chief@centre.example"))
    admin.set_cookie("centre_lang", "en")
    refused = post(admin, f"/admin/users/{chief}/disable", form_url="/admin/users/")
    assert refused.status_code == 409 and "last active administrator" in refused.get_data(as_text=True)


def test_admin_creates_an_account_from_the_page_and_lists_it(app, client, login_as):
    login_as("admin")
    client.set_cookie("centre_lang", "en")
    response = post(client, "/admin/users/new", {"full_name": "Salma Idrissi", "email": "salma@centre.example",
                                                 "role": "coordinator", "language": "fr"}, form_url="/admin/users/new")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invited, no password yet" in page and "Account created" in page and "Invitation sent" in page
    listed = client.get("/admin/users/?state=invited&q=salma").get_data(as_text=True)
    assert "salma@centre.example" in listed
    assert client.get("/admin/users/?role=nothing").status_code == 400
    bad = post(client, "/admin/users/new", {"full_name": "X", "email": "not-an-address", "role": "coordinator",
                                            "language": "fr"}, form_url="/admin/users/new")
    assert bad.status_code == 400
