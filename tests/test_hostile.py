"""The findings of a hostile test of a production server (issue 20), each as the attack it was."""
import re

import pytest
import sqlalchemy as sa

from centre import create_app
from centre.extensions import db
from centre.models import OutboxMail, Role
from tests.conftest import csrf_token

PUBLIC = "https://centre.example.ma"


@pytest.fixture
def production(monkeypatch, database_url, tmp_path):
    """A production-mode app whose public address is PUBLIC; jobs (mail) run inline."""
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.delenv("CENTRE_TRUSTED_HOSTS", raising=False)
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url, QUEUE_IMMEDIATE=True,
                     MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# 1. Links poisoned by the Host header.

def test_production_refuses_to_start_without_its_public_address(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("CENTRE_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="CENTRE_PUBLIC_BASE_URL"):
        create_app("production")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "centre.example.ma")  # no scheme: not an address
    with pytest.raises(RuntimeError, match="CENTRE_PUBLIC_BASE_URL"):
        create_app("production")


def test_a_foreign_host_header_is_refused_and_mailed_links_use_the_public_address(production, create_user):
    with production.app_context():
        email = create_user(Role.ADMIN).email
        db.session.commit()
    client = production.test_client()
    # The attack: ask for the admin's reset link under the attacker's host name.
    response = client.get("/password/forgot", base_url="https://evil.example")
    assert response.status_code == 400
    response = client.post("/password/forgot", data={"email": email}, base_url="https://evil.example")
    assert response.status_code == 400
    response = client.get("/password/forgot", base_url="https://centre.example.ma:443",
                          headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200  # the proxy's header is not believed (no trusted proxy)
    with production.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
    # The centre's own host works, and the link in the mail is on the public address.
    token = csrf_token(client, "https://centre.example.ma/password/forgot")
    response = client.post("/password/forgot", data={"csrf_token": token, "email": email},
                           base_url=PUBLIC, headers={"Referer": f"{PUBLIC}/password/forgot"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with production.app_context():
        body = db.session.scalar(sa.select(OutboxMail.body).where(OutboxMail.recipient == email))
    assert re.search(r"https://centre\.example\.ma/password/reset/\S+", body), body


def test_more_host_names_are_accepted_when_listed(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("CENTRE_TRUSTED_HOSTS", "localhost, 10.0.0.5")
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url)
    client = app.test_client()
    assert client.get("/healthz", base_url="http://localhost").status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code == 200
    assert client.get("/healthz", base_url=PUBLIC).status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.6").status_code == 400
    with app.app_context():
        db.engine.dispose()
