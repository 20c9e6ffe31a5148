"""Backing up the database to a file and restoring it: SQLite through its online backup API,
PostgreSQL through pg_dump's custom format and pg_restore."""
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre.errors import DomainError
from centre.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


def postgres_program(name: str) -> str:
    """pg_dump or pg_restore: from CENTRE_PG_BIN, else the newest of Debian's
    /usr/lib/postgresql/*/bin (they are not on PATH), else PATH."""
    folders = [os.environ["CENTRE_PG_BIN"]] if os.environ.get("CENTRE_PG_BIN") else []
    folders += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
                      key=lambda p: [int(x) if x.isdigit() else x for x in p.split("/")], reverse=True)
    for folder in folders:
        program = Path(folder) / name
        if os.access(program, os.X_OK):
            return str(program)
    found = shutil.which(name)
    if found is None:
        raise DomainError(_l("%(program)s is not installed: install PostgreSQL's client programs "
                             "(Debian: postgresql-client)."), program=name)
    return found


def _database():
    """The engine's URL and its backend ("sqlite" or "postgresql")."""
    url = db.engine.url
    backend = url.get_backend_name()
    if backend not in SUFFIXES:
        raise DomainError(_l("Backups are made of SQLite and PostgreSQL databases only."))
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise DomainError(_l("An in-memory database cannot be backed up or restored."))
    return url, backend


def _libpq(url) -> tuple[str, dict]:
    """A connection string for PostgreSQL's programs, with the password kept out of the command line."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise DomainError(_l("%(program)s failed: %(error)s"), program=Path(command[0]).name,
                          error=result.stderr.strip() or result.returncode)
    return result.stdout


def _drop_tables_not_in(file: Path, env: dict) -> list[str]:
    """Drop the tables of the public schema that the dump does not hold (those of a later
    migration): pg_restore --clean drops only what the dump holds, so they would stay, with their
    rows, and the next `flask db upgrade` would fail on them. Returns their names."""
    listing = _run([postgres_program("pg_restore"), "--list", str(file)], env)
    dumped = {fields[fields.index("TABLE") + 2] for line in listing.splitlines()
              if not line.startswith(";") and "TABLE" in (fields := line.split())
              and fields.index("TABLE") + 2 < len(fields) and fields[fields.index("TABLE") + 1] == "public"}
    if not dumped:
        raise DomainError(_l("%(path)s is not a backup of this application's database."), path=file)
    with db.engine.begin() as connection:
        present = set(sa.inspect(connection).get_table_names(schema="public"))
        extra = sorted(present - dumped)
        for name in extra:
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS public."{name}" CASCADE')
    db.engine.dispose()
    return extra


def backup_database(directory: Path, now: datetime) -> Path:
    """Write a consistent copy of the whole database into `directory`; returns the file, readable
    by its owner only (it holds personal data and password hashes)."""
    url, backend = _database()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"centre-{now:%Y%m%dT%H%M%SZ}{SUFFIXES[backend]}"
    partial = target.with_name(target.name + ".partial")  # never a plausible file if interrupted
    if target.exists():
        raise DomainError(_l("%(path)s exists already."), path=target)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise DomainError(_l("%(path)s exists: another backup is being written."), path=partial) from None
    try:
        if backend == "sqlite":
            source, copy = sqlite3.connect(url.database), sqlite3.connect(partial)
            try:
                source.backup(copy)  # a consistent snapshot even while the app writes
            finally:
                copy.close()
                source.close()
        else:
            dsn, env = _libpq(url)
            _run([postgres_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={dsn}"], env)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    current_app.logger.info("Database backed up to %s", target)
    return target


def restore_database(file: Path) -> str:
    """Replace the database's contents with a backup of the same kind; returns the schema
    revision the backup is at (`flask db upgrade` brings it to this code's)."""
    url, backend = _database()
    with open(file, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    magic = SQLITE_MAGIC if backend == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(magic):
        raise DomainError(_l("%(path)s is not a backup of a %(backend)s database."), path=file, backend=backend)
    db.session.remove()
    db.engine.dispose()  # no connection of this process keeps old pages or locks
    if backend == "sqlite":
        backup = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            revision = _sqlite_revision(backup, file)
            database = sqlite3.connect(url.database)
            try:
                backup.backup(database)
            finally:
                database.close()
        finally:
            backup.close()
    else:
        dsn, env = _libpq(url)
        extra = _drop_tables_not_in(file, env)
        if extra:
            current_app.logger.info("Tables the backup does not hold, dropped: %s", ", ".join(extra))
        _run([postgres_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(file)], env)
        with db.engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    current_app.logger.info("Database restored from %s (revision %s)", file, revision)
    return revision


def _sqlite_revision(connection, file) -> str:
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.DatabaseError, TypeError):
        raise DomainError(_l("%(path)s is not a backup of this application's database."), path=file) from None
