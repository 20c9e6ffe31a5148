import sqlalchemy as sa

from centre.extensions import db
from centre.models import Role, User
from tests.conftest import PASSWORD, post


def test_wrong_password_is_refused_with_a_message(client, app, create_user):
    with app.app_context():
        email = create_user(Role.COORDINATOR).email
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    response = post(client, "/login", {"email": email, "password": "wrong"}, form_url="/login")
    assert response.status_code == 400
    assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_login_message_follows_the_page_language(client):
    client.set_cookie("centre_lang", "fr")
    response = post(client, "/login", {"email": "nobody@example.org", "password": "x"}, form_url="/login")
    assert response.status_code == 400
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)


def test_login_goes_back_to_the_page_asked_for_but_never_elsewhere(app, create_user):
    with app.app_context():
        email = create_user(Role.COORDINATOR).email
        db.session.commit()
    for target, expected in (("/sessions/", "/sessions/"), ("https://evil.example/", "/dashboard"),
                             ("//evil.example/x", "/dashboard"), ("/\t/evil.example", "/dashboard"),
                             ("/\r\nSet-Cookie: x=1", "/dashboard")):
        client = app.test_client()
        response = post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login",
                        query_string={"next": target})
        assert response.headers["Location"] == expected


def test_staff_page_sends_anonymous_to_login(client):
    response = client.get("/sessions/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_signs_out(client, login_as):
    login_as("coordinator")
    assert client.get("/sessions/").status_code == 200
    post(client, "/logout")
    assert client.get("/sessions/").status_code == 302


def test_post_without_csrf_token_is_refused(client, login_as):
    login_as("coordinator")
    response = client.post("/sessions/new", data={"code": "X"})
    assert response.status_code == 400


def test_passwords_are_stored_hashed(app, create_user):
    with app.app_context():
        user = create_user(Role.ADMIN, password="s3cret-enough")
        assert "s3cret-enough" not in user.password_hash
        assert user.check_password("s3cret-enough") and not user.check_password("other")


def test_create_user_command(app, runner):
    result = runner.invoke(args=["create-user", "Admin@Centre.ma", "--role", "admin", "--password", "long-password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "admin@centre.ma"))
        assert user.role == Role.ADMIN and user.check_password("long-password")


def test_create_user_command_asks_for_the_password(app, runner):
    result = runner.invoke(args=["create-user", "c@centre.ma", "--role", "coordinator"],
                           input="long-password\nlong-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "c@centre.ma")).check_password("long-password")


def test_create_user_command_refuses_a_duplicate(runner):
    runner.invoke(args=["create-user", "x@centre.ma", "--role", "expert", "--password", "long-password"])
    result = runner.invoke(args=["create-user", "X@centre.ma", "--role", "expert", "--password", "long-password"])
    assert result.exit_code != 0 and "already exists" in result.output  # commands speak English


def test_repeated_failures_lock_sign_in_with_a_429_saying_when_to_try_again(client, app, create_user):
    with app.app_context():
        email = create_user(Role.COORDINATOR).email
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    statuses = [post(client, "/login", {"email": email, "password": "wrong"}, form_url="/login").status_code
                for _ in range(4)]
    assert statuses == [400] * 4
    response = post(client, "/login", {"email": email, "password": "wrong"}, form_url="/login")
    assert response.status_code == 429
    assert 840 <= int(response.headers["Retry-After"]) <= 900
    html = response.get_data(as_text=True)
    assert "Too many failed sign-in attempts. Please try again in 15 minutes, at" in html
    # Even the right password is refused while locked, with the same answer.
    response = post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
    assert response.status_code == 429
    assert client.get("/sessions/").status_code == 302
