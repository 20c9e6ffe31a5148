"""The application factory, its configuration and its error pages."""
import pytest

from centre import create_app


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://centre.example.ma")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_secret_key_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://centre.example.ma")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.debug


def test_database_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")


def test_unknown_page_is_a_translated_404(client):
    client.set_cookie("centre_lang", "ar")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'dir="rtl"' in html and "Page not found" not in html


def test_every_endpoint_must_declare_who_may_use_it(app):
    from flask import Blueprint

    from centre.permissions import check_every_endpoint_declared

    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/undeclared", "undeclared", lambda: "hi")
    app.register_blueprint(extra)
    with pytest.raises(RuntimeError, match="extra.undeclared"):
        check_every_endpoint_declared(app)
