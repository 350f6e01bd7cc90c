"""Enqueue the periodic background tasks every ``--interval`` seconds; ``db_worker`` runs them.

Each loop enqueues: reminder delivery, the overdue-task check, the birthday check (idempotent, so
running it every loop is harmless and picks up a birthday entered today) and the email queue;
and, when invoices are due for one, the sales payment reminders.
A task already waiting in the queue is not enqueued again. Finished task results older than a
day are pruned once an hour so the queue table stays small. Several schedulers may run: the
tasks themselves are safe to run concurrently.
"""

import logging
import signal
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from activities.tasks import PERIODIC, enqueue_once
from sales.tasks import periodic_due as sales_periodic_due

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
KEEP_RESULTS = timedelta(days=1)


class Command(BaseCommand):
    help = "Enqueue the periodic background tasks (reminders, overdue tasks, birthdays, email)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0,
                            help="Seconds between loops (default: %(default)s).")
        parser.add_argument("--once", action="store_true", help="Enqueue once and exit.")

    def handle(self, *args, interval, once, **options):
        self.running = True
        if not once:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        last_prune = None
        while True:
            try:
                queued = self.tick()
                if last_prune is None or timezone.now() - last_prune >= PRUNE_EVERY:
                    self.prune()
                    last_prune = timezone.now()
            except Exception:
                if once:
                    raise
                # The database may be restarting: keep looping rather than die silently.
                logger.exception("Scheduler loop failed; retrying in %s s", interval)
                queued = []
            if options["verbosity"] > 1 or once:
                self.stdout.write(f"Enqueued: {', '.join(queued) or 'nothing'}")
            if once or not self.running:
                return
            self.sleep(interval)
            if not self.running:
                return
            # Like a request: drop a connection the database closed while we slept.
            close_old_connections()

    def tick(self):
        # Sales tasks (payment reminders) are enqueued only when they have something to do.
        return [t.name for t in (*PERIODIC, *sales_periodic_due()) if enqueue_once(t) is not None]

    def prune(self):
        old = timezone.now() - KEEP_RESULTS
        DBTaskResult.objects.finished().filter(finished_at__lte=old).delete()

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(1.0, end - time.monotonic()))

    def stop(self, signum, frame):
        self.running = False
