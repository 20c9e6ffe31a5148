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
