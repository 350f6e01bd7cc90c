"""A database that separate ``manage.py`` processes share, on the backend the tests run on:
the SQLite file of activities' ProcessDB, or a fresh PostgreSQL database copied from a template
migrated once per test session."""

import atexit
import os
import uuid
from pathlib import Path

import psycopg
from django.conf import settings

from activities.tests.background import ProcessDB
from core.tests import dbtemplate


class SqliteProcesses(ProcessDB):
    def rows(self, sql, *params):
        return self.query(sql.replace("%s", "?"), *params)

    def value(self, sql, *params):
        found = self.rows(sql, *params)
        return found[0][0] if found else None


class PostgresProcesses(SqliteProcesses):
    template = None
    created = []

    def __init__(self, directory):
        self.server = dbtemplate.postgres_server()
        self.dir = Path(directory)
        if PostgresProcesses.template is None:
            PostgresProcesses.template = dbtemplate.postgres_template()  # the test database as migrated
        if PostgresProcesses.template is None:
            name = f"klientura_proc_tpl_{os.getpid()}"
            self.create(name)
            self._run(["migrate", "--no-input"], env=self._pg_env(name), check=True, timeout=600)
            PostgresProcesses.template = name
        self.name = f"klientura_proc_{uuid.uuid4().hex[:10]}"
        self.create(self.name, template=PostgresProcesses.template)
        self.env = self._pg_env(self.name)
        self.url = self.env["DATABASE_URL"]

    def create(self, name, template=None):
        with dbtemplate.postgres_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        PostgresProcesses.created.append(name)

    def _pg_env(self, name):
        env = self._env(self.dir)
        s = self.server
        env["DATABASE_URL"] = f"postgresql://{s['user']}:{s['password']}@{s['host']}:{s['port']}/{name}"
        return env

    def rows(self, sql, *params):
        with psycopg.connect(dbname=self.name, **self.server) as conn:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]


@atexit.register
def _drop_databases():
    if not PostgresProcesses.created:
        return
    with dbtemplate.postgres_admin() as conn:
        for name in reversed(PostgresProcesses.created):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_database(directory):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return PostgresProcesses(directory)
    return SqliteProcesses(directory)
