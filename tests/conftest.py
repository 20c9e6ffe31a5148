"""Fixtures built on the application factory, in the manner of Flask's tutorial."""
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import flask_migrate
import jinja2
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from sqlalchemy.engine import make_url
from werkzeug.routing.rules import Rule

from centre import create_app
from centre.extensions import db
from centre.models import Role

pytest_plugins = ["tests.factories"]


# Every test builds its own app (create_app), so work that depends only on the code was done again
# for each of them: Werkzeug compiling each URL rule's builder (about 90 % of create_app, 0.2-0.3 s
# a test) and Jinja compiling each template a test renders. Both are shared here between the apps of
# one test process, keyed by everything their result depends on (a changed rule or template source
# compiles anew), so each test still gets a fresh app, configuration and database.
class _SharedBytecode(jinja2.BytecodeCache):
    """Jinja's compiled templates in memory, checked against their source's checksum by Jinja."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_compile_builder = Rule._compile_builder
_builders: dict = {}


def _shared_compile_builder(rule: Rule, append_unknown: bool = True):
    converters = tuple(sorted(
        (name, type(converter).__qualname__, repr(sorted((k, v) for k, v in vars(converter).items() if k != "map")))
        for name, converter in rule._converters.items()))
    key = (rule.rule, rule.subdomain, rule.host, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
           converters, append_unknown)
    if key not in _builders:
        _builders[key] = _compile_builder(rule, append_unknown)
    return _builders[key]


Rule._compile_builder = _shared_compile_builder
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedBytecode()}
_SIGNING_ENV = ("CENTRE_SIGNING_KEY", "CENTRE_SIGNING_PASSPHRASE", "CENTRE_TSA_URL")
_saved_signing_env: dict = {}

#: Lines a test wants shown at the end of the run (e.g. how many generated inputs it tried).
TERMINAL_SUMMARY: list[str] = []
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "correct horse battery"


def pytest_configure(config):
    """One throw-away signing key (and its CA) for the whole run, in every process (each pytest-xdist
    worker makes its own): every issued certificate is signed, in the tests too. Through the
    environment, so that apps created anywhere (and their subprocesses) sign with it."""
    from centre.signing import DEV_PASSPHRASE, make_dev_key

    folder = Path(tempfile.mkdtemp(prefix="centre-signing-"))
    _saved_signing_env.update({name: os.environ.get(name) for name in _SIGNING_ENV})
    _saved_signing_env["folder"] = folder
    os.environ["CENTRE_SIGNING_KEY"] = str(make_dev_key(folder / "test-signing.p12").key_path)
    os.environ["CENTRE_SIGNING_PASSPHRASE"] = DEV_PASSPHRASE
    os.environ.pop("CENTRE_TSA_URL", None)


def pytest_unconfigure(config):
    shutil.rmtree(_saved_signing_env.pop("folder", ""), ignore_errors=True)
    for name, value in _saved_signing_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def signing_ca() -> Path:
    """The PEM certificate of the CA that issued the tests' signing key."""
    from centre.signing import ca_path_of

    return ca_path_of(Path(os.environ["CENTRE_SIGNING_KEY"]))


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database brought to the head revision by the migrations, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "centre.sqlite3"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return path


#: SQLite always; PostgreSQL too when the test command started one (scripts/test.sh).
POSTGRES_URL = os.environ.get("CENTRE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
#: Under pytest-xdist each worker process has a PostgreSQL database of its own.
TEST_DATABASE = f"centre_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def postgres_template():
    """The PostgreSQL server, with a database `centre_test_<worker>` brought to head by the migrations.

    Yields an engine on the server (AUTOCOMMIT) for tests that need databases of their own.
    """
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {TEST_DATABASE}")
    app = create_app("test", SQLALCHEMY_DATABASE_URI=_postgres_url(TEST_DATABASE))
    with app.app_context():
        flask_migrate.upgrade()
        sequences = db.session.execute(sa.text(
            "SELECT sequence_schema, sequence_name FROM information_schema.sequences")).all()
        db.session.remove()
        db.engine.dispose()
    global _EMPTY_POSTGRES
    _EMPTY_POSTGRES = "".join(
        [f'DELETE FROM "{table.name}";' for table in reversed(db.metadata.sorted_tables)]
        + [f'ALTER SEQUENCE "{schema}"."{name}" RESTART;' for schema, name in sequences])
    yield server
    server.dispose()


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request, migrated_database, tmp_path):
    """A migrated database for one test: a copy of the SQLite template, or the PostgreSQL
    test database, emptied after the test (much faster than a database per test)."""
    if request.param == "sqlite":
        path = tmp_path / "centre.sqlite3"
        shutil.copy(migrated_database, path)
        yield f"sqlite:///{path}"
        return
    request.getfixturevalue("postgres_template")
    url = _postgres_url(TEST_DATABASE)
    yield url
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(_EMPTY_POSTGRES)
    engine.dispose()


#: Empties every table and restarts every sequence (ids), in one round trip; set by postgres_template.
#: DELETE, children first, rather than TRUNCATE: on tables of a few rows it is several times faster
#: (TRUNCATE makes new files for every table and index), which was a tenth of the suite's time.
_EMPTY_POSTGRES = ""


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, MAIL_FOLDER=str(tmp_path / "mail"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly; messages in English."""
    with app.app_context(), force_locale("en"):
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url="/catalogue") -> str:
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match[1]


def post(client, url, data=None, *, form_url="/catalogue", **kwargs):
    """POST like a browser: with the CSRF token of a page shown to this client."""
    data = {"csrf_token": csrf_token(client, form_url), **(data or {})}
    return client.post(url, data=data, **kwargs)


def signature_png(width=300, height=100, kind="PNG") -> bytes:
    """A small signature-like image, made with Pillow."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line([(5, height - 10), (width // 2, 10), (width - 5, height - 20)], fill="navy", width=4)
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
def login_as(app, client, create_user):
    """Sign the test client in with a new account of the given role; returns the user's id."""

    def login(role: Role | str, email: str | None = None):
        role = Role(role)
        with app.app_context():
            user = create_user(role=role, email=email)
            email, user_id = user.email, user.id
            db.session.commit()
        response = post(client, "/login", {"email": email, "password": PASSWORD}, form_url="/login")
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return login


@pytest.fixture
def count_queries(app):
    """count_queries(callable) -> how many SQL statements the callable ran."""
    from sqlalchemy import event

    def count(action) -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    return count


class _Inbox:
    """What a real SMTP server on 127.0.0.1 received, as email.message.EmailMessage objects."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the app is configured to send through it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


def pytest_runtest_logreport(report):
    """Collect the lines tests leave with `record_property("summary", line)`: under pytest-xdist
    they travel with the report from the worker to the process that prints the summary."""
    if report.when == "call":
        TERMINAL_SUMMARY.extend(value for name, value in report.user_properties if name == "summary")


def pytest_terminal_summary(terminalreporter):
    for line in TERMINAL_SUMMARY:
        terminalreporter.write_line(line)
