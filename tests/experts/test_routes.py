import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from centre.experts import services
from centre.experts.services import invitation_token, invite_expert
from centre.extensions import db
from centre.models import Expert, MailStatus, OutboxMail, Role, User
from centre.models.types import utcnow
from tests.conftest import post

LINK = re.compile(r"https?://\S+/experts/invitation/\S+")
EXPERT = {"given_name": "Mamadou", "family_name": "Ndiaye", "full_name_ar": "مامادو انجاي",
          "email": "m.ndiaye@example.org", "nationality": "SN", "speciality": "Médiation", "institution_id": "0"}


def test_coordinator_adds_and_edits_an_expert(app, client, login_as, create_institution):
    with app.app_context():
        institution_id = create_institution().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    form = client.get("/experts/new").get_data(as_text=True)
    assert "Given name (Latin script)" in form and "Full name in Arabic script" in form
    response = post(client, "/experts/new", EXPERT, form_url="/experts/new")
    assert response.status_code == 302
    with app.app_context():
        expert_id = db.session.scalar(sa.select(Expert.id))
    url = f"/experts/{expert_id}/edit"
    assert 'value="Ndiaye"' in client.get(url).get_data(as_text=True)
    response = post(client, url, {**EXPERT, "institution_id": str(institution_id)}, form_url=url)
    assert response.status_code == 302
    page = client.get(f"/experts/{expert_id}").get_data(as_text=True)
    assert "Senegal" in page and "Foreign" in page and "Ombudsman of Senegal" in page


def test_expert_form_explains_what_is_wrong(app, client, login_as, create_expert):
    with app.app_context():
        create_expert(email="m.ndiaye@example.org")
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, "/experts/new", {**EXPERT, "email": "not-an-address"}, form_url="/experts/new")
    assert response.status_code == 400 and "Invalid email address." in response.get_data(as_text=True)
    response = post(client, "/experts/new", EXPERT, form_url="/experts/new")
    assert response.status_code == 400
    assert "Another expert already has the e-mail address m.ndiaye@example.org." in response.get_data(as_text=True)


def test_directory_shows_nationality_in_the_pages_language_and_national_or_foreign(app, client, login_as, create_expert):
    with app.app_context():
        create_expert(national=True, family_name="Benjelloun")
        create_expert(national=False, family_name="Dumont")
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "ar")
    html = client.get("/experts/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "المغرب" in html and "فرنسا" in html  # Morocco, France
    assert "وطني" in html and "أجنبي" in html  # national, foreign (catalogued already)
    client.set_cookie("centre_lang", "en")
    html = client.get("/experts/?origin=foreign").get_data(as_text=True)
    assert "Dumont" in html and "Benjelloun" not in html
    assert client.get("/experts/?origin=martian").status_code == 400


def _invite(client, expert_id, language=None):
    page = f"/experts/{expert_id}"
    return post(client, f"{page}/invite", {"language": language} if language else {}, form_url=page)


def test_invitation_email_arrives_and_its_link_opens_the_account(app, client, login_as, create_expert, smtp_server):
    with app.app_context():
        expert_id = create_expert(national=False, given_name="Claire", family_name="Dumont",
                                  email="claire@example.org").id
        db.session.commit()
    login_as("coordinator")
    response = _invite(client, expert_id)
    assert response.status_code == 302
    message, = smtp_server.to("claire@example.org")
    assert message["Content-Language"] == "fr"  # French unless the coordinator chooses
    link = LINK.search(message.get_content())[0]
    path = urlsplit(link).path

    visitor = app.test_client()
    visitor.set_cookie("centre_lang", "en")
    page = visitor.get(path)
    assert page.status_code == 200 and "claire@example.org" in page.get_data(as_text=True)
    response = post(visitor, path, {"password": "short", "password_again": "short"}, form_url=path)
    assert response.status_code == 400
    response = post(visitor, path, {"password": "a long password", "password_again": "a long password"},
                    form_url=path)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert visitor.get("/dashboard").headers["Location"] == "/reviews/mine"  # signed in, as an expert
    with app.app_context():
        expert = db.session.get(Expert, expert_id)
        assert expert.user.role == Role.EXPERT and expert.user.check_password("a long password")

    again = app.test_client()
    again.set_cookie("centre_lang", "en")
    reused = again.get(path)
    assert reused.status_code == 410
    assert "This invitation link has already been used" in reused.get_data(as_text=True)
    assert post(again, path, {"password": "x" * 10, "password_again": "x" * 10}, form_url="/login").status_code == 410


def test_invitation_in_the_language_chosen_on_the_form(app, client, login_as, create_expert, smtp_server):
    with app.app_context():
        expert_id = create_expert(full_name_ar="مامادو انجاي", email="mamadou@example.org").id
        db.session.commit()
    login_as("coordinator")
    assert _invite(client, expert_id, "ar").status_code == 302
    message, = smtp_server.to("mamadou@example.org")
    assert message["Content-Language"] == "ar" and "مامادو انجاي" in message.get_content()


def test_inviting_again_sends_a_new_email_and_refuses_without_address(app, client, login_as, create_expert, smtp_server):
    with app.app_context():
        invited = create_expert(email="claire@example.org").id
        silent = create_expert().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    _invite(client, invited)
    assert "Send the invitation again" in client.get(f"/experts/{invited}").get_data(as_text=True)
    _invite(client, invited)
    assert len(smtp_server.to("claire@example.org")) == 2
    response = _invite(client, silent)
    assert response.status_code == 409
    assert "Give the expert&#39;s e-mail address before inviting them." in response.get_data(as_text=True)
    assert _invite(client, invited, "de").status_code == 400


def test_unreachable_mail_server_leaves_the_invitation_done_and_its_mail_failed_for_a_resend(
        app, client, login_as, create_expert):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        expert_id = create_expert(email="claire@example.org").id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = _invite(client, expert_id)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Expert, expert_id).user_id is not None
        mail, = db.session.scalars(sa.select(OutboxMail))  # tests run jobs inline: every retry failed
        assert (mail.recipient, mail.status) == ("claire@example.org", MailStatus.FAILED)


def test_expired_link_says_so(app, client, create_expert, monkeypatch):
    with app.app_context():
        token = invitation_token(invite_expert(create_expert(email="claire@example.org")))
        db.session.commit()
    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    client.set_cookie("centre_lang", "en")
    response = client.get(f"/experts/invitation/{token}")
    assert response.status_code == 410
    assert "This invitation link has expired." in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1c2VyIjoxfQ.aaaa.bbbb", "x" * 300])
def test_wrong_link_is_a_clear_404(client, token):
    client.set_cookie("centre_lang", "en")
    response = client.get(f"/experts/invitation/{token}")
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.get_data(as_text=True)


def test_link_of_a_removed_account_is_refused(app, client, create_expert):
    with app.app_context():
        expert = create_expert(email="claire@example.org")
        user = invite_expert(expert)
        token = invitation_token(user)
        user.is_active = False
        db.session.commit()
    assert client.get(f"/experts/invitation/{token}").status_code == 404


@pytest.fixture
def populate_experts(app, create_expert, create_institution, create_user):
    def populate(n):
        with app.app_context():
            for k in range(n):
                institution = create_institution(country="TN", name_fr=f"Partenaire {n}-{k}")
                expert = create_expert(national=bool(k % 2), institution=institution, speciality=f"S{n}-{k}")
                expert.user = create_user(Role.EXPERT)
            db.session.commit()
            return expert.id

    return populate


@pytest.mark.parametrize("page", ["/experts/", "/experts/{id}", "/experts/{id}/edit"])
def test_expert_pages_queries_do_not_grow_with_rows(client, login_as, populate_experts, count_queries, page):
    login_as("coordinator")
    small = populate_experts(2)
    few = count_queries(lambda: client.get(page.format(id=small)))
    large = populate_experts(6)
    many = count_queries(lambda: client.get(page.format(id=large)))
    assert many == few, f"{page}: {few} queries with 2 rows, {many} with 6"


def test_new_account_has_no_password_until_the_link_is_followed(app, client, login_as, create_expert):
    with app.app_context():
        expert_id = create_expert(email="claire@example.org").id
        db.session.commit()
    login_as("coordinator")
    _invite(client, expert_id)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "claire@example.org"))
        assert user.password_hash is None and user.role == Role.EXPERT
    response = post(app.test_client(), "/login", {"email": "claire@example.org", "password": "anything"},
                    form_url="/login")
    assert response.status_code == 400
