"""Configuration from environment variables, with embedded defaults for development."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CENTRE_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'centre.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Languages: French is the default; Arabic is written right to left.
    LANGUAGES = ("fr", "ar", "en")
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("CENTRE_TIMEZONE", "Africa/Casablanca")
    LANGUAGE_COOKIE = "centre_lang"

    # The host country decides who is a "national" expert.
    HOST_COUNTRY = os.environ.get("CENTRE_HOST_COUNTRY", "MA")
    CERTIFICATE_PREFIX = os.environ.get("CENTRE_CERTIFICATE_PREFIX", "CIFEM")
    # Names printed on documents, in each document language (data, not interface text).
    INSTITUTION_NAMES = {
        "fr": "Institution du Médiateur du Royaume",
        "ar": "مؤسسة وسيط المملكة",
        "en": "Ombudsman Institution of the Kingdom",
    }
    CENTRE_NAMES = {
        "fr": "Centre international de formation et d'échange en médiation",
        "ar": "المركز الدولي للتكوين والتبادل في مجال الوساطة",
        "en": "International Centre for Training and Exchange in Mediation",
    }
    CERTIFICATE_PLACES = {"fr": "Rabat", "ar": "الرباط", "en": "Rabat"}
    # Public address printed in the certificate's QR code; empty means "this request's host".
    PUBLIC_BASE_URL = os.environ.get("CENTRE_PUBLIC_BASE_URL", "")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "centre@localhost")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE_DIR / "mail"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    PASSWORD_HASH_METHOD = "scrypt"


class DevelopmentConfig(Config):
    DEBUG = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # A lower cost keeps password hashing from dominating the test run.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self):
        if os.environ.get("SECRET_KEY", "") in ("", Config.SECRET_KEY):
            raise RuntimeError("SECRET_KEY must be set to a real secret in production.")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
