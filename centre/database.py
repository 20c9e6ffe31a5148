"""Engine settings that make SQLite behave like the production database where it matters."""
from sqlalchemy import event


def configure_engine_events(engine):
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Take the write lock when the transaction starts, so that a rule's check and its
        # write (capacity, certificate numbers) cannot interleave with another writer.
        # PostgreSQL gets the same guarantee from SELECT … FOR UPDATE in the services.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
