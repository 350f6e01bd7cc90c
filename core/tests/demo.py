"""The whole demo company loaded once for a test module (about 12 s on SQLite, more on
PostgreSQL): each test runs in a savepoint inside the module's transaction, which is rolled back
after the module's last test."""

import contextlib
import io
import time

import time_machine
from django.core.management import call_command
from django.db import transaction

PASSWORD = "demo-password-1"  # outside DEMO_MODE the demo users need a password


@contextlib.contextmanager
def demo_for_module(django_db_blocker, now, password=PASSWORD):
    """Yield the output of ``load_demo`` run at ``now`` and the seconds it took."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(now, tick=False):
            out = io.StringIO()
            started = time.monotonic()
            call_command("load_demo", stdout=out, password=password)
            elapsed = time.monotonic() - started
        yield out.getvalue(), elapsed
        transaction.set_rollback(True)
