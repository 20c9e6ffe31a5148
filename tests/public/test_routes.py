from centre.extensions import db
from centre.models import SessionStatus
from tests.conftest import post


def test_catalogue_shows_only_open_sessions(app, client, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-OPEN", title_fr="Techniques de médiation")
        create_session(SessionStatus.APPROVED, code="2026-SOON", title_fr="Pas encore ouverte")
        db.session.commit()
    html = client.get("/catalogue").get_data(as_text=True)
    assert "Techniques de médiation" in html and "Pas encore ouverte" not in html
    assert client.get("/catalogue/2026-SOON").status_code == 404


def test_empty_catalogue_says_so(client):
    client.set_cookie("centre_lang", "en")
    assert "No session is open for registration yet." in client.get("/catalogue").get_data(as_text=True)


def test_registration_form_keeps_what_was_typed_and_explains_errors(app, client, create_session):
    with app.app_context():
        create_session(SessionStatus.OPEN, code="2026-REG")
        db.session.commit()
    client.set_cookie("centre_lang", "en")
    response = post(client, "/catalogue/2026-REG/register", {
        "given_name": "Fatou", "family_name": "", "email": "not-an-address", "gender": "female",
        "nationality": "SN", "institution_id": "0", "position": "Juriste",
        "password": "short", "password_again": "short",
    }, form_url="/catalogue/2026-REG/register")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Fatou"' in html
    assert "Invalid email address." in html
    assert "Your consent is needed to register." in html
    assert "Name your institution, or choose it from the list." in html


def test_unknown_verification_code_reveals_nothing(client):
    client.set_cookie("centre_lang", "en")
    response = client.get("/verify/AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert response.status_code == 404
    assert "No certificate has this verification code." in response.get_data(as_text=True)


def test_verify_form_sends_to_the_code_page(client):
    response = client.get("/verify?code=abcd efgh")
    assert response.status_code == 302 and response.headers["Location"] == "/verify/ABCD-EFGH"
