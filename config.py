"""Configuration from environment variables, read when the app is created, with defaults for development."""
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # Languages: French is the default; Arabic is written right to left.
    LANGUAGES = ("fr", "ar", "en")
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGE_COOKIE = "centre_lang"

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

    # The centre's practical information for trainees (joining instructions): a session's own
    # starts from the previous session at the same venue, else from these texts (data, not
    # interface text: edit them here, per language).
    PRACTICAL_DEFAULTS = {
        "address": {"fr": "Centre de formation, Institution du Médiateur du Royaume, Rabat",
                    "ar": "مركز التكوين، مؤسسة وسيط المملكة، الرباط",
                    "en": "Training centre, Ombudsman Institution of the Kingdom, Rabat"},
        "arrival": {"fr": "Accueil à l'aéroport Rabat-Salé sur demande, au plus tard 72 heures avant l'arrivée.",
                    "ar": "استقبال بمطار الرباط-سلا عند الطلب، 72 ساعة على الأقل قبل الوصول.",
                    "en": "Pick-up at Rabat-Salé airport on request, at least 72 hours before arrival."},
        "accommodation": {"fr": "Hébergement pris en charge par le centre pour les participants étrangers.",
                          "ar": "يتكفل المركز بإقامة المشاركين الأجانب.",
                          "en": "Accommodation is provided by the centre for foreign participants."},
        "timetable": {"fr": "Accueil à 8 h 30 ; matin 9 h – 12 h 30 ; après-midi 14 h – 17 h 30.",
                      "ar": "الاستقبال على الساعة \u20668:30\u2069؛ صباحا \u20669:00 – 12:30\u2069؛ "
                             "بعد الزوال \u206614:00 – 17:30\u2069.",
                      "en": "Welcome at 8:30; morning 9:00–12:30; afternoon 14:00–17:30."},
        "conduct": {"fr": "Tenue de ville correcte. Présence à chaque demi-journée, émargement obligatoire.",
                    "ar": "لباس لائق. الحضور في كل نصف يوم والتوقيع على ورقة الحضور إلزاميان.",
                    "en": "Business attire. Attendance at every half-day; signing in is required."},
        "contacts": {"fr": "Secrétariat du centre : +212 537 00 00 00 (8 h 30 – 18 h)",
                     "ar": "كتابة المركز: \u2066+212 537 00 00 00\u2069 (\u20668:30 – 18:00\u2069)",
                     "en": "Centre secretariat: +212 537 00 00 00 (8:30–18:00)"},
        "bring": {"fr": "Passeport, cette convocation, un ordinateur portable si possible.",
                  "ar": "جواز السفر، هذا الاستدعاء، وحاسوب محمول إن أمكن.",
                  "en": "Passport, this convocation, a laptop if possible."},
    }
    JOINING_REMINDER_DAYS = 7  #: the first reminder, days before a session's start, unless the session says otherwise

    # Slots are not generated on weekends nor on public holidays: the fixed-date national
    # holidays (month-day) below, and the dates in CENTRE_HOLIDAYS (ISO, comma-separated)
    # for the holidays that move every year (the religious ones follow the lunar calendar).
    FIXED_HOLIDAYS = ("01-01", "01-11", "01-14", "05-01", "07-30", "08-14", "08-20", "08-21",
                      "10-31", "11-06", "11-18")

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Cookies: never read by scripts, not sent on cross-site POSTs; Secure in production.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # A sign-in lasts at most this long, "keep me signed in" or not: the server checks the time
    # of sign-in carried in the session's id (centre.auth.services.load_user), not only the cookie's expiry.
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    # Headers on every answer (centre/security.py). The pages load only the site's own
    # stylesheet and no script; form-action and frame-ancestors keep forms and framing at home.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    )
    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    STRICT_TRANSPORT_SECURITY = None  #: production only: browsers then refuse plain HTTP
    # Sign-in: this many failures for one e-mail within the window lock it for the lock's
    # duration; this many from one address within the window throttle that address.
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    MAIL_REQUEST_WINDOW_MINUTES = 15
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  #: no form needs more; a larger body is a 413
    # Password hashes: Argon2id with OWASP's minimum (Password Storage Cheat Sheet): 19 MiB of
    # memory (in KiB), 2 passes, 1 lane. A sign-in replaces a hash made with other parameters.
    ARGON2_MEMORY_COST = 19456
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1
    # Processes rendering certificates in a bulk issue: None means one per core, 0 or 1 in-process.
    CERTIFICATE_WORKERS = None
    # The public verification page: at most this many requests per client address per window.
    VERIFY_RATE_LIMIT = 30
    VERIFY_RATE_WINDOW_SECONDS = 600
    # Bytes of activity reports kept per process for an identical download (centre/pdf.py
    # RecentPdfs; 0: render every time).
    PDF_REUSE_BYTES = 32 * 1024 * 1024
    # Background work (centre/jobs): immediate runs each job inline when it is enqueued, with no
    # worker (the tests' default); otherwise a worker process (make worker) takes it from the queue.
    QUEUE_IMMEDIATE = False
    DEV_SIGNING_KEY = False  #: whether a missing CENTRE_SIGNING_KEY means instance/'s development key

    def __init__(self):
        env = os.environ.get
        instance_dir = Path(env("CENTRE_INSTANCE_DIR", BASE_DIR / "instance"))
        self.SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust no header).
        self.TRUSTED_PROXIES = int(env("CENTRE_TRUSTED_PROXIES", "0"))
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{instance_dir / 'centre.sqlite3'}")
        self.BABEL_DEFAULT_TIMEZONE = env("CENTRE_TIMEZONE", "Africa/Casablanca")
        # The host country decides who is a "national" expert.
        self.HOST_COUNTRY = env("CENTRE_HOST_COUNTRY", "MA")
        self.HOLIDAYS = tuple(d.strip() for d in env("CENTRE_HOLIDAYS", "").split(",") if d.strip())
        self.CERTIFICATE_PREFIX = env("CENTRE_CERTIFICATE_PREFIX", "CIFEM")
        # A QR check-in this many minutes after a slot starts is marked late.
        # Pages that mail an address typed by anyone (password reset, sign-in link, a visitor's
        # registration): at most this many requests per recipient, and per client address, within
        # MAIL_REQUEST_WINDOW_MINUTES; then 429 until the oldest leaves it (0: no limit).
        self.MAIL_REQUESTS_PER_RECIPIENT = int(env("CENTRE_MAIL_REQUESTS_PER_RECIPIENT", "3"))
        self.MAIL_REQUESTS_PER_ADDRESS = int(env("CENTRE_MAIL_REQUESTS_PER_ADDRESS", "10"))
        self.CHECKIN_LATE_AFTER_MINUTES = int(env("CHECKIN_LATE_AFTER_MINUTES", "15"))
        # A trainer countersigns a half-day's signed sign-in from its start until this many hours after its end.
        self.COUNTERSIGN_HOURS = int(env("CENTRE_COUNTERSIGN_HOURS", "12"))
        # The site's public address, e.g. https://centre.example.ma: every link in a mail or a
        # document (QR codes) is built on it, never on the request's Host header. Required in
        # production; elsewhere empty means "this request's host".
        self.PUBLIC_BASE_URL = env("CENTRE_PUBLIC_BASE_URL", "").strip().rstrip("/")
        # The host names requests may carry (Flask refuses others with a 400): the public
        # address's, plus CENTRE_TRUSTED_HOSTS (comma-separated, e.g. a health check's
        # "localhost"; ".example.ma" accepts every subdomain). None (no public address): any.
        public_host = urlsplit(self.PUBLIC_BASE_URL).hostname if self.PUBLIC_BASE_URL else None
        extra_hosts = [h.strip() for h in env("CENTRE_TRUSTED_HOSTS", "").split(",") if h.strip()]
        self.TRUSTED_HOSTS = [public_host, *extra_hosts] if public_host else (extra_hosts or None)
        self.MAIL_SERVER = env("MAIL_SERVER", "")
        self.MAIL_PORT = int(env("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USERNAME = env("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD", "")
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "centre@localhost")
        self.MAIL_FOLDER = env("MAIL_FOLDER", str(instance_dir / "mail"))
        # Largest list of trainees a coordinator may upload (CSV or XLSX), in bytes.
        self.IMPORT_MAX_BYTES = int(env("IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
        # Where uploaded files' bytes are kept (centre/files.py): "database" (in their row) or
        # "folder" (FILE_FOLDER, named by their SHA-256; shared by every app server if several).
        self.FILE_STORAGE = env("CENTRE_FILE_STORAGE", "database")
        self.FILE_FOLDER = env("CENTRE_FILE_FOLDER", str(instance_dir / "files"))
        if self.FILE_STORAGE not in ("database", "folder"):
            raise ValueError(f"CENTRE_FILE_STORAGE must be 'database' or 'folder', not {self.FILE_STORAGE!r}")
        # The jobs' queue: a SQLite file in instance/ (one machine), or redis://… shared by several.
        self.QUEUE_URL = env("CENTRE_QUEUE_URL", f"sqlite:///{instance_dir / 'queue.sqlite3'}")
        self.QUEUE_IMMEDIATE = _bool("CENTRE_QUEUE_IMMEDIATE", self.QUEUE_IMMEDIATE)
        self.WORKER_THREADS = int(env("CENTRE_WORKER_THREADS", "2"))
        if env("CENTRE_CERTIFICATE_WORKERS", ""):  # processes a bulk issue renders in (see CERTIFICATE_WORKERS)
            self.CERTIFICATE_WORKERS = int(env("CENTRE_CERTIFICATE_WORKERS", ""))
        # A running job beats this often; one silent for JOB_STALE_SECONDS lost its worker and the
        # reaper queues it again, up to JOB_MAX_ATTEMPTS runs; a failed run is retried after a delay.
        self.JOB_HEARTBEAT_SECONDS = float(env("CENTRE_JOB_HEARTBEAT_SECONDS", "5"))
        self.JOB_STALE_SECONDS = float(env("CENTRE_JOB_STALE_SECONDS", "60"))
        self.JOB_MAX_ATTEMPTS = int(env("CENTRE_JOB_MAX_ATTEMPTS", "3"))
        self.JOB_RETRY_DELAY_SECONDS = float(env("CENTRE_JOB_RETRY_DELAY_SECONDS", "30"))
        # Modules that declare more job kinds than the app's own (comma-separated; the tests' kinds).
        self.JOB_MODULES = tuple(m.strip() for m in env("CENTRE_JOB_MODULES", "").split(",") if m.strip())
        # The daily schedules, at these times of day in the centre's time zone.
        self.REVIEW_REMINDERS_AT = env("CENTRE_REVIEW_REMINDERS_AT", "08:00")
        self.PRUNING_AT = env("CENTRE_PRUNING_AT", "03:30")
        self.JOINING_REMINDERS_AT = env("CENTRE_JOINING_REMINDERS_AT", "09:00")
        self.EVALUATION_AT = env("CENTRE_EVALUATION_AT", "09:00")  # questionnaires sent, reminded, closed
        # The public catalogue shows a session's satisfaction only from this many answers.
        self.EVALUATION_MIN_ANSWERS = int(env("CENTRE_EVALUATION_MIN_ANSWERS", "5"))
        # The Open Badges credentials' signing keys (centre/credentials/keys.py): PEM files, an
        # Ed25519 key for the Data Integrity proofs and an RSA key for the VC-JWTs.
        self.CREDENTIAL_ED25519_KEY = env("CENTRE_CREDENTIAL_ED25519_KEY", "")
        self.CREDENTIAL_RSA_KEY = env("CENTRE_CREDENTIAL_RSA_KEY", "")
        # The PKCS#12 file whose key signs every certificate and invitation letter (PAdES,
        # centre/signing.py), its passphrase, and an RFC 3161 timestamp server (empty: PAdES B-B,
        # no timestamp). With no key, nothing is issued. Development defaults to the throw-away key
        # `flask signing dev-key` writes into instance/ (`make run` makes it when absent).
        if self.DEV_SIGNING_KEY:
            self.SIGNING_KEY = env("CENTRE_SIGNING_KEY", str(instance_dir / "dev-signing.p12"))
            self.SIGNING_PASSPHRASE = env("CENTRE_SIGNING_PASSPHRASE", "dev-only-not-secret")
        else:
            self.SIGNING_KEY = env("CENTRE_SIGNING_KEY", "")
            self.SIGNING_PASSPHRASE = env("CENTRE_SIGNING_PASSPHRASE", "")
        # A key on a PKCS#11 token instead (a hardware key or HSM): the module's library, the token's
        # label, the label of the key and of its certificate; the PIN is CENTRE_SIGNING_PASSPHRASE.
        self.SIGNING_PKCS11_MODULE = env("CENTRE_SIGNING_PKCS11_MODULE", "")
        self.SIGNING_PKCS11_TOKEN = env("CENTRE_SIGNING_PKCS11_TOKEN", "")
        self.SIGNING_PKCS11_KEY = env("CENTRE_SIGNING_PKCS11_KEY", "")
        self.TSA_URL = env("CENTRE_TSA_URL", "")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    DEV_SIGNING_KEY = True

    def __init__(self):
        super().__init__()
        # Where `flask credentials dev-keys` writes the development keys (and `make run` looks).
        keys = Path(os.environ.get("CENTRE_INSTANCE_DIR", BASE_DIR / "instance")) / "credentials"
        self.CREDENTIAL_ED25519_KEY = self.CREDENTIAL_ED25519_KEY or str(keys / "ed25519.pem")
        self.CREDENTIAL_RSA_KEY = self.CREDENTIAL_RSA_KEY or str(keys / "rsa.pem")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    CERTIFICATE_WORKERS = 0  # tests that need worker processes ask for them
    PDF_REUSE_BYTES = 0  # a test sees WeasyPrint at work; the tests of the reuse turn it on
    # Cheap hashes: at OWASP's cost a quarter of a test run went into them. The password
    # tests (tests/auth/test_passwords.py) put the real parameters back.
    ARGON2_MEMORY_COST = 1024
    ARGON2_TIME_COST = 1
    QUEUE_IMMEDIATE = True  # jobs run inline; tests of the real worker set CENTRE_QUEUE_IMMEDIATE=0

    def __init__(self):
        super().__init__()
        self.SECRET_KEY = "test-secret"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        # Every test client comes from 127.0.0.1 and many post the same address: no mail throttle
        # unless a test sets it (tests/test_hostile.py does).
        self.MAIL_REQUESTS_PER_RECIPIENT = self.MAIL_REQUESTS_PER_ADDRESS = 0


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

    def __init__(self):
        super().__init__()
        if self.SECRET_KEY in ("", DEV_SECRET_KEY):
            raise RuntimeError("SECRET_KEY must be set to a real secret in production.")
        if not (self.SIGNING_KEY or self.SIGNING_PKCS11_MODULE):
            raise RuntimeError("CENTRE_SIGNING_KEY must name the PKCS#12 file of the institution's signing key "
                               "(or CENTRE_SIGNING_PKCS11_MODULE its token's module) in production: "
                               "certificates and letters are issued signed or not at all.")
        # Without it, links in mails would follow the Host header an attacker sends.
        address = urlsplit(self.PUBLIC_BASE_URL)
        if address.scheme not in ("http", "https") or not address.hostname:
            raise RuntimeError("CENTRE_PUBLIC_BASE_URL must be set in production to the site's public address, "
                               "e.g. https://centre.example.ma.")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
