"""flask backup / flask restore: a restored database equals the one backed up, row for row,
certificate PDFs included, on SQLite and on PostgreSQL."""
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from centre import create_app
from centre.extensions import db
from centre.models import (
    Certificate,
    DocumentLanguage,
    MarkStatus,
    RegistrationStatus,
    Role,
    SessionStatus,
)
from tests.conftest import POSTGRES_URL


@pytest.fixture
def filled(app, create_session, create_registration, create_trainee, create_user, mark_all, create_expert):
    """Sessions at several stages, registrations, attendance marks, an issued certificate."""
    from centre.auth.services import create_user as create_account
    from centre.certificates.services import issue_certificate
    from centre.sessions.services import change_status

    with app.app_context():
        create_account("admin@centre.example.org", "long-password", Role.ADMIN, full_name="Admin")
        open_session = create_session(SessionStatus.OPEN, title_ar="الوساطة المؤسساتية")
        create_session(SessionStatus.IN_REVIEW)
        done = create_session(SessionStatus.IN_PROGRESS, start_on=date(2026, 4, 6), end_on=date(2026, 4, 8))
        trainees = [create_trainee(full_name_ar="فاطمة الزهراء", user=create_user(Role.TRAINEE)) for _ in range(3)]
        registrations = [create_registration(done, trainee=t) for t in trainees]
        create_registration(open_session, status=RegistrationStatus.PENDING)
        create_registration(open_session, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
        mark_all(registrations[0], present=6, rest=MarkStatus.PRESENT)
        mark_all(registrations[1], present=3, rest=MarkStatus.EXCUSED)
        change_status(done, SessionStatus.COMPLETED)
        certificate = issue_certificate(registrations[0], DocumentLanguage.BILINGUAL, None)
        db.session.commit()
        assert len(certificate.pdf) > 1000
    return app


def rows_of_every_table(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [tuple(row) for row in connection.execute(
                    sa.select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()


@pytest.fixture
def empty_database_url(app, tmp_path, request):
    """A database with nothing in it, of the same kind as the app's."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_template")
    name = f"centre_restore_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


def test_backup_restored_into_an_empty_database_equals_the_original(filled, runner, tmp_path, empty_database_url):
    source_url = filled.config["SQLALCHEMY_DATABASE_URI"]
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    [backup] = list((tmp_path / "backups").iterdir())
    assert backup.stat().st_mode & 0o077 == 0  # personal data: owner only

    target = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url)
    result = target.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    with target.app_context():
        db.engine.dispose()

    before, after = rows_of_every_table(source_url), rows_of_every_table(empty_database_url)
    assert set(after) == set(before) and "alembic_version" in after
    for table in before:
        assert after[table] == before[table], table
    assert len(before["certificate"]) == 1 and len(before["attendance_mark"]) == 2 * 6
    pdfs = []
    for app in (filled, target):
        with app.app_context():
            pdfs.append(db.session.execute(sa.select(Certificate.pdf, Certificate.sha256)).one())
            db.session.rollback()
            db.engine.dispose()
    assert pdfs[0] == pdfs[1] and pdfs[0].pdf.startswith(b"%PDF")


def test_restore_puts_back_what_was_changed_since_the_backup(filled, runner, tmp_path):
    url = filled.config["SQLALCHEMY_DATABASE_URI"]
    runner.invoke(args=["backup", str(tmp_path)], catch_exceptions=False)
    [backup] = list(tmp_path.glob("centre-*"))
    before = rows_of_every_table(url)
    with filled.app_context():
        db.session.execute(sa.delete(Certificate))
        db.session.execute(sa.text("UPDATE training_session SET title_fr = 'Changé'"))
        db.session.commit()
    result = runner.invoke(args=["restore", str(backup)], input="y\n")
    assert result.exit_code == 0, result.output
    with filled.app_context():
        db.engine.dispose()
    assert rows_of_every_table(url) == before


def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database")
    result = runner.invoke(args=["restore", str(other), "--yes"])
    assert result.exit_code != 0 and "notes.txt" in result.output


def test_restore_leaves_no_table_the_backup_does_not_hold(filled, runner, tmp_path):
    """A table created after the backup (a later migration's) is gone after the restore, on both
    databases: otherwise `flask db upgrade` from the backup's revision fails on it (issue 20)."""
    url = filled.config["SQLALCHEMY_DATABASE_URI"]
    runner.invoke(args=["backup", str(tmp_path)], catch_exceptions=False)
    [backup] = list(tmp_path.glob("centre-*"))
    before = rows_of_every_table(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE added_after_backup (id INTEGER PRIMARY KEY, note TEXT)")
            connection.exec_driver_sql("INSERT INTO added_after_backup VALUES (1, 'later')")
        result = runner.invoke(args=["restore", str(backup)], input="y\n")
        assert result.exit_code == 0, result.output
        with filled.app_context():
            db.engine.dispose()
        assert "added_after_backup" not in sa.inspect(engine).get_table_names()
        assert rows_of_every_table(url) == before
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS added_after_backup")
        engine.dispose()
