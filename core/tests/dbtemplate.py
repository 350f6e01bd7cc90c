"""Migrated databases for tests that start real ``manage.py`` processes, copied from the test
database instead of migrated again: a ``migrate`` costs about 36 s of CPU (Django re-renders the
related historical models), and each xdist worker would pay it per kind of process database.

``capture`` runs once per test session, right after pytest-django has migrated the test database
and before any test has written to it:

- on SQLite it saves a copy of the test database to a file named by a hash of the migrations,
  which the later PostgreSQL pass of ``make test`` finds again (its SQLite process databases);
- on PostgreSQL it creates a template database from the test database.
"""

import atexit
import hashlib
import os
import sqlite3
from pathlib import Path

import django
from django.conf import settings
from django.db import connection

_postgres_template = None


def migrations_key():
    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(Path(settings.BASE_DIR).glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def sqlite_copy_path():
    return Path(settings.VAR_DIR) / "test-templates" / f"migrated-{migrations_key()}.sqlite3"


def sqlite_copy():
    """The saved migrated SQLite file, or None (a run that never had a SQLite pass)."""
    path = sqlite_copy_path()
    return path if path.exists() else None


def save_sqlite_copy(target):
    """Write the migrated file atomically: xdist workers of the same run may race for it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    connection.ensure_connection()
    with sqlite3.connect(partial) as copy:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # as a migrated production file is
    copy.close()
    os.replace(partial, target)


def postgres_template():
    """Name of a PostgreSQL template database holding the migrated schema, or None."""
    return _postgres_template


def postgres_server(db=None):
    """psycopg's connection arguments for the test database's server (no database named)."""
    db = db or settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"],
            "password": db["PASSWORD"]}


def postgres_admin(db=None):
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg

    return psycopg.connect(dbname="postgres", autocommit=True, **postgres_server(db))


def create_postgres_template():
    global _postgres_template
    db = dict(connection.settings_dict)
    name = f"klientura_proc_tpl_{os.getpid()}"
    connection.close()  # CREATE DATABASE … TEMPLATE needs the source free of sessions
    with postgres_admin(db) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{db["NAME"]}"')
    atexit.register(_drop, db, name)
    _postgres_template = name
    return name


def _drop(db, name):
    with postgres_admin(db) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def capture():
    if connection.vendor == "sqlite":
        target = sqlite_copy_path()
        if not target.exists():
            save_sqlite_copy(target)
    elif connection.vendor == "postgresql":
        create_postgres_template()
