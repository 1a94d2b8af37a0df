"""Back up and restore the configured database (docs/operations.md).

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent copy even while the
app writes, with no `sqlite3` command-line tool needed. PostgreSQL: `pg_dump --format=custom`
and `pg_restore --clean --if-exists` in one transaction, so a restore that fails changes
nothing. Credentials reach the PostgreSQL tools through libpq's environment variables, never
their command line (which any local user can read in the process list).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

from django.db import connections

from servicechain.org.services import audit_record


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why in one line."""


def database_backup(*, path: Path, using: str = "default") -> Path:
    """Write a backup of the database to `path` (replaced only once the copy is complete)."""
    path = Path(path).resolve()
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder; create it first.")
    connection = connections[using]
    partial = path.with_name(path.name + ".partial")
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(connection, partial)
        elif connection.vendor == "postgresql":
            _run("pg_dump", ["--format=custom", "--file", str(partial)], connection.settings_dict)
        else:
            raise BackupError(f"No backup method for the {connection.vendor} database.")
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as problem:
        raise BackupError(f"The backup to {path} failed: {problem}.") from None
    finally:
        partial.unlink(missing_ok=True)
    audit_record(action="database.backup", detail={"engine": connection.vendor, "file": str(path)})
    return path


def database_restore(*, path: Path, using: str = "default") -> None:
    """Replace the database's contents with the backup at `path`.

    Stop the web server and task workers first: a restore replaces every table.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    connection = connections[using]
    if connection.vendor == "sqlite":
        _sqlite_restore(connection, path)
    elif connection.vendor == "postgresql":
        # pg_restore drops and recreates tables: no connection of ours may hold a lock.
        connection.close()
        settings = connection.settings_dict
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run("pg_restore", [*options, "--dbname", settings["NAME"], str(path)], settings)
    else:
        raise BackupError(f"No restore method for the {connection.vendor} database.")
    audit_record(action="database.restore", detail={"engine": connection.vendor, "file": str(path)})


def _sqlite_backup(connection, target: Path) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
        # The copy inherits the live file's write-ahead-log mode; a rollback journal keeps the
        # backup one self-contained file that reading it later does not add -wal/-shm files to.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def _sqlite_restore(connection, path: Path) -> None:
    try:
        source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables = {
                row[0]
                for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "django_migrations" not in tables:
                raise BackupError(f"{path} is an SQLite database but not a servicechain backup.")
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    except sqlite3.DatabaseError as problem:
        raise BackupError(f"{path} could not be read as an SQLite backup: {problem}.") from None


def _run(tool: str, arguments: list[str], settings: dict) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} was not found on PATH; install PostgreSQL's client tools "
            "(Debian: postgresql-client) in the version of the server or newer."
        )
    # A fixed argv (the resolved tool, literal options, the configured database name and the
    # operator's file) and no shell; credentials travel in the environment.
    done = subprocess.run(  # nosec B603
        [executable, *arguments],
        env=_libpq_environment(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        errors = [line for line in lines if "error" in line] or lines or [f"exit {done.returncode}"]
        reason = errors[0].removeprefix(f"{tool}: ")
        raise BackupError(f"{tool} failed: {reason.rstrip('.')}.")


def _libpq_environment(settings: dict) -> dict[str, str]:
    """The environment naming the database for libpq (PGHOST, PGUSER, PGPASSWORD, …)."""
    values = {
        "PGHOST": settings.get("HOST"),
        "PGPORT": settings.get("PORT"),
        "PGUSER": settings.get("USER"),
        "PGPASSWORD": settings.get("PASSWORD"),
        "PGDATABASE": settings.get("NAME"),
        "PGSSLMODE": (settings.get("OPTIONS") or {}).get("sslmode"),
    }
    return {**os.environ, **{name: str(value) for name, value in values.items() if value}}
