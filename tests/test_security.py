"""Security headers and cookie flags on every answer, and input refused before it reaches the database."""
import pytest

from centre import create_app
from tests.conftest import PASSWORD, csrf_token, post
from tests.test_access import world  # noqa: F401  (the fixture: an account per role, a certificate)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_secured(response, url):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (url, name)
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'",
                      "frame-ancestors 'none'", "base-uri 'self'"):
        assert directive in csp, (url, directive)
    assert "unsafe-inline" not in csp
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), url
    assert "Strict-Transport-Security" not in response.headers, url  # not outside production


@pytest.mark.parametrize("role", ["anonymous", "coordinator", "trainee"])
def test_every_page_carries_the_security_headers(app, world, role):  # noqa: F811
    client = app.test_client()
    if role != "anonymous":
        post(client, "/login", {"email": world["accounts"][role], "password": PASSWORD}, form_url="/login")
    urls = ["/no/such/page", "/healthz"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {arg: world["codes"].get(rule.endpoint) if arg == "code" else world["values"][arg]
                  for arg in rule.arguments}
        urls.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    for url in urls:
        response = client.get(url)
        assert_secured(response, url)
        response.close()
    response = post(client, "/language/en", {"next": "/catalogue"})
    assert response.status_code == 302
    assert_secured(response, "/language/en")


def test_production_sends_hsts_and_marks_every_cookie_secure(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://localhost")
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url)
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session_cookie = response.headers["Set-Cookie"]
    assert all(flag in session_cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax")), session_cookie
    token = csrf_token(client, "https://localhost/login")
    response = client.post("/language/ar", data={"csrf_token": token, "next": "/"},
                           headers={"Referer": "https://localhost/login"}, base_url="https://localhost")
    assert response.status_code == 302, response.get_data(as_text=True)
    language_cookie = response.headers["Set-Cookie"]
    assert language_cookie.startswith("centre_lang=ar")
    assert all(flag in language_cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax")), language_cookie
    # Behind a proxy that terminates HTTPS the app sees plain HTTP: the cookie is Secure all the same.
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/language/en", data={"next": "/"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_language_cookie_is_httponly_and_lax_in_development(client):
    response = post(client, "/language/ar", {"next": "/"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_a_nul_character_is_refused_with_a_message(client):
    client.set_cookie("centre_lang", "en")
    response = post(client, "/login", {"email": "a\x00@example.org", "password": "x"}, form_url="/login")
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
    assert client.get("/catalogue/2026%00").status_code == 400
    assert client.get("/verify?code=AB%00CD").status_code == 400


def test_an_id_too_large_for_the_database_is_not_found(client, login_as):
    login_as("coordinator")
    assert client.get("/sessions/99999999999999999999").status_code == 404
    assert client.get("/sessions/2147483648").status_code == 404


def test_a_body_larger_than_any_form_needs_is_refused(client):
    response = client.post("/login", data={"email": "a" * (3 * 1024 * 1024)})
    assert response.status_code == 413
