"""Test helpers for the background work: a real SMTP server on loopback (aiosmtpd), an
in-process worker run, and small factories for reminders and tasks."""

import atexit
import contextlib
import datetime
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from activities.models import Reminder, Task
from core.tests import dbtemplate


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Collects what the server received, parsed (headers and body decoded)."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def subjects(self):
        # A long encoded subject is folded onto the next line ("Subject:\n =?utf-8?…"); mail
        # clients drop the fold's leading blank, Python's parser keeps it.
        return [str(m["Subject"]).strip() for m in self.messages]

    @property
    def messages(self):
        return [email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
                for e in self.envelopes]


def point_django_at(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@contextlib.contextmanager
def smtp_server(settings, port=None):
    """Start a server on loopback, point Django's SMTP settings at it, yield its Inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    point_django_at(settings, controller.port)
    try:
        yield inbox
    finally:
        controller.stop()


def smtp_down(settings):
    """Point Django at a loopback port where nothing listens; returns the port."""
    port = free_port()
    point_django_at(settings, port)
    return port


def run_worker():
    """Run every queued task the way ``manage.py db_worker --batch`` does, in this process
    (without installing its signal handlers into pytest). The worker's close_old_connections()
    would close the test's connection, which sits inside the test transaction: skip it."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
               max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()


def make_reminder(user, **kw):
    kw.setdefault("remind_at", timezone.now())
    kw.setdefault("text", "Перезвонить клиенту")
    return Reminder.objects.create(user=user, **kw)


def make_task(author, assignee, **kw):
    kw.setdefault("deadline", timezone.now() + datetime.timedelta(days=1))
    kw.setdefault("title", "Подготовить КП")
    return Task.objects.create(author=author, assignee=assignee, **kw)


# --- Real worker processes on a shared SQLite file ----------------------------------------

_template_db = None


class ProcessDB:
    """A migrated SQLite database file (WAL, as in production) that separate ``manage.py``
    processes share; independent of the test database, so it works in the PostgreSQL pass too."""

    def __init__(self, directory):
        global _template_db
        if _template_db is None:
            _template_db = dbtemplate.sqlite_copy()  # the test database as migrated, if saved
        if _template_db is None:
            template_dir = Path(tempfile.mkdtemp(prefix="klientura-worker-db-"))
            atexit.register(shutil.rmtree, template_dir, True)
            self._run(["migrate", "--no-input"], env=self._env(template_dir), check=True)
            _template_db = template_dir / "db.sqlite3"
        self.dir = Path(directory)
        self.path = self.dir / "db.sqlite3"
        shutil.copy(_template_db, self.path)
        self.env = self._env(self.dir)

    @staticmethod
    def _env(directory):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(DATABASE_URL=f"sqlite:///{directory / 'db.sqlite3'}", KLIENTURA_VAR_DIR=str(directory),
                   DJANGO_SETTINGS_MODULE="klientura.test_settings")
        return env

    @staticmethod
    def _run(args, env, check=False, timeout=120):
        return subprocess.run([sys.executable, str(django_settings.BASE_DIR / "manage.py"), *args],
                              env=env, capture_output=True, text=True, check=check, timeout=timeout,
                              cwd=django_settings.BASE_DIR)

    def manage(self, *args, check=True, timeout=120):
        return self._run(list(args), self.env, check=check, timeout=timeout)

    def shell(self, code, check=True, timeout=120):
        return self.manage("shell", "--no-imports", "-c", code, check=check, timeout=timeout)

    def start_shell(self, code):
        return subprocess.Popen([sys.executable, str(django_settings.BASE_DIR / "manage.py"), "shell",
                                 "--no-imports", "-c", code], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=django_settings.BASE_DIR)

    def start_manage(self, *args):
        return subprocess.Popen([sys.executable, str(django_settings.BASE_DIR / "manage.py"), *args],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=django_settings.BASE_DIR)

    def query(self, sql, *params):
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as db:
            return db.execute(sql, params).fetchall()
