"""Engine settings that make SQLite behave like the production database where it matters, and a
lock on a name for the checks that count rows (sign-in failures, rate limits)."""
import hashlib

import sqlalchemy as sa
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


def lock_name(session, *parts: str) -> None:
    """Serialize, until the transaction ends, the transactions that lock the same name: a check
    that counts rows and then adds one (five failures for an e-mail, thirty verifications for an
    address) is atomic. PostgreSQL: a transaction-level advisory lock on a 64-bit digest of the
    name (no row needs to exist yet to be locked). SQLite: nothing to do, every transaction holds
    the write lock from its start (BEGIN IMMEDIATE above)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big", signed=True)
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
