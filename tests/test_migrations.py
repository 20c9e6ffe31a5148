"""The schema comes from the migrations: upgrading an empty database gives exactly the models."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from centre import create_app
from centre.extensions import db


def test_migrations_build_the_schema_of_the_models(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_nothing_and_back(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'cycle.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        tables = set(db.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        flask_migrate.upgrade()
        assert "certificate" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_venue_migration_keeps_the_venue_as_the_french_one(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'venue.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO training_session (code, title_fr, title_ar, title_en, theme_fr, theme_ar, theme_en,"
                " kind, venue, start_on, end_on, capacity, languages, attendance_threshold, excused_left_out,"
                " status, created_at) VALUES ('2025-01', 'Titre', '', '', '', '', '', 'collective', 'Rabat',"
                " '2025-03-03', '2025-03-04', 20, 'fr', 80, 0, 'draft', '2025-01-01 00:00:00')")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.exec_driver_sql("SELECT venue_fr, venue_ar, venue_en FROM training_session").one()
        db.engine.dispose()
    assert tuple(row) == ("Rabat", "", "")
