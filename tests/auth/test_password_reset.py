"""Password reset by an expiring, single-use link sent by e-mail, for every kind of account."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from centre.auth.services import password_reset_token, reset_password, user_from_reset_token
from centre.errors import DomainError
from centre.extensions import db
from centre.models import AuditEntry, Role, User
from centre.models.types import utcnow
from tests.conftest import post

LINK = re.compile(r"https?://\S+/password/reset/\S+")


def test_reset_link_arrives_and_sets_a_new_password(app, client, create_user, smtp_server):
    with app.app_context():
        user = create_user(Role.COORDINATOR)
        user.locale = "ar"
        email, user_id = user.email, user.id
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    response = post(client, "/password/forgot", {"email": email.upper()}, form_url="/password/forgot")
    assert response.status_code == 302
    message, = smtp_server.to(email)
    assert message["Content-Language"] == "ar"  # the account's language, not the page's
    path = urlsplit(LINK.search(message.get_content())[0]).path
    assert client.get(path).status_code == 200
    assert post(client, path, {"password": "short", "password_again": "short"}, form_url=path).status_code == 400
    response = post(client, path, {"password": "a brand new password", "password_again": "a brand new password"},
                    form_url=path)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).check_password("a brand new password")
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "password_reset"))
    # Used once: the same link no longer works.
    assert client.get(path).status_code == 410


def test_unknown_address_gets_the_same_answer_and_no_mail(client, smtp_server):
    client.set_cookie("centre_lang", "en")
    response = post(client, "/password/forgot", {"email": "nobody@example.org"}, form_url="/password/forgot")
    assert response.status_code == 302 and smtp_server.messages == []


def test_reset_link_expires_after_an_hour(ctx, create_user):
    user = create_user(Role.EXPERT)
    token = password_reset_token(user)
    assert user_from_reset_token(token) == user
    with pytest.raises(DomainError, match="expired"):
        user_from_reset_token(token, now=utcnow() + timedelta(hours=1, minutes=1))


def test_forged_or_garbled_link_is_refused(ctx, create_user):
    create_user(Role.ADMIN)
    for token in ("", "abc", "eyJ1c2VyIjoxfQ.bad.signature"):
        with pytest.raises(DomainError, match="not valid"):
            reset_password(token, "long enough password")


def test_garbled_link_page_is_a_410_not_a_500(client):
    assert client.get("/password/reset/not-a-token").status_code == 410
