"""The whole demo company, loaded once per test module.

Loading it takes ~15 s; tests that only read it share one load in a module-scoped fixture::

    @pytest.fixture(scope="module")
    def demo_company(django_db_setup, django_db_blocker):
        yield from load_once(django_db_blocker)

and take ``demo_company`` together with ``db`` (each test then runs in a savepoint inside the
module's transaction, which is rolled back after the module).
"""

import datetime as dt
import io

import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

NOW = dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Moscow


def load(now=NOW, **options):
    """``load_demo`` at ``now`` (frozen); its output."""
    out = io.StringIO()
    with time_machine.travel(now, tick=False):
        call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def load_once(django_db_blocker, now=NOW, demo_mode=True, **options):
    """Generator for a module-scoped fixture: yields ``load``'s output, rolls everything back after."""
    with django_db_blocker.unblock(), override_settings(DEMO_MODE=demo_mode), transaction.atomic():
        yield load(now, **options)
        transaction.set_rollback(True)
