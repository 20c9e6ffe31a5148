"""The schema comes from the migrations: upgrading an empty database gives exactly the models."""
import uuid
from contextlib import contextmanager

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from centre import create_app
from centre.extensions import db
from tests.conftest import BACKENDS, POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """An empty database of each kind (PostgreSQL when the test command started one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_template")
    name = f"centre_migrations_{uuid.uuid4().hex[:10]}"
    with server.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


def test_migrations_build_the_schema_of_the_models(empty_database):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_nothing_and_back(empty_database):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        tables = set(db.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        flask_migrate.upgrade()
        assert "certificate" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()


@contextmanager
def _sqlite_at(tmp_path, revision, *statements):
    """In the context of an app on a new SQLite database brought to `revision`, these rows written."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        with db.engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        try:
            yield
        finally:
            db.engine.dispose()


def test_venue_migration_keeps_the_venue_as_the_french_one(tmp_path):
    with _sqlite_at(tmp_path, "0001",
                    "INSERT INTO training_session (code, title_fr, title_ar, title_en, theme_fr, theme_ar, theme_en,"
                    " kind, venue, start_on, end_on, capacity, languages, attendance_threshold, excused_left_out,"
                    " status, created_at) VALUES ('2025-01', 'Titre', '', '', '', '', '', 'collective', 'Rabat',"
                    " '2025-03-03', '2025-03-04', 20, 'fr', 80, 0, 'draft', '2025-01-01 00:00:00')"):
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.exec_driver_sql("SELECT venue_fr, venue_ar, venue_en FROM training_session").one()
    assert tuple(row) == ("Rabat", "", "")


def test_contact_email_migration_keeps_the_address_as_a_contact(tmp_path):
    with _sqlite_at(tmp_path, "0024_letter_language",
                    "INSERT INTO institution (name_fr, name_ar, name_en, country, kind, contact_email) VALUES "
                    "('Médiateur', '', '', 'SN', 'ombudsman', 'suivi@mediateur.example.sn'),"
                    " ('Protecteur', '', '', 'CI', 'ombudsman', '')"):
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT institution_id, full_name, email, language FROM institution_contact").all()
    # the contact written by 0026 outlives 0027's batch (which recreates the table on SQLite), in French
    assert rows == [(1, "Contact", "suivi@mediateur.example.sn", "fr")]


def test_sqlite_batches_cascade_nothing_away(tmp_path):
    """A batch recreates its table on SQLite; with foreign keys enforced, dropping the old table
    would delete the rows pointing at it (0025: a request's messages; 0028: a template's questions).
    migrations/env.py keeps enforcement off while migrations run, and on again afterwards."""
    with _sqlite_at(tmp_path, "0024_letter_language",
                    "INSERT INTO institution (id, name_fr, name_ar, name_en, country, kind, contact_email) VALUES"
                    " (1, 'Médiateur', '', '', 'SN', 'ombudsman', '')",
                    "INSERT INTO assistance_request (id, institution_id, kind, subject, objectives, expertise_wanted,"
                    " staff_profile, preferred_from, preferred_to, languages, status, submitted_at, decision_reason,"
                    " host_departments, report) VALUES (1, 1, 'immersion', 'Accueil', 'Observer', '', '', '2027-01-04',"
                    " '2027-01-08', 'fr', 'submitted', '2026-12-01 09:00:00', '', '', '')",
                    "INSERT INTO assistance_message (request_id, body, at)"
                    " VALUES (1, 'Combien ?', '2026-12-02 09:00:00')",
                    "INSERT INTO questionnaire_template (id, code, version, purpose, title_fr, title_ar, title_en,"
                    " intro_fr, intro_ar, intro_en, is_anonymous, created_at) VALUES (1, 'follow_up', 1, 'follow_up',"
                    " 'Suivi', 'تتبع', 'Follow-up', '', '', '', 0, '2026-01-01 00:00:00')",
                    "INSERT INTO questionnaire_question (template_id, position, kind, target, text_fr, text_ar,"
                    " text_en, is_required, scale_max, choices) VALUES (1, 1, 'rating', 'general', 'Utile', 'مفيد',"
                    " 'Useful', 1, 5, '[]')"):
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            kept = (connection.exec_driver_sql("SELECT body FROM assistance_message").scalars().all(),
                    connection.exec_driver_sql("SELECT text_fr FROM questionnaire_question").scalars().all())
            enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            connection.exec_driver_sql(
                "INSERT INTO questionnaire_template (id, code, version, purpose, title_fr, title_ar, title_en,"
                " intro_fr, intro_ar, intro_en, is_anonymous, created_at) VALUES (2, 'assistance', 1, 'assistance',"
                " 'Évaluation', 'تقييم', 'Evaluation', '', '', '', 0, '2026-01-01 00:00:00')")
            connection.exec_driver_sql(
                "INSERT INTO questionnaire_question (template_id, position, kind, target, text_fr, text_ar, text_en,"
                " is_required, scale_max, choices) VALUES (2, 1, 'rating', 'trainer', 'Expert', 'خبير', 'Expert',"
                " 1, 5, '[]')")
        flask_migrate.downgrade(revision="0027_contact_language")  # refused if it left a question behind
        with db.engine.connect() as connection:
            left = connection.exec_driver_sql("SELECT template_id FROM questionnaire_question").scalars().all()
    assert kept == (["Combien ?"], ["Utile"]) and enforced == 1
    assert left == [1]
